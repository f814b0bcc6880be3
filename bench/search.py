"""Keyword search benchmark: digestbot's index (tantivy) next to SQLite FTS5 and rank_bm25.

    .venv/bin/python bench/search.py            # 10k and 100k documents
    .venv/bin/python bench/search.py --quick    # 10k documents only

A synthetic corpus is grown from the seed posts: each document is a post made of one or two
body paragraphs and up to three comments drawn from the seeds (about 1,100 characters, 180
words), with sentences shuffled, about one word in twenty swapped for another seed word and
about one in a hundred misspelt (so the vocabulary grows as a real corpus does). All engines
index the same documents: rank_bm25 with digestbot's analysis (folded, stemmed words), FTS5
with its own porter/unicode61 tokenizer. Queries are 1-3 words picked from random documents;
the same queries go to every engine (rank_bm25 answers fewer of them at 100k: it scores every
document for every query). digestbot and FTS5 require all words; rank_bm25 scores every
document. Latency is the time to the ranked top 10; for digestbot also with the passages
(sentences and highlights) that `digestbot ask` shows. Every engine and size runs in a fresh
process, so "memory" is that process's peak RSS growth while building; the build is repeated
(--repeat, default 3) and the fastest reported, as other work on the machine slows single runs.
"""

from __future__ import annotations

import argparse
import gc
import multiprocessing as mp
import os
import random
import resource
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any, TypeVar

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.progress import progress  # noqa: E402
from summariser import Comment, KeywordIndex, Post, load_folder  # noqa: E402
from summariser.analysis import is_stop_word, terms  # noqa: E402
from summariser.sentences import split_sentences, words  # noqa: E402


@dataclass
class Row:
    engine: str
    docs: int
    builds: int
    build_s: float
    memory_mb: float
    disk_mb: float | None
    queries: int
    median_ms: float
    p99_ms: float
    full_median_ms: float | None = None
    full_p99_ms: float | None = None


def synthetic_posts(count: int, seed: int) -> list[Post]:
    """``count`` posts grown from the seeds: shuffled, word-swapped and misspelt."""
    rng = random.Random(seed)
    seeds = load_folder(ROOT / "seeds").posts
    paragraphs = [p for post in seeds for p in post.body if len(p) > 40]
    comments = [c for post in seeds for c in post.walk_comments() if c.text.strip()]
    titles = [post.title for post in seeds]
    vocabulary = sorted({w for p in paragraphs for w in words(p)})
    start = date(2015, 1, 1)
    posts = []
    for n in range(count):
        body = tuple(
            _perturb(rng.choice(paragraphs), rng, vocabulary) for _ in range(rng.randint(1, 2))
        )
        thread = tuple(
            Comment(ref=str(i), text=_perturb(c.text, rng, vocabulary), author=c.author)
            for i, c in enumerate(rng.sample(comments, rng.randint(0, 3)), start=1)
        )
        title = f"{rng.choice(titles)} {rng.choice(vocabulary)}"
        day = start + timedelta(days=n % 3000)
        posts.append(Post(id=f"s{n:06d}", date=day, title=title, body=body, comments=thread))
    return posts


def _perturb(text: str, rng: random.Random, vocabulary: Sequence[str]) -> str:
    sentences = split_sentences(text) or [text]
    rng.shuffle(sentences)
    out = []
    for word in " ".join(sentences).split(" "):
        roll = rng.random()
        if roll < 0.05:
            word = rng.choice(vocabulary)
        elif roll < 0.06 and len(word) > 3:
            i = rng.randrange(len(word))
            word = word[:i] + rng.choice("abcdefghijklmnopqrstuvwxyz") + word[i + 1 :]
        out.append(word)
    return " ".join(out)


