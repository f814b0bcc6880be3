"""Shared helpers of the benchmarks: a progress bar on a TTY and plain-text tables."""

from __future__ import annotations

import sys
import time
from collections.abc import Iterable, Iterator, Sequence
from typing import TypeVar

T = TypeVar("T")


def progress(items: Sequence[T], label: str) -> Iterator[T]:
    """Yield ``items``, drawing ``label [#####.....] 12/40`` on stderr when it is a terminal."""
    total = len(items)
    if not sys.stderr.isatty():
        yield from items
        return
    last = 0.0
    for done, item in enumerate(items, start=1):
        now = time.monotonic()
        if now - last > 0.1 or done == total:
            filled = int(30 * done / max(total, 1))
            bar = "#" * filled + "." * (30 - filled)
            sys.stderr.write(f"\r{label} [{bar}] {done}/{total}")
            sys.stderr.flush()
            last = now
        yield item
    sys.stderr.write("\r" + " " * (len(label) + 50) + "\r")
    sys.stderr.flush()


def table(headers: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    """A Markdown table (readable as plain text too); numbers right-aligned."""
    body = [[_cell(v) for v in row] for row in rows]
    widths = [
        max(len(h), *(len(r[i]) for r in body)) if body else len(h) for i, h in enumerate(headers)
    ]
    numeric = [bool(body) and all(_is_number(r[i]) for r in body) for i in range(len(headers))]

    def line(cells: Sequence[str]) -> str:
        parts = [
            c.rjust(w) if num else c.ljust(w)
            for c, w, num in zip(cells, widths, numeric, strict=True)
        ]
        return "| " + " | ".join(parts) + " |"

    rule = (
        "|"
        + "|".join(
            "-" * (w + 1) + ":" if num else "-" * (w + 2)
            for w, num in zip(widths, numeric, strict=True)
        )
        + "|"
    )
    return "\n".join([line(headers), rule, *(line(r) for r in body)])


def _cell(value: object) -> str:
    if isinstance(value, float):
        return f"{value:.1f}"
    return str(value)


def _is_number(text: str) -> bool:
    try:
        float(text.rstrip("x%"))
    except ValueError:
        return False
    return True
