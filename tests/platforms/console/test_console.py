"""The console front end as people and scripts use it: `digestbot run` with piped commands."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

from bot.store.tinydb.lock import DataDirLock
from tests.app_fixtures import SEEDS


def run_bot(
    data: Path, script: str, *extra: str, timeout: float = 120, corpus: Path = SEEDS
) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "DIGESTBOT_TELEGRAM_TOKEN"}
    return subprocess.run(
        [sys.executable, "-m", "bot", "--corpus", str(corpus), "--data", str(data), "run", *extra],
        input=script,
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
    )


def test_piped_commands_run_until_eof_and_exit_0(tmp_path: Path) -> None:
    proc = run_bot(tmp_path / "data", "/subscribe 08:00 Europe/London\n/digest\n/ask prison\n")
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert out.startswith("Subscribed. Digest every day at 08:00 (Europe/London), 3 posts")
    assert "Daily digest, " in out  # /digest printed the digest itself
    assert "What has been said about “prison”" in out
    assert proc.stderr == ""
    assert "\x1b" not in out and "digestbot> " not in out  # no prompt, no escape codes


def test_state_survives_a_restart(tmp_path: Path) -> None:
    data = tmp_path / "data"
    assert run_bot(data, "/subscribe 09:15 Asia/Kolkata\n/topics set prison\n").returncode == 0
    again = run_bot(data, "settings\n/posts 20\n/digest\n/digest\n")
    assert "at 09:15 (Asia/Kolkata), 3 posts, topics: prison." in again.stdout
    assert again.stdout.count("Daily digest, ") == 1
    assert again.stdout.count("Nothing new since your last digest.") == 1


def test_second_instance_on_the_same_data_folder_is_refused(tmp_path: Path) -> None:
    data = tmp_path / "data"
    env = {k: v for k, v in os.environ.items() if k != "DIGESTBOT_TELEGRAM_TOKEN"}
    first = subprocess.Popen(
        [sys.executable, "-m", "bot", "--corpus", str(SEEDS), "--data", str(data), "run"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        assert first.stdin is not None and first.stdout is not None
        first.stdin.write("/start\n")
        first.stdin.flush()
        assert first.stdout.readline().startswith("Hello!")  # the first one holds the folder
        second = run_bot(data, "/start\n", timeout=60)
        assert second.returncode == 2
        assert second.stdout == ""
        assert "is in use by another digestbot (process" in second.stderr
        assert second.stderr.count("\n") == 1
    finally:
        if first.stdin:
            first.stdin.close()
        first.wait(timeout=60)
    assert first.returncode == 0
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and run_bot(data, "").returncode != 0:
        time.sleep(0.1)
    assert run_bot(data, "/start\n").returncode == 0  # free again once the first has stopped


def test_a_second_instance_refuses_before_it_reads_the_corpus(tmp_path: Path) -> None:
    corpus, data = tmp_path / "seeds", tmp_path / "data"
    shutil.copytree(SEEDS, corpus)
    (corpus / "bad.txt").write_text("not a date\n")
    with DataDirLock(data):  # a first instance holds the folder
        second = run_bot(data, "/start\n", corpus=corpus, timeout=60)
    assert second.returncode == 2
    assert second.stdout == ""
    assert second.stderr.startswith("digestbot: ") and second.stderr.count("\n") == 1
    assert "is in use by another digestbot (process" in second.stderr
    assert "bad.txt" not in second.stderr and "loading corpus" not in second.stderr
    first = run_bot(data, "/start\n", corpus=corpus)  # once free, the warning is said at start
    assert first.returncode == 0 and first.stderr.count("skipped") == 1


def test_telegram_without_token_is_a_clear_error(tmp_path: Path) -> None:
    proc = run_bot(tmp_path / "data", "", "--frontend", "telegram")
    assert proc.returncode == 2
    assert "needs a bot token in the environment variable DIGESTBOT_TELEGRAM_TOKEN" in proc.stderr
