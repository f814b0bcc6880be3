"""Run the fake Bot API server as its own process, for tests that kill and restart the bot.

    python -m tests.fakes.telegram_standalone --port 0 [--rate-limit] [--token-env NAME]

prints ``base_url http://127.0.0.1:PORT/bot`` on its first line of stdout and serves until
killed. Besides the Bot API it answers a small control API (never under the token):

- ``GET  /_fake/calls[?method=sendMessage]``: every recorded call as JSON
  (method, params, time, status, error);
- ``GET  /_fake/delivered``: ``{chat_id: [message, ...]}``, what chats received;
- ``POST /_fake/updates``: queue the JSON body as an update (update_id is added);
- ``POST /_fake/fail``: script an error, body ``{"method", "status", "description",
  "parameters"?, "chat_id"?, "times"?}`` (times null = for good).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from dataclasses import asdict

from aiohttp import web

from tests.fakes.telegram_server import ApiError, FakeTelegram
from tests.fakes.telegram_updates import TOKEN


def control_routes(server: FakeTelegram) -> list[web.RouteDef]:
    async def calls(request: web.Request) -> web.Response:
        method = request.query.get("method")
        chosen = server.calls_to(method) if method else server.calls
        return web.json_response([asdict(call) for call in chosen])

    async def delivered(request: web.Request) -> web.Response:
        return web.json_response({str(k): v for k, v in server.delivered.items()})

    async def updates(request: web.Request) -> web.Response:
        return web.json_response(server.inject_update(await request.json()))

    async def fail(request: web.Request) -> web.Response:
        body = await request.json()
        error = ApiError(int(body["status"]), str(body["description"]), body.get("parameters"))
        server.fail(
            str(body["method"]), error, chat_id=body.get("chat_id"), times=body.get("times", 1)
        )
        return web.json_response({"ok": True})

    return [
        web.get("/_fake/calls", calls),
        web.get("/_fake/delivered", delivered),
        web.post("/_fake/updates", updates),
        web.post("/_fake/fail", fail),
    ]


async def serve(port: int, rate_limit: bool, token: str) -> None:
    server = FakeTelegram(token=token)
    server.rate_limit = rate_limit
    await server.start(port, control_routes(server))
    print(f"base_url {server.base_url}", flush=True)
    try:
        await asyncio.Event().wait()
    finally:
        await server.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="A loopback Telegram Bot API server for tests.")
    parser.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (0 = any free)")
    parser.add_argument("--rate-limit", action="store_true", help="429 beyond 30/s, 20/min/group")
    parser.add_argument("--token-env", help="environment variable holding the bot token")
    args = parser.parse_args(argv)
    token = TOKEN
    if args.token_env:
        token = os.environ.get(args.token_env, "")
        if not token:
            print(f"telegram_standalone: ${args.token_env} is not set", file=sys.stderr)
            return 2
    try:
        asyncio.run(serve(args.port, args.rate_limit, token))
    except KeyboardInterrupt:
        return 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
