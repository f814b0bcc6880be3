"""Sending to Telegram: Reply -> sendMessage calls, and the digest Sender for the outbox.

Errors map to outbox outcomes: Forbidden (blocked, kicked) and "chat not found" -> Blocked; a
timeout after the request went out -> Unknown (never resent blindly); RetryAfter that outlived the
rate limiter's retries and network errors -> Failed(retryable) (a retry sends the messages not yet
recorded through Progress); a bad request after some messages went out -> Unknown; a chat
that became a supergroup (ChatMigrated) -> sent to the new id, and the move is queued for the
store (applied between runs so no delivery record changes id mid-send).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from telegram import (
    Bot,
    LinkPreviewOptions,
    Message,
)
from telegram.error import BadRequest, ChatMigrated, Forbidden, NetworkError, RetryAfter, TimedOut

from bot.chat.render import TelegramMessage, render_telegram_html
from bot.chat.reply import Reply
from bot.chat.views import digest_reply
from bot.config import TelegramConfig
from bot.delivery.sender import NO_PROGRESS, Blocked, Failed, Outcome, Progress, Sent, Unknown
from bot.domain.digest import Digest
from bot.platforms.telegram.buttons import keyboard
from bot.platforms.telegram.pacing import DIGEST, sending_as

log = logging.getLogger(__name__)

PLATFORM = "telegram"
GONE = ("chat not found", "bot was kicked", "user is deactivated", "have no rights to send")


async def send_message(bot: Bot, chat_id: int, message: TelegramMessage) -> Message:
    return await bot.send_message(
        chat_id,
        message.text,
        parse_mode=message.parse_mode,
        reply_markup=keyboard(message.buttons),
        link_preview_options=LinkPreviewOptions(is_disabled=message.disable_link_preview),
        disable_notification=message.disable_notification,
    )


async def send_reply(bot: Bot, chat_id: int, reply: Reply) -> list[Message]:
    """Every message of a reply, in order (nothing for an empty reply)."""
    if not reply.blocks:
        return []
    return [await send_message(bot, chat_id, m) for m in render_telegram_html(reply)]


@dataclass
class TelegramSender:
    """The outbox's Sender for Telegram chats."""

    bot: Bot = field(repr=False)  # PTB's repr of a Bot shows its token
    platform: str = PLATFORM
    max_in_flight: int = TelegramConfig.max_in_flight  # digests side by side (bot.delivery.outbox)
    migrations: list[tuple[str, str]] = field(default_factory=list)

    async def send(self, chat_id: str, digest: Digest, progress: Progress = NO_PROGRESS) -> Outcome:
        with sending_as(DIGEST):  # ahead of a busy group's queued replies
            return await self._send_digest(chat_id, digest, progress)

    async def _send_digest(self, chat_id: str, digest: Digest, progress: Progress) -> Outcome:
        messages = render_telegram_html(digest_reply(digest))
        target = int(chat_id)
        ids = list(progress.done)
        for number, message in enumerate(messages[len(ids) :], start=len(ids)):
            try:
                sent = await self._send_following_migration(chat_id, target, message)
            except TimedOut:
                return Unknown(f"timed out after sending message {number + 1} of {len(messages)}")
            except Forbidden as exc:
                return Blocked(exc.message)
            except (BadRequest, RetryAfter, NetworkError) as exc:
                return self._failure(exc, number, len(messages))
            target = sent.chat_id
            ids.append(str(sent.message_id))
            await progress.record(tuple(ids))
        return Sent(tuple(ids))

    async def _send_following_migration(
        self, chat_id: str, target: int, message: TelegramMessage
    ) -> Message:
        try:
            return await send_message(self.bot, target, message)
        except ChatMigrated as exc:
            log.info("chat %s became supergroup %s; following it", chat_id, exc.new_chat_id)
            self.migrations.append((chat_id, str(exc.new_chat_id)))
            return await send_message(self.bot, exc.new_chat_id, message)

    @staticmethod
    def _failure(exc: Exception, number: int, total: int) -> Outcome:
        text = str(exc)
        if isinstance(exc, BadRequest) and any(g in text.lower() for g in GONE):
            return Blocked(text)
        retryable = isinstance(exc, RetryAfter | NetworkError) and not isinstance(exc, BadRequest)
        if number > 0 and not retryable:
            return Unknown(f"{number} of {total} messages sent, then: {text}")
        # retryable: the messages sent so far are recorded; a retry sends the rest
        return Failed(retryable=retryable, reason=text)

    def take_migrations(self) -> list[tuple[str, str]]:
        moves, self.migrations = self.migrations, []
        return moves
