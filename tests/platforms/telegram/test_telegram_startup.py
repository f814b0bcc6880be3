"""`digestbot run` on Telegram: every start-up failure is one line naming the cause and the fix,
exit status 2, no traceback, and the token (or its secret half) is nowhere in what it printed
or wrote. Each test runs the real command in a process against the loopback Bot API server.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.store.tinydb.lock import DataDirLock
from tests.bot_process import ServerThread, run_cli
from tests.fakes.telegram_server import ApiError

SEED = Path(__file__).resolve().parents[3] / "seeds" / "000_63c8db97991e146f.txt"
REVOKED = "7000002:AAHrevokedTokenTelegramDoesNotKnow_98765"  # well-formed, unknown: 401


@pytest.fixture
def server() -> Iterator[ServerThread]:
    thread = ServerThread(rate_limit=False)
    yield thread
    thread.stop()


def write_config(tmp_path: Path, base_url: str, **telegram: str | int) -> Path:
    """A config with a one-post corpus and its data folder under ``tmp_path``."""
    corpus = tmp_path / "seeds"
    corpus.mkdir(exist_ok=True)
    shutil.copy(SEED, corpus)
    keys = {"base_url": base_url, **telegram}
    lines = [f"{k} = {v!r}" if isinstance(v, str) else f"{k} = {v}" for k, v in keys.items()]
    path = tmp_path / "config.toml"
    text = '[corpus]\nfolder = "seeds"\n[data]\nfolder = "data"\n[telegram]\n'
    path.write_text(text + "\n".join(lines).replace("'", '"') + "\n", encoding="utf-8")
    return path


def assert_one_line(
    run: subprocess.CompletedProcess[str], token: str, tmp_path: Path, *words: str
) -> str:
    """Exit 2, one line on stderr naming ``words``, and the token nowhere (stdout, stderr,
    anything written under ``tmp_path``); the line."""
    lines = run.stderr.splitlines()
    assert (run.returncode, len(lines)) == (2, 1), run.stderr[-3000:]
    [line] = lines
    assert line.startswith("digestbot: ") and "Traceback" not in line
    for word in words:
        assert word in line, line
    assert_token_nowhere(token, run.stdout + run.stderr, tmp_path)
    return line


def assert_token_nowhere(token: str, printed: str, tmp_path: Path) -> None:
    secret_half = token.strip().partition(":")[2]
    for secret in {token.strip(), secret_half} - {""}:
        assert secret not in printed
        for path in tmp_path.rglob("*"):
            if path.is_file():
                assert secret.encode() not in path.read_bytes(), path


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_a_token_telegram_refuses_is_one_line_naming_the_variable(
    server: ServerThread, tmp_path: Path
) -> None:
    config = write_config(tmp_path, server.base_url)
    run = run_cli(["--config", str(config), "run"], REVOKED)
    assert_one_line(run, REVOKED, tmp_path, "refused the bot token", "DIGESTBOT_TELEGRAM_TOKEN")
    assert "@BotFather" in run.stderr
    assert server.server.requests >= 1 and server.server.calls == []  # getMe refused: 401


@pytest.mark.parametrize("path", ["/api/bot", "/bot/"])
def test_a_wrong_base_url_is_one_line_naming_the_key(
    server: ServerThread, tmp_path: Path, path: str
) -> None:
    base_url = server.base_url.removesuffix("/bot") + path
    config = write_config(tmp_path, base_url)
    run = run_cli(["--config", str(config), "run"], server.server.token)
    line = assert_one_line(run, server.server.token, tmp_path, "404 Not Found", "base_url")
    assert str(config) in line and base_url in line


@pytest.mark.parametrize("failure", ["refused", "dns", "timeout"])
def test_no_bot_api_to_talk_to_is_one_line(tmp_path: Path, failure: str) -> None:
    with socket.socket() as silent:  # accepts connections, never answers: a read timeout
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        base_url, words = {
            "refused": (f"http://127.0.0.1:{free_port()}/bot", ("connection refused",)),
            "dns": ("http://no-such-bot-api.invalid/bot", ("no-such-bot-api.invalid", "not found")),
            "timeout": (f"http://127.0.0.1:{silent.getsockname()[1]}/bot", ("no answer",)),
        }[failure]
        config = write_config(tmp_path, base_url)
        run = run_cli(["--config", str(config), "run"], REVOKED)
    assert_one_line(run, REVOKED, tmp_path, "Bot API", base_url, "base_url", *words)


@pytest.mark.parametrize(
    ("value", "mistake"),
    [
        (REVOKED + "\n", "ends with a line break"),
        (REVOKED + " ", "ends with a space"),
        (" " + REVOKED, "starts with a space"),
        (REVOKED.replace(":", ": "), "contains a space"),
        (f'"{REVOKED}"', "in quotes"),
        ("bot" + REVOKED, "starts with 'bot'"),
        ("AAHrevokedTokenTelegramDoesNotKnow_98765", "not shaped like a bot token"),
    ],
)
def test_a_malformed_token_variable_is_one_line_and_never_sent(
    server: ServerThread, tmp_path: Path, value: str, mistake: str
) -> None:
    config = write_config(tmp_path, server.base_url)
    run = run_cli(["--config", str(config), "run"], value)
    words = ("DIGESTBOT_TELEGRAM_TOKEN is malformed", mistake, "@BotFather")
    assert_one_line(run, value, tmp_path, *words)
    assert server.server.requests == 0  # the token never left the machine


def test_the_token_stays_hidden_even_with_debug_logging(
    server: ServerThread, tmp_path: Path
) -> None:
    config = write_config(tmp_path, server.base_url)
    run = run_cli(["-vv", "--config", str(config), "run"], REVOKED)
    assert run.returncode == 2
    assert run.stderr.splitlines()[-1].startswith("digestbot: Telegram refused the bot token")
    assert "start failed while checking the token" in run.stderr  # the details, at DEBUG
    assert_token_nowhere(REVOKED, run.stdout + run.stderr, tmp_path)


def webhook_config(tmp_path: Path, server: ServerThread, **telegram: str | int) -> Path:
    keys: dict[str, str | int] = {
        "mode": "webhook",
        "webhook_url": "https://bot.example.org/telegram",
        "webhook_port": free_port(),
    }
    return write_config(tmp_path, server.base_url, **{**keys, **telegram})


def test_a_webhook_url_telegram_refuses_is_one_line(server: ServerThread, tmp_path: Path) -> None:
    refusal = ApiError(400, "Bad Request: bad webhook: Failed to resolve host: Name not known")
    server.call(server.server.fail, "setWebhook", refusal)
    config = webhook_config(tmp_path, server)
    token = server.server.token
    run = run_cli(["--config", str(config), "run"], token)
    words = ("refused the webhook URL https://bot.example.org/telegram", "failed to resolve host")
    assert_one_line(run, token, tmp_path, *words, "webhook_url")


def test_a_webhook_port_in_use_is_one_line_and_telegram_is_not_told(
    server: ServerThread, tmp_path: Path
) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        port = busy.getsockname()[1]
        config = webhook_config(tmp_path, server, webhook_port=port)
        run = run_cli(["--config", str(config), "run"], server.server.token)
    line = assert_one_line(run, server.server.token, tmp_path, "port is in use", "webhook_port")
    assert f"127.0.0.1:{port}" in line
    assert server.server.calls_to("setWebhook") == []


def test_a_webhook_address_not_on_this_machine_is_one_line(
    server: ServerThread, tmp_path: Path
) -> None:
    config = webhook_config(tmp_path, server, webhook_listen="192.0.2.1")  # TEST-NET-1
    run = run_cli(["--config", str(config), "run"], server.server.token)
    assert_one_line(run, server.server.token, tmp_path, "192.0.2.1", "webhook_listen")


def test_a_malformed_webhook_secret_is_one_line_and_never_shown(
    server: ServerThread, tmp_path: Path
) -> None:
    config = webhook_config(tmp_path, server)
    secret = "my webhook secret\n"
    run = run_cli(
        ["--config", str(config), "run"], server.server.token, DIGESTBOT_WEBHOOK_SECRET=secret
    )
    assert_one_line(run, server.server.token, tmp_path, "DIGESTBOT_WEBHOOK_SECRET is malformed")
    assert "my webhook secret" not in run.stderr
    assert server.server.requests == 0


def test_the_data_folder_in_use_is_one_line(server: ServerThread, tmp_path: Path) -> None:
    config = write_config(tmp_path, server.base_url)
    with DataDirLock(tmp_path / "data"):
        run = run_cli(["--config", str(config), "run"], server.server.token)
    assert_one_line(run, server.server.token, tmp_path, "in use by another digestbot", "--data")
