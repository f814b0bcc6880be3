"""bot/redact.py closes the ways a token escaped: a traceback nobody caught (PTB's
InvalidToken message), a token whose ':' a URL encoded, and log arguments changed after the
record was made."""

from __future__ import annotations

import logging
import subprocess
import sys
from collections.abc import Iterator

import pytest

from bot import redact
from tests.bot_process import ROOT, cli_env

TOKEN = "7000003:AAHtokenForTheRedactionTests_abcdefghij"
SECRET_HALF = TOKEN.partition(":")[2]


@pytest.fixture
def installed() -> Iterator[None]:
    redact.uninstall()
    redact.add_secret(TOKEN)
    redact.install()
    yield
    redact.uninstall()


def run_python(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=cli_env(None), capture_output=True,
        text=True, timeout=60,
    )  # fmt: skip


@pytest.mark.parametrize("where", ["main", "thread"])
def test_a_traceback_nobody_caught_never_shows_the_token(where: str) -> None:
    raising = (
        "from telegram.error import InvalidToken\n"
        "def fail():\n"
        f"    raise InvalidToken('The token `{TOKEN}` was rejected by the server.')\n"
    )
    start = (
        "fail()" if where == "main" else "t = threading.Thread(target=fail); t.start(); t.join()"
    )
    code = (
        "import threading\nfrom bot import redact\n"
        f"redact.add_secret({TOKEN!r})\nredact.install()\n{raising}{start}\n"
    )
    run = run_python(code)
    assert "InvalidToken: The token `[redacted]` was rejected" in run.stderr, run.stderr
    assert "Traceback" in run.stderr  # still a traceback: this is a bug's report
    assert TOKEN not in run.stderr and SECRET_HALF not in run.stderr


def test_the_secret_half_is_redacted_when_the_colon_was_encoded(installed: None) -> None:
    url = f"http://127.0.0.1:8081/bot{TOKEN.replace(':', '%3A')}/getMe"
    assert redact.redact(url) == "http://127.0.0.1:8081/bot7000003%3A[redacted]/getMe"


def test_log_arguments_changed_after_logging_never_show_the_token(
    installed: None, caplog: pytest.LogCaptureFixture
) -> None:
    result = {"file_path": "documents/file_0.txt"}
    logging.getLogger("telegram.ext.ExtBot").debug("getFile returned `%s`", result)
    result["file_path"] = f"http://127.0.0.1:8081/file/bot{TOKEN}/documents/file_0.txt"
    [record] = [r for r in caplog.records if r.name == "telegram.ext.ExtBot"]
    assert record.getMessage() == "getFile returned `{'file_path': 'documents/file_0.txt'}`"
