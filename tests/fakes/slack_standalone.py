"""The fake Slack server outside the test's event loop: in a thread, or as its own process.

    thread = FakeSlackThread()
    with thread as slack:                      # its own loop in a thread
        WebClient(token=slack.bot_token, base_url=slack.base_url).auth_test()
        messages = thread.call(lambda: list(slack.messages))   # state read on its loop

    python -m tests.fakes.slack_standalone --port 0 [--rate-limit PER_CHANNEL,BURST,WORKSPACE]

The process prints ``base_url http://127.0.0.1:PORT/api/`` on its first line of stdout and
serves until killed. Besides the Web API and Socket Mode it answers a control API:

- ``GET  /_fake/calls[?method=chat.postMessage]``: every recorded call (method, params, time,
  status, error, the team whose token made it; never the token);
- ``GET  /_fake/messages[?channel=C...]``: accepted messages (channel, ts, text, blocks,
  thread_ts, via); ``GET /_fake/stats``: counts of messages, duplicates, 429s;
- ``GET  /_fake/responses``: what the app posted to response_urls;
- ``POST /_fake/fail``: ``{"method", "error", "channel"?, "times"?, "retry_after"?}``;
- ``POST /_fake/users`` ``{"id", "name", "tz"?, "is_admin"?, "is_owner"?}``,
  ``POST /_fake/channels`` ``{"id", "name", "creator"?, "members"?, "bot_member"?,
  "is_private"?, "is_archived"?}``;
- ``POST /_fake/slash_command`` ``{"text", "user"?, "channel"?}``: pushes the command over
  Socket Mode, answers ``{"envelope_id"}``; ``GET /_fake/acks/{envelope_id}``: its ack.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import threading
from collections.abc import Callable
from dataclasses import asdict
from typing import Any, TypeVar

from aiohttp import web

from tests.fakes.slack_server import FakeSlack, SlackError

T = TypeVar("T")


def _message_json(message: Any) -> dict[str, Any]:
    keys = ("channel", "ts", "text", "blocks", "thread_ts", "via")
    return {key: getattr(message, key) for key in keys}


def _call_json(server: FakeSlack, call: Any) -> dict[str, Any]:
    fields = asdict(call)
    token = fields.pop("token")
    return {**fields, "team": server.team_of_token.get(token or "")}


def control_routes(server: FakeSlack) -> list[web.RouteDef]:
    """The ``/_fake/...`` routes of the module docstring, for ``server.start(routes=...)``."""
    return [*_reading_routes(server), *_scripting_routes(server)]


def _reading_routes(server: FakeSlack) -> list[web.RouteDef]:
    async def calls(request: web.Request) -> web.Response:
        method = request.query.get("method")
        chosen = server.calls_to(method) if method else server.calls
        return web.json_response([_call_json(server, call) for call in chosen])

    async def messages(request: web.Request) -> web.Response:
        channel = request.query.get("channel")
        chosen = [m for m in server.messages if channel in (None, m.channel)]
        return web.json_response([_message_json(m) for m in chosen])

    async def stats(request: web.Request) -> web.Response:
        duplicates = sum(n - 1 for n in server.duplicates().values())
        counts = {"messages": len(server.messages), "duplicates": duplicates}
        counts["ratelimited"] = server.errors("ratelimited")
        return web.json_response(counts)

    async def responses(request: web.Request) -> web.Response:
        return web.json_response([asdict(post) for post in server.responses])

    async def ack(request: web.Request) -> web.Response:
        return web.json_response(await server.socket.wait_ack(request.match_info["envelope_id"]))

    return [
        web.get("/_fake/calls", calls),
        web.get("/_fake/messages", messages),
        web.get("/_fake/stats", stats),
        web.get("/_fake/responses", responses),
        web.get("/_fake/acks/{envelope_id}", ack),
    ]


def _scripting_routes(server: FakeSlack) -> list[web.RouteDef]:
    async def fail(request: web.Request) -> web.Response:
        body = await request.json()
        code = str(body["error"])
        error = SlackError.ratelimited(int(body.get("retry_after", 1)))
        server.fail(
            str(body["method"]),
            error if code == "ratelimited" else SlackError(code),
            channel=body.get("channel"),
            times=body.get("times", 1),
        )
        return web.json_response({"ok": True})

    async def users(request: web.Request) -> web.Response:
        body = await request.json()
        server.add_user(str(body.pop("id")), str(body.pop("name")), **body)
        return web.json_response({"ok": True})

    async def channels(request: web.Request) -> web.Response:
        body = await request.json()
        server.add_channel(str(body.pop("id")), str(body.pop("name")), **body)
        return web.json_response({"ok": True})

    async def slash_command(request: web.Request) -> web.Response:
        body = await request.json()
        payload = server.slash_command(str(body.pop("text", "")), **body)
        envelope_id = await server.socket.push("slash_commands", payload)
        return web.json_response({"envelope_id": envelope_id})

    return [
        web.post("/_fake/fail", fail),
        web.post("/_fake/users", users),
        web.post("/_fake/channels", channels),
        web.post("/_fake/slash_command", slash_command),
    ]


class FakeSlackThread:
    """A :class:`FakeSlack` on its own event loop in a daemon thread."""

    def __init__(self, server: FakeSlack | None = None, port: int = 0) -> None:
        self.loop = asyncio.new_event_loop()
        self.port = port
        self._server = server
        self._thread = threading.Thread(target=self.loop.run_forever, daemon=True)

    def __enter__(self) -> FakeSlack:
        self._thread.start()
        self._server = self.run(self._make())
        return self._server

    async def _make(self) -> FakeSlack:
        server = self._server or FakeSlack()
        await server.start(self.port, control_routes(server))
        return server

    def run(self, coroutine: Any, timeout: float = 10.0) -> Any:
        """Run ``coroutine`` on the server's loop and return its result."""
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout)

    def call(self, function: Callable[[], T]) -> T:
        """``function()`` on the server's loop (read or change its state safely)."""

        async def wrapped() -> T:
            return function()

        result: T = self.run(wrapped())
        return result

    def __exit__(self, *exc: object) -> None:
        if self._server is not None:
            self.run(self._server.stop())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(5)
        self.loop.close()


