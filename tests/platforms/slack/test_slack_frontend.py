"""The Slack front end (bolt AsyncApp in Socket Mode) against the loopback Slack server:
/digestbot commands acked at once and answered, DMs and mentions, channel permissions,
the user's time zone, not_in_channel, redelivered events, buttons and sharing."""

from __future__ import annotations

import inspect
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace
from pathlib import Path

import pytest

from bot.app import App
from bot.chat.handlers import build_commands
from bot.chat.throttle import CommandThrottle
from bot.config import SlackConfig, SlackSecrets
from bot.domain.records import Subscriber
from bot.platforms.slack.blocks import visible
from bot.platforms.slack.people import REFUSAL
from bot.platforms.slack.send import chat_id
from bot.platforms.slack.serve import SlackService, build
from bot.runner import Runner
from tests.app_fixtures import FakeClock, files, make_config
from tests.fakes.slack_server import FakeSlack
from tests.fakes.slack_state import BOT_USER_ID, DEFAULT_CHANNEL, DEFAULT_USER, TEAM_ID

ADMIN, BOB, ALICE = "U0ADMIN001", "U0BOB00001", DEFAULT_USER
SORRY = "Sorry, something went wrong"


@pytest.fixture
async def slack() -> AsyncIterator[FakeSlack]:
    async with FakeSlack() as server:
        server.add_user(ADMIN, "ada", is_admin=True, tz="America/New_York")
        server.add_user(BOB, "bob", tz="Asia/Tokyo")
        server.add_channel("C0RANDOM01", "random", creator=ADMIN, members=[BOB])
        server.add_channel("C0NOBOT001", "quiet", creator=BOB, bot_member=False)
        yield server


def open_slack_app(tmp_path: Path, slack: FakeSlack, **slack_config: object) -> App:
    config = make_config(tmp_path)
    sc = replace(SlackConfig(), base_url=slack.base_url, **slack_config)  # type: ignore[arg-type]
    return App.open(replace(config, slack=sc), clock=FakeClock())


@asynccontextmanager
async def running(app: App, slack: FakeSlack) -> AsyncIterator[SlackService]:
    secrets = SlackSecrets(slack.bot_token, slack.app_token, slack.signing_secret)
    service = SlackService(build(app, secrets), secrets)
    async with Runner(app, [service]).serving(scheduled=False):
        await slack.socket.wait_connected()
        yield service


@pytest.fixture
async def bot(tmp_path: Path, slack: FakeSlack) -> AsyncIterator[SlackService]:
    app = open_slack_app(tmp_path, slack)
    try:
        async with running(app, slack) as service:
            yield service
    finally:
        app.close()


def shown(blocks: list[dict[str, object]] | None) -> str:
    texts = []
    for block in blocks or []:
        text = block.get("text")
        if isinstance(text, dict):
            texts.append(visible(str(text["text"])))
        for element in block.get("elements") or []:  # type: ignore[attr-defined]
            if isinstance(element, dict) and element.get("type") == "mrkdwn":
                texts.append(str(element["text"]))
    return "\n".join(texts)


async def slash(slack: FakeSlack, text: str, **where: str) -> tuple[float, str, str]:
    """``/digestbot text``: seconds to the ack, what the answer says, and its response_type."""
    before = len(slack.responses)
    started = time.monotonic()
    envelope = await slack.socket.push("slash_commands", slack.slash_command(text, **where))
    await slack.socket.wait_ack(envelope)
    acked = time.monotonic() - started
    posts = await slack.wait_for_responses(before + 1, timeout=20)
    answer = posts[before]
    return acked, shown(answer.body.get("blocks")), answer.response_type


async def test_ask_is_acked_at_once_and_answered_through_the_response_url(
    slack: FakeSlack, bot: SlackService
) -> None:
    acked, text, kind = await slash(slack, "ask prison")
    assert acked < 3.0  # Slack's deadline
    assert "What has been said about “prison”" in text and kind == "ephemeral"
    assert "/post" in text


async def subscriber(app: App, channel: str) -> Subscriber | None:
    found = files(app).get_subscriber("slack", chat_id(TEAM_ID, channel))
    return await found if inspect.isawaitable(found) else found  # the store turns async


