"""Several instances on one PostgreSQL database: a broadcast's speed, and the store's costs.

    .venv/bin/python bench/broadcast_pg.py                      # 1, 2, 3 instances, 1,000 chats
    .venv/bin/python bench/broadcast_pg.py --instances 3 --chats 300 --plan 10000
    .venv/bin/python bench/broadcast_pg.py --instances 1 3 --load 1 2 --no-peer --no-costs

A throwaway cluster (tests/fakes/postgres.py) and the loopback Bot API server in its own
process, answering 429 beyond 30 messages in any second (tests.fakes.telegram_standalone
--rate-limit). Each instance is a process (``tests.pg_instance``): it plans the broadcast (all
plan the same chats), claims with a lease, sends through python-telegram-bot with the limit
shared in the database, records each message and finishes. Rows:

1. broadcast: messages/s from the first accepted message to the last, the shortest time any 31
   accepted messages took (under 1 s is a 429: the margin left), the shared turns instances
   woke too late for and left unused, 429s, duplicates and missed chats, for each
   ``--instances`` count; the peer is the same instances each pacing alone (PTB's limiter per
   process, as without a shared store). ``--load N`` runs N busy processes beside them (a
   machine shared with other work).
2. store cost per delivery write (recording a sent digest), median and p95 over ``--writes``
   writes: PostgreSQL (``finish`` of a claimed delivery, one round trip) against the TinyDB
   store in a temporary data folder (its outcome write), in the same run.
3. planning ``--plan`` subscribers' slots (deliveries inserted in batches of 10,000), both
   stores.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from _util import table  # noqa: E402

from bot.domain.records import Run  # noqa: E402
from bot.store.postgres.store import PostgresStore  # noqa: E402
from tests.bot_process import ServerProcess  # noqa: E402
from tests.fakes.postgres import Cluster, running_cluster  # noqa: E402
from tests.fakes.telegram_updates import TOKEN  # noqa: E402
from tests.pg_instance import broadcast  # noqa: E402

LEASE = timedelta(minutes=5)
_numbers = iter(range(10_000))


def tightest_31(times: list[float]) -> float:
    """The shortest time any 31 consecutive accepted messages took (sorted ``times``): the
    server refuses the 31st within 1 s, so the margin left is this less 1 s."""
    spans = [times[n + 30] - times[n] for n in range(len(times) - 30)]
    return min(spans, default=float("nan"))


def cpu_load(processes: int) -> list[subprocess.Popen[bytes]]:
    """Busy processes standing in for the rest of a loaded machine (ended by the caller, and
    after 600 s by themselves)."""
    spin = "import time\nend = time.monotonic() + 600\nwhile time.monotonic() < end: pass"
    return [subprocess.Popen([sys.executable, "-c", spin]) for _ in range(processes)]


def run_broadcast(
    cluster: Cluster, instances: int, chats: int, local: bool, load: int = 0
) -> list[Any]:
    url = cluster.create_database(f"bench{next(_numbers)}")
    server = ServerProcess(rate_limit=True)
    hogs = cpu_load(load)
    env = {**os.environ, "DIGESTBOT_DATABASE_URL": url, "DIGESTBOT_TELEGRAM_TOKEN": TOKEN}
    try:
        procs = []
        for n in range(instances):
            args = ["--base-url", server.base_url, "--owner", f"i{n}", "--plan", str(chats),
                    "--parts", "1", *(["--local-pacing"] if local else [])]  # fmt: skip
            procs.append(subprocess.Popen([sys.executable, "-m", "tests.pg_instance", *args],
                                          cwd=ROOT, env=env, stdout=subprocess.PIPE,
                                          stderr=subprocess.DEVNULL))  # fmt: skip
        outputs = [proc.communicate(timeout=1800)[0].decode() for proc in procs]
        calls = server.calls()
        delivered = server.delivered()
    finally:
        for hog in hogs:
            hog.kill()
            hog.wait()
        server.stop()
    accepted = sorted(c["time"] for c in calls if c["status"] == 200)
    refused = sum(1 for c in calls if c["status"] == 429)
    texts = [m["text"] for messages in delivered.values() for m in messages]
    span = accepted[-1] - accepted[0] if len(accepted) > 1 else float("nan")
    rate = (len(accepted) - 1) / span if span else float("nan")
    pacing = "each alone" if local else "shared (PostgreSQL)"
    missed = chats - len(delivered)
    dropped = sum(int(line.split()[1]) for out in outputs for line in out.splitlines()
                  if line.startswith("dropped "))  # fmt: skip
    return [instances, pacing, load, len(accepted), f"{rate:.1f}", f"{tightest_31(accepted):.3f}",
            dropped, refused, len(texts) - len(set(texts)), missed]  # fmt: skip


async def pg_costs(url: str, writes: int, plan: int) -> tuple[list[float], float]:
    store = await PostgresStore.open(url)
    try:
        await store.plan(Run("w", broadcast(1)[0].created), broadcast(writes))
        claimed = await store.claim(owner="bench", now=broadcast(1)[0].created, lease=LEASE,
                                    platforms=["telegram"], limit=writes)  # fmt: skip
        times = []
        for delivery in claimed:
            started = time.perf_counter()
            await store.finish(delivery.id, owner="bench", state="sent", now=delivery.created,
                               message_ids=["1"], attempts=1)  # fmt: skip
            times.append(time.perf_counter() - started)
        many = [d for d in _many(plan)]
        started = time.perf_counter()
        for start in range(0, len(many), 10_000):
            await store.plan(Run(f"p{start}", many[0].created), many[start : start + 10_000])
        return times, time.perf_counter() - started
    finally:
        await store.close()


def _many(count: int) -> list[Any]:
    from dataclasses import replace

    base = broadcast(1)[0]
    return [
        replace(base, id=f"telegram:{n}@2026-11-24", chat_id=str(n), slot="2026-11-24")
        for n in range(1, count + 1)
    ]


def tiny_costs(writes: int, plan: int) -> tuple[list[float], float]:
    """The same writes on the TinyDB store (the one in bot/store/tinydb/ on this checkout)."""
    from bot.store.tinydb import store as tiny

    with tempfile.TemporaryDirectory() as folder:
        opened: Any = tiny.__dict__.get("TinyDBStore", tiny.Store).open(Path(folder))
        try:
            deliveries = broadcast(writes)
            add = getattr(opened, "add_deliveries", None)
            times = []
            if add is not None:  # the synchronous store
                add(deliveries)
                for delivery in deliveries:
                    started = time.perf_counter()
                    opened.mark(delivery.id, "sent", now=delivery.created, message_ids=["1"],
                                attempts=1)  # fmt: skip
                    times.append(time.perf_counter() - started)
                many = _many(plan)
                started = time.perf_counter()
                for start in range(0, len(many), 10_000):
                    add(many[start : start + 10_000])
                return times, time.perf_counter() - started
            return asyncio.run(_tiny_async(opened, deliveries, plan))
        finally:
            closing = opened.close()
            if asyncio.iscoroutine(closing):
                asyncio.run(closing)


async def _tiny_async(store: Any, deliveries: list[Any], plan: int) -> tuple[list[float], float]:
    await store.plan(Run("w", deliveries[0].created), deliveries)
    claimed = await store.claim(owner="bench", now=deliveries[0].created, lease=LEASE,
                                platforms=["telegram"], limit=len(deliveries))  # fmt: skip
    times = []
    for delivery in claimed:
        started = time.perf_counter()
        await store.finish(delivery.id, owner="bench", state="sent", now=delivery.created,
                           message_ids=["1"], attempts=1)  # fmt: skip
        times.append(time.perf_counter() - started)
    many = _many(plan)
    started = time.perf_counter()
    for start in range(0, len(many), 10_000):
        await store.plan(Run(f"p{start}", many[0].created), many[start : start + 10_000])
    return times, time.perf_counter() - started


def _ms(times: list[float]) -> tuple[str, str]:
    ordered = sorted(times)
    p95 = ordered[int(0.95 * (len(ordered) - 1))]
    return f"{statistics.median(ordered) * 1000:.2f}", f"{p95 * 1000:.2f}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--instances", type=int, nargs="+", default=[1, 2, 3])
    parser.add_argument("--chats", type=int, default=1000)
    parser.add_argument("--writes", type=int, default=1000)
    parser.add_argument("--plan", type=int, default=100_000)
    parser.add_argument("--no-peer", action="store_true", help="skip the each-alone rows")
    parser.add_argument("--load", type=int, nargs="+", default=[0],
                        help="busy processes beside the instances (a loaded machine)")  # fmt: skip
    parser.add_argument("--no-costs", action="store_true", help="only the broadcast table")
    args = parser.parse_args(argv)
    with running_cluster() as cluster:
        rows = []
        for load in args.load:
            for count in args.instances:
                rows.append(run_broadcast(cluster, count, args.chats, local=False, load=load))
                if not args.no_peer and count > 1:
                    rows.append(run_broadcast(cluster, count, args.chats, local=True, load=load))
        print(f"broadcast: {args.chats} chats, one message each, limit 30/s (fake server)")
        print(table(["instances", "pacing", "busy procs", "accepted", "msg/s", "31 msgs in s",
                     "late turns", "429s", "duplicates", "missed"], rows))  # fmt: skip
        if args.no_costs:
            return 0
        pg_times, pg_plan = asyncio.run(
            pg_costs(cluster.create_database("costs"), args.writes, args.plan)
        )
    tiny_times, tiny_plan = tiny_costs(args.writes, args.plan)
    print()
    print(f"store cost per delivery write ({args.writes} writes) and planning {args.plan} slots")
    print(table(["store", "write median ms", "write p95 ms", f"plan {args.plan} s"], [
        ["PostgreSQL (loopback)", *_ms(pg_times), f"{pg_plan:.1f}"],
        ["TinyDB (data folder)", *_ms(tiny_times), f"{tiny_plan:.1f}"],
    ]))  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
