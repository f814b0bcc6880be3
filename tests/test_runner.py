"""The runner: front ends chosen from the config or --frontend, and several in one process."""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import pytest

from bot.cli import build_parser
from bot.config import Config, ConfigError, load_config
from bot.errors import UsageError
from bot.runner import FRONTENDS, choose_frontends
from tests.bot_process import ROOT, ServerThread, cli_env, wait_until
from tests.fakes.telegram_updates import TOKEN
from tests.platforms.telegram.test_telegram_startup import assert_token_nowhere, write_config

TELEGRAM = {"DIGESTBOT_TELEGRAM_TOKEN": TOKEN}


def config_with(tmp_path: Path, bot: str) -> Config:
    path = tmp_path / "config.toml"
    path.write_text(f"[bot]\n{bot}\n", encoding="utf-8")
    return load_config(path)


def test_auto_is_every_platform_whose_token_is_set_else_the_console(tmp_path: Path) -> None:
    config = Config()
    assert choose_frontends(config, environ={}) == ["console"]
    assert choose_frontends(config, environ=TELEGRAM) == ["telegram"]
    assert choose_frontends(config, ["console", "auto"], environ=TELEGRAM) == [
        "console",
        "telegram",
    ]
    assert choose_frontends(config, ["console", "console"], environ={}) == ["console"]


def test_the_list_key_and_the_old_single_key_both_work(tmp_path: Path) -> None:
    both = config_with(tmp_path, 'frontends = ["telegram", "console"]')
    assert choose_frontends(both, environ=TELEGRAM) == ["telegram", "console"]
    old = config_with(tmp_path, 'frontend = "console"')
    assert old.frontends == ("console",)
    assert choose_frontends(old, environ=TELEGRAM) == ["console"]


def test_unknown_front_ends_and_missing_tokens_are_one_line(tmp_path: Path) -> None:
    config = config_with(tmp_path, 'frontends = ["console", "irc"]')
    with pytest.raises(ConfigError) as bad:
        choose_frontends(config, environ={})
    assert str(bad.value) == (
        f"{tmp_path / 'config.toml'}: 'bot.frontends': unknown front end 'irc'; "
        f"expected one of auto, {', '.join(FRONTENDS)}"
    )
    with pytest.raises(UsageError, match=r"^--frontend: unknown front end 'irc'"):
        choose_frontends(Config(), ["irc"], environ={})
    with pytest.raises(UsageError, match="DIGESTBOT_TELEGRAM_TOKEN") as missing:
        choose_frontends(replace(Config(), frontends=("telegram",)), environ={})
    assert "\n" not in str(missing.value)
    with pytest.raises(ConfigError, match=r"'bot\.frontends' is empty"):
        config_with(tmp_path, "frontends = []")
    with pytest.raises(ConfigError, match=r"set 'bot\.frontends' only"):
        config_with(tmp_path, 'frontend = "console"\nfrontends = ["console"]')


def test_console_and_telegram_side_by_side_in_one_process() -> None:
    """`digestbot run` with both front ends: piped console lines are answered on stdout while
    Telegram users are answered through the loopback Bot API; /digest goes out on each
    platform through the one outbox; the end of the console's input stops the process (0)."""
    server = ServerThread(rate_limit=False)
    with tempfile.TemporaryDirectory() as folder:
        config = write_config(Path(folder), server.base_url)
        text = config.read_text(encoding="utf-8")
        config.write_text('[bot]\nfrontends = ["console", "telegram"]\n' + text, encoding="utf-8")
        bot = subprocess.Popen(
            [sys.executable, "-m", "bot", "--config", str(config), "run"],
            cwd=ROOT,
            env=cli_env(server.server.token),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert bot.stdin is not None
        try:
            wait_until(lambda: server.server.calls_to("getUpdates") != [], 60, "polling")
            bot.stdin.write("/subscribe 08:00 UTC\n/digest\n")
            bot.stdin.flush()
            for line in ("/subscribe 08:00 UTC", "/digest"):
                server.call(server.server.inject_message, line, user_id=42)
            digest = lambda: [  # noqa: E731
                c for c in server.server.sent(42) if (c.text or "").startswith("<b>Daily digest")
            ]
            wait_until(lambda: digest() != [], 60, "a digest on Telegram")
            time.sleep(0.5)
            out, err = bot.communicate("/latest 1\n", timeout=60)  # then end of input
        finally:
            if bot.poll() is None:
                bot.kill()
            server.stop()
        assert bot.returncode == 0, err
        assert out.startswith("Subscribed.") and "Daily digest" in out and "Latest posts" in out
        assert (server.server.sent(42)[0].text or "").startswith("Subscribed.")
        assert_token_nowhere(server.server.token, out + err, Path(folder))


def test_frontend_is_repeatable_on_the_command_line() -> None:
    args = build_parser().parse_args(["run", "--frontend", "console", "--frontend", "telegram"])
    assert choose_frontends(Config(), args.frontend, environ=TELEGRAM) == ["console", "telegram"]
    assert build_parser().parse_args(["run"]).frontend is None  # the config decides
