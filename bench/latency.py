"""/ask reply time end to end: the update reaches the loopback Bot API server, the bot answers.

    .venv/bin/python bench/latency.py            # 50 users: 6 bursts, 2 x 300 paced questions
    .venv/bin/python bench/latency.py --quick    # 50 users: 2 bursts, 2 x 100 paced questions

The bot is the real Telegram front end (PTB Application, its rate limiter, the command layer,
the tantivy index) on a copy of seeds/, against ``tests.fakes.telegram_server`` in the same
process. Latency = the server's clock when the user's message was queued -> its clock when the
bot's sendMessage for that chat arrived. Each of 50 private chats asks a different 1-3 word
question taken from the seed posts. Three loads, each in polling and in webhook mode:

- burst: all 50 ask in the same instant, and again when every answer is in (several rounds).
  Every reply goes through the overall limit of 29 messages/s, so the 50th answer of a burst
  cannot leave before ~1.7 s: this row measures the rate limit, not the bot.
- paced: the 50 users ask at random moments (exponential gaps, 5 and 20 questions/s in all,
  under Telegram's 30/s), each waiting for the answer before asking again.

The peer is the same bot in polling mode with the rate limiter switched off (and the server not
enforcing limits): what the bot itself costs, i.e. what the limit adds.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import random
import re
import statistics
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from functools import partial
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from _util import table  # noqa: E402
from telegram.ext import AIORateLimiter  # noqa: E402

from bot.app import App  # noqa: E402
from bot.corpus.sources import load_corpus  # noqa: E402
from bot.platforms.telegram import frontend as tg_frontend  # noqa: E402
from bot.platforms.telegram.frontend import TelegramFrontend, webhook_options  # noqa: E402
from tests.app_fixtures import FakeClock, open_app, running, serving  # noqa: E402
from tests.fakes.ptb import free_port  # noqa: E402
from tests.fakes.telegram_server import FakeTelegram  # noqa: E402

USERS = 50
UNLIMITED = "polling, no rate limiter"
FIRST_CHAT = 300_000


@dataclass
class Load:
    name: str
    latencies: list[float]  # ms
    seconds: float
    errors: int


def questions(count: int, rnd: random.Random) -> list[str]:
    """``count`` different questions of 1-3 words from the seed posts (words of 5+ letters)."""
    words = sorted(
        {
            w.lower()
            for post in load_corpus(ROOT / "seeds").values()
            for w in re.findall(r"[A-Za-z]{5,}", " ".join(post.body))
        }
    )
    asked: set[str] = set()
    while len(asked) < count:
        asked.add(" ".join(rnd.sample(words, rnd.randint(1, 3))))
    return sorted(asked)


async def ask(tg: FakeTelegram, chat: int, question: str, timeout: float = 30.0) -> float:
    """Queue ``/ask question`` from ``chat``; ms until the bot's answer reached the server."""
    before = len(tg.sent(chat))
    asked = tg.clock()
    tg.inject_message(f"/ask {question}", user_id=chat)
    await tg.wait_until(lambda: len(tg.sent(chat)) > before, timeout, lambda: f"no answer {chat}")
    return (tg.sent(chat)[before].time - asked) * 1000


async def bursts(tg: FakeTelegram, rounds: int, rnd: random.Random) -> list[float]:
    latencies: list[float] = []
    pool = questions(USERS * rounds, rnd)
    for r in range(rounds):
        chats = range(FIRST_CHAT, FIRST_CHAT + USERS)
        batch = pool[r * USERS : (r + 1) * USERS]
        latencies += await asyncio.gather(
            *(ask(tg, c, q) for c, q in zip(chats, batch, strict=True))
        )
        await asyncio.sleep(1.0)  # let the rate limiter's bucket drain
    return latencies


