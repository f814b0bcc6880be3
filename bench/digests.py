"""Digests at 10,000 subscribers: planning + rendering time, and the store's cost per delivery.

    .venv/bin/python bench/digests.py            # 10,000 subscribers, 14 days of history each
    .venv/bin/python bench/digests.py --quick    # 1,000 subscribers

Planning uses cached summaries (computed once per post before timing). The write cost is
measured on a real store in a temporary folder holding every subscriber and its history, and
compared with the same data in one file of TinyDB's stock JSONStorage and of the crash-safe
storage without sharding.
"""

from __future__ import annotations

import argparse
import gc
import json
import random
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from _util import progress, table  # noqa: E402
from tinydb import TinyDB  # noqa: E402
from tinydb.storages import JSONStorage  # noqa: E402

from bot.config import DigestDefaults  # noqa: E402
from bot.corpus.sources import load_corpus  # noqa: E402
from bot.domain.digest import PostIndex, Summaries, plan, render_text  # noqa: E402
from bot.domain.records import Delivery, DeliveryItem, Subscriber  # noqa: E402
from bot.domain.schedule import due_digests, latest_slot  # noqa: E402
from bot.store.tinydb.atomic import AtomicJSONStorage  # noqa: E402
from bot.store.tinydb.store import SHARDS, Store  # noqa: E402
from summariser import Post  # noqa: E402

NOW = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
ZONES = ("Europe/London", "America/New_York", "Asia/Kolkata", "Australia/Sydney", "UTC")
TOPICS = ("probation", "prison", "court", "staff", "crc", "union", "elephants")


def make_posts(count: int) -> list[Post]:
    seeds = sorted(load_corpus(ROOT / "seeds").values(), key=lambda p: p.id)
    return [
        replace(
            seeds[n % len(seeds)], id=f"{n:03d}_bench", date=date(2026, 10, 1) + timedelta(days=n)
        )
        for n in range(count)
    ]


def make_subscribers(count: int, rnd: random.Random) -> list[Subscriber]:
    subs = []
    for n in range(count):
        defaults = DigestDefaults(
            time=f"{rnd.randrange(24):02d}:{rnd.choice(('00', '30'))}",
            timezone=rnd.choice(ZONES),
            posts=rnd.randint(1, 5),
        )
        sub = Subscriber.new(
            "telegram",
            str(100000 + n),
            kind="private",
            defaults=defaults,
            now=NOW - timedelta(days=30),
        )
        topics = tuple(rnd.sample(TOPICS, rnd.randint(1, 2))) if rnd.random() < 0.3 else ()
        subs.append(replace(sub, topics=topics, frequency="weekly" if n % 7 == 0 else "daily"))
    return subs


def make_history(
    sub: Subscriber, posts: list[Post], days: int, rnd: random.Random
) -> list[Delivery]:
    """``days`` sent deliveries of 1-3 posts each; two in five were sent before the thread grew
    (to one third or two thirds of its comments), so they come back as "new in the discussion"."""
    deliveries = []
    for day in range(days):
        when = NOW - timedelta(days=days - day)
        items = []
        for post in rnd.sample(posts, rnd.randint(1, 3)):
            refs = [c.ref for c in post.walk_comments()]
            seen = len(refs) * rnd.choice((3, 3, 3, 2, 1)) // 3  # the thread then: 1/3, 2/3, all
            items.append(DeliveryItem(post.id, "new", tuple(refs[:seen])))
        slot = (when.date()).isoformat()
        deliveries.append(
            Delivery(
                Delivery.make_id(sub.platform, sub.chat_id, slot),
                sub.platform,
                sub.chat_id,
                slot,
                "Daily digest",
                tuple(items),
                "sent",
                when,
                when,
                message_ids=(str(day),),
            )
        )
    return deliveries


def timed(fn: Callable[[], object], repeat: int) -> list[float]:
    """Milliseconds per call."""
    out = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        out.append((time.perf_counter() - start) * 1000)
    return out


