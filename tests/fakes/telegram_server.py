"""A Bot API server on 127.0.0.1 for running the real python-telegram-bot against.

    async with FakeTelegram() as tg:          # or the ``fake_telegram`` fixture
        app = (ApplicationBuilder().token(tg.token).base_url(tg.base_url)
               .base_file_url(tg.base_file_url).build())
        tg.inject_message("/start", user_id=42)
        [call] = await tg.wait_for("sendMessage")

Users act through ``inject_*`` (messages, /cmd@bot, anonymous admins, channel posts, inline
queries, button presses, my_chat_member, migrations); updates go to getUpdates long polling, or
to the webhook set with setWebhook (:func:`post_webhook` is the driver). Every request is
recorded in :attr:`FakeTelegram.calls`; sends are validated as Telegram does (text length in
UTF-16 units after HTML parsing, known balanced tags, 64-byte callback data). Telegram's errors
are scripted with :meth:`FakeTelegram.fail` / :meth:`FakeTelegram.block`, a timeout after
delivery with :meth:`FakeTelegram.delay_response`; ``rate_limit = True`` answers 429 beyond 30
messages in any 1 s and 20 per group chat in any 60 s (``clock`` is replaceable for tests).
As Telegram, it answers another well-formed token 401 Unauthorized and a malformed one, an
unknown method or any other path 404 Not Found (JSON bodies); ``path="/botapi"`` serves it under
a self-hosted server's own path (files under ``/botapi/file/bot<TOKEN>/``).

The token appears only in request paths; nothing here logs it (the access log is off).
"""

from __future__ import annotations

import asyncio
import math
import time
from collections import Counter, deque
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import aiohttp
from aiohttp import web

from tests.fakes.telegram_methods import Methods
from tests.fakes.telegram_protocol import (
    DEFAULT_ALLOWED_UPDATES,
    RedactToken,
    allowed_update,
    normalise,
    not_found,
    post_webhook,
    token_refused,
)
from tests.fakes.telegram_updates import JSON, TOKEN, bot_user
from tests.fakes.telegram_validate import ApiError, Call, Script, validate_outgoing

__all__ = ["ApiError", "Call", "FakeTelegram", "RedactToken", "post_webhook"]

GLOBAL_PER_SECOND = 30
GROUP_PER_MINUTE = 20
WEBHOOK_RETRY_SECONDS = 0.05

Handler = Callable[[dict[str, Any]], Awaitable[Any]]