async def test_every_command_answers_in_slack(slack: FakeSlack, bot: SlackService) -> None:
    bot.frontend.throttle = CommandThrottle(per_minute=600, burst=100)
    bot.frontend.throttle = CommandThrottle(per_minute=600, burst=100)
    args = {"post": "000", "ask": "probation", "why": "000", "time": "07:30", "posts": "3",
            "timezone": "Europe/Paris", "topics": "add prison", "latest": "2"}  # fmt: skip
    await slash(slack, "subscribe 08:00", channel=ALICE)  # in alice's DM
    for spec in build_commands():
        if spec.name == "digest":  # sent through the outbox as a digest message
            await slack.socket.push("slash_commands", slack.slash_command("digest", channel=ALICE))
            [digest] = await slack.wait_for_messages(1, timeout=20)
            assert "Daily digest" in shown(digest.blocks)
            continue
        line = f"{spec.name} {args.get(spec.name, '')}"
        _, text, _ = await slash(slack, line, channel=ALICE)
        assert text and SORRY not in text, spec.name
    _, text, _ = await slash(slack, "")  # /digestbot alone: the command list
    assert "/subscribe" in text


async def test_a_member_may_not_change_a_channels_subscription_but_admins_may(
    slack: FakeSlack, bot: SlackService
) -> None:
    _, refused, _ = await slash(slack, "subscribe 08:00", user=BOB, channel="C0RANDOM01")
    assert refused == REFUSAL
    assert await subscriber(bot.frontend.app, "C0RANDOM01") is None
    _, text, kind = await slash(slack, "subscribe 08:00", user=ADMIN, channel="C0RANDOM01")
    assert text.startswith("Subscribed.") and kind == "in_channel"  # the channel sees it
    assert await subscriber(bot.frontend.app, "C0RANDOM01") is not None
    assert await subscriber(bot.frontend.app, "C0RANDOM01") is not None
    # the creator of #general (alice) may; the zone is hers from users.info
    _, text, _ = await slash(slack, "subscribe 07:00")
    assert "(Europe/London)" in text
    # a [slack] admins user may, with the zone from their profile
    _, text, _ = await slash(slack, "unsubscribe", user=BOB)
    assert text == REFUSAL


async def test_subscribe_without_a_zone_uses_the_users_slack_time_zone(
    slack: FakeSlack, bot: SlackService
) -> None:
    _, text, _ = await slash(slack, "subscribe 09:15", user=BOB, channel=BOB)  # bob's DM
    assert "(Asia/Tokyo)" in text
    _, text, _ = await slash(slack, "subscribe 09:15 UTC", user=BOB, channel=BOB)
    assert "(UTC)" in text


async def test_slack_admins_from_the_config_may_change_any_channel(
    tmp_path: Path, slack: FakeSlack
) -> None:
    app = open_slack_app(tmp_path, slack, admins=(BOB,))
    try:
        async with running(app, slack):
            _, text, _ = await slash(slack, "subscribe 08:00", user=BOB, channel=DEFAULT_CHANNEL)
            assert text.startswith("Subscribed.")
    finally:
        app.close()


async def test_subscribing_a_channel_the_bot_is_not_in_says_how_to_invite_it(
    slack: FakeSlack, bot: SlackService
) -> None:
    _, text, _ = await slash(slack, "subscribe", user=BOB, channel="C0NOBOT001")
    assert "/invite @digestbot" in text and "#quiet" in text
    slack.invite_bot("C0NOBOT001")
    _, text, _ = await slash(slack, "subscribe", user=BOB, channel="C0NOBOT001")
    assert text.startswith("Subscribed.")


async def test_a_direct_message_is_a_question_or_a_command(
    slack: FakeSlack, bot: SlackService
) -> None:
    await slack.socket.push("events_api", slack.direct_message("prison"))
    [answer] = await slack.wait_for_messages(1, timeout=20)
    assert "What has been said about “prison”" in shown(answer.blocks)
    await slack.socket.push("events_api", slack.direct_message("latest 1"))
    _, latest = await slack.wait_for_messages(2, timeout=20)
    assert "Latest posts" in shown(latest.blocks)
    assert latest.channel == answer.channel and latest.channel.startswith("D")


async def test_a_mention_in_a_thread_is_answered_in_the_thread(
    slack: FakeSlack, bot: SlackService
) -> None:
    event = slack.app_mention("ask probation", thread_ts=None)
    parent = event["event"]["ts"]
    event = slack.app_mention("latest 1", thread_ts=parent)
    await slack.socket.push("events_api", event)
    [answer] = await slack.wait_for_messages(1, timeout=20)
    assert answer.thread_ts == parent and "Latest posts" in shown(answer.blocks)


