"""A Slack Web API + Socket Mode server on 127.0.0.1 for running the real slack_sdk and bolt.

    async with FakeSlack() as slack:
        client = AsyncWebClient(token=slack.bot_token, base_url=slack.base_url)
        app = AsyncApp(client=client, signing_secret=slack.signing_secret)
        await AsyncSocketModeHandler(app, slack.app_token).connect_async()
        envelope = await slack.socket.push("slash_commands", slack.slash_command("ask prison"))
        ack = await slack.socket.wait_ack(envelope)
        [answer] = await slack.wait_for_responses(1)        # what respond() posted

The workspace (users with tz/is_admin/is_owner, channels with creator/members/is_archived,
the bot) is :class:`tests.fakes.slack_state.Workspace`; its default has user ``alice`` and
``#general`` with the bot in it. Every Web API request is recorded in :attr:`FakeSlack.calls`;
accepted messages in :attr:`messages`. Requests are checked as Slack checks them: the token on
every call (not_authed, invalid_auth, not_allowed_token_type, token_revoked, account_inactive),
Block Kit and text limits, membership and archiving. Errors on demand: :meth:`FakeSlack.fail`
(any error, 429 + Retry-After included), :meth:`FakeSlack.delay_response` (the call is carried
out, the answer comes late: a client timeout after the message went out). Rate limits are off
until :meth:`FakeSlack.limit_rate`. HTTP mode: :attr:`FakeSlack.http` posts signed requests to
an app; response_urls handed out with payloads point back here and are recorded in
:attr:`responses`. OAuth: :attr:`FakeSlack.oauth` (tests.fakes.slack_oauth) serves Slack's
authorize page and oauth.v2.access, which gives each installing team its own bot token
(:attr:`team_of_token`); every call records the token it used (:attr:`Call.token`). Nothing
here logs or echoes a token (the access log is off).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import Callable, Sequence
from typing import Any

from aiohttp import web

from tests.fakes.slack_limits import RateLimits, Script, Scripts
from tests.fakes.slack_methods import METHODS, Methods
from tests.fakes.slack_oauth import OAuth
from tests.fakes.slack_signing import SignedSender
from tests.fakes.slack_socket import SocketMode
from tests.fakes.slack_state import (
    APP_TOKEN,
    BOT_TOKEN,
    BOT_USER_ID,
    CALLER_TEAM,
    SIGNING_SECRET,
    TEAM_ID,
    Call,
    Ephemeral,
    Message,
    ResponsePost,
    ResponseUrl,
)
from tests.fakes.slack_validate import SlackError, check_message, decode_json_field

__all__ = ["Call", "FakeSlack", "SlackError"]

JSON = dict[str, Any]
Handler = Callable[[JSON], Any]

SCOPES = (
    "app_mentions:read,channels:read,chat:write,commands,groups:read,im:history,im:write,users:read"
)
APP_ONLY = frozenset({"apps.connections.open"})
ANY_TOKEN = frozenset({"auth.test"})
CLIENT_AUTH = frozenset({"oauth.v2.access"})  # the app's client id and secret, no token
JSON_FIELDS = ("blocks", "attachments", "view")


class FakeSlack(Methods):
    """The loopback Slack server; see the module docstring."""

    def __init__(
        self,
        *,
        bot_token: str = BOT_TOKEN,
        app_token: str = APP_TOKEN,
        signing_secret: str = SIGNING_SECRET,
    ) -> None:
        super().__init__()
        self.bot_token = bot_token
        self.app_token = app_token
        self.signing_secret = signing_secret
        self.tokens: dict[str, str] = {bot_token: "bot", app_token: "app"}
        self.team_of_token: dict[str, str] = {bot_token: TEAM_ID}
        self.revoked: dict[str, str] = {}
        self.calls: list[Call] = []
        self.scripts = Scripts()
        self.socket = SocketMode(self)
        self.http = SignedSender(signing_secret)
        self.oauth = OAuth(self)
        self._runner: web.AppRunner | None = None
        self._handlers: dict[str, Handler] = {
            name: getattr(self, "_m_" + name.replace(".", "_")) for name in METHODS
        }
        self._handlers["apps.connections.open"] = self.socket.connections_open

    # ------------------------------------------------------------ lifecycle

    @property
    def base_url(self) -> str:
        """The Web API base for ``AsyncWebClient(base_url=...)`` (ends with a slash)."""
        return f"{self.root_url}/api/"

    async def start(self, port: int = 0, routes: Sequence[web.RouteDef] = ()) -> None:
        """Listen on 127.0.0.1:``port`` (0 = a free one); ``routes`` are served first."""
        app = web.Application(client_max_size=16 * 1024 * 1024)
        app.router.add_routes(routes)
        app.router.add_routes(self.socket.routes())
        app.router.add_routes(self.oauth.routes())
        app.router.add_route("*", "/api/{method}", self._dispatch)
        app.router.add_post("/{kind:commands|actions}/{team}/{n}/{secret}", self._response_url)
        self._runner = web.AppRunner(
            app, access_log=None, handle_signals=False, shutdown_timeout=0.1
        )
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", port)
        await site.start()
        server = site._server
        assert server is not None and server.sockets  # type: ignore[attr-defined]
        self.port = server.sockets[0].getsockname()[1]  # type: ignore[attr-defined]

    async def stop(self) -> None:
        await self.socket.close()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> FakeSlack:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    # ------------------------------------------------------------ scripting

    def fail(
        self,
        method: str,
        error: SlackError | str,
        *,
        channel: str | None = None,
        times: int | None = 1,
        after: int = 0,
    ) -> None:
        """Answer the next ``times`` calls of ``method`` ("*" = any) for ``channel`` (or
        user; None = any) with ``error`` (a code, or e.g. ``SlackError.ratelimited(30)``),
        once ``after`` such calls went through; ``times=None`` keeps failing for good."""
        if isinstance(error, str):
            error = SlackError.ratelimited() if error == "ratelimited" else SlackError(error)
        self.scripts.add(Script(method, channel, times, error=error, after=after))

    def delay_response(
        self,
        seconds: float,
        *,
        method: str = "chat.postMessage",
        channel: str | None = None,
        times: int | None = 1,
    ) -> None:
        """Carry out and record the call, then wait ``seconds`` before answering."""
        self.scripts.add(Script(method, channel, times, delay=seconds))

    def bot_token_of(self, team: str) -> str:
        """The bot token of ``team``'s installation: its current one, or a new one (the first
        install, or a reinstall after the old token was revoked)."""
        for token, owner in self.team_of_token.items():
            if owner == team and self.tokens.get(token) == "bot" and token not in self.revoked:
                return token
        token = f"xoxb-{team}-{len(self.team_of_token) + 1}-loopbackfake"
        self.tokens[token], self.team_of_token[token] = "bot", team
        return token

    def calls_by(self, token: str, method: str | None = None) -> list[Call]:
        """The calls (of ``method``) made with ``token``."""
        return [c for c in self.calls if c.token == token and method in (None, c.method)]

    def revoke(self, token: str | None = None, error: str = "token_revoked") -> None:
        """From now on ``token`` (default: the bot token) answers ``error`` (token_revoked
        when the app was uninstalled, account_inactive when the workspace was deleted)."""
        self.revoked[token or self.bot_token] = error

    def limit_rate(
        self,
        *,
        per_channel: float = 1.0,
        channel_burst: int = 3,
        workspace_per_second: float | None = None,
        workspace_burst: int | None = None,
    ) -> RateLimits:
        """Enforce Slack's chat.postMessage limits (429 + Retry-After beyond them)."""
        self.limits = RateLimits(
            per_channel=per_channel,
            channel_burst=channel_burst,
            workspace_per_second=workspace_per_second,
            workspace_burst=workspace_burst,
            clock=lambda: self.clock(),
        )
        return self.limits

    # ------------------------------------------------------------ inspection

    def calls_to(self, method: str) -> list[Call]:
        return [c for c in self.calls if c.method == method]

    def errors(self, error: str) -> int:
        """How many calls were answered with Slack error ``error`` (e.g. "ratelimited")."""
        return sum(1 for c in self.calls if c.error == error)

    async def wait_for(
        self, method: str, count: int = 1, *, channel: str | None = None, timeout: float = 5.0
    ) -> list[Call]:
        """The first ``count`` calls of ``method`` (to ``channel``), waiting up to ``timeout``."""

        def found() -> list[Call]:
            return [c for c in self.calls_to(method) if channel in (None, c.channel)]

        await self.wait_until(
            lambda: len(found()) >= count,
            timeout,
            lambda: f"expected {count} {method} call(s); calls: {[c.method for c in self.calls]}",
        )
        return found()[:count]

    async def wait_for_messages(
        self, count: int = 1, *, channel: str | None = None, timeout: float = 5.0
    ) -> list[Message]:
        """The first ``count`` accepted messages (in ``channel``), waiting up to ``timeout``."""

        def found() -> list[Message]:
            return [m for m in self.messages if channel in (None, m.channel)]

        await self.wait_until(
            lambda: len(found()) >= count,
            timeout,
            lambda: f"expected {count} message(s), got {len(found())}",
        )
        return found()[:count]

    async def wait_for_responses(self, count: int = 1, timeout: float = 5.0) -> list[ResponsePost]:
        """The first ``count`` posts to response_urls, waiting up to ``timeout``."""
        await self.wait_until(
            lambda: len(self.responses) >= count,
            timeout,
            lambda: f"expected {count} response_url post(s), got {len(self.responses)}",
        )
        return self.responses[:count]

    @staticmethod
    async def wait_until(
        condition: Callable[[], bool],
        timeout: float = 5.0,
        describe: Callable[[], str] = lambda: "condition not met",
    ) -> None:
        """Wait (polling every 5 ms) until ``condition()``; AssertionError after ``timeout``."""
        deadline = time.monotonic() + timeout
        while not condition():
            if time.monotonic() > deadline:
                raise AssertionError(f"after {timeout} s: {describe()}")
            await asyncio.sleep(0.005)

    # ------------------------------------------------------------ the Web API

    async def _params(self, request: web.Request) -> tuple[JSON, str | None]:
        """The call's arguments (query + form, or JSON body) and its token. A token in a
        JSON body does not count, as on Slack: JSON callers send the Authorization header."""
        params: JSON = dict(request.query)
        if request.content_type == "application/json":
            with contextlib.suppress(ValueError):
                body = await request.json() if request.can_read_body else {}
                params.update(body if isinstance(body, dict) else {})
            params.pop("token", None)
        elif request.can_read_body:
            params.update(await request.post())
        token = params.pop("token", None)
        header = request.headers.get("Authorization", "")
        if header.startswith("Bearer "):
            token = header.removeprefix("Bearer ").strip()
        elif header.startswith("Basic "):
            params["_basic"] = header.removeprefix("Basic ").strip()
        for name in JSON_FIELDS:
            if isinstance(params.get(name), str) and params[name]:
                with contextlib.suppress(SlackError):
                    params[name] = decode_json_field(params[name], name)
        return params, (str(token) if token else None)

    def _authorise(self, method: str, token: str | None) -> None:
        if method in CLIENT_AUTH:
            return  # oauth.v2.access checks the client id and secret itself
        if token is None:
            raise SlackError("not_authed")
        if token in self.revoked:
            raise SlackError(self.revoked[token])
        kind = self.tokens.get(token)
        if kind is None:
            raise SlackError("invalid_auth")
        wanted = "app" if method in APP_ONLY else kind if method in ANY_TOKEN else "bot"
        if kind != wanted:
            raise SlackError("not_allowed_token_type")

    async def _dispatch(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        params, token = await self._params(request)
        client = (params.pop("_basic", None), params.pop("client_secret", None))  # not recorded
        call = Call(method, params, self.clock(), token=token)
        self.calls.append(call)
        target = params.get("channel") or params.get("user")
        target = target if isinstance(target, str) else None
        try:
            script = self.scripts.take(method, target, delay=False)
            if script is not None and script.error is not None:
                raise script.error
            self._authorise(method, token)
            handler = self._handlers.get(method)
            if method in CLIENT_AUTH:
                result = self.oauth.access(params, *client)
            elif handler is None:
                raise SlackError("unknown_method", req_method=method)
            else:
                CALLER_TEAM.set(self.team_of_token.get(token or ""))
                result = await handler(params)
        except SlackError as error:
            call.status, call.error = error.status, error.error
            return error.response()
        delay = self.scripts.take(method, target, delay=True)
        if delay is not None:
            await asyncio.sleep(delay.delay)
        headers = {"x-oauth-scopes": SCOPES} if self.tokens.get(token or "") == "bot" else {}
        return web.json_response({"ok": True, **result}, headers=headers)

    # ------------------------------------------------------------ response_url

    async def _response_url(self, request: web.Request) -> web.Response:
        """What the app posts to a response_url: recorded; in_channel answers become channel
        messages, replace_original/delete_original change the message the action was on."""
        target = self.response_urls.get(request.path)
        if target is None or target.uses_left <= 0:
            return web.json_response({"ok": False, "error": "used_url"}, status=404)
        try:
            body = json.loads(await request.text())
            assert isinstance(body, dict)
        except (ValueError, AssertionError):
            return web.json_response({"ok": False, "error": "invalid_payload"}, status=400)
        post = ResponsePost(str(request.url), target.kind, body, 200)
        self.responses.append(post)
        try:
            self._apply_response(target, body)
        except SlackError as error:
            post.status = 400
            return web.json_response(error.body(), status=400)
        target.uses_left -= 1
        return web.json_response({"ok": True})

    def _apply_response(self, target: ResponseUrl, body: JSON) -> None:
        original = None
        if target.message_ts is not None:
            with contextlib.suppress(SlackError):
                original = self.find_message(target.channel, target.message_ts)
        if body.get("delete_original") and original is not None:
            self.messages = [m for m in self.messages if m is not original]
            return
        text, blocks = check_message(body)
        if body.get("replace_original") and original is not None:
            original.text, original.blocks = text, blocks
            original.edits += 1
        elif body.get("response_type") == "in_channel":
            message = Message(
                target.channel,
                self.next_ts(),
                text,
                blocks,
                body.get("thread_ts"),
                BOT_USER_ID,
                self.clock(),
            )
            message.via = "response_url"
            self.messages.append(message)
        else:
            self.ephemerals.append(
                Ephemeral(target.channel, target.user, text, blocks, self.next_ts())
            )
