"""Shared fixtures. The fake Telegram server: ``fake_telegram`` (a running FakeTelegram)."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator

import pytest

from tests.fakes.telegram_server import FakeTelegram, RedactToken

BOT_LOGGERS = ("telegram.Bot", "telegram.ext.ExtBot")


@pytest.fixture
async def fake_telegram() -> AsyncIterator[FakeTelegram]:
    """A Bot API server on 127.0.0.1. Loggers that print the token are tamed: httpx (request
    URLs at INFO) goes to WARNING; PTB's Bot (base URLs at DEBUG) gets the token redacted."""
    logging.getLogger("httpx").setLevel(logging.WARNING)
    async with FakeTelegram() as server:
        redact = RedactToken(server.token)
        for name in BOT_LOGGERS:
            logging.getLogger(name).addFilter(redact)
        try:
            yield server
        finally:
            for name in BOT_LOGGERS:
                logging.getLogger(name).removeFilter(redact)
