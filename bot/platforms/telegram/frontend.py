"""The Telegram front end (python-telegram-bot 22): thin handlers around the command layer.

Chosen when the token variable named in the config is set. Polling by default, webhook mode by
config; ``[telegram] base_url`` points it at a self-hosted Bot API server. One place registers
the handlers (:func:`build_application`); one error handler logs first.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import replace
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
    Command,
    User,
    parse,
)
from bot.chat.reply import Reply
from bot.chat.throttle import CommandThrottle, Verdict
from bot.delivery.shared_limits import SharedLimits
from bot.platforms.base import Host
from bot.platforms.telegram.chats import chat_of
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
OVERALL_PER_SECOND = 29.0  # Telegram: about 30 messages/s overall
GROUP_PER_MINUTE = 20  # Telegram: 20 messages per minute per group
GROUP_BURST = 5
ANONYMOUS_ADMIN = 1087968824  # GroupAnonymousBot: the sender of an anonymous admin's messages
ADMIN_STATUSES = (ChatMemberStatus.ADMINISTRATOR, ChatMemberStatus.OWNER)
Context = ContextTypes.DEFAULT_TYPE


class TelegramFrontend:
    """Owns the PTB Application and the digest sender; the runner owns the scheduler."""

    name = PLATFORM

    def __init__(
        self,
        app: App,
        token: str,
        *,
        polling: dict[str, Any] | None = None,
        webhook: dict[str, Any] | None = None,
    ) -> None:
        """``polling``: options of PTB's start_polling; ``webhook``: run the webhook server
        with these options (default: as the config says, see :func:`webhook_options`)."""
        redact.add_secret(token)
        redact.install()
        self.app = app
        self.host: Host | None = None
        self.polling = POLLING if polling is None else polling
        if webhook is None and app.config.telegram.mode == "webhook":
            webhook = webhook_options(app)
        self.webhook = webhook
        self.application = build_application(app, token, self)
        self.sender = TelegramSender(
            self.application.bot, max_in_flight=app.config.telegram.max_in_flight
        )
        self.replies = GroupReplies(self.application.bot)
        shared = app.store if isinstance(app.store, SharedLimits) else None
        self.throttle = CommandThrottle(shared=shared, platform=PLATFORM)  # for all instances
        menu = [BotCommand(spec.name, spec.summary[:256]) for spec in app.commands]
        self.menu = CommandMenu(self.application.bot, menu)
        self.conflicts = PollConflicts(Where.of(app.config))
        self.stopped = self.conflicts.stop = asyncio.Event()  # set on a start-up conflict

    async def after_tick(self) -> None:
        """The chat moves (group -> supergroup) Telegram reported while digests were sent."""
        for old, new in self.sender.take_migrations():
            await self.app.store.move_chat(PLATFORM, old, new, now=self.app.now())

    async def handle(
        self, cmd: Command, is_admin: Callable[[], Awaitable[bool]] | None = None
    ) -> Reply | Verdict:
        """Every command and button press: the chat's command limit, then (for a command that
        changes a group) ``is_admin``, then the CommandSet. A Verdict when the chat is over
        its limit (the command is ignored, and Telegram is not asked who is an admin)."""
        verdict = await self.throttle.admit(cmd.chat.id)
        if not verdict.allowed:
            return verdict
        spec = self.app.commands.get(cmd.name)
        if is_admin and cmd.chat.is_group and spec is not None and spec.changes_group:
            user = User(cmd.user.id, cmd.user.name, is_chat_admin=await is_admin())
            cmd = replace(cmd, user=user)
        return await self.app.dispatch(cmd)

    async def answer(self, chat_id: int, reply: Reply, command: str) -> None:
        """A private chat's answer goes out now; a group's or channel's (negative ids, as the
        rate limiter counts them) in the background, in order: its 20/min limit must not hold
        up the updates of other chats."""
        if chat_id < 0:
            self.replies.add(chat_id, reply, command)
        else:
            await send_reply(self.application.bot, chat_id, reply)

    async def start(self, host: Host) -> None:
        """Polling, or the webhook server when the config says so (see :meth:`listen`)."""
        self.host = host
        await self.listen(self.webhook, self.polling)

    async def serve(self) -> None:
        """Updates are handled by PTB's own tasks: wait until the runner stops, or until
        Telegram says another instance was polling first (then a StartError, one line)."""
        await self.stopped.wait()
        if self.conflicts.error is not None:  # another instance was polling when this started
            raise self.conflicts.error

    async def listen(self, webhook: dict[str, Any] | None, polling: dict[str, Any]) -> None:
        """Updates first (a failure is a StartError naming the step), then the menu (never
        fatal). The runner starts the scheduler only once every front end has started."""
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
        updater = application.updater
        if updater is not None and updater.running:
            await updater.stop()
        if application.running:
            await application.stop()
        await self.replies.stop()
        await application.shutdown()

    async def migrate(self, old: str, new: str) -> None:
        """A group became a supergroup: its subscription and history move (not during a run)."""
        assert self.host is not None, "started by a runner"
        async with self.host.lock:
            await self.app.store.move_chat(PLATFORM, old, new, now=self.app.now())


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
    chat = chat_of(message.chat)
    sender = message.from_user
    user = User(str(sender.id) if sender else "", sender.full_name if sender else "")
    cmd = parse(message.text, chat, user, bot_username=context.bot.username or "")
    if cmd is None:
        return
    frontend: TelegramFrontend = context.bot_data["frontend"]
    reply = await frontend.handle(cmd, lambda: is_chat_admin(message, context))
    if isinstance(reply, Verdict):  # one chat flooding the bot: ignored, told once
        if not reply.notify:
            return
        reply = Reply.text(frontend.throttle.notice(reply))
    await frontend.answer(message.chat_id, reply, cmd.name)


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
        await app.store.set_active(PLATFORM, str(change.chat.id), False, now=app.now())
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
