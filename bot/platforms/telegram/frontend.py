"""The Telegram front end (python-telegram-bot 22): thin handlers around the command layer.

Chosen when the token variable named in the config is set. Polling by default, webhook mode by
config; ``[telegram] base_url`` points it at a self-hosted Bot API server. One place registers
the handlers (:func:`build_application`); one error handler logs first.
"""

from __future__ import annotations

import asyncio
import logging
import os
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
from bot.domain.schedule import make_scheduler, schedule_digests
from bot.platforms.telegram.group_replies import GroupReplies
from bot.platforms.telegram.inline import answer_callback, answer_inline
from bot.platforms.telegram.pacing import PacedRateLimiter
from bot.platforms.telegram.send import PLATFORM, TelegramSender, send_reply

log = logging.getLogger(__name__)

WEBHOOK_PATH = "telegram"
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

    async def tick(self, now: datetime) -> None:
        """One outbox run, then the chat moves (group -> supergroup) seen while sending."""
        async with self.lock:
            await self.app.tick(now)
            self.apply_migrations()

    def apply_migrations(self) -> None:
        for old, new in self.sender.take_migrations():
            self.app.store.migrate_chat(PLATFORM, old, new, now=self.app.now())

    async def post_init(self, application: Application[Any, Any, Any, Any, Any, Any]) -> None:
        self.app.add_sender(self.sender)
        await application.bot.set_my_commands(
            [BotCommand(spec.name, spec.summary[:256]) for spec in commands()]
        )
        if self.scheduled:
            schedule_digests(self.scheduler, self.tick, clock=self.app.clock)
            self.scheduler.start()

    async def answer(self, chat_id: int, reply: Reply, command: str) -> None:
        """A private chat's answer goes out now; a group's or channel's (negative ids, as the
        rate limiter counts them) in the background, in order: its 20/min limit must not hold
        up the updates of other chats."""
        if chat_id < 0:
            self.replies.add(chat_id, reply, command)
        else:
            await send_reply(self.application.bot, chat_id, reply)

    async def post_stop(self, application: Application[Any, Any, Any, Any, Any, Any]) -> None:
        await self.replies.stop()

    async def post_shutdown(self, application: Application[Any, Any, Any, Any, Any, Any]) -> None:
        if self.scheduler.running:
            self.scheduler.shutdown(wait=False)

    @asynccontextmanager
    async def serving(self, *, webhook: dict[str, Any] | None = None) -> AsyncIterator[None]:
        """Start the Application (long polling, or the webhook server with ``webhook`` options),
        then stop it in order on exit: for callers that run their own event loop."""
        application = self.application
        await application.initialize()
        await self.post_init(application)
        await application.start()
        updater = application.updater
        assert updater is not None
        if webhook is None:
            await updater.start_polling(poll_interval=0.0, timeout=1)
        else:
            await updater.start_webhook(**webhook)
        try:
            yield
        finally:
            await updater.stop()
            await application.stop()
            await self.post_stop(application)
            await self.post_shutdown(application)
            await application.shutdown()

    async def migrate(self, old: str, new: str) -> None:
        async with self.lock:
            self.app.store.migrate_chat(PLATFORM, old, new, now=self.app.now())


def rate_limiter() -> AIORateLimiter:
    """Telegram's limits, never exceeded in any sliding window (see bot.platforms.telegram.pacing):
    29 messages/s overall; per group bursts of 5, then 15/min (at most 20 in any minute).
    PTB's default buckets allow 60 messages in one second and 39 to a group in one minute,
    which a strict server answers with 429. Three retries honour ``retry_after`` anyway."""
    return PacedRateLimiter(
        per_second=OVERALL_PER_SECOND,
        group_per_minute=GROUP_PER_MINUTE,
        group_burst=GROUP_BURST,
        max_retries=3,
    )


def build_application(
    app: App, token: str, frontend: TelegramFrontend
) -> Application[Any, Any, Any, Any, Any, Any]:
    """The PTB Application with every handler registered in one place."""
    base = app.config.telegram.base_url
    builder = (
        ApplicationBuilder()
        .token(token)
        .rate_limiter(rate_limiter())
        .post_init(frontend.post_init)
        .post_stop(frontend.post_stop)
        .post_shutdown(frontend.post_shutdown)
    )
    if base:
        builder = builder.base_url(base).base_file_url(base.replace("/bot", "/file/bot"))
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
    """Run until stopped (Ctrl-C / SIGTERM): polling, or webhook when configured."""
    token = app.config.telegram_token()
    assert token, "run_telegram needs the token (checked by `digestbot run`)"
    frontend = TelegramFrontend(app, token)
    if app.config.telegram.mode == "webhook":
        frontend.application.run_webhook(**webhook_options(app))
    else:
        frontend.application.run_polling(allowed_updates=Update.ALL_TYPES)
    return 0
