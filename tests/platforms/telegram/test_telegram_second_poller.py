"""Two instances polling one bot token conflict (Telegram answers the second 409): the second
one stops at start with one line saying so and pointing at webhook mode, exit status 2, while
the first goes on answering (it logs that another instance tried)."""

from __future__ import annotations

import signal
import tempfile
import time
from pathlib import Path

from bot.platforms.telegram.start import CONFLICT_WINDOW
from tests.bot_process import ServerThread, run_cli, start_cli, wait_until
from tests.platforms.telegram.test_telegram_startup import assert_one_line, write_config


def test_a_second_poller_fails_fast_and_the_first_keeps_serving() -> None:
    server = ServerThread(rate_limit=False)
    token = server.server.token
    with tempfile.TemporaryDirectory() as folder, open(Path(folder) / "stderr", "w+") as err:
        first_dir, second_dir = Path(folder) / "a", Path(folder) / "b"
        first_dir.mkdir()
        second_dir.mkdir()
        first = start_cli(
            ["--config", str(write_config(first_dir, server.base_url)), "run"], token, err
        )
        try:
            wait_until(lambda: server.server.polling > 0, 60, "the first instance polling")
            time.sleep(CONFLICT_WINDOW)  # the first has been polling for a while
            second = run_cli(["--config", str(write_config(second_dir, server.base_url)), "run"],
                             token)  # fmt: skip
            line = assert_one_line(
                second, token, second_dir, "another instance is already polling", "webhook"
            )
            assert "terminated by other getUpdates request" in line
            server.call(server.server.inject_message, "/start", user_id=42)
            wait_until(lambda: server.server.sent(42) != [], 30, "the first one answering")
        finally:
            first.send_signal(signal.SIGTERM)
            status = first.wait(timeout=30)
            server.stop()
        assert status == 0
