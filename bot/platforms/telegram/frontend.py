"""The Telegram front end (python-telegram-bot 22): thin handlers around the command layer.

Chosen when the token variable named in the config is set. Polling by default, webhook mode by
config; ``[telegram] base_url`` points it at a self-hosted Bot API server. One place registers
the handlers (:func:`build_application`); one error handler logs first.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
from collections.abc import AsyncIterator, Callable, Coroutine
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any

from telegram import BotCommand, Message, Update
from telegram import Chat as TgChat
from telegram.constants import ChatMemberStatus
from telegram.ext import (
    AIORateLimiter,
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    ChatMemberHandler,
    ContextTypes,
    InlineQueryHandler,
    MessageHandler,
    filters,
)

from bot import redact
from bot.app import App
from bot.chat.commands import (
    CHANNEL,
    GROUP,
    PRIVATE,
    REGISTRY,
    Chat,
    Command,
    User,
    commands,
    dispatch,
    parse,
)
from bot.chat.reply import Reply
from bot.chat.throttle import CommandThrottle
from bot.delivery.shared_limits import SharedLimits
from bot.domain.schedule import make_scheduler, schedule_digests
from bot.platforms.telegram.group_replies import GroupReplies
from bot.platforms.telegram.inline import answer_callback, answer_inline
from bot.platforms.telegram.menu import CommandMenu
from bot.platforms.telegram.pacing import PacedRateLimiter
from bot.platforms.telegram.send import PLATFORM, TelegramSender, send_reply
from bot.platforms.telegram.start import (
    CHECK_TOKEN,
    LISTEN,
    REMOVE_WEBHOOK,
    SET_WEBHOOK,
    PollConflicts,
    StartError,
    Where,
    check_port,
    check_secret,
    held_back,
    start_error,
)

log = logging.getLogger(__name__)

WEBHOOK_PATH = "telegram"
POLLING: dict[str, Any] = {"allowed_updates": Update.ALL_TYPES, "timeout": 10}
TEST_POLLING: dict[str, Any] = {"poll_interval": 0.0, "timeout": 1}  # quick to stop in tests
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)
OVERALL_PER_SECOND = 29.0  # Telegram: about 30 messages/s overall
GROUP_PER_MINUTE = 20  # Telegram: 20 messages per minute per group
GROUP_BURST = 5
ANONYMOUS_ADMIN = 1087968824  # GroupAnonymousBot: the sender of an anonymous admin's messages
ADMIN_STATUSES = (ChatMemberStatus.ADMINISTRATOR, ChatMemberStatus.OWNER)
Context = ContextTypes.DEFAULT_TYPE


class TelegramFrontend:
    """Owns the PTB Application, the digest sender and the scheduler for one App."""

    def __init__(self, app: App, token: str, *, scheduled: bool = True) -> None:
        redact.add_secret(token)
        redact.install()
        self.app = app
        self.scheduled = scheduled
        self.application = build_application(app, token, self)
        self.sender = TelegramSender(
            self.application.bot, max_in_flight=app.config.telegram.max_in_flight
        )
        self.replies = GroupReplies(self.application.bot)
        self.throttle = CommandThrottle()
        self.lock = asyncio.Lock()
        self.scheduler = make_scheduler()
        menu = [BotCommand(spec.name, spec.summary[:256]) for spec in commands()]
        self.menu = CommandMenu(self.application.bot, menu)
        self.conflicts = PollConflicts(Where.of(app.config))

    async def tick(self, now: datetime) -> None:
        """One outbox run, then the chat moves (group -> supergroup) seen while sending."""
        async with self.lock:
            await self.app.tick(now)
            self.apply_migrations()

    def apply_migrations(self) -> None:
        for old, new in self.sender.take_migrations():
            self.app.store.migrate_chat(PLATFORM, old, new, now=self.app.now())

    async def answer(self, chat_id: int, reply: Reply, command: str) -> None:
        """A private chat's answer goes out now; a group's or channel's (negative ids, as the
        rate limiter counts them) in the background, in order: its 20/min limit must not hold
        up the updates of other chats."""
        if chat_id < 0:
            self.replies.add(chat_id, reply, command)
        else:
            await send_reply(self.application.bot, chat_id, reply)

    @asynccontextmanager
    async def serving(
        self, *, webhook: dict[str, Any] | None = None, polling: dict[str, Any] | None = None
    ) -> AsyncIterator[None]:
        """Start (long polling with ``polling`` options, or the webhook server with ``webhook``
        options), then stop in order on exit. A failed start raises StartError (one line)."""
        try:
            await self.start(webhook, polling or TEST_POLLING)
        except BaseException:
            await self.stop()
            raise
        try:
            yield
        finally:
            await self.stop()

    async def run_until_stopped(self, webhook: dict[str, Any] | None) -> None:
        """Serve until SIGINT or SIGTERM (Ctrl-C before the start is done interrupts it)."""
        async with self.serving(webhook=webhook, polling=POLLING):
            stop = self.conflicts.stop = asyncio.Event()
            loop = asyncio.get_running_loop()
            with contextlib.suppress(NotImplementedError):  # Windows: Ctrl-C interrupts
                for sig in STOP_SIGNALS:
                    loop.add_signal_handler(sig, stop.set)
            try:
                await stop.wait()
            finally:
                with contextlib.suppress(NotImplementedError):
                    for sig in STOP_SIGNALS:
                        loop.remove_signal_handler(sig)
        if self.conflicts.error is not None:  # another instance was polling when this started
            raise self.conflicts.error

    async def start(self, webhook: dict[str, Any] | None, polling: dict[str, Any]) -> None:
        """Updates first (a failure is a StartError naming the step), then the menu (never
        fatal) and the scheduler, which starts only once updates flow."""
        where = Where.of(self.app.config)
        steps = [LISTEN]
        try:
            with held_back():
                await self._start_updates(webhook, polling, where, steps)
        except StartError:
            raise
        except Exception as exc:
            log.debug("start failed while %s:\n%s", steps[-1], redact.format_exception(exc))
            raise start_error(exc, steps[-1], where) from None
        await self.menu.set_at_start()
        if self.scheduled:
            schedule_digests(self.scheduler, self.tick, clock=self.app.clock)
            self.scheduler.start()

    async def _start_updates(
        self,
        webhook: dict[str, Any] | None,
        polling: dict[str, Any],
        where: Where,
        steps: list[str],
    ) -> None:
        """Local checks (nothing has changed yet), getMe, then polling or the webhook;
        ``steps`` ends with the step under way."""
        if webhook is not None:
            check_secret(webhook.get("secret_token"), where.secret_env)
            check_port(webhook["listen"], webhook["port"])
        steps.append(CHECK_TOKEN)
        await self.application.initialize()
        self.app.add_sender(self.sender)
        await self.application.start()
        updater = self.application.updater
        assert updater is not None
        if webhook is None:
            steps.append(REMOVE_WEBHOOK)
            self.conflicts.started = asyncio.get_running_loop().time()
            await updater.start_polling(**polling, error_callback=self.conflicts.seen)
        else:
            steps.append(SET_WEBHOOK)
            await updater.start_webhook(**webhook)

    async def stop(self) -> None:
        """Undo whatever :meth:`start` got to, in reverse order."""
        application = self.application
        await self.menu.stop()
        if self.scheduler.running:
            self.scheduler.shutdown(wait=False)
        updater = application.updater
        if updater is not None and updater.running:
            await updater.stop()
        if application.running:
            await application.stop()
        await self.replies.stop()
        await application.shutdown()

    async def migrate(self, old: str, new: str) -> None:
        async with self.lock:
            self.app.store.migrate_chat(PLATFORM, old, new, now=self.app.now())


def rate_limiter(shared: SharedLimits | None = None, bot_key: str = "telegram") -> AIORateLimiter:
    """Telegram's limits, never exceeded in any sliding window (see bot.platforms.telegram.pacing):
    29 messages/s overall; per group bursts of 5, then 15/min (at most 20 in any minute).
    PTB's default buckets allow 60 messages in one second and 39 to a group in one minute,
    which a strict server answers with 429. Three retries honour ``retry_after`` anyway.
    With a store every instance shares (PostgreSQL), the limits hold for all of them together
    (docs/postgres.md)."""
    return PacedRateLimiter(
        per_second=OVERALL_PER_SECOND,
        group_per_minute=GROUP_PER_MINUTE,
        group_burst=GROUP_BURST,
        max_retries=3,
        shared=shared,
        bot_key=bot_key,
    )


def build_application(
    app: App, token: str, frontend: TelegramFrontend
) -> Application[Any, Any, Any, Any, Any, Any]:
    """The PTB Application with every handler registered in one place."""
    base = app.config.telegram.base_url
    shared = app.store if isinstance(app.store, SharedLimits) else None
    limiter = rate_limiter(shared, f"telegram:{token.partition(':')[0]}")  # the bot id, no secret
    builder = ApplicationBuilder().token(token).rate_limiter(limiter)
    if base:
        builder = builder.base_url(base).base_file_url(file_url(base))
    application = builder.build()
    application.bot_data["app"] = app
    application.bot_data["frontend"] = frontend
    messages = filters.UpdateType.MESSAGE | filters.UpdateType.CHANNEL_POST
    application.add_handler(MessageHandler(filters.StatusUpdate.MIGRATE, on_migrate))
    application.add_handler(MessageHandler(messages & (filters.TEXT | filters.COMMAND), on_message))
    application.add_handler(CallbackQueryHandler(_wrap(answer_callback)))
    application.add_handler(InlineQueryHandler(_wrap(answer_inline)))
    application.add_handler(ChatMemberHandler(on_my_chat_member, ChatMemberHandler.MY_CHAT_MEMBER))
    application.add_error_handler(on_error)
    return application


def file_url(base_url: str) -> str:
    """Where a Bot API server at ``base_url`` serves files: "/file" goes before its last
    "/bot" (``http://host/botapi/bot`` -> ``http://host/botapi/file/bot``; Telegram's test
    server ``https://api.telegram.org/bot{token}/test`` -> ``.../file/bot{token}/test``), or
    before its last path part when it has no "/bot"."""
    head, found, tail = base_url.rpartition("/bot")
    if found:
        return f"{head}/file/bot{tail}"
    head, _, last = base_url.rstrip("/").rpartition("/")
    return f"{head}/file/{last}"


def _wrap(
    handler: Callable[[App, Update, Context], Coroutine[Any, Any, None]],
) -> Callable[[Update, Context], Coroutine[Any, Any, None]]:
    async def call(update: Update, context: Context) -> None:
        await handler(context.bot_data["app"], update, context)

    return call


def chat_of(chat: TgChat) -> Chat:
    kind = {"private": PRIVATE, "channel": CHANNEL}.get(chat.type, GROUP)
    return Chat(PLATFORM, str(chat.id), kind, chat.title or chat.full_name or "")


async def is_chat_admin(message: Message, context: Context) -> bool:
    """Admins of a group: real admins, anonymous admins, and the channel itself posting."""
    chat = message.chat
    if chat.type == TgChat.CHANNEL:
        return True  # only a channel's admins can post in it
    if message.sender_chat is not None:
        return message.sender_chat.id == chat.id  # anonymous admin posts as the group
    if message.from_user is None or message.from_user.id == ANONYMOUS_ADMIN:
        return False
    member = await context.bot.get_chat_member(chat.id, message.from_user.id)
    return member.status in ADMIN_STATUSES


async def on_message(update: Update, context: Context) -> None:
    message = update.effective_message
    if message is None or message.text is None or message.forward_origin is not None:
        return  # forwarded text is never a command
    app: App = context.bot_data["app"]
    chat = chat_of(message.chat)
    sender = message.from_user
    user = User(str(sender.id) if sender else "", sender.full_name if sender else "")
    cmd = parse(message.text, chat, user, bot_username=context.bot.username or "")
    if cmd is None:
        return
    frontend: TelegramFrontend = context.bot_data["frontend"]
    verdict = frontend.throttle.check(chat.id)
    if not verdict.allowed:  # one chat flooding the bot: ignored, told once
        if verdict.notify:
            notice = Reply.text(frontend.throttle.notice(verdict))
            await frontend.answer(message.chat_id, notice, cmd.name)
        return
    spec = REGISTRY.get(cmd.name)
    if chat.is_group and spec is not None and spec.changes_group:
        admin = await is_chat_admin(message, context)
        cmd = Command(cmd.name, cmd.args, chat, User(user.id, user.name, is_chat_admin=admin))
    await frontend.answer(message.chat_id, await dispatch(app, cmd), cmd.name)


async def on_migrate(update: Update, context: Context) -> None:
    message = update.effective_message
    if message is None or message.migrate_to_chat_id is None:
        return
    frontend: TelegramFrontend = context.bot_data["frontend"]
    await frontend.migrate(str(message.chat_id), str(message.migrate_to_chat_id))


async def on_my_chat_member(update: Update, context: Context) -> None:
    change = update.my_chat_member
    if change is None:
        return
    app: App = context.bot_data["app"]
    status = change.new_chat_member.status
    if status in (ChatMemberStatus.LEFT, ChatMemberStatus.BANNED):
        app.store.set_active(PLATFORM, str(change.chat.id), False, now=app.now())
        log.info("removed from chat %s: subscription paused", change.chat.id)


async def on_error(update: object, context: Context) -> None:
    log.error("error while handling an update", exc_info=context.error)
    if isinstance(update, Update) and update.effective_chat is not None:
        try:
            await context.bot.send_message(
                update.effective_chat.id, "Sorry, something went wrong on our side."
            )
        except Exception:
            log.warning("could not tell chat %s about the error", update.effective_chat.id)


def webhook_options(app: App) -> dict[str, Any]:
    """Where the webhook listens and what Telegram is told (same for run and tests)."""
    tg = app.config.telegram
    return {
        "listen": tg.webhook_listen,
        "port": tg.webhook_port,
        "url_path": WEBHOOK_PATH,
        "webhook_url": tg.webhook_url,
        "secret_token": os.environ.get(tg.webhook_secret_env) or None,
        "allowed_updates": Update.ALL_TYPES,
    }


def run_telegram(app: App) -> int:
    """Run until stopped (Ctrl-C / SIGTERM): polling, or webhook when configured. A failed
    start raises StartError (a UsageError: the CLI prints its one line and exits with 2)."""
    token = app.config.telegram_token()
    assert token, "run_telegram needs the token (checked by `digestbot run`)"
    frontend = TelegramFrontend(app, token)
    webhook = webhook_options(app) if app.config.telegram.mode == "webhook" else None
    asyncio.run(frontend.run_until_stopped(webhook))
    return 0
