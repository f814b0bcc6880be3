"""Buttons on Telegram: a Reply's actions as inline keyboard buttons, and presses back.

A :class:`~bot.chat.reply.Run` becomes callback data ``command:arg:arg`` (Telegram allows 1-64
bytes); :class:`~bot.chat.reply.Share` becomes ``switch_inline_query`` ("post ID" in the chat
the user picks, answered by inline mode); :class:`~bot.chat.reply.OpenUrl` a URL button.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.chat.reply import Button, OpenUrl, Run, Share

log = logging.getLogger(__name__)

CALLBACK_DATA_MAX_BYTES = 64
SEPARATOR = ":"
OLD_NAMES = {"full": "post"}  # buttons sent before "Full summary" ran /post


def encode(action: Run) -> str:
    """``Run("more", ("004", "3"))`` -> ``"more:004:3"``; ValueError when a part holds ``:``
    or the whole is over Telegram's 64 bytes."""
    for part in (action.command, *action.args):
        if SEPARATOR in part or not action.command:
            raise ValueError(f"callback data part may not contain ':' or be empty: {part!r}")
    data = SEPARATOR.join((action.command, *action.args))
    size = len(data.encode("utf-8"))
    if size > CALLBACK_DATA_MAX_BYTES:
        raise ValueError(
            f"callback data is {size} bytes, over Telegram's {CALLBACK_DATA_MAX_BYTES}: {data!r}"
        )
    return data


def decode(data: str) -> Run | None:
    """Callback data -> the Run it stands for; None for data this bot could not have sent."""
    if not data or len(data.encode("utf-8")) > CALLBACK_DATA_MAX_BYTES:
        return None
    command, *args = data.split(SEPARATOR)
    if not command:
        return None
    return Run(OLD_NAMES.get(command, command), tuple(args))


def keyboard(rows: Sequence[Sequence[Button]]) -> InlineKeyboardMarkup | None:
    """The inline keyboard of a Reply's buttons (a button Telegram cannot carry is left out,
    with a warning)."""
    shown = [[b for b in map(_button, row) if b is not None] for row in rows]
    shown = [row for row in shown if row]
    return InlineKeyboardMarkup(shown) if shown else None


def _button(button: Button) -> InlineKeyboardButton | None:
    action = button.action
    if isinstance(action, Share):
        return InlineKeyboardButton(button.label, switch_inline_query=f"post {action.post_id}")
    if isinstance(action, OpenUrl):
        return InlineKeyboardButton(button.label, url=action.url)
    try:
        return InlineKeyboardButton(button.label, callback_data=encode(action))
    except ValueError as exc:
        log.warning("button %r left out: %s", button.label, exc)
        return None
