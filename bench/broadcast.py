"""A scheduled broadcast through the Telegram front end to a strict loopback Bot API server.

    .venv/bin/python bench/broadcast.py                   # 2,000 subscribers
    .venv/bin/python bench/broadcast.py --quick           # 200
    .venv/bin/python bench/broadcast.py --subscribers 500 --busy-groups 0 --no-peer
    .venv/bin/python bench/broadcast.py --platform slack [--quick]   # bench/broadcast_slack.py
    .venv/bin/python bench/broadcast.py --store postgresql [--instances 1 2 3]  # broadcast_pg.py

The bot is the real front end (``TelegramFrontend``: PTB Application, its AIORateLimiter, the
outbox and the TinyDB store in a temporary folder with a copy of seeds/), polling, with one
digest run (``runner.tick(now)``) at a time when every subscriber is due. The server is
``tests.fakes.telegram_standalone --rate-limit`` in its own process: it answers 429 beyond 30
messages in any second and 20 per group in any minute. The peer is the same run with PTB's
default AIORateLimiter (30/s and 20/min buckets, same 3 retries).

The mix: 90 % private chats, 10 % groups (half basic groups, half supergroups); digests of 1 to
5 posts (1-2 messages each with the 5 seed posts). A group gets only 1-2 digest messages, so
the per-group limit binds only for a group that is also busy: in ``--busy-groups`` of the
groups a member sends ``/latest 1`` every ``--chatter-every`` seconds during the broadcast, and
the bot's replies there count against the same 20/min.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import logging
import shutil
import statistics
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

if __name__ == "__main__" and sys.argv[1:3] == ["--platform", "slack"]:
    import broadcast_slack  # Slack channels and DMs instead: bench/broadcast_slack.py

    sys.exit(broadcast_slack.main(sys.argv[3:]))
if __name__ == "__main__" and sys.argv[1:3] == ["--store", "postgresql"]:
    import broadcast_pg  # several instances on one PostgreSQL database: bench/broadcast_pg.py

    sys.exit(broadcast_pg.main(sys.argv[3:]))

from _util import table  # noqa: E402
from telegram.ext import AIORateLimiter  # noqa: E402

from bot.app import App  # noqa: E402
from bot.config import Config, DigestDefaults, TelegramConfig  # noqa: E402
from bot.domain.records import Subscriber  # noqa: E402
from bot.platforms.telegram import frontend as tg_frontend  # noqa: E402
from bot.runner import Runner  # noqa: E402
from tests.app_fixtures import files  # noqa: E402
from tests.bot_process import ServerProcess  # noqa: E402
from tests.fakes.telegram_updates import TOKEN, chat, message, user  # noqa: E402

NOW = datetime(2026, 11, 23, 8, 0, 30, tzinfo=UTC)  # 08:00 in London: everyone is due
HEADER = "<b>Daily digest, Monday 23 November 2026</b>"
GROUP_SHARE = 10  # one chat in ten is a group


class Counting(logging.Handler):
    """Counts the warnings and errors the bot logs (instead of printing their tracebacks), by
    the logger and the start of the message."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.kinds: Counter[str] = Counter()

    @property
    def count(self) -> int:
        return self.kinds.total()

    def emit(self, record: logging.LogRecord) -> None:
        self.kinds[f"{record.name}: {str(record.msg)[:60]}"] += 1


LOGGED = Counting()


@dataclass
class Result:
    limiter: str
    subscribers: int
    groups: int
    digest_messages: int
    other_messages: int
    seconds: float
    span: float
    rate_429: int
    duplicates: int
    misses: int
    median_gap_ms: float
    logged: int = 0
    logged_kinds: dict[str, int] = field(default_factory=dict)
    writes_ms: list[float] = field(default_factory=list)

    @property
    def writes(self) -> str:
        ordered = sorted(self.writes_ms) or [0.0]
        p95 = ordered[int(0.95 * (len(ordered) - 1))]
        return f"{statistics.median(ordered):.1f} / {p95:.1f}"

    @property
    def rate(self) -> float:
        return (self.digest_messages + self.other_messages) / max(self.span, 1e-9)

    def row(self) -> tuple[object, ...]:
        counts = (self.subscribers, self.groups, self.digest_messages, self.other_messages)
        times = (f"{self.seconds:.1f}", f"{self.span:.1f}", f"{self.rate:.2f}")
        errors = (self.rate_429, self.duplicates, self.misses, self.logged)
        gaps = (f"{self.median_gap_ms:.1f}", self.writes)
        return (self.limiter, *counts, *times, *gaps, *errors)


