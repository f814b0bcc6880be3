"""Why the Telegram front end could not start, in one line that names the cause and the fix.

Starting means: getMe (is the token good, is the Bot API server there), deleteWebhook or
setWebhook, and for a webhook a port to listen on. Each step can fail in ways a user fixes
(a revoked token, a wrong ``base_url``, no network, a port in use, a webhook URL Telegram
refuses); :func:`start_error` turns the exception into a :class:`StartError` whose message says
which and what to do. PTB's own exceptions are never shown: ``InvalidToken`` carries the token
in its message, and a traceback of 100-200 lines helps nobody who typed a token wrong.
While starting, :func:`held_back` keeps PTB's own error logs about the same failure (the
bootstrap retry loop logs a traceback before it re-raises) off the console.
"""

from __future__ import annotations

import asyncio
import errno
import logging
import re
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from urllib.parse import urlsplit

from telegram.error import BadRequest, Conflict, InvalidToken, TelegramError, TimedOut

from bot import redact
from bot.config import Config
from bot.errors import UsageError

log = logging.getLogger(__name__)

TELEGRAM = "https://api.telegram.org"
SECRET_SHAPE = re.compile(r"[A-Za-z0-9_-]{1,256}")  # Telegram's rule for secret_token

CHECK_TOKEN = "checking the token"
SET_WEBHOOK = "setting the webhook"
REMOVE_WEBHOOK = "removing the webhook"
LISTEN = "listening for the webhook"
CONFLICT_WINDOW = 5.0  # seconds after this instance began polling: a 409 means it came second


class StartError(UsageError):
    """The bot could not start on Telegram; the message names the cause and the fix."""


@dataclass(frozen=True)
class Where:
    """What the messages name: the config file, the variables, the server and the webhook."""

    source: str
    token_env: str
    base_url: str
    webhook_url: str
    listen: str
    port: int
    secret_env: str

    @classmethod
    def of(cls, config: Config) -> Where:
        tg = config.telegram
        source = config.source if config.source != "<embedded default>" else "the config file"
        return cls(
            source, tg.token_env, tg.base_url, tg.webhook_url, tg.webhook_listen,
            tg.webhook_port, tg.webhook_secret_env,
        )  # fmt: skip

    @property
    def server(self) -> str:
        return self.base_url or TELEGRAM

    def base_url_fix(self) -> str:
        if self.base_url:
            return f"check [telegram] base_url in {self.source}"
        return "check this machine's network connection and proxy settings"


def start_error(exc: BaseException, step: str, where: Where) -> StartError:
    """The one-line explanation of ``exc``, raised while ``step``."""
    if step in (LISTEN, SET_WEBHOOK) and isinstance(exc, OSError):  # PTB binds after setWebhook
        return _listen_error(exc, where)
    if isinstance(exc, InvalidToken):
        return _token_error(exc, where)
    if isinstance(exc, TimedOut):
        return StartError(
            f"no answer from the Bot API at {where.server} within the timeout while {step}; "
            f"{where.base_url_fix()}, or try again later"
        )
    cause = _os_error(exc)
    if cause is not None:
        return StartError(f"cannot reach the Bot API at {where.server}: {_reach(cause, where)}")
    if step == SET_WEBHOOK and isinstance(exc, BadRequest):
        return StartError(
            f"Telegram refused the webhook URL {where.webhook_url}: {_text(exc)}; fix "
            f"[telegram] webhook_url in {where.source} (a public https URL on port 443, 80, 88 "
            "or 8443)"
        )
    if isinstance(exc, TelegramError):
        return StartError(
            f"the Bot API at {where.server} answered '{_text(exc)}' while {step}; "
            "try again later, or " + where.base_url_fix()
        )
    return StartError(f"could not start on Telegram while {step}: {_text(exc)}")


def _token_error(exc: InvalidToken, where: Where) -> StartError:
    answer = _text(exc.__cause__ if isinstance(exc.__cause__, TelegramError) else exc)
    if "not found" in answer.lower() and where.base_url:
        return StartError(
            f"the Bot API server at {where.base_url} answered 404 Not Found: check [telegram] "
            f"base_url in {where.source} (a Bot API server's URL ends in /bot, e.g. "
            "http://127.0.0.1:8081/bot)"
        )
    return StartError(
        f"Telegram refused the bot token in {where.token_env} ({answer}): it is mistyped or "
        f"was revoked; copy the current one from @BotFather (/mybots > API Token) into "
        f"{where.token_env}"
    )


