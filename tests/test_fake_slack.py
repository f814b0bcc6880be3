"""The real slack_sdk AsyncWebClient against the loopback Slack Web API server.

Proves the fake answers every Web API method the Slack front end will call the way Slack
does, checks what Slack checks (tokens, Block Kit and text limits, membership, archiving),
raises Slack's errors on demand as the SDK's SlackApiError, and enforces Slack's rate limits
so that the SDK's own AsyncRateLimitErrorRetryHandler gets through. Socket Mode, bolt and
HTTP mode: test_fake_slack_socket.py; the server as its own thread or process:
test_fake_slack_wire.py.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import AsyncIterator
from typing import Any
from zoneinfo import ZoneInfo

import aiohttp
import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import AsyncRateLimitErrorRetryHandler
from slack_sdk.web.async_client import AsyncWebClient

from tests.fakes.slack_server import FakeSlack, SlackError
from tests.fakes.slack_state import (
    BOT_ID,
    BOT_USER_ID,
    DEFAULT_CHANNEL,
    DEFAULT_USER,
    TEAM_ID,
)

JSON = dict[str, Any]


class Clock:
    """A hand-moved monotonic clock for the server's rate limits and trigger expiry."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
async def slack() -> AsyncIterator[FakeSlack]:
    async with FakeSlack() as server:
        yield server


def client_for(slack: FakeSlack, token: str | None = None, **kwargs: Any) -> AsyncWebClient:
    return AsyncWebClient(token=token or slack.bot_token, base_url=slack.base_url, **kwargs)


def section(text: str) -> JSON:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


async def slack_error(call: Any) -> SlackApiError:
    """The SlackApiError ``call`` (an awaitable) raises."""
    with pytest.raises(SlackApiError) as raised:
        await call
    return raised.value


# ------------------------------------------------------------------ methods


async def test_auth_test_names_the_bot_and_the_answer_carries_scopes(slack: FakeSlack) -> None:
    answer = await client_for(slack).auth_test()
    assert (answer["user_id"], answer["bot_id"], answer["team_id"]) == (
        BOT_USER_ID,
        BOT_ID,
        TEAM_ID,
    )
    assert "chat:write" in answer.headers["x-oauth-scopes"]
    assert "commands" in answer.headers["x-oauth-scopes"]


async def test_post_message_records_channel_ts_text_blocks_and_threads(slack: FakeSlack) -> None:
    client = client_for(slack)
    parent = await client.chat_postMessage(
        channel=DEFAULT_CHANNEL, text="digest", blocks=[section("*Today*")]
    )
    reply = await client.chat_postMessage(
        channel=DEFAULT_CHANNEL, text="post 1", thread_ts=parent["ts"]
    )
    nested = await client.chat_postMessage(
        channel=DEFAULT_CHANNEL, text="post 2", thread_ts=reply["ts"]
    )
    first, second, third = slack.messages
    assert (first.channel, first.ts, first.text, first.thread_ts) == (
        DEFAULT_CHANNEL,
        parent["ts"],
        "digest",
        None,
    )
    assert first.blocks is not None and first.blocks[0]["text"]["text"] == "*Today*"
    assert first.blocks[0]["block_id"]  # Slack gives every block an id
    assert second.thread_ts == parent["ts"] and third.thread_ts == parent["ts"]
    assert parent["ts"] < reply["ts"] < nested["ts"]
    assert parent["message"]["bot_id"] == BOT_ID
    assert [m.text for m in slack.messages_in(DEFAULT_CHANNEL, thread_ts=parent["ts"])] == [
        "post 1",
        "post 2",
    ]
    link = await client.chat_getPermalink(channel=DEFAULT_CHANNEL, message_ts=reply["ts"])
    assert link["permalink"].endswith(f"?thread_ts={parent['ts']}&cid={DEFAULT_CHANNEL}")


