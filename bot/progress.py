"""A small progress bar for long work; drawn on stderr only when it is a terminal."""

from __future__ import annotations

import sys
import time
from collections.abc import Iterable, Iterator, Sequence
from typing import TextIO, TypeVar

T = TypeVar("T")


def progress(
    items: Sequence[T] | Iterable[T],
    label: str,
    *,
    total: int | None = None,
    stream: TextIO | None = None,
    force: bool = False,
) -> Iterator[T]:
    """Yield ``items``, drawing ``label [#####.....] 12/40`` on a TTY (or when ``force``)."""
    out = stream or sys.stderr
    if total is None and isinstance(items, Sequence):
        total = len(items)
    show = force or (hasattr(out, "isatty") and out.isatty())
    if not show:
        yield from items
        return
    last = 0.0
    done = 0
    for done, item in enumerate(items, start=1):
        now = time.monotonic()
        if now - last > 0.1 or done == total:
            _draw(out, label, done, total)
            last = now
        yield item
    _draw(out, label, done, total)
    out.write("\n")
    out.flush()


def _draw(out: TextIO, label: str, done: int, total: int | None) -> None:
    if total:
        filled = int(30 * done / total)
        bar = "#" * filled + "." * (30 - filled)
        out.write(f"\r{label} [{bar}] {done}/{total}")
    else:
        out.write(f"\r{label} {done}")
    out.flush()


class Bar:
    """A ``(done, total)`` callback drawing the same bar (for library code that reports counts)."""

    def __init__(self, label: str, *, stream: TextIO | None = None, force: bool = False) -> None:
        self.label = label
        self.out = stream or sys.stderr
        self.show = force or (hasattr(self.out, "isatty") and self.out.isatty())
        self._last = 0.0

    def __call__(self, done: int, total: int) -> None:
        if not self.show:
            return
        now = time.monotonic()
        if now - self._last > 0.1 or done == total:
            _draw(self.out, self.label, done, total)
            self._last = now
        if done == total:
            self.out.write("\n")
            self.out.flush()
