"""The Slack digest Sender against the loopback Slack server: messages, threads for big
digests, Slack's errors mapped to outbox outcomes, and pacing that draws no 429."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from datetime import date

import pytest
from slack_sdk.web.async_client import AsyncWebClient

from bot.delivery.sender import Blocked, Failed, Progress, Sent, Unknown
from bot.domain.digest import Digest, DigestItem
from bot.platforms.slack.pacing import SlackPacing
from bot.platforms.slack.send import SlackSender, chat_id
from summariser import Quote, load_folder, summarise_post
from tests.app_fixtures import SEEDS
from tests.fakes.slack_clients import client_for
from tests.fakes.slack_server import FakeSlack, SlackError
from tests.fakes.slack_state import DEFAULT_CHANNEL, TEAM_ID

CHAT = chat_id(TEAM_ID, DEFAULT_CHANNEL)


@pytest.fixture
async def slack() -> AsyncIterator[FakeSlack]:
    async with FakeSlack() as server:
        yield server


def make_digest(posts: int = 2, *, comments: int | None = None) -> Digest:
    items = []
    for post in load_folder(SEEDS).posts[:posts]:
        summary = summarise_post(post)
        quotes = summary.comments
        if comments is not None:  # a long thread: many quoted comments
            quotes = tuple(
                Quote(f"{i}", "Ann", f"Comment {i}: " + "the hearing was moved again. " * 20)
                for i in range(comments)
            )
        items.append(
            DigestItem(
                post.id,
                post.id[:3],
                post.title,
                post.date,
                "new",
                "new post",
                summary.body,
                quotes,
                post.comment_count,
                (),
                (),
            )
        )
    return Digest("slack", CHAT, "2026-11-23", "daily", "Daily digest, Monday 23 November 2026",
                  date(2026, 11, 23), tuple(items))  # fmt: skip


def sender_for(
    slack: FakeSlack, client: AsyncWebClient | None = None, **pacing: float
) -> SlackSender:
    web = client or client_for(slack)

    async def client_of(team: str) -> AsyncWebClient | None:
        return web if team == TEAM_ID else None

    return SlackSender(client_of, SlackPacing(**pacing))  # type: ignore[arg-type]


async def test_a_digest_is_one_message_with_its_buttons(slack: FakeSlack) -> None:
    outcome = await sender_for(slack).send(CHAT, make_digest(2))
    [message] = slack.messages
    assert outcome == Sent((message.ts,))
    assert message.blocks is not None and message.blocks[0]["text"]["text"].startswith("Daily")
    assert sum(b["type"] == "actions" for b in message.blocks) == 2  # a row per post
    assert "Daily digest" in message.text


async def test_a_digest_too_big_for_one_message_is_a_thread_one_reply_per_post(
    slack: FakeSlack,
) -> None:
    digest = make_digest(3, comments=25)
    recorded: list[tuple[str, ...]] = []

    async def record(ids: tuple[str, ...]) -> None:
        recorded.append(ids)

    outcome = await sender_for(slack).send(CHAT, digest, Progress(record=record))
    head, *replies = slack.messages
    assert isinstance(outcome, Sent) and outcome.message_ids == tuple(m.ts for m in slack.messages)
    assert head.thread_ts is None and head.blocks is not None
    assert [r.thread_ts for r in replies] == [head.ts] * len(replies) and len(replies) == 3
    for reply, item in zip(replies, digest.items, strict=True):
        assert item.title in reply.text and len(reply.blocks or []) <= 50
    assert recorded[-1] == outcome.message_ids
    # a resumed delivery sends only what is not recorded yet, into the same thread
    again = await sender_for(slack).send(CHAT, digest, Progress(done=outcome.message_ids[:2]))
    assert [m.thread_ts for m in slack.messages[4:]] == [head.ts, head.ts]
    assert isinstance(again, Sent) and again.message_ids[:2] == outcome.message_ids[:2]


@pytest.mark.parametrize(
    ("error", "outcome"),
    [
        ("channel_not_found", Blocked("Slack: channel_not_found")),
        ("is_archived", Blocked("Slack: is_archived")),
        ("not_in_channel", Blocked("Slack: not_in_channel")),
        ("account_inactive", Blocked("Slack: account_inactive")),
        ("token_revoked", Blocked("Slack: token_revoked")),
        ("invalid_auth", Blocked("Slack: invalid_auth")),
        ("msg_too_long", Failed(retryable=False, reason="Slack: msg_too_long")),
        ("invalid_blocks", Failed(retryable=False, reason="Slack: invalid_blocks")),
        ("internal_error", Failed(retryable=True, reason="Slack: internal_error")),
    ],
)
async def test_slack_errors_become_outbox_outcomes(
    slack: FakeSlack, error: str, outcome: object
) -> None:
    slack.fail("chat.postMessage", error, channel=DEFAULT_CHANNEL)
    assert await sender_for(slack).send(CHAT, make_digest(1)) == outcome
    assert slack.messages == []


async def test_real_archived_and_revoked_workspaces_are_blocked(slack: FakeSlack) -> None:
    slack.archive(DEFAULT_CHANNEL)
    assert await sender_for(slack).send(CHAT, make_digest(1)) == Blocked("Slack: is_archived")
    assert await sender_for(slack).send("T0OTHER:C1", make_digest(1)) == Blocked(
        "the app is no longer installed in workspace T0OTHER"
    )
    slack.revoke()
    assert await sender_for(slack).send(chat_id(TEAM_ID, "C0NONE"), make_digest(1)) == Blocked(
        "Slack: token_revoked"
    )
    assert await sender_for(slack).send("C0GENERAL1", make_digest(1)) == Failed(
        retryable=False, reason="not a Slack chat id (TEAM:CHANNEL): 'C0GENERAL1'"
    )


async def test_a_bad_message_after_part_of_a_digest_went_out_is_unknown(slack: FakeSlack) -> None:
    slack.fail("chat.postMessage", "invalid_blocks", after=1)
    outcome = await sender_for(slack).send(CHAT, make_digest(3, comments=25))
    assert outcome == Unknown("1 of 4 messages sent, then Slack: invalid_blocks")


async def test_a_timeout_after_sending_is_unknown_and_never_resent(slack: FakeSlack) -> None:
    slack.delay_response(1.0)
    client = client_for(slack, timeout=0.2)
    outcome = await sender_for(slack, client).send(CHAT, make_digest(1))
    assert isinstance(outcome, Unknown)
    assert len(slack.messages) == 1  # it did arrive: a retry would have been a duplicate


async def test_a_rate_limit_is_waited_out_then_the_message_sent_once(slack: FakeSlack) -> None:
    slack.fail("chat.postMessage", SlackError.ratelimited(1), channel=DEFAULT_CHANNEL)
    started = time.monotonic()
    outcome = await sender_for(slack).send(CHAT, make_digest(1))
    assert isinstance(outcome, Sent) and len(slack.messages) == 1
    assert time.monotonic() - started >= 0.95  # Retry-After honoured
    assert slack.errors("ratelimited") == 1


async def test_a_lasting_rate_limit_leaves_the_delivery_pending(slack: FakeSlack) -> None:
    slack.fail("chat.postMessage", SlackError.ratelimited(120), channel=DEFAULT_CHANNEL)
    outcome = await sender_for(slack).send(CHAT, make_digest(1))
    assert outcome == Failed(retryable=True, reason="Slack: ratelimited")
    assert slack.errors("ratelimited") == 1  # a long Retry-After is not hammered


async def test_pacing_keeps_to_one_message_per_second_per_channel(slack: FakeSlack) -> None:
    slack.limit_rate(per_channel=1.0, channel_burst=3)
    sender = sender_for(slack)
    started = time.monotonic()
    for _ in range(2):
        assert isinstance(await sender.send(CHAT, make_digest(3, comments=25)), Sent)
    assert len(slack.messages) == 8 and slack.errors("ratelimited") == 0
    # burst of 2, then one per ~1.03 s: 8 messages take at least 6 s
    assert time.monotonic() - started >= 6.0
