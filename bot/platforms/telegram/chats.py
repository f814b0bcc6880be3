"""Telegram chats and users as the command layer sees them."""

from __future__ import annotations

from telegram import Chat as TgChat

from bot.chat.commands import CHANNEL, GROUP, PRIVATE, Chat
from bot.platforms.telegram.send import PLATFORM


def chat_of(chat: TgChat) -> Chat:
    """A Telegram chat -> Chat: private, channel, or group (basic and supergroups)."""
    kind = {"private": PRIVATE, "channel": CHANNEL}.get(chat.type, GROUP)
    return Chat(PLATFORM, str(chat.id), kind, chat.title or chat.full_name or "")
