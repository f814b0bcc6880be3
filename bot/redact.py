"""Keep secrets (bot tokens, webhook secrets) out of every log line, traceback and error message.

:func:`install` wraps the logging record factory, so every record from any library (PTB logs
"Set Bot API URL: .../bot<TOKEN>" at DEBUG; httpx logs URLs at INFO) is redacted before any
handler sees it, and replaces ``sys.excepthook`` and ``threading.excepthook``, so a traceback
nobody caught (PTB's ``InvalidToken`` says "The token `...` was rejected") is redacted too.
A registered bot token is redacted whole and by its secret half (the part after ':', which is
what is left when a URL encodes the ':'); anything shaped like a bot token (Telegram's, or
Slack's ``xoxb-``/``xoxp-``/``xapp-`` tokens) is redacted even if not registered.
"""

from __future__ import annotations

import logging
import re
import sys
import threading
import traceback
from collections.abc import Callable
from types import TracebackType
from typing import Any

# Telegram bot tokens; Slack bot, user, refresh and app-level tokens
TOKEN_RE = re.compile(
    r"\d{6,}:[A-Za-z0-9_-]{30,}|xox[abpre]-[A-Za-z0-9-]{10,}|xapp-[A-Za-z0-9-]{10,}"
)
MASK = "[redacted]"
MIN_SECRET = 8  # shorter strings would mask ordinary words
_secrets: set[str] = set()
_previous: list[Callable[..., logging.LogRecord]] = []
_previous_hooks: list[tuple[Any, Any]] = []


def add_secret(secret: str | None) -> None:
    """Redact this exact string from now on, and for a bot token (``ID:SECRET``) its secret
    half too (ignored when empty or shorter than 8 characters)."""
    if not secret:
        return
    for part in (secret, secret.strip(), secret.partition(":")[2].strip()):
        if len(part) >= MIN_SECRET:
            _secrets.add(part)


def redact(text: str) -> str:
    for secret in sorted(_secrets, key=len, reverse=True):  # a whole token before its half
        if secret in text:
            text = text.replace(secret, MASK)
    return TOKEN_RE.sub(MASK, text)


def format_exception(exc: BaseException) -> str:
    """The traceback of ``exc`` (its chain included), redacted."""
    return redact("".join(traceback.format_exception(exc)))


def install() -> None:
    """Redact every log record and every uncaught traceback from now on (idempotent)."""
    if _previous:
        return
    previous = logging.getLogRecordFactory()
    _previous.append(previous)

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        _scrub(record)
        return record

    logging.setLogRecordFactory(factory)
    _previous_hooks.append((sys.excepthook, threading.excepthook))
    sys.excepthook = _excepthook
    threading.excepthook = _thread_excepthook


def uninstall() -> None:
    """Undo :func:`install` and forget registered secrets (for tests that check installing)."""
    if _previous:
        logging.setLogRecordFactory(_previous.pop())
    if _previous_hooks:
        sys.excepthook, threading.excepthook = _previous_hooks.pop()
    _secrets.clear()


def _excepthook(kind: type[BaseException], value: BaseException, tb: TracebackType | None) -> None:
    text = "".join(traceback.format_exception(kind, value, tb))
    sys.stderr.write(redact(text))


def _thread_excepthook(args: threading.ExceptHookArgs) -> None:
    if args.exc_value is None or args.exc_type is SystemExit:
        return
    name = args.thread.name if args.thread is not None else "?"
    text = "".join(traceback.format_exception(args.exc_type, args.exc_value, args.exc_traceback))
    sys.stderr.write(redact(f"Exception in thread {name}:\n{text}"))


def _scrub(record: logging.LogRecord) -> None:
    try:
        message = record.getMessage()
    except Exception:  # a bad format string: leave it to logging's own error path
        return
    # Frozen now, even when clean: arguments formatted later could have changed meanwhile
    # (PTB logs getFile's result dict, then writes the token into its file_path).
    record.msg, record.args = redact(message), None
    if record.exc_info and record.exc_info[1] is not None:
        text = "".join(traceback.format_exception(*record.exc_info))
        record.exc_text = redact(text).rstrip("\n")
    if record.stack_info:
        record.stack_info = redact(record.stack_info)
