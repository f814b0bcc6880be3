"""What the loopback Slack server refuses, the errors it gives on demand and its rate limits,
seen through the real slack_sdk AsyncWebClient (SlackApiError with Slack's ``error``) and the
SDK's own AsyncRateLimitErrorRetryHandler."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from typing import Any

import pytest
from slack_sdk.http_retry.builtin_async_handlers import AsyncRateLimitErrorRetryHandler

from tests.fakes.slack_clients import Clock, client_for, section, slack_error
from tests.fakes.slack_limits import RateLimits
from tests.fakes.slack_server import FakeSlack, SlackError
from tests.fakes.slack_state import DEFAULT_CHANNEL, DEFAULT_USER

JSON = dict[str, Any]


@pytest.fixture
async def slack() -> AsyncIterator[FakeSlack]:
    async with FakeSlack() as server:
        yield server


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


@pytest.mark.filterwarnings("ignore:The top-level `text` argument is missing:UserWarning")
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
    assert time.monotonic() - started < 1.9  # the client gave up before the 2 s answer
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


def test_a_greedy_client_gets_exactly_the_allowed_rate() -> None:
    """Over 20 simulated seconds, a client trying 100 times a second in each of 30 channels
    gets the workspace rate (plus the first burst), never more: the ceiling the broadcast
    benchmark measures against."""
    clock = Clock()
    limits = RateLimits(
        per_channel=1.0, channel_burst=3, workspace_per_second=20, workspace_burst=10, clock=clock
    )
    accepted = 0
    for _ in range(20 * 100):
        clock.now += 0.01
        for channel in range(30):
            try:
                limits.check("chat.postMessage", f"C{channel}")
                accepted += 1
            except SlackError as error:
                assert error.status == 429 and error.retry_after is not None
                assert error.retry_after >= 1
    elapsed = 20 - 0.01  # the first try comes 10 ms in
    assert 10 + 20 * elapsed - 1 <= accepted <= 10 + 20 * elapsed
    assert limits.allowed_rate(30) == 20
    per_channel = RateLimits(per_channel=1.0, channel_burst=3, clock=clock)
    got = 0
    for _ in range(10 * 100):
        clock.now += 0.01
        try:
            per_channel.check("chat.postMessage", "C1")
            got += 1
        except SlackError:
            pass
    assert 3 + (10 - 0.01) - 1 <= got <= 3 + (10 - 0.01)  # the burst, then one a second