async def test_thread_ts_rules_as_on_slack(slack: FakeSlack) -> None:
    client = client_for(slack)
    error = await slack_error(
        client.chat_postMessage(channel=DEFAULT_CHANNEL, text="x", thread_ts="0")
    )
    assert error.response["error"] == "invalid_thread_ts"
    assert error.response["response_metadata"]["messages"] == ["[ERROR] 0 is not a valid thread_ts"]
    ghost = await client.chat_postMessage(
        channel=DEFAULT_CHANNEL, text="lost", thread_ts="1700000000.000001"
    )
    assert ghost["ok"] and slack.messages == []  # accepted, shown nowhere
    assert [m.text for m in slack.lost] == ["lost"]
    assert slack.misses([(DEFAULT_CHANNEL, "lost")]) == [(DEFAULT_CHANNEL, "lost")]


async def test_posting_to_a_user_id_lands_in_the_direct_message(slack: FakeSlack) -> None:
    client = client_for(slack)
    sent = await client.chat_postMessage(channel=DEFAULT_USER, text="hello")
    assert sent["channel"].startswith("D")
    opened = await client.conversations_open(users=DEFAULT_USER)
    assert opened["channel"]["id"] == sent["channel"] and opened["already_open"] is True
    info = await client.conversations_info(channel=sent["channel"])
    assert info["channel"]["is_im"] is True and info["channel"]["user"] == DEFAULT_USER
    assert slack.messages_in(sent["channel"])[0].text == "hello"
    slack.add_user("U0BOB00001", "bob")
    fresh = await client.conversations_open(users="U0BOB00001")
    assert "already_open" not in fresh.data
    error = await slack_error(client.conversations_open(users="U0NOBODY01"))
    assert error.response["error"] == "user_not_found"


async def test_update_edits_bot_messages_only(slack: FakeSlack) -> None:
    client = client_for(slack)
    sent = await client.chat_postMessage(channel=DEFAULT_CHANNEL, text="v1")
    await client.chat_update(
        channel=DEFAULT_CHANNEL, ts=sent["ts"], text="v2", blocks=[section("v2")]
    )
    [message] = slack.messages
    assert (message.text, message.edits) == ("v2", 1)
    assert message.blocks is not None and message.blocks[0]["text"]["text"] == "v2"
    theirs = slack.app_mention("hi")["event"]["ts"]
    error = await slack_error(
        client.chat_update(channel=DEFAULT_CHANNEL, ts=theirs, text="mine now")
    )
    assert error.response["error"] == "cant_update_message"
    error = await slack_error(
        client.chat_update(channel=DEFAULT_CHANNEL, ts="1700000000.000009", text="x")
    )
    assert error.response["error"] == "message_not_found"


async def test_ephemeral_goes_to_one_member_of_the_channel(slack: FakeSlack) -> None:
    client = client_for(slack)
    answer = await client.chat_postEphemeral(
        channel=DEFAULT_CHANNEL, user=DEFAULT_USER, text="only you"
    )
    [ephemeral] = slack.ephemerals
    assert (ephemeral.user, ephemeral.text, ephemeral.message_ts) == (
        DEFAULT_USER,
        "only you",
        answer["message_ts"],
    )
    assert slack.messages == []
    slack.add_user("U0BOB00001", "bob")
    error = await slack_error(
        client.chat_postEphemeral(channel=DEFAULT_CHANNEL, user="U0BOB00001", text="x")
    )
    assert error.response["error"] == "user_not_in_channel"


def modal(title: str = "Share summary", **extra: Any) -> JSON:
    return {
        "type": "modal",
        "title": {"type": "plain_text", "text": title},
        "blocks": [section("Where to?")],
        **extra,
    }


async def test_views_open_needs_a_fresh_unused_trigger_id(slack: FakeSlack) -> None:
    clock = Clock()
    slack.clock = clock
    client = client_for(slack)
    trigger = slack.slash_command("share")["trigger_id"]
    opened = await client.views_open(trigger_id=trigger, view=modal())
    view_id = opened["view"]["id"]
    assert view_id.startswith("V") and slack.views[view_id].view["title"]["text"] == "Share summary"
    assert (await slack_error(client.views_open(trigger_id=trigger, view=modal()))).response[
        "error"
    ] == "exchanged_trigger_id"
    late = slack.slash_command("share")["trigger_id"]
    clock.now += 3.5
    assert (await slack_error(client.views_open(trigger_id=late, view=modal()))).response[
        "error"
    ] == "expired_trigger_id"
    assert (await slack_error(client.views_open(trigger_id="123.abc", view=modal()))).response[
        "error"
    ] == "invalid_trigger_id"
    too_long = await slack_error(
        client.views_open(trigger_id=slack.new_trigger_id(), view=modal("x" * 25))
    )
    assert too_long.response["error"] == "invalid_arguments"
    assert too_long.response["response_metadata"]["messages"] == [
        "[ERROR] must be less than 25 characters [json-pointer:/view/title/text]"
    ]


