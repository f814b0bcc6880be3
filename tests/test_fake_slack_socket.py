"""Socket Mode on the loopback Slack server, driven by slack_sdk's aiohttp SocketModeClient and
by a slack-bolt AsyncApp under AsyncSocketModeHandler.

Proves apps.connections.open hands out a one-use ws:// URL on 127.0.0.1 for the app-level
token only, the app gets Slack's hello, envelopes arrive as Slack sends them and are acked by
envelope_id (with the ack's payload), redeliveries carry retry_attempt/retry_reason, a
disconnect makes the SDK reconnect, and bolt's ack/respond/say/views.open reach the server.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncApp
from slack_sdk.errors import SlackApiError
from slack_sdk.socket_mode.aiohttp import SocketModeClient
from slack_sdk.socket_mode.request import SocketModeRequest
from slack_sdk.socket_mode.response import SocketModeResponse
from slack_sdk.web.async_client import AsyncWebClient

from tests.fakes.slack_server import FakeSlack
from tests.fakes.slack_state import APP_ID, DEFAULT_CHANNEL, DEFAULT_USER

JSON = dict[str, Any]


@pytest.fixture
async def slack() -> AsyncIterator[FakeSlack]:
    async with FakeSlack() as server:
        yield server


def web_client(slack: FakeSlack) -> AsyncWebClient:
    return AsyncWebClient(token=slack.bot_token, base_url=slack.base_url)


class Recorder:
    """A SocketModeClient listener that keeps what arrived and acks unless told not to."""

    def __init__(self, ack_payload: JSON | None = None, skip_first: int = 0) -> None:
        self.requests: list[SocketModeRequest] = []
        self.messages: list[JSON] = []
        self.ack_payload = ack_payload
        self.skip_first = skip_first

    async def request(self, client: SocketModeClient, request: SocketModeRequest) -> None:
        self.requests.append(request)
        if len(self.requests) > self.skip_first:
            response = SocketModeResponse(request.envelope_id, payload=self.ack_payload)
            await client.send_socket_mode_response(response)

    async def message(self, client: SocketModeClient, message: JSON, raw: str | None) -> None:
        self.messages.append(message)


@pytest.fixture
async def connected(slack: FakeSlack) -> AsyncIterator[tuple[SocketModeClient, Recorder]]:
    recorder = Recorder(ack_payload={"text": "on it"})
    client = SocketModeClient(app_token=slack.app_token, web_client=web_client(slack))
    client.socket_mode_request_listeners.append(recorder.request)  # type: ignore[arg-type]
    client.message_listeners.append(recorder.message)  # type: ignore[arg-type]
    await client.connect()
    await slack.socket.wait_connected()
    try:
        yield client, recorder
    finally:
        await client.close()


# ------------------------------------------------------------------ the SDK's client


async def test_client_connects_gets_hello_and_acks_by_envelope_id(
    slack: FakeSlack, connected: tuple[SocketModeClient, Recorder]
) -> None:
    _, recorder = connected
    await slack.wait_until(lambda: bool(recorder.messages))
    hello = recorder.messages[0]
    assert hello["type"] == "hello" and hello["connection_info"]["app_id"] == APP_ID
    [opened] = slack.calls_to("apps.connections.open")
    assert opened.ok
    payload = slack.slash_command("ask prison")
    envelope_id = await slack.socket.push("slash_commands", payload)
    ack = await slack.socket.wait_ack(envelope_id)
    assert ack == {"envelope_id": envelope_id, "payload": {"text": "on it"}}
    [request] = recorder.requests
    assert (request.type, request.envelope_id) == ("slash_commands", envelope_id)
    assert request.payload["command"] == "/digestbot" and request.payload["text"] == "ask prison"
    assert request.accepts_response_payload is True


async def test_unacked_events_are_redelivered_with_retry_fields(
    slack: FakeSlack, connected: tuple[SocketModeClient, Recorder]
) -> None:
    _, recorder = connected
    recorder.skip_first = 1
    event = slack.app_mention("ask prison")
    first = await slack.socket.push("events_api", event)
    await slack.wait_until(lambda: len(recorder.requests) == 1)
    assert slack.socket.envelopes[first].ack is None
    again = await slack.socket.redeliver(first, reason="timeout")
    await slack.socket.wait_ack(again)
    original, retry = recorder.requests
    assert (original.retry_attempt, retry.retry_attempt) == (0, 1)
    assert retry.retry_reason == "timeout" and retry.envelope_id != original.envelope_id
    assert retry.payload["event_id"] == original.payload["event_id"] == event["event_id"]
    assert [e.id for e in slack.socket.retries_of(first)] == [first, again]


async def test_the_server_redelivers_by_itself_when_asked(
    slack: FakeSlack, connected: tuple[SocketModeClient, Recorder]
) -> None:
    _, recorder = connected
    recorder.skip_first = 2
    slack.socket.redeliver_after = 0.4
    first = await slack.socket.push("events_api", slack.direct_message("hello"))
    await slack.wait_until(lambda: len(recorder.requests) == 3)
    assert [r.retry_attempt for r in recorder.requests] == [0, 1, 2]
    envelopes = slack.socket.retries_of(first)
    await slack.socket.wait_ack(envelopes[-1].id)
    await asyncio.sleep(0.6)
    assert len(recorder.requests) == 3  # acked: no fourth delivery


async def test_disconnect_makes_the_client_reconnect(
    slack: FakeSlack, connected: tuple[SocketModeClient, Recorder]
) -> None:
    _, recorder = connected
    await slack.socket.disconnect()
    await slack.wait_until(
        lambda: slack.socket.connects == 2 and len(slack.socket.connections) == 1
    )
    shortcut = slack.message_shortcut(
        "share_summary", message_ts=slack.app_mention("x")["event"]["ts"]
    )
    await slack.socket.wait_ack(await slack.socket.push("interactive", shortcut))
    assert len(slack.calls_to("apps.connections.open")) == 2
    assert recorder.requests[-1].payload["callback_id"] == "share_summary"


async def test_connections_open_wants_the_app_token_and_urls_work_once(slack: FakeSlack) -> None:
    with pytest.raises(SlackApiError) as raised:
        await web_client(slack).apps_connections_open(app_token=slack.bot_token)
    assert raised.value.response["error"] == "not_allowed_token_type"
    url = (await web_client(slack).apps_connections_open(app_token=slack.app_token))["url"]
    assert url.startswith(f"ws://127.0.0.1:{slack.port}/link/?ticket=")
    async with aiohttp.ClientSession() as session:
        async with session.ws_connect(url) as ws:
            hello = await ws.receive_json()
            assert hello["type"] == "hello"
        with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
            await session.ws_connect(url)
    assert refused.value.status == 401


# ------------------------------------------------------------------ bolt


@pytest.fixture
async def bolt(slack: FakeSlack) -> AsyncIterator[AsyncApp]:
    app = AsyncApp(client=web_client(slack), signing_secret=slack.signing_secret)
    yield app


async def run_socket_mode(slack: FakeSlack, app: AsyncApp) -> AsyncSocketModeHandler:
    handler = AsyncSocketModeHandler(app, slack.app_token)
    await handler.connect_async()
    await slack.socket.wait_connected()
    return handler


async def test_bolt_slash_command_ack_respond_and_say(slack: FakeSlack, bolt: AsyncApp) -> None:
    @bolt.command("/digestbot")
    async def digestbot(ack: Any, respond: Any, say: Any, command: JSON) -> None:
        await ack("Looking…")
        await respond(f"Answer to {command['text']}")
        await say("Posted for everyone")

    handler = await run_socket_mode(slack, bolt)
    try:
        envelope_id = await slack.socket.push("slash_commands", slack.slash_command("ask prison"))
        ack = await slack.socket.wait_ack(envelope_id)
        [response] = await slack.wait_for_responses(1)
        [said] = await slack.wait_for_messages(1)
    finally:
        await handler.close_async()
    assert ack["payload"] == {"text": "Looking…"}
    assert (response.kind, response.text, response.response_type) == (
        "commands",
        "Answer to ask prison",
        "ephemeral",
    )
    [ephemeral] = slack.ephemerals
    assert (ephemeral.user, ephemeral.text) == (DEFAULT_USER, "Answer to ask prison")
    assert (said.channel, said.text) == (DEFAULT_CHANNEL, "Posted for everyone")


SHARE_MODAL = {
    "type": "modal",
    "callback_id": "share",
    "title": {"type": "plain_text", "text": "Share summary"},
    "submit": {"type": "plain_text", "text": "Share"},
    "blocks": [
        {
            "type": "input",
            "block_id": "where",
            "label": {"type": "plain_text", "text": "Channel"},
            "element": {"type": "conversations_select", "action_id": "channel"},
        }
    ],
}


SHARE_BUTTON = {
    "type": "actions",
    "elements": [
        {"type": "button", "text": {"type": "plain_text", "text": "Share"}, "action_id": "share"}
    ],
}


async def test_bolt_button_opens_a_modal_and_the_submission_is_acked(
    slack: FakeSlack, bolt: AsyncApp
) -> None:
    shared: list[str] = []

    @bolt.action("share")
    async def share(ack: Any, body: JSON, client: AsyncWebClient, respond: Any) -> None:
        await ack()
        await client.views_open(trigger_id=body["trigger_id"], view=SHARE_MODAL)
        await respond(replace_original=True, text="Choose a channel in the dialog")

    @bolt.view("share")
    async def submitted(ack: Any, view: JSON) -> None:
        await ack()
        shared.append(view["state"]["values"]["where"]["channel"]["selected_conversation"])

    sent = await web_client(slack).chat_postMessage(
        channel=DEFAULT_CHANNEL, text="summary", blocks=[SHARE_BUTTON]
    )
    handler = await run_socket_mode(slack, bolt)
    try:
        press = slack.block_actions("share", message_ts=sent["ts"])
        await slack.socket.wait_ack(await slack.socket.push("interactive", press))
        await slack.wait_for_responses(1)
        [view_id] = slack.views
        values = {
            "where": {"channel": {"type": "conversations_select", "selected_conversation": "C0X"}}
        }
        submission = slack.view_submission(view_id, values)
        ack = await slack.socket.wait_ack(await slack.socket.push("interactive", submission))
        await slack.wait_until(lambda: bool(shared))
    finally:
        await handler.close_async()
    assert "payload" not in ack or not ack["payload"]
    assert shared == ["C0X"]
    [message] = slack.messages
    assert (message.text, message.edits) == ("Choose a channel in the dialog", 1)


async def test_bolt_app_mention_answers_in_the_thread(slack: FakeSlack, bolt: AsyncApp) -> None:
    @bolt.event("app_mention")
    async def mentioned(event: JSON, say: Any) -> None:
        await say(text="threaded answer", thread_ts=event["ts"])

    handler = await run_socket_mode(slack, bolt)
    try:
        event = slack.app_mention("ask prison")
        await slack.socket.wait_ack(await slack.socket.push("events_api", event))
        [answer] = await slack.wait_for_messages(1)
    finally:
        await handler.close_async()
    assert (answer.text, answer.thread_ts) == ("threaded answer", event["event"]["ts"])


async def test_no_token_or_signing_secret_in_any_log_line(
    slack: FakeSlack, bolt: AsyncApp, caplog: pytest.LogCaptureFixture
) -> None:
    """slack_sdk and bolt log every request at DEBUG (the suite's level); through a whole
    Socket Mode session none of the app's secrets appears in a log line."""

    @bolt.command("/digestbot")
    async def digestbot(ack: Any, respond: Any, say: Any) -> None:
        await ack()
        await respond("answer")
        await say("posted")

    handler = await run_socket_mode(slack, bolt)
    try:
        envelope_id = await slack.socket.push("slash_commands", slack.slash_command("ask"))
        await slack.socket.wait_ack(envelope_id)
        await slack.wait_for_responses(1)
        await slack.wait_for_messages(1)
    finally:
        await handler.close_async()
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "apps.connections.open" in logged and "chat.postMessage" in logged  # it did log
    for secret in (slack.bot_token, slack.app_token, slack.signing_secret):
        assert secret not in logged
