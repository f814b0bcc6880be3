"""Socket Mode for the fake Slack server: apps.connections.open and the WebSocket it opens.

apps.connections.open (app-level ``xapp-`` token only) answers a one-use
``ws://127.0.0.1:PORT/link/?ticket=...`` URL; on connecting the app gets Slack's ``hello``.
A test pushes envelopes (``slash_commands``, ``events_api``, ``interactive``) with
:meth:`SocketMode.push` and awaits the app's acknowledgement by envelope_id with
:meth:`SocketMode.wait_ack` (the ack's ``payload`` is the app's immediate answer, e.g. the
text bolt's ``ack("...")`` sent). :meth:`SocketMode.redeliver` sends an envelope again as
Slack does when it saw no ack (same payload, a new envelope_id, ``retry_attempt`` + 1,
``retry_reason``); with ``redeliver_after`` set this happens by itself to unacked
events_api envelopes, up to 3 times. :meth:`SocketMode.disconnect` sends Slack's
``disconnect`` message (the SDK then opens a new connection).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import secrets
import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from aiohttp import WSMsgType, web

from tests.fakes.slack_state import APP_ID

if TYPE_CHECKING:
    from tests.fakes.slack_payloads import Payloads

JSON = dict[str, Any]

MAX_RETRIES = 3
RESPONSE_PAYLOAD_TYPES = frozenset({"view_submission", "block_suggestion"})


@dataclass
class Envelope:
    """One envelope sent to the app, and the ack it got (None until it came)."""

    id: str
    type: str
    payload: JSON
    accepts_response_payload: bool
    retry_attempt: int = 0
    retry_reason: str = ""
    ack: JSON | None = None
    acked: asyncio.Event = field(default_factory=asyncio.Event)

    def json(self) -> JSON:
        result: JSON = {
            "envelope_id": self.id,
            "payload": self.payload,
            "type": self.type,
            "accepts_response_payload": self.accepts_response_payload,
        }
        if self.type == "events_api":
            result.update(retry_attempt=self.retry_attempt, retry_reason=self.retry_reason)
        return result


def _accepts_response(kind: str, payload: JSON) -> bool:
    if kind == "slash_commands":
        return True
    return kind == "interactive" and payload.get("type") in RESPONSE_PAYLOAD_TYPES


class SocketMode:
    """The Socket Mode side of :class:`tests.fakes.slack_server.FakeSlack`."""

    def __init__(self, server: Payloads) -> None:
        self.server = server
        self.connections: list[web.WebSocketResponse] = []
        self.envelopes: dict[str, Envelope] = {}
        self.received: list[JSON] = []  # anything the app sent that was not an ack
        self.connects = 0
        self.redeliver_after: float | None = None
        self._tickets: set[str] = set()
        self._tasks: set[asyncio.Task[None]] = set()
        self._connected = asyncio.Event()

    def routes(self) -> list[web.RouteDef]:
        return [web.get("/link/", self._link)]

    async def connections_open(self, params: JSON) -> JSON:
        """apps.connections.open: a fresh one-use ws:// URL on the fake server."""
        ticket = secrets.token_hex(8)
        self._tickets.add(ticket)
        host = self.server.root_url.replace("http://", "ws://")
        return {"url": f"{host}/link/?ticket={ticket}&app_id={APP_ID}"}

    # ------------------------------------------------------------ the connection

    async def _link(self, request: web.Request) -> web.StreamResponse:
        ticket = request.query.get("ticket", "")
        if ticket not in self._tickets:
            return web.Response(status=401, text="invalid or used ticket")
        self._tickets.discard(ticket)
        ws = web.WebSocketResponse(autoping=True)
        await ws.prepare(request)
        self.connections.append(ws)
        self.connects += 1
        await ws.send_json(_hello(len(self.connections)))
        self._connected.set()
        try:
            async for message in ws:
                if message.type == WSMsgType.TEXT:
                    self._on_text(message.data)
        finally:
            self.connections.remove(ws)
            if not self.connections:
                self._connected = asyncio.Event()
        return ws

    def _on_text(self, data: str) -> None:
        try:
            message = json.loads(data)
        except ValueError:
            self.received.append({"unparsed": data})
            return
        envelope = self.envelopes.get(str(message.get("envelope_id", "")))
        if envelope is None or envelope.ack is not None:
            self.received.append(message)
            return
        envelope.ack = message
        envelope.acked.set()

    async def wait_connected(self, timeout: float = 5.0) -> None:
        """Until the app has an open Socket Mode connection."""
        try:
            await asyncio.wait_for(self._connected.wait(), timeout)
        except TimeoutError:
            raise AssertionError(f"no Socket Mode connection after {timeout} s") from None

    # ------------------------------------------------------------ envelopes

    async def push(
        self,
        kind: str,
        payload: JSON,
        *,
        retry_attempt: int = 0,
        retry_reason: str = "",
        timeout: float = 5.0,
    ) -> str:
        """Send ``payload`` as a ``kind`` envelope on the newest connection (waiting up to
        ``timeout`` for one); its envelope_id."""
        envelope = Envelope(
            str(uuid.uuid4()),
            kind,
            payload,
            _accepts_response(kind, payload),
            retry_attempt,
            retry_reason,
        )
        self.envelopes[envelope.id] = envelope
        await self.wait_connected(timeout)
        await self.connections[-1].send_json(envelope.json())
        if kind == "events_api" and self.redeliver_after is not None:
            self._spawn(self._redeliver_unacked(envelope))
        return envelope.id

    async def wait_ack(self, envelope_id: str, timeout: float = 5.0) -> JSON:
        """The app's ack of ``envelope_id`` (``{"envelope_id": ..., "payload"?: ...}``)."""
        envelope = self.envelopes[envelope_id]
        try:
            await asyncio.wait_for(envelope.acked.wait(), timeout)
        except TimeoutError:
            raise AssertionError(f"envelope {envelope_id} not acked after {timeout} s") from None
        assert envelope.ack is not None
        return envelope.ack

    async def redeliver(self, envelope_id: str, reason: str = "timeout") -> str:
        """Send ``envelope_id``'s payload again as Slack's retry: a new envelope_id."""
        first = self.envelopes[envelope_id]
        return await self.push(
            first.type, first.payload, retry_attempt=first.retry_attempt + 1, retry_reason=reason
        )

    async def _redeliver_unacked(self, envelope: Envelope) -> None:
        assert self.redeliver_after is not None
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(envelope.acked.wait(), self.redeliver_after)
            return
        if envelope.retry_attempt < MAX_RETRIES and self.connections:
            await self.redeliver(envelope.id)

    def retries_of(self, envelope_id: str) -> list[Envelope]:
        """Every envelope carrying the same payload as ``envelope_id``, first one included."""
        payload = self.envelopes[envelope_id].payload
        return [e for e in self.envelopes.values() if e.payload is payload]

    async def disconnect(self, reason: str = "refresh_requested", *, close: bool = False) -> None:
        """Slack's ``disconnect`` message on every connection; the app is expected to open a
        new one and drop the old (``close=True`` also closes them at once, as a crash would)."""
        message = {"type": "disconnect", "reason": reason, "debug_info": {"host": "fake"}}
        for ws in list(self.connections):
            await ws.send_json(message)
            if close:
                await ws.close()

    def _spawn(self, coroutine: Any) -> None:
        task = asyncio.get_running_loop().create_task(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def close(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        for ws in list(self.connections):
            with contextlib.suppress(Exception):
                await ws.close()


def _hello(connections: int) -> JSON:
    return {
        "type": "hello",
        "num_connections": connections,
        "debug_info": {
            "host": "applink-fake",
            "build_number": 1,
            "approximate_connection_time": 18060,
        },
        "connection_info": {"app_id": APP_ID},
    }
