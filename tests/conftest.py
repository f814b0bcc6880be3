"""Shared fixtures and the suite-wide secret scan.

``fake_telegram``: a running FakeTelegram (Bot API server on 127.0.0.1). It does not hide
anything: keeping the token out of logs is the product's job (bot/redact.py), and every test is
checked for it (Slack tokens and the fake workspace's signing secret too). The whole suite
runs with DEBUG logging (``log_level`` in pyproject.toml); after
each test every captured log line and exception text is scanned for anything shaped like a bot
token, and at the end every file the tests wrote under the temporary folder is scanned too
(except Slack installations: a token store by design, so only as files 0600 in a folder 0700).
Tests that show what a library would leak on its own are marked ``leaks_token_on_purpose``.
"""

from __future__ import annotations

import logging
import re
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from tests.fakes.slack_state import SIGNING_SECRET
from tests.fakes.telegram_server import FakeTelegram

# Telegram bot tokens, Slack bot/user/app-level tokens (xoxb-, xoxp-, xoxa-, xoxe-, xapp-)
# and the fake Slack workspace's signing secret
TOKEN_RE = re.compile(
    rb"\d{6,}:[A-Za-z0-9_-]{30,}|xox[abpe]-[A-Za-z0-9-]{10,}|xapp-[A-Za-z0-9-]{10,}|"
    + re.escape(SIGNING_SECRET.encode())
)


@pytest.fixture
async def fake_telegram() -> AsyncIterator[FakeTelegram]:
    """A Bot API server on 127.0.0.1 (httpx, which logs request URLs at INFO, set to WARNING
    as the product's CLI does)."""
    logging.getLogger("httpx").setLevel(logging.WARNING)
    async with FakeTelegram() as server:
        yield server


def _record_texts(record: logging.LogRecord) -> list[str]:
    texts = [record.getMessage(), record.exc_text or ""]
    if record.exc_info and record.exc_info[1] is not None:
        texts.append(repr(record.exc_info[1]))
    return texts


@pytest.fixture(autouse=True)
def _no_token_in_logs(
    request: pytest.FixtureRequest, caplog: pytest.LogCaptureFixture
) -> Iterator[None]:
    yield
    if request.node.get_closest_marker("leaks_token_on_purpose"):
        return
    leaks = [
        text
        for phase in ("setup", "call")
        for record in caplog.get_records(phase)  # type: ignore[arg-type]
        for text in _record_texts(record)
        if TOKEN_RE.search(text.encode("utf-8", "replace"))
    ]
    assert not leaks, f"a bot token or secret was logged: {leaks[0][:200]!r}"


def _token_store(path: Path) -> bool:
    """A Slack installation file (bot.platforms.slack.install): its tokens belong there, when
    no one else can read them."""
    folders = [parent for parent in path.parents if parent.name == "installations"]
    private = path.stat().st_mode & 0o077 == 0
    return bool(folders) and private and folders[0].stat().st_mode & 0o077 == 0


def _files_with_tokens(root: Path) -> list[Path]:
    found = []
    for path in root.rglob("*"):
        small = path.is_file() and not path.is_symlink() and path.stat().st_size < 64 << 20
        if small and TOKEN_RE.search(path.read_bytes()) and not _token_store(path):
            found.append(path)
    return found


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    factory = getattr(session.config, "_tmp_path_factory", None)
    if factory is None:
        return
    try:
        root = factory.getbasetemp()
    except (OSError, ValueError):
        return
    leaked = _files_with_tokens(Path(root))
    if leaked:
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        if reporter is not None:
            reporter.write_line(f"FAILED secret scan: a bot token was written to {leaked[0]}")
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
