"""The console front end with a clock the test sets, for driving it in a real terminal.

As a program this module runs ``run_console`` (the production console: prompt_toolkit on a
terminal, the real APScheduler ticker) on a data folder and corpus, ticking every ``--every``
seconds, with a clock that reads the ISO instant written in ``--clock FILE``::

    python -m tests.console_process --data DIR --corpus DIR --clock FILE --every 1

The test moves time on by rewriting the file (:func:`set_clock`), so a digest becomes due
while the prompt is shown without waiting for a real 08:00.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import sys
from dataclasses import replace
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def set_clock(file: Path, now: datetime) -> None:
    """Point the console's clock at ``now`` (atomically: it never reads half a file)."""
    temp = file.with_suffix(".tmp")
    temp.write_text(now.isoformat())
    os.replace(temp, file)


def command(data: Path, corpus: Path, clock: Path, every: int = 1) -> list[str]:
    """The argv that starts this program (run it with ``cwd=ROOT``)."""
    paths = ["--data", str(data), "--corpus", str(corpus), "--clock", str(clock)]
    return [sys.executable, "-m", "tests.console_process", *paths, "--every", str(every)]


def main(argv: list[str] | None = None) -> int:
    from bot.app import App
    from bot.config import Config
    from bot.runner import run_console

    parser = argparse.ArgumentParser(description="The console bot with a clock set by a file.")
    for option in ("--data", "--corpus", "--clock"):
        parser.add_argument(option, required=True)
    parser.add_argument("--every", type=int, default=1)
    args = parser.parse_args(argv)
    clock_file = Path(args.clock)
    last = [datetime.fromisoformat(clock_file.read_text())]

    def clock() -> datetime:
        with contextlib.suppress(OSError, ValueError):  # else keep the last instant read
            last[0] = datetime.fromisoformat(clock_file.read_text())
        return last[0]

    config = replace(Config(), corpus_dir=Path(args.corpus), data_dir=Path(args.data))
    app = App.open(config, clock=clock)
    try:
        return asyncio.run(run_console(app, every_seconds=args.every))
    finally:
        app.close()


if __name__ == "__main__":
    sys.exit(main())
