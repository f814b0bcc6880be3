"""The Source protocol: where posts come from (a folder of seed files, blog feeds, an import).

The app asks each configured source for its posts at start and, every minute, for a cheap
:meth:`Source.signature`; when that changes it loads again. Loading never raises for one bad
file or feed: the :class:`Loaded` result carries the posts it could read and a
:class:`Problem` for each thing it skipped, which the app reports (log, console, /stats).
Post ids must be unique across sources and stable across loads: folder posts use the file stem,
feed posts a short hash of the entry id.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from summariser import Post


@dataclass(frozen=True)
class Problem:
    """One file or feed that was skipped: ``where`` (a path:line or a URL) and ``what``."""

    where: str
    what: str

    def __str__(self) -> str:
        return f"{self.where}: {self.what}"


@dataclass(frozen=True)
class Loaded:
    posts: tuple[Post, ...]
    problems: tuple[Problem, ...] = ()


@dataclass(frozen=True)
class SourceStatus:
    """What ``digestbot corpus`` and /stats show for a source."""

    name: str
    kind: str  # "folder" | "feed" | ...
    location: str  # the folder or URL, never with credentials
    posts: int
    last_fetch: datetime | None = None
    last_error: str | None = None


class Source(Protocol):
    @property
    def name(self) -> str: ...

    def signature(self) -> Hashable:
        """Cheap (no parsing, no network): equal signatures mean load() would give the same."""
        ...

    async def load(self) -> Loaded:
        """Every post this source has now (never blocks the event loop)."""
        ...

    def status(self) -> SourceStatus: ...