async def test_views_update_by_id_and_hash(slack: FakeSlack) -> None:
    client = client_for(slack)
    opened = await client.views_open(trigger_id=slack.new_trigger_id(), view=modal())
    view_id, first_hash = opened["view"]["id"], opened["view"]["hash"]
    updated = await client.views_update(view_id=view_id, hash=first_hash, view=modal("Shared"))
    assert updated["view"]["title"]["text"] == "Shared" and slack.views[view_id].updates == 1
    stale = await slack_error(client.views_update(view_id=view_id, hash=first_hash, view=modal()))
    assert stale.response["error"] == "hash_conflict"
    missing = await slack_error(client.views_update(view_id="V000000999", view=modal()))
    assert missing.response["error"] == "not_found"


async def test_users_info_reports_time_zone_and_roles(slack: FakeSlack) -> None:
    slack.add_user("U0BOSS0001", "boss", tz="America/New_York", is_admin=True, is_owner=True)
    client = client_for(slack)
    user = (await client.users_info(user="U0BOSS0001"))["user"]
    offset = dt.datetime.now(ZoneInfo("America/New_York")).utcoffset()
    assert offset is not None
    assert user["tz"] == "America/New_York" and user["tz_offset"] == int(offset.total_seconds())
    assert (user["is_admin"], user["is_owner"], user["is_bot"]) == (True, True, False)
    alice = (await client.users_info(user=DEFAULT_USER))["user"]
    assert (alice["is_admin"], alice["is_owner"], alice["tz"]) == (False, False, "Europe/London")
    error = await slack_error(client.users_info(user="U0NOBODY01"))
    assert error.response["error"] == "user_not_found"


async def test_conversations_info_and_members_as_slack_pages_them(slack: FakeSlack) -> None:
    people = [f"U0MEMBER{i:02d}" for i in range(7)]
    for user_id in people:
        slack.add_user(user_id, user_id.lower())
    slack.add_channel("C0BIG00001", "big", creator=people[0], members=people, is_archived=True)
    client = client_for(slack)
    info = (await client.conversations_info(channel="C0BIG00001"))["channel"]
    assert (info["creator"], info["is_archived"], info["is_member"]) == (people[0], True, True)
    seen: list[str] = []
    cursor = ""
    while True:
        page = await client.conversations_members(channel="C0BIG00001", limit=3, cursor=cursor)
        seen += page["members"]
        cursor = page["response_metadata"]["next_cursor"]
        if not cursor:
            break
    assert sorted(seen) == sorted([*people, BOT_USER_ID])
    bad = await slack_error(client.conversations_members(channel="C0BIG00001", cursor="bm9wZQ=="))
    assert bad.response["error"] == "invalid_cursor"
    slack.add_channel("C0SECRET01", "secret", is_private=True, bot_member=False)
    hidden = await slack_error(client.conversations_info(channel="C0SECRET01"))
    assert hidden.response["error"] == "channel_not_found"


# ------------------------------------------------------------------ validation

BUTTON = {"type": "button", "text": {"type": "plain_text", "text": "More"}, "action_id": "more"}


def actions(**button: Any) -> JSON:
    return {"type": "actions", "elements": [{**BUTTON, **button}]}


def context(count: int) -> JSON:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": "c"}] * count}


def header(text: str, kind: str = "plain_text") -> JSON:
    return {"type": "header", "text": {"type": kind, "text": text}}


