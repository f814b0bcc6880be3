"""Shared fixtures. The fake Telegram server: ``fake_telegram`` (a running FakeTelegram)."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator

import pytest

from tests.fakes.telegram_server import FakeTelegram


@pytest.fixture
async def fake_telegram() -> AsyncIterator[FakeTelegram]:
    """A Bot API server on 127.0.0.1; httpx (which logs URLs with the token) kept quiet."""
    logging.getLogger("httpx").setLevel(logging.WARNING)
    async with FakeTelegram() as server:
        yield server
