"""Resources: a 50 MB corpus file, a store of many subscribers, a 10 MB message from Telegram,
a group flooding the bot with commands.

Each case runs in its own process so its peak resident set size (``VmHWM`` in /proc, what
getrusage reports minus the parent's share) is its own, and is compared with the same process
on normal input. The full sizes and the numbers
are in ``bench/resources.py``; here CI takes 10,000 subscribers and the slow test 100,000.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.config import DigestDefaults
from bot.domain.records import Subscriber
from bot.store.tinydb.store import Store
from summariser import CorpusError, parse_file
from tests.app_fixtures import SEEDS, FakeClock, open_app, running, telegram
from tests.bot_process import BotProcess, ServerThread, wait_until
from tests.fakes.telegram_server import FakeTelegram
from tests.fakes.telegram_updates import bot_user

ROOT = Path(__file__).resolve().parent.parent
MB = 1024 * 1024
NOW = datetime(2026, 11, 23, 6, 0, tzinfo=UTC)

MEMORY = """
import re
def memory_kb():
    # VmHWM: this process's peak RSS since exec (getrusage's ru_maxrss would also count the
    # parent's RSS at fork time); VmRSS: now
    status = open("/proc/self/status").read()
    return [int(re.search(key + r":\\s+(\\d+)", status).group(1)) for key in ("VmHWM", "VmRSS")]
"""

CLI_WITH_PEAK = (
    MEMORY
    + """
import sys
from bot.cli import main
code = main(sys.argv[1:])
print(f"peak_rss_kb {memory_kb()[0]}", file=sys.stderr)
sys.exit(code)
"""
)

STORE_OPEN = (
    MEMORY
    + """
import json, sys, time
from bot.store.tinydb.store import Store
with open("/proc/self/clear_refs", "w") as reset:
    reset.write("5")  # the peak starts again from here (imports done)
before = memory_kb()[1]
started = time.perf_counter()
store = Store.open(sys.argv[1])
seconds = time.perf_counter() - started
count = len(store.subscribers(active=True))
peak, held = memory_kb()
store.close()
print(json.dumps({"subscribers": count, "seconds": seconds, "before_kb": before,
                  "peak_kb": peak, "held_kb": held}))