LIMITS = [
    pytest.param(
        [section("s")] * 50, [section("s")] * 51, "/blocks", "no more than 50 items", id="blocks"
    ),
    pytest.param(
        [section("x" * 3000)],
        [section("x" * 3001)],
        "/blocks/0/text/text",
        "less than 3001",
        id="section",
    ),
    pytest.param(
        [header("h" * 150)],
        [header("h" * 151)],
        "/blocks/0/text/text",
        "less than 151",
        id="header",
    ),
    pytest.param(
        [header("h")],
        [header("h", "mrkdwn")],
        "/blocks/0/text/type",
        "plain_text",
        id="header-mrkdwn",
    ),
    pytest.param(
        [context(10)], [context(11)], "/blocks/0/elements", "between 1 and 10", id="context"
    ),
    pytest.param(
        [actions(text={"type": "plain_text", "text": "b" * 75})],
        [actions(text={"type": "plain_text", "text": "b" * 76})],
        "/blocks/0/elements/0/text/text",
        "less than 76",
        id="button-text",
    ),
    pytest.param(
        [actions(action_id="a" * 255)],
        [actions(action_id="a" * 256)],
        "/blocks/0/elements/0/action_id",
        "less than 256",
        id="action-id",
    ),
    pytest.param(
        [actions(value="v" * 2000)],
        [actions(value="v" * 2001)],
        "/blocks/0/elements/0/value",
        "less than 2001",
        id="button-value",
    ),
    pytest.param(
        [section("s")],
        [{"type": "fancy"}],
        "/blocks/0/type",
        "unsupported type: fancy",
        id="unknown-type",
    ),
    pytest.param(
        [{**section("a"), "block_id": "one"}, {**section("b"), "block_id": "two"}],
        [{**section("a"), "block_id": "one"}, {**section("b"), "block_id": "one"}],
        "/blocks/1/block_id",
        "must be unique",
        id="duplicate-block-id",
    ),
    pytest.param(
        [section("")], [section("")], "/blocks/0/text/text", "more than 0", id="empty-text"
    ),
]


@pytest.mark.parametrize(("fine", "broken", "pointer", "message"), LIMITS)
async def test_block_kit_limits_answer_invalid_blocks_naming_the_pointer(
    slack: FakeSlack, fine: list[JSON], broken: list[JSON], pointer: str, message: str
) -> None:
    client = client_for(slack)
    if fine != broken:
        await client.chat_postMessage(channel=DEFAULT_CHANNEL, text="fallback", blocks=fine)
    error = await slack_error(
        client.chat_postMessage(channel=DEFAULT_CHANNEL, text="fallback", blocks=broken)
    )
    assert error.response.status_code == 200
    assert error.response["error"] == "invalid_blocks"
    [problem] = error.response["errors"]
    assert message in problem and problem.endswith(f"[json-pointer:{pointer}]")
    assert error.response["response_metadata"]["messages"] == [f"[ERROR] {problem}"]
    assert len(slack.messages) == (0 if fine == broken else 1)


async def test_text_rules_no_text_and_msg_too_long(slack: FakeSlack) -> None:
    client = client_for(slack)
    await client.chat_postMessage(channel=DEFAULT_CHANNEL, text="x" * 40_000)
    await client.chat_postMessage(channel=DEFAULT_CHANNEL, blocks=[section("blocks only")])
    too_long = await slack_error(
        client.chat_postMessage(channel=DEFAULT_CHANNEL, text="x" * 40_001)
    )
    assert too_long.response["error"] == "msg_too_long"
    empty = await slack_error(client.chat_postMessage(channel=DEFAULT_CHANNEL, text=" "))
    assert empty.response["error"] == "no_text"
    assert len(slack.messages) == 2


async def test_membership_archiving_and_unknown_channels(slack: FakeSlack) -> None:
    slack.add_channel("C0NOBOT001", "nobot", bot_member=False)
    slack.add_channel("C0PRIV0001", "private", bot_member=False, is_private=True)
    slack.add_channel("C0OLD00001", "old", is_archived=True)
    client = client_for(slack)
    expected = {
        "C0NOBOT001": "not_in_channel",
        "C0PRIV0001": "channel_not_found",
        "C0OLD00001": "is_archived",
        "C0MISSING1": "channel_not_found",
    }
    for channel, code in expected.items():
        error = await slack_error(client.chat_postMessage(channel=channel, text="digest"))
        assert error.response["error"] == code, channel
    slack.invite_bot("C0NOBOT001")
    await client.chat_postMessage(channel="#nobot", text="after /invite")
    assert [(m.channel, m.text) for m in slack.messages] == [("C0NOBOT001", "after /invite")]