def make_subscribers(count: int) -> list[Subscriber]:
    subs = []
    for n in range(count):
        if n % GROUP_SHARE == GROUP_SHARE - 1:
            chat_id, kind = (-4_000_000 - n if n % 20 == 19 else -1_000_000_000_000 - n), "group"
        else:
            chat_id, kind = 100_000 + n, "private"
        defaults = DigestDefaults(time="08:00", timezone="Europe/London", posts=1 + n % 5)
        sub = Subscriber.new(
            "telegram", str(chat_id), kind=kind, defaults=defaults, now=NOW - timedelta(days=1)
        )
        subs.append(sub)
    return subs


def open_app(folder: Path, base_url: str, subs: list[Subscriber]) -> App:
    shutil.copytree(ROOT / "seeds", folder / "seeds")
    config = replace(
        Config(),
        corpus_dir=folder / "seeds",
        data_dir=folder / "data",
        telegram=replace(TelegramConfig(), base_url=base_url),
    )
    app = App.open(config, clock=lambda: NOW)
    files(app).put_subscribers(subs)
    return app


def chatter(server: ServerProcess, groups: list[int], every: float, stop: threading.Event) -> None:
    """Members of busy groups send /latest 1 every ``every`` seconds (a thread: blocking I/O)."""
    member = user(900_001)
    while not stop.wait(every):
        for group in groups:
            server.inject({"message": message(1, chat(group), "/latest 1", member)})


async def progress(done: Callable[[], int], total: int, stop: asyncio.Event) -> None:
    if not sys.stderr.isatty():
        return
    while not stop.is_set():
        filled = int(30 * done() / max(total, 1))
        sys.stderr.write(f"\rbroadcast [{'#' * filled}{'.' * (30 - filled)}] {done()}/{total}")
        sys.stderr.flush()
        await asyncio.sleep(0.2)
    sys.stderr.write("\r" + " " * 60 + "\r")


async def broadcast(app: App, busy: Callable[[], None]) -> tuple[float, float]:
    """Start the front end (polling), run one digest run, stop; when the run started, ended."""
    frontend = tg_frontend.TelegramFrontend(app, TOKEN, polling=tg_frontend.TEST_POLLING)
    async with Runner(app, [frontend]).serving(scheduled=False) as runner:
        stop = asyncio.Event()
        total = len(files(app).subscribers())
        bar = asyncio.create_task(
            progress(lambda: len(files(app).deliveries(state="sent")), total, stop)
        )
        busy()
        started = time.monotonic()
        try:
            await runner.tick(NOW)
            return started, time.monotonic()
        finally:
            stop.set()
            await bar


def run(args: argparse.Namespace, limiter: str) -> Result:
    server = ServerProcess(rate_limit=True)
    subs = make_subscribers(args.subscribers)
    groups = [int(s.chat_id) for s in subs if s.kind == "group"]
    stop = threading.Event()
    thread = threading.Thread(
        target=chatter, args=(server, groups[: args.busy_groups], args.chatter_every, stop)
    )
    original = tg_frontend.rate_limiter
    if limiter == "PTB default":
        tg_frontend.rate_limiter = lambda *_: AIORateLimiter(max_retries=3)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            app = open_app(Path(tmp), server.base_url, subs)
            writes = time_store_writes(app)
            try:
                LOGGED.kinds.clear()
                window = asyncio.run(broadcast(app, thread.start))
                stop.set()
                thread.join()
                result = measure(server, app, subs, window, limiter)
                return replace(
                    result, logged=LOGGED.count, logged_kinds=dict(LOGGED.kinds), writes_ms=writes
                )
            finally:
                app.close()
    finally:
        tg_frontend.rate_limiter = original
        stop.set()
        server.stop()