"""
)


def _python(code: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, env=env, cwd=ROOT
    )


# ---------------------------------------------------------------- a 50 MB corpus file


def write_big_post(path: Path, size: int) -> None:
    """A well-formed post (date, title, body) of ``size`` bytes: it would parse if read."""
    paragraph = "A long sentence about probation officers and the courts, again and again. " * 40
    with path.open("w", encoding="utf-8") as out:
        out.write("Monday, 23 November 2026\n\nA very long post\n\n")
        while out.tell() < size:
            out.write(paragraph + "\n\n")


@dataclass(frozen=True)
class CorpusRun:
    status: int
    posts: list[str]
    stderr: list[str]
    peak_mb: float


def load_corpus_cli(corpus: Path) -> CorpusRun:
    """`digestbot --corpus DIR corpus --json` in a fresh process, with its peak RSS."""
    done = _python(CLI_WITH_PEAK, "--corpus", str(corpus), "corpus", "--json")
    lines = done.stderr.splitlines()
    peak = next(int(line.split()[1]) for line in lines if line.startswith("peak_rss_kb"))
    posts = [p["id"] for p in json.loads(done.stdout)] if done.returncode == 0 else []
    shown = [line for line in lines if not line.startswith("peak_rss_kb")]
    return CorpusRun(done.returncode, posts, shown, peak / 1024)


def corpus_with_big_file(folder: Path, size: int) -> tuple[Path, Path]:
    corpus = folder / "seeds"
    shutil.copytree(SEEDS, corpus)
    big = corpus / "005_big.txt"
    write_big_post(big, size)
    return corpus, big


def test_50_mb_corpus_file_is_refused_and_the_others_load(tmp_path: Path) -> None:
    corpus, big = corpus_with_big_file(tmp_path, 50 * MB)
    size_mb = big.stat().st_size / 1e6
    with pytest.raises(CorpusError) as refused:
        parse_file(big)
    assert str(refused.value) == (
        f"{big}: file is {size_mb:.1f} MB; seed files over 16.8 MB are refused"
    )
    with_big = load_corpus_cli(corpus)
    baseline = load_corpus_cli(SEEDS)
    assert with_big.status == 0
    assert with_big.posts == baseline.posts and len(baseline.posts) == 5
    assert with_big.stderr == [f"digestbot: skipped {refused.value}"]
    assert with_big.peak_mb - baseline.peak_mb < 20  # the 50 MB are never read


# ---------------------------------------------------------------- many subscribers


def fill_store(data: Path, count: int) -> None:
    zones = ("Europe/London", "America/New_York", "Asia/Kolkata", "Australia/Sydney")
    subs = [
        replace(
            Subscriber.new(
                "telegram", str(100_000 + n), kind="private", defaults=DigestDefaults(), now=NOW
            ),
            timezone=zones[n % len(zones)],
            time=f"{n % 24:02d}:{(n * 7) % 60:02d}",
            topics=("probation", "court") if n % 5 == 0 else (),
        )
        for n in range(count)
    ]
    with Store.open(data) as store:
        store.put_subscribers(subs)


def open_store_measured(data: Path) -> dict[str, float]:
    done = _python(STORE_OPEN, str(data))
    assert done.returncode == 0, done.stderr
    measured: dict[str, float] = json.loads(done.stdout)
    return measured


def store_open_numbers(tmp_path: Path, count: int) -> tuple[dict[str, float], dict[str, float]]:
    """Open a store of ``count`` subscribers and an empty one, each in a fresh process."""
    fill_store(tmp_path / "full", count)
    (tmp_path / "empty").mkdir()
    full, empty = open_store_measured(tmp_path / "full"), open_store_measured(tmp_path / "empty")
    assert (full["subscribers"], empty["subscribers"]) == (count, 0)
    return full, empty


def store_growth_mb(tmp_path: Path, count: int) -> float:
    """How much higher the peak RSS of opening ``count`` subscribers is than an empty store's."""
    full, empty = store_open_numbers(tmp_path, count)
    return (full["peak_kb"] - full["before_kb"] - (empty["peak_kb"] - empty["before_kb"])) / 1024


def test_store_of_10_000_subscribers_opens_with_bounded_memory(tmp_path: Path) -> None:
    growth = store_growth_mb(tmp_path, 10_000)
    assert growth < 10_000 * 4 / 1024  # under 4 KB per subscriber


@pytest.mark.slow
def test_store_of_100_000_subscribers_opens_with_bounded_memory(tmp_path: Path) -> None:
    growth = store_growth_mb(tmp_path, 100_000)
    assert growth < 100_000 * 4 / 1024


# ---------------------------------------------------------------- a 10 MB message


def ten_mb_question() -> str:
    return "word " * (2 * MB)  # 10,485,760 characters


@dataclass(frozen=True)
class BigMessageRun:
    replies: list[str]
    before_mb: float
    peak_mb: float
    alive: bool


def send_big_messages(tmp_path: Path, text: str) -> BigMessageRun:
    """The bot (its own process) gets ``text`` as a private message and as a group /ask, then
    /start from someone else; its answers, and its peak RSS before and after."""
    server = ServerThread(rate_limit=False)
    corpus = tmp_path / "seeds"
    shutil.copytree(SEEDS, corpus)
    with (tmp_path / "bot.log").open("w") as log:
        bot = BotProcess(tmp_path / "data", corpus, server.base_url, datetime.now(UTC), log)
    try:
        ask(server, 42, "/ask probation")  # warm: index, summaries, a first reply
        before = bot.peak_rss_mb()
        replies = [ask(server, 43, text), ask(server, -4001, f"/ask {text}")]
        replies.append(ask(server, 44, "/start"))
        return BigMessageRun(replies, before, bot.peak_rss_mb(), bot.alive())
    finally:
        bot.kill9()
        server.stop()


def ask(server: ServerThread, chat: int, text: str) -> str:
    tg = server.server
    group = {"chat_id": chat} if chat < 0 else {}
    server.call(tg.inject_message, text, user_id=abs(chat), **group)
    wait_until(lambda: bool(tg.sent(chat)), 120, f"no answer in chat {chat}")
    return tg.sent(chat)[0].text or ""