async def paced(tg: FakeTelegram, total: int, per_second: float, rnd: random.Random) -> list[float]:
    """``total`` questions at Poisson moments (``per_second`` on average), user i % 50 asking
    question i (later, if their previous answer is not in yet)."""
    pool = questions(total, rnd)
    moments = list(itertools.accumulate(rnd.expovariate(per_second) for _ in range(total)))
    latencies: list[float] = []
    start = time.monotonic()

    async def user(n: int) -> None:
        for i in range(n, total, USERS):
            await asyncio.sleep(max(0.0, start + moments[i] - time.monotonic()))
            latencies.append(await ask(tg, FIRST_CHAT + 100 + n, pool[i]))

    await asyncio.gather(*(user(n) for n in range(USERS)))
    return latencies


@asynccontextmanager
async def webhook(tg: FakeTelegram, folder: Path) -> AsyncIterator[App]:
    port = free_port()
    app = open_app(
        folder, FakeClock(), base_url=tg.base_url, mode="webhook", webhook_port=port,
        webhook_url=f"http://127.0.0.1:{port}/telegram",
    )  # fmt: skip
    frontend = TelegramFrontend(app, tg.token, webhook=webhook_options(app))
    try:
        async with serving(frontend):
            yield app
    finally:
        app.close()


@asynccontextmanager
async def polling(tg: FakeTelegram, folder: Path) -> AsyncIterator[App]:
    app = open_app(folder, FakeClock(), base_url=tg.base_url)
    try:
        async with running(tg, app):
            yield app
    finally:
        app.close()


async def measure(mode: str, args: argparse.Namespace) -> list[Load]:
    rnd = random.Random(20261123)
    limited = mode != UNLIMITED
    with tempfile.TemporaryDirectory() as tmp:
        async with FakeTelegram() as tg:
            tg.rate_limit = limited
            start = webhook if mode == "webhook" else polling
            original = tg_frontend.rate_limiter
            if not limited:
                tg_frontend.rate_limiter = lambda *_: AIORateLimiter(0, 0, 0, 0, max_retries=0)
            try:
                async with start(tg, Path(tmp)):
                    return await loads(tg, args, rnd)
            finally:
                tg_frontend.rate_limiter = original


async def loads(tg: FakeTelegram, args: argparse.Namespace, rnd: random.Random) -> list[Load]:
    await ask(tg, FIRST_CHAT - 1, "probation")  # warm: index, caches
    measured = [
        await timed(f"burst: 50 at once x {args.rounds}", lambda: bursts(tg, args.rounds, rnd), tg)
    ]
    for rate in (5.0, 20.0):
        name = f"paced: {args.paced} at {rate:g}/s"
        measured.append(await timed(name, partial(paced, tg, args.paced, rate, rnd), tg))
    return measured


async def timed(name: str, run: Callable[[], Awaitable[list[float]]], tg: FakeTelegram) -> Load:
    errors = tg.errors(429)
    started = time.monotonic()
    latencies = await run()
    return Load(name, latencies, time.monotonic() - started, tg.errors(429) - errors)


def row(mode: str, load: Load) -> tuple[object, ...]:
    values = sorted(load.latencies)

    def pct(p: float) -> str:
        return f"{values[min(len(values) - 1, round(p * (len(values) - 1)))]:.1f}"

    return (
        mode, load.name, len(values), f"{statistics.median(values):.1f}",
        pct(0.95), pct(0.99), f"{values[-1]:.1f}", load.errors,
    )  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=6, help="bursts of 50 (default 6)")
    parser.add_argument("--paced", type=int, default=300, help="per paced load (default 300)")
    parser.add_argument("--quick", action="store_true", help="2 bursts, 100 paced questions")
    args = parser.parse_args(argv)
    if args.quick:
        args.rounds, args.paced = 2, 100
    if args.rounds < 1 or args.paced < USERS:
        parser.error(f"--rounds must be >= 1 and --paced >= {USERS}")
    rows = []
    for mode in ("polling", "webhook", UNLIMITED):
        if sys.stderr.isatty():
            sys.stderr.write(f"\r{mode} ...")
        rows += [row(mode, load) for load in asyncio.run(measure(mode, args))]
    headers = ("mode", "load", "answers", "median ms", "p95 ms", "p99 ms", "max ms", "429s")
    print(f"\n/ask latency, {USERS} private chats, update queued -> sendMessage received\n")
    print(table(headers, rows))
    print("\ntarget: p99 <= 100 ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
