"""Running the real python-telegram-bot Application against the fake Bot API server."""

from __future__ import annotations

import datetime as dtm
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from telegram import Update
from telegram.ext import Application, ApplicationBuilder, BaseHandler, ContextTypes, ExtBot

from bot import redact
from bot.delivery.shared_limits import SharedLimits
from bot.platforms.telegram.frontend import rate_limiter
from tests.fakes.telegram_server import FakeTelegram

Seen = list[Update]
App = Application[Any, Any, Any, Any, Any, Any]


def build(server: FakeTelegram) -> App:
    """An Application pointed at ``server`` (its token, Bot API and file URLs).

    Like the product's front end, it installs the product's log redaction first: PTB logs its
    base URL, token included, at DEBUG.
    """
    redact.add_secret(server.token)
    redact.install()
    return (
        ApplicationBuilder()
        .token(server.token)
        .base_url(server.base_url)
        .base_file_url(server.base_file_url)
        .build()
    )


async def paced_bot(server: FakeTelegram, shared: SharedLimits | None = None) -> ExtBot[None]:
    """An initialised bot on ``server`` with the product's rate limiter (``shared``: the store
    whose send schedules every instance shares; None paces this process alone), log redaction
    installed first as in :func:`build`."""
    redact.add_secret(server.token)
    redact.install()
    limiter = rate_limiter(shared, f"telegram:{server.token.partition(':')[0]}")
    bot: ExtBot[None] = ExtBot(server.token, base_url=server.base_url, rate_limiter=limiter)
    await bot.initialize()
    return bot


@asynccontextmanager
async def polling(
    server: FakeTelegram, *handlers: BaseHandler[Any, Any, Any]
) -> AsyncIterator[App]:
    """The Application with ``handlers``, initialised, started and long polling (1 s)."""
    app = build(server)
    for handler in handlers:
        app.add_handler(handler)
    async with app:
        await app.start()
        assert app.updater is not None
        await app.updater.start_polling(timeout=1, poll_interval=0)
        try:
            yield app
        finally:
            await app.updater.stop()
            await app.stop()


def recorder(seen: Seen, reply: str | None = None) -> Any:
    """A handler callback appending each update to ``seen`` and answering ``reply`` (HTML)."""

    async def handle(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        seen.append(update)
        if reply is not None and update.effective_message is not None:
            await update.effective_message.reply_html(reply)

    return handle


def seconds(value: int | dtm.timedelta) -> float:
    """RetryAfter.retry_after in seconds (PTB 22 gives int or timedelta by PTB_TIMEDELTA)."""
    return value.total_seconds() if isinstance(value, dtm.timedelta) else value


def free_port() -> int:
    """A free TCP port on 127.0.0.1 (for a webhook server)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port