# ------------------------------------------------------------------ tokens


async def test_every_call_checks_the_token(slack: FakeSlack) -> None:
    cases = [
        (None, "chat.postMessage", "not_authed"),
        ("xoxb-test-not-a-real-one", "chat.postMessage", "invalid_auth"),
        (slack.app_token, "chat.postMessage", "not_allowed_token_type"),
        (slack.bot_token, "apps.connections.open", "not_allowed_token_type"),
    ]
    for token, method, code in cases:
        client = AsyncWebClient(token=token, base_url=slack.base_url)
        error = await slack_error(
            client.api_call(method, json={"channel": DEFAULT_CHANNEL, "text": "x"})
        )
        assert error.response["error"] == code, (token, method)
        assert slack.bot_token not in str(error) and slack.app_token not in str(error)
    assert slack.messages == []


async def test_token_as_form_field_works_and_in_a_json_body_does_not(slack: FakeSlack) -> None:
    async with aiohttp.ClientSession() as session:
        form = {"token": slack.bot_token, "channel": DEFAULT_CHANNEL, "text": "form"}
        async with session.post(slack.base_url + "chat.postMessage", data=form) as response:
            assert (await response.json())["ok"] is True
        body = {"token": slack.bot_token, "channel": DEFAULT_CHANNEL, "text": "json"}
        async with session.post(slack.base_url + "chat.postMessage", json=body) as response:
            assert (response.status, (await response.json())["error"]) == (200, "not_authed")
    assert [m.text for m in slack.messages] == ["form"]
    assert all("token" not in call.params for call in slack.calls)


@pytest.mark.parametrize("code", ["token_revoked", "account_inactive"])
async def test_a_revoked_token_stays_refused(slack: FakeSlack, code: str) -> None:
    slack.revoke(error=code)
    client = client_for(slack)
    for _ in range(2):
        error = await slack_error(client.chat_postMessage(channel=DEFAULT_CHANNEL, text="x"))
        assert error.response["error"] == code


# ------------------------------------------------------------------ errors on demand

INJECTED = [
    "not_in_channel",
    "channel_not_found",
    "is_archived",
    "invalid_auth",
    "account_inactive",
    "token_revoked",
    "msg_too_long",
]


@pytest.mark.parametrize("code", INJECTED)
async def test_injected_errors_reach_the_sdk_for_one_channel_once(
    slack: FakeSlack, code: str
) -> None:
    slack.add_channel("C0OTHER001", "other")
    slack.fail("chat.postMessage", code, channel=DEFAULT_CHANNEL)
    client = client_for(slack)
    await client.chat_postMessage(channel="C0OTHER001", text="elsewhere")
    error = await slack_error(client.chat_postMessage(channel=DEFAULT_CHANNEL, text="digest"))
    assert (error.response.status_code, error.response["error"]) == (200, code)
    await client.chat_postMessage(channel=DEFAULT_CHANNEL, text="digest")
    assert [(m.channel, m.text) for m in slack.messages] == [
        ("C0OTHER001", "elsewhere"),
        (DEFAULT_CHANNEL, "digest"),
    ]
    assert slack.errors(code) == 1


async def test_injected_errors_can_wait_and_last(slack: FakeSlack) -> None:
    slack.fail("users.info", "user_not_found", after=1, times=None)
    client = client_for(slack)
    await client.users_info(user=DEFAULT_USER)
    for _ in range(3):
        error = await slack_error(client.users_info(user=DEFAULT_USER))
        assert error.response["error"] == "user_not_found"


async def test_injected_rate_limit_is_a_429_with_retry_after(slack: FakeSlack) -> None:
    slack.fail("chat.postMessage", SlackError.ratelimited(7))
    error = await slack_error(client_for(slack).chat_postMessage(channel=DEFAULT_CHANNEL, text="x"))
    assert error.response.status_code == 429 and error.response["error"] == "ratelimited"
    assert error.response.headers["Retry-After"] == "7"


