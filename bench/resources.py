"""Peak memory on abusive input: a 50 MB corpus file, 100,000 subscribers, a 10 MB message.

    .venv/bin/python bench/resources.py            # 50 MB file, 10,000 and 100,000 subscribers
    .venv/bin/python bench/resources.py --quick    # 50 MB file, 10,000 subscribers

Every case runs in a fresh process and is compared with the same process on normal input (the
peer): `digestbot corpus --json` on seeds/ plus a 50 MB post vs seeds/ alone; opening a store of
N subscribers vs an empty one; the Telegram bot (its own process, polling the loopback Bot API
server) answering a 10 MB private message and a 10 MB group /ask vs its peak after one normal
/ask. Peak = the process's maximum resident set size (VmHWM; for the store, counted from the
moment its imports were done).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from collections.abc import Callable
from functools import partial
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from _util import progress, table  # noqa: E402

from tests.app_fixtures import SEEDS  # noqa: E402
from tests.test_resources import (  # noqa: E402
    MB,
    corpus_with_big_file,
    load_corpus_cli,
    send_big_messages,
    store_open_numbers,
    ten_mb_question,
)

Row = tuple[str, str, str, str, float, float]  # case, size, outcome, open s, peak, peer


def corpus_row(tmp: Path) -> Row:
    corpus, big = corpus_with_big_file(tmp, 50 * MB)
    run, peer = load_corpus_cli(corpus), load_corpus_cli(SEEDS)
    refused = run.stderr == [line for line in run.stderr if "are refused" in line] and run.stderr
    outcome = f"{'refused' if refused else 'NOT refused'}, {len(run.posts)} posts loaded"
    size = f"{big.stat().st_size / MB:.0f} MB file"
    return ("corpus file", size, outcome, "", run.peak_mb, peer.peak_mb)


def store_row(tmp: Path, count: int) -> Row:
    full, empty = store_open_numbers(tmp, count)
    outcome = f"opened, {full['subscribers']:,.0f} subscribers"
    peak, peer = full["peak_kb"] / 1024, empty["peak_kb"] / 1024
    size = f"{count:,} subscribers"
    return ("store open", size, outcome, f"{full['seconds']:.2f}", peak, peer)


def message_row(tmp: Path) -> Row:
    text = ten_mb_question()
    run = send_big_messages(tmp, text)
    short = all(len(reply) < 100 for reply in run.replies[:2]) and run.alive
    outcome = f"{'short answer' if short else 'FAILED'} x2, still answering: {run.alive}"
    size = f"{len(text) / MB:.0f} MB message"
    return ("Telegram message", size, outcome, "", run.peak_mb, run.before_mb)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="10,000 subscribers only")
    args = parser.parse_args(argv)
    counts = [10_000] if args.quick else [10_000, 100_000]
    cases: list[Callable[[Path], Row]] = [
        corpus_row,
        *(partial(store_row, count=n) for n in counts),
        message_row,
    ]
    rows = []
    for case in progress(cases, "resources"):
        with tempfile.TemporaryDirectory() as folder:
            rows.append(case(Path(folder)))
    headers = ("case", "size", "outcome", "open s", "peak RSS MB", "peer peak MB", "growth MB")
    print("\nresources: peak resident memory of a fresh process (VmHWM); peer = same process,")
    print("normal input (seeds only / an empty store / after one normal /ask)\n")
    print(
        table(
            headers,
            [
                (*row[:4], f"{row[4]:.0f}", f"{row[5]:.0f}", f"{row[4] - row[5]:.0f}")
                for row in rows
            ],
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