def time_store_writes(app: App) -> list[float]:
    """Times (ms) of every delivery outcome written during the run (store.mark)."""
    times: list[float] = []
    mark = files(app).mark

    def timed(*args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return mark(*args, **kwargs)
        finally:
            times.append((time.perf_counter() - started) * 1000)

    files(app).mark = timed  # type: ignore[method-assign]
    return times


def measure(
    server: ServerProcess, app: App, subs: list[Subscriber], window: tuple[float, float],
    limiter: str,
) -> Result:  # fmt: skip
    calls = server.calls()
    in_run = [
        c["time"] for c in calls if c["status"] == 200 and window[0] <= c["time"] <= window[1]
    ]
    delivered = server.delivered()
    sent = {d.chat_id: d.message_ids for d in files(app).deliveries(state="sent")}
    duplicates = misses = 0
    for sub in subs:
        texts = Counter(m["text"] for m in delivered.get(int(sub.chat_id), []))
        ids = set(sent.get(sub.chat_id, ()))
        ours = {
            m["text"] for m in delivered.get(int(sub.chat_id), []) if str(m["message_id"]) in ids
        }
        duplicates += sum(texts[text] - 1 for text in ours)
        misses += not ours or not any(text.startswith(HEADER) for text in ours)
    digest_messages = sum(len(ids) for ids in sent.values())
    gaps = [b - a for a, b in itertools.pairwise(in_run)]
    return Result(
        limiter,
        len(subs),
        sum(1 for s in subs if s.kind == "group"),
        digest_messages,
        len(in_run) - digest_messages,
        window[1] - window[0],
        in_run[-1] - in_run[0] if in_run else 0.0,
        sum(1 for c in calls if c["status"] == 429),
        duplicates,
        misses,
        statistics.median(gaps) * 1000 if gaps else 0.0,
    )


def report(results: list[Result], args: argparse.Namespace) -> None:
    print(
        f"\nbroadcast: {args.subscribers:,} subscribers (1 in {GROUP_SHARE} a group), "
        f"{args.busy_groups} busy groups (/latest every {args.chatter_every:g} s), "
        "server: 30 msg/s, 20/min per group\n"
    )
    headers = (
        *("rate limiter", "subscribers", "groups", "digest msgs", "other msgs", "run s"),
        *("send span s", "msg/s", "median gap ms", "store write ms (median / p95)"),
        *("429s", "duplicates", "misses"),
        "warnings logged",
    )
    rows = [r.row() for r in results]
    print(table(headers, rows))
    for result in results:
        for kind, count in sorted(result.logged_kinds.items(), key=lambda kv: -kv[1]):
            print(f"  {result.limiter} logged {count} x {kind}")
    print("\ntarget: >= 28 msg/s sustained, 0 429s, 0 duplicates, 0 misses")
    print(
        "msg/s: every accepted sendMessage of the run (digests and replies to the busy groups)"
        " over the time from the first to the last; run s = the whole digest run, planning"
        " and recording included"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--subscribers", type=int, default=2000, help="default 2,000")
    parser.add_argument("--quick", action="store_true", help="200 subscribers")
    parser.add_argument("--busy-groups", type=int, default=3, help="groups chatting (default 3)")
    parser.add_argument("--chatter-every", type=float, default=2.0, help="seconds (default 2)")
    parser.add_argument("--no-peer", action="store_true", help="skip PTB's default limiter")
    args = parser.parse_args(argv)
    logging.basicConfig(handlers=[LOGGED], level=logging.WARNING, force=True)
    if args.quick:
        args.subscribers = 200
    if args.subscribers < 1:
        parser.error(f"--subscribers must be at least 1, not {args.subscribers}")
    limiters = ["digestbot"] + ([] if args.no_peer else ["PTB default"])
    results = [run(args, limiter) for limiter in limiters]
    report(results, args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
