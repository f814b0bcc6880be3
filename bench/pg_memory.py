"""An instance's memory with 1,000,000 subscribers in PostgreSQL, and planning 100,000 slots.

    .venv/bin/python bench/pg_memory.py                      # 1,000,000 subscribers, 100,000 due
    .venv/bin/python bench/pg_memory.py --subscribers 200000 --due 20000

A throwaway cluster (tests/fakes/postgres.py) gets ``--subscribers`` rows by COPY; ``--due`` of
them have their digest at 08:00 UTC, the others at other minutes of the day, and each has had
its digests until 08:00 planned (``last_slot``, as in a running bot). Each row below is a
fresh process (so its peak RSS, ``ru_maxrss``, is its own) that opens the store and plans the
minute 08:00 as an instance does at its tick: it streams ``PostgresStore.candidates`` (every
active chat with no slot planned today: those at 08:00 or later, ~2/3), keeps those whose
latest slot is due and not planned yet (``bot.domain.schedule.latest_slot``) and plans them with
``PostgresStore.plan`` in batches of ``--batch``. Rows:

1. streamed: the store's server-side cursor, deliveries planned a batch at a time (the product);
2. the peer: the same candidates listed first (everything in memory at once, as a store that
   hands its subscribers over as a list does);
3. idle: an instance that opens the store and plans nothing (the interpreter, bot and psycopg).

A second tick of the same minute (another instance's, or the next minute's) plans nothing:
every due chat got its slot; its time is shown too.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from _util import table  # noqa: E402

from bot.domain.records import Delivery, DeliveryItem, Run  # noqa: E402
from bot.domain.schedule import latest_slot  # noqa: E402
from bot.store.base import Candidate  # noqa: E402
from bot.store.postgres.rows import SUB_COLUMNS  # noqa: E402
from bot.store.postgres.store import PostgresStore  # noqa: E402
from tests.fakes.postgres import running_cluster  # noqa: E402

NOW = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
CREATED = datetime(2026, 11, 1, tzinfo=UTC)
TODAY, YESTERDAY = "2026-11-23", "2026-11-22"  # slot ids of daily digests
ITEMS = (DeliveryItem("000_post", "new", ("1",)),)


def rows(subscribers: int, due: int) -> Iterator[tuple[Any, ...]]:
    """Subscriber rows: the first ``due`` at 08:00, the others spread over the other minutes;
    each has its latest slot before 08:00 planned already (today's before 08:00, else
    yesterday's), as in a bot that has been running."""
    for n in range(subscribers):
        minute = 480 if n < due else (481 + n % 1439) % 1440
        hhmm = f"{minute // 60:02d}:{minute % 60:02d}"
        last = TODAY if minute < 480 else YESTERDAY
        yield ("telegram", str(n + 1), "private", "UTC", hhmm, "daily", "mon", ["ai", "rust"],
               5, True, CREATED, CREATED, last)  # fmt: skip


async def load(url: str, subscribers: int, due: int) -> float:
    """COPY the subscribers in (the seconds it took)."""
    import psycopg

    store = await PostgresStore.open(url)  # creates the schema
    await store.close()
    started = time.perf_counter()
    async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
        columns = ", ".join([*SUB_COLUMNS, "last_slot"])
        async with conn.cursor() as cur:
            async with cur.copy(f"COPY subscribers ({columns}) FROM STDIN") as copy:
                for row in rows(subscribers, due):
                    await copy.write_row(row)
            await cur.execute("ANALYZE subscribers")
    return time.perf_counter() - started


async def listed(store: PostgresStore) -> AsyncIterator[Candidate]:
    """The peer: every candidate in a list before any is looked at."""
    everything = [c async for c in store.candidates(NOW)]
    for candidate in everything:
        yield candidate


async def tick(store: PostgresStore, mode: str, batch: int, run_id: str) -> tuple[int, int]:
    """One planning tick at NOW: (candidates seen, deliveries planned)."""
    seen, planned, pending = 0, 0, []
    run = Run(run_id, NOW)
    candidates = listed(store) if mode == "listed" else store.candidates(NOW)
    async for candidate in candidates:
        seen += 1
        sub = candidate.subscriber
        slot = latest_slot(sub, NOW)
        if slot is None or slot.at < sub.created or slot.id <= (candidate.last_slot or ""):
            continue
        pending.append(Delivery(Delivery.make_id(sub.platform, sub.chat_id, slot.id),
                                sub.platform, sub.chat_id, slot.id, "Digest", ITEMS,
                                "pending", NOW, NOW, run_id))  # fmt: skip
        if len(pending) >= batch:
            planned += len(await store.plan(run, pending))
            pending = []
    if pending:
        planned += len(await store.plan(run, pending))
    return seen, planned


async def instance(url: str, mode: str, batch: int) -> dict[str, Any]:
    """What one instance process measures (printed as JSON by ``--instance``)."""
    store = await PostgresStore.open(url)
    try:
        started = time.perf_counter()
        seen, planned = (0, 0) if mode == "idle" else await tick(store, mode, batch, "first")
        took = time.perf_counter() - started
        started = time.perf_counter()
        again = (0, 0) if mode == "idle" else await tick(store, mode, batch, "second")
        second = time.perf_counter() - started
    finally:
        await store.close()
    rss_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    return {"mode": mode, "seen": seen, "planned": planned, "seconds": took,
            "again": again[1], "again_seconds": second, "rss_mb": rss_kb / 1024}  # fmt: skip


def run_instance(url: str, mode: str, batch: int) -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, __file__, "--instance", mode, "--url", url, "--batch", str(batch)],
        check=True,
        capture_output=True,
        text=True,
        timeout=3600,
    ).stdout
    result: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subscribers", type=int, default=1_000_000)
    parser.add_argument("--due", type=int, default=100_000)
    parser.add_argument("--batch", type=int, default=2000)
    parser.add_argument("--no-peer", action="store_true", help="skip the everything-listed row")
    parser.add_argument(
        "--instance", choices=["streamed", "listed", "idle"], help=argparse.SUPPRESS
    )
    parser.add_argument("--url", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.instance:
        print(json.dumps(asyncio.run(instance(args.url, args.instance, args.batch))))
        return 0
    modes = ["streamed", "idle"] if args.no_peer else ["streamed", "listed", "idle"]
    results = []
    with running_cluster() as cluster:
        for mode in modes:  # each on a fresh copy of the same data
            url = cluster.create_database(f"memory_{mode}")
            loaded = asyncio.run(load(url, args.subscribers, args.due))
            results.append((loaded, run_instance(url, mode, args.batch)))
    print(f"{args.subscribers:,} subscribers in PostgreSQL (COPY: {results[0][0]:.1f} s), "
          f"{args.due:,} due at 08:00; plan batches of {args.batch}")  # fmt: skip
    print(table(["instance", "candidates", "planned", "tick s", "again: planned", "again s",
                 "peak RSS MB"], [
        [r["mode"], r["seen"], r["planned"], f"{r['seconds']:.1f}", r["again"],
         f"{r['again_seconds']:.1f}", f"{r['rss_mb']:.0f}"] for _, r in results
    ]))  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
