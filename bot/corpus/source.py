"""The Source protocol: where posts come from (a folder of seed files, blog feeds, an import).

The app asks each configured source for its posts at start and, every tick, for a cheap
:meth:`Source.signature`; when that changes it loads again. ``load`` reads only local things (the
folder, the feed state saved under the data folder): fetching over the network is a separate,
async :meth:`Fetching.refresh` that sources with a remote side have. Loading never raises for one
bad file or feed: the :class:`Loaded` result carries the posts it could read and a
:class:`Problem` for each thing it skipped, which the app reports (log, console, /stats).
Post ids must be unique across sources and stable across loads: folder posts use the file stem,
feed posts a short hash of the entry id.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from summariser import Post

if TYPE_CHECKING:
    from bot.corpus.fetch import Client
    from bot.corpus.parsing import Parsing

REPORT_AFTER = timedelta(days=1)  # a feed failing this long is reported to admins
Progress = Callable[[Iterable[Path]], Iterable[Path]]


@dataclass(frozen=True)
class Problem:
    """One file or feed that was skipped: ``file`` (a path or a feed's name), the line if any.

    ``key`` tells one problem from the next: the same key again is the same problem, which is
    said once (a bad file left as it was, a feed failing the same way again).
    """

    file: str
    line: int | None
    message: str
    key: Hashable = field(default=None, compare=False)

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.message}"


@dataclass(frozen=True)
class Loaded:
    posts: tuple[Post, ...]
    problems: tuple[Problem, ...] = ()


@dataclass(frozen=True)
class SourceStatus:
    """What ``digestbot corpus`` and /stats show for a source."""

    name: str
    kind: str  # "folder" | "feed"
    location: str  # the folder or URL, never with credentials
    posts: int
    last_fetch: datetime | None = None
    last_error: str | None = None
    failing_since: datetime | None = None


class Source(Protocol):
    @property
    def name(self) -> str: ...

    def signature(self) -> Hashable:
        """Cheap (no parsing, no network): equal signatures mean load() would give the same."""
        ...

    def load(self, *, progress: Progress | None = None) -> Loaded:
        """Every post this source has now, from local files only (no network)."""
        ...

    def status(self) -> SourceStatus: ...


@runtime_checkable
class Fetching(Protocol):
    """A source with a remote side: ``refresh`` fetches what is due and saves it locally."""

    def due(self, now: datetime) -> bool:
        """Cheap: whether ``refresh`` would fetch anything at ``now``."""
        ...

    async def refresh(
        self, now: datetime, client: Client, parsing: Parsing | None = None
    ) -> None: ...


def failing_lines(statuses: list[SourceStatus], now: datetime) -> list[str]:
    """For admins (/stats): each feed that has failed for a day or more, and why."""
    lines = []
    for status in statuses:
        since = status.failing_since
        if status.last_error and since is not None and now - since >= REPORT_AFTER:
            days = (now - since).days
            lines.append(
                f"Feed '{status.name}' failing for {days} day{'s' if days != 1 else ''}: "
                f"{status.last_error} (retrying; its posts are kept)."
            )
    return lines