def bench_planning(
    store: Store, subs: list[Subscriber], index: PostIndex, summaries: Summaries
) -> dict[str, float]:
    start = time.perf_counter()
    due = due_digests(subs, NOW, store.last_slots())
    due_ms = (time.perf_counter() - start) * 1000
    start = time.perf_counter()
    made = chars = 0
    for sub in progress(subs, "plan + render"):
        digest = plan(
            sub,
            index,
            NOW,
            store.history(sub.platform, sub.chat_id),
            summaries=summaries,
            slot=latest_slot(sub, NOW),
        )
        if digest is not None:
            chars += len(render_text(digest))
            made += 1
    plan_ms = (time.perf_counter() - start) * 1000
    return {"due_ms": due_ms, "due": len(due), "plan_ms": plan_ms, "made": made, "chars": chars}


def bench_store_writes(
    store: Store, subs: list[Subscriber], writes: int, rnd: random.Random
) -> dict[str, list[float]]:
    """Per delivery: insert it pending (one write), then mark it sent (one write)."""
    inserts, marks = [], []
    for n, sub in enumerate(progress(rnd.sample(subs, writes), "store writes")):
        item = DeliveryItem("000_bench", "new", ("1", "2", "3"))
        d = Delivery(
            Delivery.make_id(sub.platform, sub.chat_id, f"2026-12-{1 + n % 28:02d}"),
            sub.platform,
            sub.chat_id,
            "2026-12-01",
            "Daily digest",
            (item,),
            "pending",
            NOW,
            NOW,
        )
        inserts += timed(lambda d=d: store.add_deliveries([d]), 1)  # type: ignore[misc]
        marks += timed(lambda d=d: store.mark(d.id, "sent", now=NOW, message_ids=["1"]), 1)  # type: ignore[misc]
    return {"insert": inserts, "mark": marks}


def bench_one_file(source: Path, storage: type, writes: int) -> list[float]:
    """The same data in one TinyDB file: insert + update of one delivery, per delivery."""
    path = source.with_name(f"one-file-{storage.__name__}.json")
    shutil.copyfile(source, path)
    db = TinyDB(path, storage=storage)
    table_ = db.table("deliveries", cache_size=0)
    doc = {"id": "x", "state": "pending", "items": [{"post": "000_bench", "refs": ["1", "2"]}]}
    per = []
    for _ in progress(range(writes), f"peer {storage.__name__}"):
        start = time.perf_counter()
        doc_id = table_.insert(dict(doc))
        table_.update({"state": "sent"}, doc_ids=[doc_id])
        per.append((time.perf_counter() - start) * 1000)
    db.close()
    return per


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    add = parser.add_argument
    add("--subscribers", type=int, default=10_000, help="subscribers (default 10000)")
    add("--posts", type=int, default=40, help="posts in the corpus (seeds repeated; default 40)")
    add("--history", type=int, default=14, help="days of digests per subscriber (default 14)")
    add("--writes", type=int, default=300, help="deliveries recorded (default 300)")
    add("--quick", action="store_true", help="1,000 subscribers, 100 writes")
    args = parser.parse_args(argv)
    if args.quick:
        args.subscribers, args.writes = 1_000, 100
    return args


def fill_store(folder: Path, subs: list[Subscriber], history: list[Delivery]) -> Path:
    """The store in its steady state (two days in the outbox, the rest folded into history),
    and the same data as one TinyDB file for the peers; returns that file."""
    with Store.open(folder / "data") as store:
        store.put_subscribers(subs)
        store.add_deliveries(history)
        store.compact(NOW)
    one_file = folder / "one-file.json"
    subscribers = {str(i): s.as_doc() for i, s in enumerate(subs, 1)}
    deliveries = {str(i): d.as_doc() for i, d in enumerate(history, 1)}
    one_file.write_text(json.dumps({"subscribers": subscribers, "deliveries": deliveries}))
    return one_file


