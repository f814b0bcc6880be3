"""The running application: configuration, corpus, store, search index, summaries and outbox.

One :class:`App` is opened at start by whichever front end runs, and handed to every command.
Time comes from ``clock`` so tests drive it with a fake clock.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO

from bot.chat.handlers import read as handlers_read  # noqa: F401  (declare the chat commands)
from bot.chat.handlers import settings as handlers_settings  # noqa: F401  (declare the chat commands)
from bot.config import Config
from bot.corpus.folder import load_corpus
from bot.delivery.outbox import Outbox
from bot.delivery.sender import Sender
from bot.domain.digest import PostIndex, Summaries
from bot.progress import Bar
from bot.store.tinydb.store import Store
from summariser import KeywordIndex, Post, Summary, SummaryCache, SyncReport, seed_files

log = logging.getLogger(__name__)


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class App:
    config: Config
    posts: dict[str, Post]
    store: Store
    index: KeywordIndex
    summaries: Summaries
    outbox: Outbox
    cache: SummaryCache
    clock: Callable[[], datetime] = utc_now
    senders: dict[str, Sender] = field(default_factory=dict, repr=False)
    _signature: tuple[tuple[str, int, int], ...] = field(default=(), repr=False)

    @classmethod
    def open(
        cls,
        config: Config,
        *,
        clock: Callable[[], datetime] = utc_now,
        stderr: TextIO | None = None,
    ) -> App:
        """Load the corpus, open the store (taking the data folder's lock) and the index."""
        posts = load_corpus(config.corpus_dir, stderr=stderr or sys.stderr)
        config.data_dir.mkdir(parents=True, exist_ok=True)
        store = Store.open(config.data_dir)
        try:
            index = KeywordIndex.open(config.data_dir / "index", posts.values())
            s = config.summary
            cache = SummaryCache(config.data_dir / "summaries")
            cache.warm(
                posts.values(),
                sentences=s.sentences,
                comments=s.comments,
                method=s.method,
                progress=Bar("summarising posts", stream=stderr),
            )
            summaries = Summaries(
                sentences=s.sentences,
                comments=s.comments,
                method=s.method,
                cache_dir=config.data_dir / "summaries",
            )
            outbox = Outbox(store, {}, PostIndex(posts), summaries)
        except BaseException:
            store.close()
            raise
        app = cls(config, posts, store, index, summaries, outbox, cache, clock)
        app._signature = corpus_signature(config.corpus_dir)
        return app

    def close(self) -> None:
        self.store.close()

    async def tick(self, now: datetime) -> None:
        """One scheduler wake-up: pick up new or edited seed files, then run the outbox."""
        self.refresh_if_changed()
        await self.outbox.tick(now)

    def refresh_if_changed(self) -> bool:
        """Reload the corpus when a seed file was added, edited or removed (cheap: stat only)."""
        signature = corpus_signature(self.config.corpus_dir)
        if signature == self._signature:
            return False
        self.reload()
        self._signature = signature
        return True

    def now(self) -> datetime:
        return self.clock()

    def add_sender(self, sender: Sender) -> None:
        self.senders[sender.platform] = sender
        self.outbox.senders[sender.platform] = sender

    def is_bot_admin(self, platform: str, user_id: str) -> bool:
        if platform == "telegram":
            return user_id in {str(uid) for uid in self.config.telegram.admins}
        if platform == "console":
            return user_id in self.config.console_admins
        return False

    def summary(self, post: Post) -> Summary:
        return self.summaries.summary(post)

    def latest(self, count: int = 5) -> list[Post]:
        return sorted(self.posts.values(), key=lambda p: (p.date, p.id), reverse=True)[:count]

    def reload(self, stderr: TextIO | None = None) -> SyncReport:
        """Re-read the corpus folder: new and changed posts are indexed, removed ones dropped.

        Returns what the index did. The outbox plans from the new corpus from now on.
        """
        fresh = load_corpus(self.config.corpus_dir, stderr=stderr or sys.stderr)
        report = self.index.sync(fresh.values())
        self.posts = fresh
        self.outbox.set_posts(PostIndex(fresh))
        if report.added or report.updated or report.removed:
            log.info("corpus reloaded: %s", report)
        return report


def corpus_signature(folder: Path) -> tuple[tuple[str, int, int], ...]:
    """(name, size, mtime) of every seed file: changes when one is added, edited or removed."""
    signature = []
    for path in seed_files(folder):
        try:
            stat = path.stat()
        except OSError:
            continue
        signature.append((path.name, stat.st_size, stat.st_mtime_ns))
    return tuple(signature)
