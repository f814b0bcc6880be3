"""HTTP mode against the loopback Slack server: a slack-bolt AsyncApp's ``web_app()`` served
on 127.0.0.1 receives the fake's signed requests.

Proves the signed sender signs as Slack does (bolt accepts it) and that bolt refuses what it
must (a forged signature, a stale timestamp, no signature: 401); slash commands, events (with
the url_verification challenge and redelivery headers) and interactivity payloads arrive as
Slack sends them, and respond() reaches the fake's response_url recorder.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncApp
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_sdk.web.async_client import AsyncWebClient

from tests.fakes.slack_server import FakeSlack
from tests.fakes.slack_signing import signature
from tests.fakes.slack_state import DEFAULT_CHANNEL

JSON = dict[str, Any]


@pytest.fixture
async def slack() -> AsyncIterator[FakeSlack]:
    async with FakeSlack() as server:
        yield server


@pytest.fixture
def bolt(slack: FakeSlack) -> AsyncApp:
    client = AsyncWebClient(token=slack.bot_token, base_url=slack.base_url)
    return AsyncApp(client=client, signing_secret=slack.signing_secret)


@pytest.fixture
async def url(bolt: AsyncApp) -> AsyncIterator[str]:
    """bolt's Request URL, served by its own aiohttp app on 127.0.0.1."""
    runner = web.AppRunner(bolt.web_app(path="/slack/events"), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        yield f"http://127.0.0.1:{port}/slack/events"
    finally:
        await runner.cleanup()


def test_signature_matches_slacks_documented_example() -> None:
    body = (
        b"token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id"
        b"=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fweb"
        b"hook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J"
        b"%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0"
        b"bc887a14d10d2c447fce8b6703c"
    )
    assert signature("8f742231b10e8888abcd99yyyzzz85a5", "1531420618", body) == (
        "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503"
    )


async def test_signed_slash_command_is_acked_and_respond_reaches_the_response_url(
    slack: FakeSlack, bolt: AsyncApp, url: str
) -> None:
    @bolt.command("/digestbot")
    async def digestbot(ack: Any, respond: Any, command: JSON) -> None:
        await ack("Looking…")
        await respond(text=f"Answer to {command['text']}", response_type="in_channel")

    answer = await slack.http.slash_command(url, slack.slash_command("ask prison"))
    assert (answer.status, answer.text) == (200, "Looking…")  # bolt acks text as plain text
    assert answer.seconds < 3.0  # Slack's deadline for the ack
    [response] = await slack.wait_for_responses(1)
    assert (response.text, response.response_type) == ("Answer to ask prison", "in_channel")
    [message] = slack.messages
    assert (message.channel, message.text, message.via) == (
        DEFAULT_CHANNEL,
        "Answer to ask prison",
        "response_url",
    )


async def test_forged_stale_or_unsigned_requests_get_401(
    slack: FakeSlack, bolt: AsyncApp, url: str
) -> None:
    seen: list[str] = []

    @bolt.command("/digestbot")
    async def digestbot(ack: Any, command: JSON) -> None:
        seen.append(command["text"])
        await ack()

    payload = slack.slash_command("subscribe 08:00")
    forged = await slack.http.slash_command(url, payload, secret="not-the-signing-secret")
    stale = await slack.http.slash_command(url, payload, timestamp=int(time.time()) - 600)
    async with aiohttp.ClientSession() as session, session.post(url, data=payload) as response:
        unsigned = response.status
    assert (forged.status, stale.status, unsigned) == (401, 401, 401)
    assert seen == []
    assert (await slack.http.slash_command(url, payload)).status == 200
    assert seen == ["subscribe 08:00"]


async def test_url_verification_challenge_is_echoed(url: str, slack: FakeSlack) -> None:
    answer = await slack.http.url_verification(
        url, challenge="3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"
    )
    assert answer.status == 200
    assert "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P" in answer.text


async def test_redelivered_events_carry_retry_headers_and_the_same_event_id(
    slack: FakeSlack, bolt: AsyncApp, url: str
) -> None:
    seen: list[tuple[str, list[str]]] = []

    @bolt.event("app_mention")
    async def mentioned(event: JSON, body: JSON, request: AsyncBoltRequest) -> None:
        seen.append((body["event_id"], list(request.headers.get("x-slack-retry-num", []))))

    event = slack.app_mention("ask prison")
    assert (await slack.http.event(url, event)).status == 200
    again = await slack.http.event(url, event, retry_num=1, retry_reason="http_timeout")
    assert again.status == 200
    await slack.wait_until(lambda: len(seen) == 2)
    assert seen == [(event["event_id"], []), (event["event_id"], ["1"])]


async def test_socket_mode_redelivery_reaches_bolt_as_the_same_retry_headers(
    slack: FakeSlack, bolt: AsyncApp
) -> None:
    seen: list[list[str]] = []

    @bolt.event("message")
    async def direct(request: AsyncBoltRequest) -> None:
        seen.append(list(request.headers.get("x-slack-retry-num", [])))

    handler = AsyncSocketModeHandler(bolt, slack.app_token)
    await handler.connect_async()
    try:
        first = await slack.socket.push("events_api", slack.direct_message("hello"))
        await slack.socket.wait_ack(first)
        await slack.socket.wait_ack(await slack.socket.redeliver(first, reason="timeout"))
        await slack.wait_until(lambda: len(seen) == 2)
    finally:
        await handler.close_async()
    assert seen == [["0"], ["1"]]  # bolt maps retry_attempt 0 to x-slack-retry-num: 0


async def test_interactivity_payload_and_replace_original(
    slack: FakeSlack, bolt: AsyncApp, url: str
) -> None:
    @bolt.action("more")
    async def more(ack: Any, respond: Any, body: JSON) -> None:
        await ack()
        await respond(replace_original=True, text=f"More for {body['user']['id']}")

    button = {
        "type": "button",
        "text": {"type": "plain_text", "text": "More"},
        "action_id": "more",
        "value": "post-1",
    }
    client = AsyncWebClient(token=slack.bot_token, base_url=slack.base_url)
    sent = await client.chat_postMessage(
        channel=DEFAULT_CHANNEL, text="summary", blocks=[{"type": "actions", "elements": [button]}]
    )
    press = slack.block_actions("more", message_ts=sent["ts"])
    assert press["actions"][0]["value"] == "post-1"
    assert (await slack.http.interactivity(url, press)).status == 200
    await slack.wait_for_responses(1)
    [message] = slack.messages
    assert (message.text, message.edits) == ("More for U0ALICE001", 1)


async def test_a_response_url_takes_five_posts(slack: FakeSlack) -> None:
    response_url = slack.slash_command("ask")["response_url"]
    statuses = []
    async with aiohttp.ClientSession() as session:
        for i in range(6):
            async with session.post(response_url, json={"text": f"answer {i}"}) as response:
                statuses.append(response.status)
        async with session.post(
            slack.slash_command("x")["response_url"], json={"text": "x" * 40_001}
        ) as response:
            too_long = (response.status, (await response.json())["error"])
    assert statuses == [200] * 5 + [404]
    assert too_long == (400, "msg_too_long")