async def test_a_redelivered_event_is_handled_once(slack: FakeSlack, bot: SlackService) -> None:
    event = slack.direct_message("latest 1")
    first = await slack.socket.push("events_api", event)
    await slack.socket.wait_ack(first)
    again = await slack.socket.redeliver(first, reason="timeout")
    await slack.socket.wait_ack(again)
    await slack.wait_for_messages(1, timeout=20)
    await slack.socket.push("events_api", slack.direct_message("latest 2"))  # a new event
    await slack.wait_for_messages(2, timeout=20)
    assert len(slack.messages) == 2  # the redelivery got no second answer


async def test_buttons_answer_through_the_command_path(slack: FakeSlack, bot: SlackService) -> None:
    await slack.socket.push("events_api", slack.direct_message("post 000"))
    [summary] = await slack.wait_for_messages(1, timeout=20)
    press = slack.block_actions("cb:0:2", message_ts=summary.ts, channel=summary.channel)
    await slack.socket.push("interactive", press)
    [full] = await slack.wait_for_responses(1, timeout=20)
    assert "Top comments" in shown(full.body.get("blocks"))
    press = slack.block_actions("cb:0:1", message_ts=summary.ts, channel=summary.channel)
    await slack.socket.push("interactive", press)
    await slack.wait_for_responses(2, timeout=20)
    assert SORRY not in shown(slack.responses[1].body.get("blocks"))


async def test_share_opens_a_modal_and_posts_into_the_picked_channel(
    slack: FakeSlack, bot: SlackService
) -> None:
    await slack.socket.push("events_api", slack.direct_message("post 000"))
    [summary] = await slack.wait_for_messages(1, timeout=20)
    press = slack.block_actions("share:0:0", message_ts=summary.ts, channel=summary.channel)
    await slack.socket.push("interactive", press)
    [opened] = await slack.wait_for("views.open", timeout=20)
    view_id = next(iter(slack.views))
    picked = {"target": {"conversation": {"type": "conversations_select",
                                          "selected_conversation": "C0RANDOM01"}}}  # fmt: skip
    envelope = await slack.socket.push("interactive", slack.view_submission(view_id, picked))
    ack = await slack.socket.wait_ack(envelope, timeout=20)
    assert not ack.get("payload")  # no errors: the modal closes
    [shared] = await slack.wait_for_messages(1, channel="C0RANDOM01", timeout=20)
    assert f"Shared by <@{DEFAULT_USER}>" in shown(shared.blocks)
    # a channel the bot is not in: the modal stays open and says how to invite it
    envelope = await slack.socket.push(
        "interactive",
        slack.view_submission(
            view_id,
            {
                "target": {
                    "conversation": {
                        "type": "conversations_select",
                        "selected_conversation": "C0NOBOT001",
                    }
                }
            },
        ),
    )
    ack = await slack.socket.wait_ack(envelope, timeout=20)
    assert "/invite @digestbot" in str(ack["payload"]["errors"]["target"])
    assert opened.ok and BOT_USER_ID


async def test_the_share_shortcut_on_a_digest_message_opens_the_modal(
    slack: FakeSlack, bot: SlackService
) -> None:
    await slack.socket.push("events_api", slack.direct_message("post 000"))
    [summary] = await slack.wait_for_messages(1, timeout=20)
    shortcut = slack.message_shortcut(
        "share_summary", message_ts=summary.ts, channel=summary.channel
    )
    await slack.socket.push("interactive", shortcut)
    [opened] = await slack.wait_for("views.open", timeout=20)
    assert opened.ok and '"post": "000"' in str(next(iter(slack.views.values())).view)


async def test_commands_and_button_presses_share_one_per_user_limit(
    slack: FakeSlack, bot: SlackService
) -> None:
    bot.frontend.throttle = CommandThrottle(per_minute=1, burst=3)
    await slack.socket.push("events_api", slack.direct_message("post 000"))  # 1
    [summary] = await slack.wait_for_messages(1, timeout=20)
    _, text, _ = await slash(slack, "latest 1", channel=ALICE)  # 2
    assert "Latest posts" in text
    press = slack.block_actions("cb:0:2", message_ts=summary.ts, channel=summary.channel)
    await slack.socket.push("interactive", press)  # 3
    await slack.wait_for_responses(2, timeout=20)
    _, notice, _ = await slash(slack, "latest 1", channel=ALICE)  # 4: over the limit
    assert notice.startswith("That is more commands than I answer")
    press = slack.block_actions("cb:0:2", message_ts=summary.ts, channel=summary.channel)
    envelope = await slack.socket.push("interactive", press)  # 5: ignored quietly
    await slack.socket.wait_ack(envelope)
    _, text, _ = await slash(slack, "latest 1", user=BOB, channel=BOB)  # another user: answered
    assert "Latest posts" in text
    assert len(slack.responses) == 4
