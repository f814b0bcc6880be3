"""Slack secrets never reach a log line or a file: the product redacts them, and the suite's
secret scan (tests/conftest.py) would catch any that got through."""

from __future__ import annotations

import logging

import pytest

from bot import redact
from tests.conftest import TOKEN_RE
from tests.fakes.slack_state import APP_TOKEN, BOT_TOKEN, SIGNING_SECRET


@pytest.mark.parametrize(
    "secret", [BOT_TOKEN, APP_TOKEN, SIGNING_SECRET, "xoxp-12345-67890-abcdefABCDEF"]
)
def test_the_suite_secret_scan_catches_slack_tokens_and_the_signing_secret(secret: str) -> None:
    assert TOKEN_RE.search(f"POST /api/chat.postMessage token={secret} ok".encode())


def test_slack_tokens_are_redacted_from_log_lines_even_unregistered(
    caplog: pytest.LogCaptureFixture,
) -> None:
    redact.install()
    try:
        logging.getLogger("slack_sdk").warning("calling with %s and %s", BOT_TOKEN, APP_TOKEN)
    finally:
        redact.uninstall()
    [record] = caplog.records
    assert BOT_TOKEN not in record.getMessage() and APP_TOKEN not in record.getMessage()
    assert record.getMessage() == "calling with [redacted] and [redacted]"
