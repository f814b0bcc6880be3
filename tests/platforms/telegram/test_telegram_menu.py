"""The command menu (setMyCommands) is cosmetic: when the Bot API fails it, the bot starts and
answers anyway and sets the menu in the background with back-off, logging it once. Also the
file URL of a self-hosted Bot API server keeps that server's own path."""

from __future__ import annotations

import asyncio
import itertools
import logging
import signal
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.app import App
from bot.platforms.telegram.frontend import TEST_POLLING, TelegramFrontend, file_url
from bot.platforms.telegram.menu import Backoff
from tests.app_fixtures import FakeClock, open_app, serving
from tests.bot_process import ServerThread, start_cli, wait_until
from tests.fakes.telegram_server import ApiError, FakeTelegram
from tests.platforms.telegram.test_telegram_startup import assert_token_nowhere, write_config

MENU_LOGGER = "bot.platforms.telegram.menu"


@pytest.fixture
def app(tmp_path: Path, fake_telegram: FakeTelegram) -> Iterator[App]:
    opened = open_app(tmp_path, FakeClock(), base_url=fake_telegram.base_url)
    yield opened
    opened.close()


async def ask_start(tg: FakeTelegram) -> str:
    tg.inject_message("/start", user_id=42)
    [reply] = await tg.wait_for("sendMessage", chat_id=42)
    return reply.text or ""


def menu_warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [
        r.getMessage()
        for r in caplog.records
        if r.name == MENU_LOGGER and r.levelno >= logging.WARNING
    ]


@pytest.mark.parametrize(
    "error",
    [
        ApiError.server_error(502),
        ApiError(400, "Bad Request: method is not supported"),
        ApiError.not_found(),  # an older self-hosted server without the method
    ],
)
async def test_menu_failures_do_not_stop_the_start_and_are_retried_with_back_off(
    fake_telegram: FakeTelegram, app: App, caplog: pytest.LogCaptureFixture, error: ApiError
) -> None:
    fake_telegram.fail("setMyCommands", error, times=3)
    frontend = TelegramFrontend(app, fake_telegram.token, polling=TEST_POLLING)
    frontend.menu.backoff = Backoff(first=0.1, most=0.4)
    async with serving(frontend):
        assert (await ask_start(fake_telegram)).startswith("Hello!")
        await fake_telegram.wait_until(lambda: frontend.menu.done, timeout=10)
        calls = fake_telegram.calls_to("setMyCommands")
    assert [c.status for c in calls] == [error.status] * 3 + [200]
    gaps = [b.time - a.time for a, b in itertools.pairwise(calls)]
    assert gaps[0] >= 0.1 and gaps[1] >= 0.2 and gaps[2] >= 0.4  # doubling, capped
    assert fake_telegram.commands  # the menu is there in the end
    [warning] = menu_warnings(caplog)  # logged once, not once per retry
    assert "command menu" in warning
    assert error.description.split(": ")[-1].lower() in warning.lower()


async def test_stopping_while_the_menu_is_retried_stops_the_retries(
    fake_telegram: FakeTelegram, app: App
) -> None:
    fake_telegram.fail("setMyCommands", ApiError.server_error(), times=None)
    frontend = TelegramFrontend(app, fake_telegram.token, polling=TEST_POLLING)
    frontend.menu.backoff = Backoff(first=0.05, most=0.05)
    async with serving(frontend):
        await fake_telegram.wait_until(lambda: len(fake_telegram.calls_to("setMyCommands")) >= 3)
    tried = len(fake_telegram.calls_to("setMyCommands"))
    await asyncio.sleep(0.2)
    assert len(fake_telegram.calls_to("setMyCommands")) == tried and not frontend.menu.done


def test_the_bot_started_from_the_command_line_serves_without_its_menu() -> None:
    """The real command: setMyCommands answers 500 for good; /start is answered, stderr has
    one line (the menu warning), and SIGTERM stops it with status 0."""
    server = ServerThread(rate_limit=False)
    server.call(server.server.fail, "setMyCommands", ApiError.server_error(), times=None)
    with tempfile.TemporaryDirectory() as folder, open(Path(folder) / "stderr", "w+") as err:
        config = write_config(Path(folder), server.base_url)
        bot = start_cli(["--config", str(config), "run"], server.server.token, err)
        try:
            wait_until(lambda: server.server.calls_to("getUpdates") != [], 60, "polling")
            server.call(server.server.inject_message, "/start", user_id=42)
            wait_until(lambda: server.server.sent(42) != [], 30, "an answer to /start")
        finally:
            bot.send_signal(signal.SIGTERM)
            status = bot.wait(timeout=30)
            server.stop()
        err.seek(0)
        stderr = err.read()
        assert status == 0, stderr
        [line] = stderr.splitlines()
        assert "could not set the command menu" in line and "Internal Server Error" in line
        assert_token_nowhere(server.server.token, stderr, Path(folder))


@pytest.mark.parametrize(
    ("base_url", "expected"),
    [
        ("http://127.0.0.1:8081/bot", "http://127.0.0.1:8081/file/bot"),
        ("http://host/botapi/bot", "http://host/botapi/file/bot"),
        (
            "https://api.telegram.org/bot{token}/test",
            "https://api.telegram.org/file/bot{token}/test",
        ),
    ],
)
def test_file_url_puts_file_before_the_last_bot_only(base_url: str, expected: str) -> None:
    assert file_url(base_url) == expected


async def test_a_self_hosted_server_under_its_own_path_serves_files(tmp_path: Path) -> None:
    async with FakeTelegram(path="/botapi") as tg:
        file_id = tg.add_file(b"minutes of the meeting", "minutes.txt")
        app = open_app(tmp_path, FakeClock(), base_url=tg.base_url)
        try:
            frontend = TelegramFrontend(app, tg.token, polling=TEST_POLLING)
            async with serving(frontend):
                found = await frontend.application.bot.get_file(file_id)
                assert await found.download_as_bytearray() == b"minutes of the meeting"
        finally:
            app.close()