def test_10_mb_message_gets_a_short_answer_and_memory_stays_bounded(tmp_path: Path) -> None:
    text = ten_mb_question()
    run = send_big_messages(tmp_path, text)
    too_long = f"That question is {len(text.strip())} characters long; keep it under 500."
    assert run.replies[:2] == [too_long, too_long]
    assert run.replies[2].startswith("Hello!")  # still answering
    assert run.alive
    assert run.peak_mb - run.before_mb < 150  # measured: about 55 MB


# ---------------------------------------------------------------- a group flooding commands


async def test_a_group_flooding_commands_does_not_stall_other_chats(
    fake_telegram: FakeTelegram, tmp_path: Path
) -> None:
    """Seven commands and a button press at once in one group: Telegram allows 20 a minute
    there, so the bot's limiter sends 5 replies and holds the rest (one per 4 s). A private chat
    asking meanwhile is answered at once, not behind the group's held replies, which still all
    arrive in order."""
    group, words = -4001, ("prison", "hostel", "court", "officer", "offender", "sentence", "judge")
    flood = len(words)
    app = open_app(tmp_path, FakeClock(), base_url=fake_telegram.base_url)
    fake_telegram.rate_limit = True
    try:
        async with running(fake_telegram, app):
            for word in words:
                fake_telegram.inject_message(f"/ask {word}", chat_id=group, user_id=7)
            await fake_telegram.wait_for("sendMessage", 5, chat_id=group)
            on = fake_telegram.new_message(group, "-", bot_user())  # a button in the group
            fake_telegram.inject_callback_query("full:001", user_id=7, message_json=on)
            fake_telegram.inject_message("/ask probation", user_id=42)
            [answer] = await fake_telegram.wait_for("sendMessage", chat_id=42, timeout=2)
            assert "probation" in (answer.text or "").lower()
            assert len(fake_telegram.sent(group)) < flood  # the group's replies still held
            await fake_telegram.wait_for("sendMessage", flood + 1, chat_id=group, timeout=30)
    finally:
        app.close()
    assert fake_telegram.errors(429) == 0
    texts = [call.text or "" for call in fake_telegram.sent(group)]
    assert [t.split("\n")[0] for t in texts[:flood]] == [
        f"<b>What has been said about “{word}”</b>" for word in words
    ]  # every command answered, in order, then the button
    assert texts[flood].startswith("<b>News From Probation Institute 6</b>")


async def test_a_groups_answers_beyond_the_waiting_limit_are_dropped_and_logged(
    fake_telegram: FakeTelegram, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Ten commands at once in a group that may have three answers waiting: the answers beyond
    that are dropped with a log line each (a flood costs bounded memory, and the private chat
    asking meanwhile is still answered at once); those that do arrive answer the first
    commands, in order."""
    group, words = -4002, ("prison", "hostel", "court", "officer", "offender", "sentence")
    words += ("judge", "hearing", "report", "licence")
    app = open_app(tmp_path, FakeClock(), base_url=fake_telegram.base_url)
    fake_telegram.rate_limit = True
    try:
        async with running(fake_telegram, app) as runner:
            telegram(runner).replies.max_waiting = 3
            for word in words:
                fake_telegram.inject_message(f"/ask {word}", chat_id=group, user_id=7)
            fake_telegram.inject_message("/ask probation", user_id=42)
            await fake_telegram.wait_for("sendMessage", chat_id=42, timeout=2)
            sent = lambda: len(fake_telegram.sent(group))  # noqa: E731
            await fake_telegram.wait_until(
                lambda: sent() + telegram(runner).replies.dropped == len(words), timeout=15
            )
    finally:
        app.close()
    answered = [(call.text or "").split("\n")[0] for call in fake_telegram.sent(group)]
    assert 3 <= len(answered) < len(words)  # 3 waiting, plus those sent while others came
    assert answered == [f"<b>What has been said about “{w}”</b>" for w in words[: len(answered)]]
    dropped = [r.getMessage() for r in caplog.records if "not answered" in r.getMessage()]
    assert len(dropped) == len(words) - len(answered)
    assert all(m.startswith(f"group {group}: 3 answers already waiting") for m in dropped)
    assert fake_telegram.errors(429) == 0