async def test_a_delayed_answer_times_out_after_the_message_went_out(slack: FakeSlack) -> None:
    slack.delay_response(2.0)
    client = client_for(slack, timeout=0.3)
    started = time.monotonic()
    with pytest.raises(TimeoutError):
        await client.chat_postMessage(channel=DEFAULT_CHANNEL, text="maybe sent")
    assert time.monotonic() - started < 1.5
    assert [m.text for m in slack.messages] == ["maybe sent"]
    await client.chat_postMessage(channel=DEFAULT_CHANNEL, text="on time")


async def test_unknown_method(slack: FakeSlack) -> None:
    error = await slack_error(client_for(slack).api_call("chat.teleport"))
    assert error.response["error"] == "unknown_method"


# ------------------------------------------------------------------ rate limits


async def test_per_channel_rate_allows_a_burst_then_429_until_a_second_passes(
    slack: FakeSlack,
) -> None:
    clock = Clock()
    slack.clock = clock
    limits = slack.limit_rate(per_channel=1.0, channel_burst=3)
    slack.add_channel("C0OTHER001", "other")
    client = client_for(slack)
    for i in range(3):
        await client.chat_postMessage(channel=DEFAULT_CHANNEL, text=f"burst {i}")
    error = await slack_error(client.chat_postMessage(channel=DEFAULT_CHANNEL, text="too soon"))
    assert error.response.status_code == 429 and error.response.headers["Retry-After"] == "1"
    await client.chat_postMessage(channel="C0OTHER001", text="another channel")
    clock.now += 1.0
    await client.chat_postMessage(channel=DEFAULT_CHANNEL, text="a second later")
    error = await slack_error(
        client.chat_postMessage(channel=DEFAULT_CHANNEL, text="again too soon")
    )
    assert error.response.status_code == 429
    assert slack.errors("ratelimited") == limits.total_refused == 2
    assert len(slack.messages) == 5 and "too soon" not in [m.text for m in slack.messages]
    await client.chat_postEphemeral(channel=DEFAULT_CHANNEL, user=DEFAULT_USER, text="not limited")


async def test_workspace_rate_caps_all_channels_together(slack: FakeSlack) -> None:
    clock = Clock()
    slack.clock = clock
    limits = slack.limit_rate(
        per_channel=1.0, channel_burst=1, workspace_per_second=4, workspace_burst=4
    )
    channels = [f"C0WIDE{i:04d}" for i in range(6)]
    for channel in channels:
        slack.add_channel(channel, channel.lower())
    client = client_for(slack)
    for channel in channels[:4]:
        await client.chat_postMessage(channel=channel, text="digest")
    error = await slack_error(client.chat_postMessage(channel=channels[4], text="digest"))
    assert error.response.status_code == 429 and error.response.headers["Retry-After"] == "1"
    clock.now += 0.5
    await client.chat_postMessage(channel=channels[4], text="digest")
    await client.chat_postMessage(channel=channels[5], text="digest")
    assert limits.allowed_rate(6) == 4 and limits.allowed_rate(2) == 2


async def test_the_sdk_retry_handler_gets_through_the_rate_limit(slack: FakeSlack) -> None:
    limits = slack.limit_rate(per_channel=1.0, channel_burst=1)
    handler = AsyncRateLimitErrorRetryHandler(max_retry_count=3)
    client = client_for(slack, retry_handlers=[handler])
    started = time.monotonic()
    for i in range(2):
        await client.chat_postMessage(channel=DEFAULT_CHANNEL, text=f"paced {i}")
    assert time.monotonic() - started >= 1.0  # the handler slept Retry-After
    assert [m.text for m in slack.messages] == ["paced 0", "paced 1"]
    assert limits.total_refused >= 1 and slack.duplicates() == {}


async def test_duplicates_and_misses_are_counted(slack: FakeSlack) -> None:
    client = client_for(slack)
    for text in ("a", "a", "b"):
        await client.chat_postMessage(channel=DEFAULT_CHANNEL, text=text)
    assert slack.duplicates() == {(DEFAULT_CHANNEL, "a", None): 2}
    assert slack.misses([(DEFAULT_CHANNEL, "b"), (DEFAULT_CHANNEL, "c")]) == [
        (DEFAULT_CHANNEL, "c")
    ]