class FakeTelegram(Methods):
    """The loopback Bot API server; see the module docstring."""

    def __init__(self, *, token: str = TOKEN, strict_html: bool = True, path: str = "") -> None:
        super().__init__()
        self.token = token
        self.path = path  # a self-hosted server's own path, e.g. "/botapi"
        self.strict_html = strict_html
        self.rate_limit = False
        self.clock: Callable[[], float] = time.monotonic
        self.port = 0
        self.calls: list[Call] = []
        self.requests = 0  # every request, refused ones (wrong token, wrong path) included
        self.delivered: dict[int, list[JSON]] = {}
        self.webhook: dict[str, str] = {}
        self.polling = 0  # getUpdates requests waiting right now
        self._poll: asyncio.Future[list[JSON]] | None = None  # the one a newer request ends
        self.webhook_deliveries: list[tuple[int, int]] = []
        self.answered_callbacks: set[str] = set()
        self._scripts: list[Script] = []
        self._recent_sends: deque[float] = deque()
        self._group_sends: dict[int, deque[float]] = {}
        self._runner: web.AppRunner | None = None
        self._webhook_task: asyncio.Task[None] | None = None
        self._handlers: dict[str, Handler] = {
            name.lower(): getattr(self, f"_m_{name}")
            for name in (
                *("getMe", "getUpdates", "sendMessage", "editMessageText"),
                *("editMessageReplyMarkup", "answerCallbackQuery", "answerInlineQuery"),
                *("setMyCommands", "getMyCommands", "deleteMyCommands", "deleteWebhook"),
                *("setWebhook", "getWebhookInfo", "getChatMember", "getChatAdministrators"),
                *("getChat", "getFile", "close", "logOut"),
            )
        }

    # ------------------------------------------------------------ lifecycle

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}{self.path}/bot"

    @property
    def base_file_url(self) -> str:
        return f"http://127.0.0.1:{self.port}{self.path}/file/bot"

    async def start(self, port: int = 0, routes: Sequence[web.RouteDef] = ()) -> None:
        """Listen on 127.0.0.1:``port`` (0 = a free one); ``routes`` are served first. Any
        other path answers Telegram's JSON 404."""
        app = web.Application(client_max_size=16 * 1024 * 1024)
        app.router.add_routes(routes)
        app.router.add_get(self.path + "/file/{prefix}/{file_path:.+}", self.download)
        app.router.add_route("*", self.path + "/{prefix}/{method}", self._dispatch)
        app.router.add_route("*", "/{tail:.*}", not_found)
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
        self._stop_webhook_task()
        self.notify()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> FakeTelegram:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    # ------------------------------------------------------------ scripting

    def fail(
        self, method: str, error: ApiError, *, chat_id: int | None = None, times: int | None = 1,
        after: int = 0,
    ) -> None:  # fmt: skip
        """Answer the next ``times`` calls of ``method`` ("*" = any but getUpdates) to
        ``chat_id`` (None = any chat) with ``error``, once ``after`` such calls went through;
        ``times=None`` keeps failing for good."""
        self._scripts.append(Script(method.lower(), chat_id, times, error=error, after=after))

    def delay_response(
        self, seconds: float, *, method: str = "sendMessage", chat_id: int | None = None,
        times: int | None = 1,
    ) -> None:  # fmt: skip
        """Deliver and record the call, then wait ``seconds`` before answering (a client
        timeout after the message reached the chat)."""
        self._scripts.append(Script(method.lower(), chat_id, times, delay=seconds))

    def block(self, chat_id: int) -> None:
        """The user blocked the bot: every send to ``chat_id`` answers 403."""
        self.fail("sendMessage", ApiError.blocked(), chat_id=chat_id, times=None)

    def _script_for(self, method: str, chat_id: int | None, delay: bool) -> Script | None:
        for script in self._scripts:
            if (script.delay > 0) == delay and script.matches(method, chat_id):
                if script.after > 0:
                    script.after -= 1
                    continue
                script.use()
                if script.times == 0:
                    self._scripts.remove(script)
                return script
        return None

    # ------------------------------------------------------------ inspection

    def calls_to(self, method: str) -> list[Call]:
        return [c for c in self.calls if c.method.lower() == method.lower()]

    def sent(self, chat_id: int | None = None) -> list[Call]:
        """Accepted sendMessage calls (to ``chat_id`` if given), in order."""
        return [
            c
            for c in self.calls_to("sendMessage")
            if c.status == 200 and (chat_id is None or c.chat_id == chat_id)
        ]

    async def wait_for(
        self, method: str, count: int = 1, *, chat_id: int | None = None, timeout: float = 5.0
    ) -> list[Call]:
        """The first ``count`` calls of ``method`` (to ``chat_id``), waiting up to ``timeout``."""

        def found() -> list[Call]:
            calls = self.calls_to(method)
            return [c for c in calls if chat_id is None or c.chat_id == chat_id]

        await self.wait_until(
            lambda: len(found()) >= count,
            timeout,
            lambda: f"expected {count} {method} call(s); calls: {[c.method for c in self.calls]}",
        )
        return found()[:count]

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

    def errors(self, status: int) -> int:
        """How many calls were answered with HTTP ``status`` (e.g. 429)."""
        return sum(1 for c in self.calls if c.status == status)

    def duplicates(self) -> dict[tuple[int, str], int]:
        """Messages delivered more than once to the same chat: (chat_id, text) -> count."""
        counts = Counter((chat_id, m["text"]) for chat_id, ms in self.delivered.items() for m in ms)
        return {key: n for key, n in counts.items() if n > 1}

    # ------------------------------------------------------------ HTTP

    async def _dispatch(self, request: web.Request) -> web.Response:
        self.requests += 1
        prefix, method = request.match_info["prefix"], request.match_info["method"]
        refused = token_refused(prefix, self.token)
        if refused is not None:
            return refused.response()
        if request.content_type == "application/json":
            raw = await request.json() if request.can_read_body else {}
            params = normalise(raw, from_json=True)
        else:
            form = {**request.query, **(await request.post())}
            params = normalise(form, from_json=False)
        call = Call(method, params, self.clock())
        self.calls.append(call)
        handler = self._handlers.get(method.lower())
        if handler is None:
            return self._answer(call, ApiError(404, "Not Found"))
        script = self._script_for(method.lower(), call.chat_id, delay=False)
        if script is not None and script.error is not None:
            return self._answer(call, script.error)
        try:
            result = await handler(params)
        except ApiError as error:
            return self._answer(call, error)
        delay = self._script_for(method.lower(), call.chat_id, delay=True)
        if delay is not None:
            await asyncio.sleep(delay.delay)
        return web.json_response({"ok": True, "result": result})

    @staticmethod
    def _answer(call: Call, error: ApiError) -> web.Response:
        call.status, call.error = error.status, error.description
        return error.response()

    # ------------------------------------------------------------ sending

    def _check_rate(self, chat_id: int) -> None:
        if not self.rate_limit:
            return
        now = self.clock()
        while self._recent_sends and now - self._recent_sends[0] >= 1.0:
            self._recent_sends.popleft()
        if len(self._recent_sends) >= GLOBAL_PER_SECOND:
            raise ApiError.flood(math.ceil(self._recent_sends[0] + 1.0 - now))
        group = self._group_sends.setdefault(chat_id, deque()) if chat_id < 0 else None
        if group is not None:
            while group and now - group[0] >= 60.0:
                group.popleft()
            if len(group) >= GROUP_PER_MINUTE:
                raise ApiError.flood(math.ceil(group[0] + 60.0 - now))
            group.append(now)
        self._recent_sends.append(now)

    async def _m_sendMessage(self, params: dict[str, Any]) -> JSON:
        chat_id = self._chat_id(params)
        validate_outgoing(params, strict=self.strict_html)
        self._check_rate(chat_id)
        sent = self.new_message(chat_id, params["text"], bot_user())
        if "reply_markup" in params:
            sent["reply_markup"] = params["reply_markup"]
        self.delivered.setdefault(chat_id, []).append(sent)
        return sent

    def _find_message(self, params: dict[str, Any]) -> JSON:
        chat_id = self._chat_id(params)
        message_id = int(params.get("message_id", "0"))
        for sent in self.delivered.get(chat_id, []):
            if sent["message_id"] == message_id:
                return sent
        raise ApiError(400, "Bad Request: message to edit not found")

    async def _m_editMessageText(self, params: dict[str, Any]) -> JSON | bool:
        validate_outgoing(params, strict=self.strict_html)
        if "inline_message_id" in params:
            return True
        target = self._find_message(params)
        markup = params.get("reply_markup")
        if target["text"] == params["text"] and target.get("reply_markup") == markup:
            raise ApiError(400, "Bad Request: message is not modified")
        target["text"] = params["text"]
        target.pop("reply_markup", None)
        if markup:
            target["reply_markup"] = markup
        return target

    async def _m_editMessageReplyMarkup(self, params: dict[str, Any]) -> JSON | bool:
        validate_outgoing({**params, "text": "-"}, strict=False)
        if "inline_message_id" in params:
            return True
        target = self._find_message(params)
        target.pop("reply_markup", None)
        if params.get("reply_markup"):
            target["reply_markup"] = params["reply_markup"]
        return target

    # ------------------------------------------------------------ other methods

    async def _m_getUpdates(self, params: dict[str, Any]) -> list[JSON]:
        if self.webhook.get("url"):
            raise ApiError(409, "Conflict: can't use getUpdates method while webhook is active")
        offset = int(params.get("offset", "0"))
        limit = int(params.get("limit", "100"))
        if self._poll is not None and not self._poll.done():  # as on Telegram: the newer
            self._poll.cancel()  # request wins, the one still waiting is answered 409
        poll = asyncio.ensure_future(
            self.take_updates(offset, limit, float(params.get("timeout", "0")))
        )
        self._poll = poll
        self.polling += 1
        try:
            updates = await asyncio.shield(poll)
        except asyncio.CancelledError:
            if not poll.cancelled():
                poll.cancel()
                raise  # this handler itself was cancelled
            raise ApiError(
                409,
                "Conflict: terminated by other getUpdates request; make sure that only one bot "
                "instance is running",
            ) from None
        finally:
            self.polling -= 1
        allowed = params.get("allowed_updates") or DEFAULT_ALLOWED_UPDATES
        refused = [u for u in updates if not allowed_update(u, allowed)]
        for update in refused:  # Telegram never delivers update types the bot did not ask for
            self.pending.remove(update)
        return [u for u in updates if allowed_update(u, allowed)]

    async def _m_answerCallbackQuery(self, params: dict[str, Any]) -> bool:
        query_id = params.get("callback_query_id", "")
        if query_id not in self.callback_ids or query_id in self.answered_callbacks:
            raise ApiError(
                400, "Bad Request: query is too old and response timeout expired or query ID "
                "is invalid"
            )  # fmt: skip
        self.answered_callbacks.add(query_id)
        return True

    async def _m_setWebhook(self, params: dict[str, Any]) -> bool:
        self._stop_webhook_task()
        self.webhook = {"url": params.get("url", ""), "secret": params.get("secret_token", "")}
        if params.get("drop_pending_updates") == "true":
            self.pending.clear()
        if self.webhook["url"]:
            self._webhook_task = asyncio.create_task(self._deliver_to_webhook())
        return True

    async def _m_deleteWebhook(self, params: dict[str, Any]) -> bool:
        self._stop_webhook_task()
        self.webhook = {}
        if params.get("drop_pending_updates") == "true":
            self.pending.clear()
        return True

    async def _m_getWebhookInfo(self, params: dict[str, Any]) -> JSON:
        return {
            "url": self.webhook.get("url", ""),
            "has_custom_certificate": False,
            "pending_update_count": len(self.pending),
        }

    # ------------------------------------------------------------ webhook

    def _stop_webhook_task(self) -> None:
        if self._webhook_task is not None:
            self._webhook_task.cancel()
            self._webhook_task = None

    async def _deliver_to_webhook(self) -> None:
        """Push pending updates in order, like Telegram: an update leaves the queue only when
        the webhook answered 200; otherwise (status 0 = not reachable) it is retried."""
        async with aiohttp.ClientSession() as session:
            while True:
                [update, *_] = await self._next_pending()
                try:
                    status = await post_webhook(
                        self.webhook["url"], update, self.webhook["secret"] or None, session
                    )
                except (aiohttp.ClientError, OSError):
                    status = 0
                self.webhook_deliveries.append((update["update_id"], status))
                if status == 200:
                    self.pending.remove(update)
                else:
                    await asyncio.sleep(WEBHOOK_RETRY_SECONDS)

    async def _next_pending(self) -> list[JSON]:
        while not self.pending:
            await self.take_updates(0, 100, 3600.0)
        return self.pending