def measure(args: argparse.Namespace, folder: Path, rnd: random.Random) -> dict[str, Any]:
    posts = make_posts(args.posts)
    summaries = Summaries()
    start = time.perf_counter()
    for post in progress(posts, "summaries (cached once)"):
        summaries.summary(post)
    out: dict[str, Any] = {"summary_s": time.perf_counter() - start}
    subs = make_subscribers(args.subscribers, rnd)
    history = [
        d for s in progress(subs, "history") for d in make_history(s, posts, args.history, rnd)
    ]
    one_file = fill_store(folder, subs, history)
    out["deliveries"] = len(history)
    del history
    gc.collect()
    start = time.perf_counter()
    with Store.open(folder / "data") as store:
        out["open_s"] = time.perf_counter() - start
        out["planning"] = bench_planning(store, subs, PostIndex(posts), summaries)
        out["writes"] = bench_store_writes(store, subs, args.writes, rnd)
    sizes = [p.stat().st_size for p in (folder / "data/store/deliveries").glob("*.json")]
    out["shard_kb"] = statistics.mean(sizes) / 1024
    out["one_file_mb"] = one_file.stat().st_size / 1e6
    peer_writes = max(5, args.writes // 60)
    out["stock"] = bench_one_file(one_file, JSONStorage, peer_writes)
    out["atomic"] = bench_one_file(one_file, AtomicJSONStorage, peer_writes)
    return out


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="digestbot-bench-") as tmp:
        results = measure(args, Path(tmp), random.Random(7))
    print_report(args, results)
    return 0


def _ms(values: list[float]) -> str:
    """'median / p95 ms'."""
    ordered = sorted(values)
    return f"{statistics.median(ordered):.2f} / {ordered[int(0.95 * (len(ordered) - 1))]:.2f} ms"


def print_report(args: argparse.Namespace, r: dict[str, Any]) -> None:
    n, plan_, writes = args.subscribers, r["planning"], r["writes"]
    per_delivery = [a + b for a, b in zip(writes["insert"], writes["mark"], strict=True)]
    print(
        f"\ndigests: {n:,} subscribers, {args.posts} posts, {args.history} days of history "
        f"({r['deliveries']:,} deliveries), {SHARDS} shards\n"
    )
    one_file = f"file {r['one_file_mb']:.1f} MB"
    rows = [
        (f"due_digests, {n:,} subscribers (one wake-up)", f"{plan_['due_ms']:.0f} ms", "",
         f"{plan_['due']:.0f} due"),
        (f"plan + render {n:,} digests (cached summaries)", f"{plan_['plan_ms']:.0f} ms",
         "< 1000 ms" if n >= 10_000 else "",
         f"{plan_['made']:.0f} digests, {plan_['chars'] / 1e6:.1f} M chars"),
        ("summaries computed once for the corpus", f"{r['summary_s']:.1f} s", "",
         f"{args.posts} posts"),
        ("store open (read every shard)", f"{r['open_s'] * 1000:.0f} ms", "", ""),
        ("record a delivery: pending insert (median / p95)", _ms(writes["insert"]), "",
         f"{len(writes['insert'])} deliveries"),
        ("record a delivery: mark sent (median / p95)", _ms(writes["mark"]), "", ""),
        ("record a delivery: insert + mark (median / p95)", _ms(per_delivery), "< 5 ms",
         f"shard file {r['shard_kb']:.0f} KB"),
        ("peer: TinyDB JSONStorage, one file, insert + update", _ms(r["stock"]), "",
         f"{one_file}, not crash-safe"),
        ("peer: crash-safe storage, one file, insert + update", _ms(r["atomic"]), "", one_file),
    ]  # fmt: skip
    print(table(("measure", "result", "target", "notes"), rows))


if __name__ == "__main__":
    sys.exit(main())