def _reach(cause: OSError, where: Where) -> str:
    host = urlsplit(where.server).hostname or where.server
    if isinstance(cause, socket.gaierror):
        return f"the host name {host} was not found; {where.base_url_fix()}"
    if cause.errno == errno.ECONNREFUSED:
        fix = "is the Bot API server running? " if where.base_url else ""
        return f"connection refused; {fix}{where.base_url_fix()}"
    if isinstance(cause, TimeoutError):
        return f"no answer within the timeout; {where.base_url_fix()}, or try again later"
    return f"{cause.strerror or cause}; {where.base_url_fix()}"


def _listen_error(exc: OSError, where: Where) -> StartError:
    at = f"cannot listen for the webhook on {where.listen}:{where.port}"
    if exc.errno == errno.EADDRINUSE:
        return StartError(
            f"{at}: the port is in use (another digestbot or another program); stop it or "
            f"change [telegram] webhook_port in {where.source}"
        )
    if exc.errno == errno.EACCES:
        return StartError(
            f"{at}: ports below 1024 need root; use a higher [telegram] webhook_port in "
            f"{where.source} behind a reverse proxy"
        )
    if isinstance(exc, socket.gaierror) or exc.errno == errno.EADDRNOTAVAIL:
        return StartError(
            f"{at}: {where.listen} is not an address of this machine; fix [telegram] "
            f"webhook_listen in {where.source} (127.0.0.1 behind a proxy, 0.0.0.0 for all)"
        )
    return StartError(f"{at}: {exc.strerror or exc}")


def _os_error(exc: BaseException) -> OSError | None:
    """The OSError at the root of a network failure (httpx wraps it two or three times)."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, OSError) and current.errno is not None:
            return current
        current = current.__cause__ or current.__context__
    return None


def _text(exc: BaseException | None) -> str:
    text = getattr(exc, "message", None) or str(exc) or type(exc).__name__
    return redact.redact(str(text)).rstrip(".")


def check_port(listen: str, port: int) -> None:
    """Bind ``listen:port`` for a moment (before Telegram is told the webhook URL), so a port
    in use is found while nothing has changed yet. Raises OSError."""
    infos = socket.getaddrinfo(
        listen or None, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
    )
    family, kind, proto, _, address = infos[0]
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        probe.bind(address)


def check_secret(secret: str | None, variable: str) -> None:
    """Telegram accepts 1-256 of A-Z, a-z, 0-9, '_' and '-' as the webhook's secret token."""
    if secret is None:
        return
    redact.add_secret(secret)
    if not SECRET_SHAPE.fullmatch(secret):
        raise StartError(
            f"the environment variable {variable} is malformed: Telegram accepts a webhook "
            "secret of 1 to 256 letters, digits, '_' or '-' (no spaces or line breaks)"
        )


class _HoldBack(logging.Filter):
    def __init__(self) -> None:
        super().__init__()
        self.held: list[logging.LogRecord] = []

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno < logging.WARNING:
            return True
        self.held.append(record)
        return False


@contextmanager
def held_back() -> Iterator[None]:
    """While starting, PTB's warnings and errors wait: after a good start they are logged as
    usual; after a failed one they are dropped, as the failure is reported once, by
    :class:`StartError` (its redacted traceback at DEBUG)."""
    hold = _HoldBack()
    loggers = [
        logger
        for name, logger in logging.root.manager.loggerDict.items()
        if isinstance(logger, logging.Logger) and name.split(".")[0] == "telegram"
    ]
    for logger in loggers:
        logger.addFilter(hold)
    try:
        yield
    finally:
        for logger in loggers:
            logger.removeFilter(hold)
    for record in hold.held:  # reached only when the start went through
        logging.getLogger(record.name).handle(record)


class PollConflicts:
    """Telegram answers 409 Conflict to a getUpdates that another poller on the same token
    ended. Soon after this instance began polling (:data:`CONFLICT_WINDOW`), that means another
    instance was polling first: this one stops with a StartError (one line, exit 2) instead of
    fighting it for updates. Later, another instance started after this one: warn (it stops).
    ``seen`` is the polling error callback; ``stop`` is set to end the run."""

    def __init__(self, where: Where) -> None:
        self.where = where
        self.started: float | None = None
        self.stop: asyncio.Event | None = None
        self.error: StartError | None = None

    def seen(self, exc: TelegramError) -> None:
        if not isinstance(exc, Conflict):
            log.error("polling for updates failed: %s", _text(exc), exc_info=exc)
            return
        now = asyncio.get_running_loop().time()
        if self.started is not None and now - self.started < CONFLICT_WINDOW:
            if self.error is None:
                self.error = StartError(
                    f"another instance is already polling this bot's updates (Telegram "
                    f"answered '{_text(exc)}'); stop it, or run several instances in webhook "
                    f'mode ([telegram] mode = "webhook" in {self.where.source}, see '
                    "docs/postgres.md)"
                )
            if self.stop is not None:
                self.stop.set()
            return
        log.warning("another instance started polling this bot's updates (%s)", _text(exc))
