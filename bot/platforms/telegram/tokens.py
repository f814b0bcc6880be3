"""What is wrong with a bot token read from the environment, said without showing it.

A token pasted with a trailing newline, a space, quotes or the "bot" of its URL would otherwise
reach Telegram (or httpx, which refuses the newline) and come back as a traceback, sometimes
with the token in it. :func:`token_problem` names the mistake in one line; the token itself is
never part of the message.
"""

from __future__ import annotations

import re

SHAPE = re.compile(r"\d+:[A-Za-z0-9_-]+")
SHAPE_HELP = (
    "a bot token is the bot's number, ':' and about 35 letters, digits, '-' or '_', with no "
    "spaces or quotes; copy it again from @BotFather (/mybots > API Token)"
)


def token_problem(variable: str, value: str) -> str | None:
    """One line naming what is wrong with ``value`` (read from ``variable``), or None."""
    mistake = _mistake(value)
    if mistake is None:
        return None
    return f"the environment variable {variable} is malformed: {mistake} ({SHAPE_HELP})"


def _mistake(value: str) -> str | None:
    stripped = value.strip()
    if not stripped:
        return "it holds only spaces or line breaks"
    tail = value[len(value.rstrip()) :]
    if tail:
        return "it ends with a line break" if tail.strip(" \t") else "it ends with a space"
    if value != value.lstrip():
        return "it starts with a space or a line break"
    if any(c.isspace() for c in value):
        return "it contains a space or a line break"
    if stripped[0] in "\"'" or stripped[-1] in "\"'":
        return "it is in quotes (leave them out)"
    if stripped.lower().startswith("bot") and SHAPE.fullmatch(stripped[3:]):
        return "it starts with 'bot' (that belongs to the URL, not to the token)"
    if not SHAPE.fullmatch(stripped):
        return "it is not shaped like a bot token"
    return None