def make_queries(posts: Sequence[Post], count: int, seed: int) -> list[str]:
    """1-3 words (no stop words) taken from random documents, so most queries have answers."""
    rng = random.Random(seed + 1)
    queries: list[str] = []
    while len(queries) < count:
        post = rng.choice(posts)
        pool = [w for w in words(" ".join(post.body)) if len(w) > 2 and not is_stop_word(w)]
        if pool:
            queries.append(" ".join(rng.sample(pool, min(len(pool), rng.randint(1, 3)))))
    return queries


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _latencies(run: Callable[[str], Any], queries: Sequence[str], label: str) -> list[float]:
    times = []
    for query in progress(list(queries), label):
        t0 = time.perf_counter()
        run(query)
        times.append((time.perf_counter() - t0) * 1000)
    return times


T = TypeVar("T")


def _p99(times: list[float]) -> float:
    return sorted(times)[min(len(times) - 1, round(0.99 * (len(times) - 1)))]


def _timed_builds(
    build: Callable[[int], T], repeat: int, close: Callable[[T], object] | None = None
) -> tuple[T, list[float], float]:
    """Build ``repeat`` times: the last result (earlier ones closed), the seconds each build
    took, and the memory the first one added (MB of peak RSS)."""
    gc.collect()
    base = _peak_mb()
    seconds: list[float] = []
    memory = 0.0
    result: T | None = None
    for attempt in range(repeat):
        if result is not None and close is not None:
            close(result)
        t0 = time.perf_counter()
        result = build(attempt)
        seconds.append(time.perf_counter() - t0)
        memory = memory or _peak_mb() - base
    assert result is not None
    return result, seconds, memory


def bench_digestbot(docs: int, n_queries: int, seed: int, repeat: int) -> Row:
    posts = synthetic_posts(docs, seed)
    queries = make_queries(posts, n_queries, seed)
    with tempfile.TemporaryDirectory() as tmp:
        index, builds, memory = _timed_builds(
            lambda run: KeywordIndex.build(posts, Path(tmp) / f"index{run}"), repeat
        )
        disk = index._engine.size_on_disk() / 1e6
        ranked = _latencies(lambda q: index.ranked(q, limit=10), queries, f"digestbot {docs}")
        full = _latencies(lambda q: index.search(q, limit=10), queries, "  with passages")
    return Row(
        "digestbot (tantivy)", docs, repeat, min(builds), memory, disk, len(queries),
        statistics.median(ranked), _p99(ranked), statistics.median(full), _p99(full),
    )  # fmt: skip


def bench_rank_bm25(docs: int, n_queries: int, seed: int, repeat: int) -> Row:
    import numpy as np
    from rank_bm25 import BM25Okapi

    posts = synthetic_posts(docs, seed)
    queries = make_queries(posts, n_queries, seed)
    texts = [[post.title, *post.body, *(c.text for c in post.walk_comments())] for post in posts]
    bm25, builds, memory = _timed_builds(
        lambda _: BM25Okapi([[t for part in parts for t in terms(part)] for parts in texts]),
        repeat,
    )

    def run(query: str) -> list[int]:
        scores = bm25.get_scores([t for t in terms(query) if t])
        top = np.argpartition(-scores, 10)[:10]
        return [int(i) for i in top[np.argsort(-scores[top])]]

    times = _latencies(run, queries, f"rank_bm25 {docs}")
    return Row(
        "rank_bm25", docs, repeat, min(builds), memory, None, len(queries),
        statistics.median(times), _p99(times),
    )  # fmt: skip


def bench_fts5(docs: int, n_queries: int, seed: int, repeat: int) -> Row:
    """SQLite FTS5 (stdlib): porter stemmer, diacritics folded, all words required, bm25 order."""
    posts = synthetic_posts(docs, seed)
    queries = make_queries(posts, n_queries, seed)
    with tempfile.TemporaryDirectory() as tmp:
        paths = [Path(tmp) / f"fts{attempt}.db" for attempt in range(repeat)]
        db, builds, memory = _timed_builds(
            lambda attempt: _fts5_build(paths[attempt], posts),
            repeat,
            close=sqlite3.Connection.close,
        )
        disk = paths[-1].stat().st_size / 1e6
        sql = "SELECT post_id FROM docs WHERE docs MATCH ? ORDER BY bm25(docs, 2.0, 1.0) LIMIT 10"

        def run(query: str) -> list[str]:
            match = " ".join(f'"{w}"' for w in words(query))
            return [row[0] for row in db.execute(sql, (match,))]

        times = _latencies(run, queries, f"fts5 {docs}")
        db.close()
    return Row(
        "SQLite FTS5", docs, repeat, min(builds), memory, disk, len(queries),
        statistics.median(times), _p99(times),
    )  # fmt: skip