Limits = tuple[float, int, float]


async def serve(port: int, limits: Limits | None) -> None:
    server = FakeSlack()
    if limits is not None:
        per_channel, burst, workspace = limits
        server.limit_rate(
            per_channel=per_channel, channel_burst=burst, workspace_per_second=workspace
        )
    await server.start(port, control_routes(server))
    print(f"base_url {server.base_url}", flush=True)
    try:
        await asyncio.Event().wait()
    finally:
        await server.stop()


def parse_limits(text: str) -> Limits:
    """``"1,3,50"`` -> (1.0, 3, 50.0); ValueError naming the expected shape otherwise."""
    parts = text.split(",")
    try:
        if len(parts) != 3:
            raise ValueError
        per_channel, burst, workspace = float(parts[0]), int(parts[1]), float(parts[2])
        if per_channel <= 0 or burst < 1 or workspace <= 0:
            raise ValueError
    except ValueError:
        raise ValueError(
            f"--rate-limit wants PER_CHANNEL,BURST,WORKSPACE as positive numbers like 1,3,50; "
            f"got {text!r}"
        ) from None
    return per_channel, burst, workspace


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="A loopback Slack Web API server for tests.")
    parser.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (0 = any free)")
    parser.add_argument(
        "--rate-limit",
        metavar="PER_CHANNEL,BURST,WORKSPACE",
        help="enforce chat.postMessage limits, e.g. 1,3,50 (messages/s per channel, burst, "
        "messages/s per workspace)",
    )
    args = parser.parse_args(argv)
    try:
        limits = None if args.rate_limit is None else parse_limits(args.rate_limit)
    except ValueError as error:
        print(f"slack_standalone: {error}", file=sys.stderr)
        return 2
    try:
        asyncio.run(serve(args.port, limits))
    except KeyboardInterrupt:
        return 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
