"""Keep secrets (bot tokens) out of every log line, exception text and error message.

:func:`install` wraps the logging record factory, so every record from any library (PTB logs
"Set Bot API URL: .../bot<TOKEN>" at DEBUG; httpx logs URLs at INFO) is redacted before any
handler sees it. Anything shaped like a Telegram bot token is redacted even if not registered.
"""

from __future__ import annotations

import logging
import re
import traceback
from collections.abc import Callable
from typing import Any

TOKEN_RE = re.compile(r"\d{6,}:[A-Za-z0-9_-]{30,}")
MASK = "[redacted]"
_secrets: set[str] = set()
_previous: list[Callable[..., logging.LogRecord]] = []


def add_secret(secret: str | None) -> None:
    """Redact this exact string from now on (ignored when empty or very short)."""
    if secret and len(secret) >= 8:
        _secrets.add(secret)


def redact(text: str) -> str:
    for secret in _secrets:
        if secret in text:
            text = text.replace(secret, MASK)
    return TOKEN_RE.sub(MASK, text)


def install() -> None:
    """Redact every log record from now on (idempotent)."""
    if _previous:
        return
    previous = logging.getLogRecordFactory()
    _previous.append(previous)

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        _scrub(record)
        return record

    logging.setLogRecordFactory(factory)


def uninstall() -> None:
    """Undo :func:`install` and forget registered secrets (for tests that check installing)."""
    if _previous:
        logging.setLogRecordFactory(_previous.pop())
    _secrets.clear()


def _scrub(record: logging.LogRecord) -> None:
    try:
        message = record.getMessage()
    except Exception:  # a bad format string: leave it to logging's own error path
        return
    clean = redact(message)
    if clean != message:
        record.msg, record.args = clean, None
    if record.exc_info and record.exc_info[1] is not None:
        text = "".join(traceback.format_exception(*record.exc_info))
        record.exc_text = redact(text).rstrip("\n")