def _fts5_build(path: Path, posts: Sequence[Post]) -> sqlite3.Connection:
    db = sqlite3.connect(path)
    db.execute(
        "CREATE VIRTUAL TABLE docs USING fts5(post_id UNINDEXED, title, text,"
        " tokenize = 'porter unicode61 remove_diacritics 2')"
    )
    rows = (
        (p.id, p.title, "\n\n".join([*p.body, *(c.text for c in p.walk_comments())])) for p in posts
    )
    db.executemany("INSERT INTO docs VALUES (?, ?, ?)", rows)
    db.commit()
    return db


ENGINES: dict[str, Callable[[int, int, int, int], Row]] = {
    "digestbot": bench_digestbot,
    "fts5": bench_fts5,
    "rank_bm25": bench_rank_bm25,
}


Job = tuple[str, int, int, int, int]  # engine, documents, queries, seed, builds


def _in_child(job: Job) -> Row:
    name, docs, n_queries, seed, repeat = job
    return ENGINES[name](docs, n_queries, seed, repeat)


def run_isolated(job: Job) -> Row:
    """One measurement in a fresh process (clean peak RSS)."""
    with mp.get_context("fork").Pool(1) as pool:
        return pool.apply(_in_child, (job,))


def table(rows: list[Row]) -> str:
    head = (
        "| engine | docs | build s (builds) | memory MB | disk MB | queries | median ms | p99 ms "
        "| with passages: median ms | p99 ms |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
    )
    lines = [head]
    for r in rows:
        disk = f"{r.disk_mb:.1f}" if r.disk_mb is not None else "- (RAM)"
        full = (
            f"{r.full_median_ms:.2f} | {r.full_p99_ms:.2f}"
            if r.full_median_ms is not None
            else "- | -"
        )
        lines.append(
            f"| {r.engine} | {r.docs:,} | {r.build_s:.2f} ({r.builds}) | {r.memory_mb:.0f} "
            f"| {disk} | {r.queries} | {r.median_ms:.2f} | {r.p99_ms:.2f} | {full} |"
        )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="10k documents only")
    parser.add_argument("--queries", type=int, default=300, help="queries per engine (default 300)")
    parser.add_argument(
        "--peer-queries-100k", type=int, default=60,
        help="rank_bm25 queries at 100k documents (default 60; it takes ~0.2 s each)",
    )  # fmt: skip
    parser.add_argument("--seed", type=int, default=7, help="random seed (default 7)")
    parser.add_argument(
        "--repeat", type=int, default=3,
        help="builds per engine, the fastest reported (default 3; rank_bm25 at 100k: 1)",
    )  # fmt: skip
    parser.add_argument("--no-peer", action="store_true", help="skip SQLite FTS5 and rank_bm25")
    args = parser.parse_args(argv)
    sizes = [10_000] if args.quick else [10_000, 100_000]
    rows: list[Row] = []
    for docs in sizes:
        first = len(rows)
        rows.append(run_isolated(("digestbot", docs, args.queries, args.seed, args.repeat)))
        if not args.no_peer:
            rows.append(run_isolated(("fts5", docs, args.queries, args.seed, args.repeat)))
            small = docs <= 10_000
            peer_queries = args.queries if small else args.peer_queries_100k
            job = ("rank_bm25", docs, peer_queries, args.seed, args.repeat if small else 1)
            rows.append(run_isolated(job))
        if sys.stderr.isatty():
            print(table(rows[first:]), file=sys.stderr)
    print(table(rows))
    load = os.getloadavg()[0]
    print(f"\n{os.cpu_count()} CPUs; 1-minute load average at the end: {load:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
