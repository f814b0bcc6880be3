"""The running application: configuration, corpus, store, search index, summaries and outbox.

One :class:`App` is opened at start by whichever front end runs, and handed to every command.
Time comes from ``clock`` so tests drive it with a fake clock.
"""

from __future__ import annotations

import asyncio
import logging
import sys
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TextIO

from bot.chat.commands import Command, CommandSet
from bot.chat.handlers import build_commands
from bot.chat.reply import Reply
from bot.config import Config
from bot.corpus.source import Problem
from bot.corpus.sources import Corpus, load_saying_problems
from bot.delivery.outbox import Outbox
from bot.delivery.sender import Sender
from bot.domain.digest import PostIndex, Summaries
from bot.progress import Bar
from bot.store.base import Store
from bot.store.open import open_store
from bot.store.reserve import RESERVE_NAME, Reserve
from summariser import KeywordIndex, Post, Summary

log = logging.getLogger(__name__)

SHOWN = 3  # posts named per kind in a corpus change line


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
    clock: Callable[[], datetime] = utc_now
    commands: CommandSet = field(default_factory=build_commands, repr=False)
    corpus_listeners: list[Callable[[CorpusChange], None]] = field(default_factory=list)
    corpus: Corpus = field(default_factory=lambda: Corpus(()), repr=False)
    _signature: Hashable = field(default=(), repr=False)
    _bad_files: frozenset[Hashable] = field(default=frozenset(), repr=False)
    _fetching: asyncio.Task[None] | None = field(default=None, repr=False)
    _closed: bool = field(default=False, repr=False)

    @classmethod
    def open(
        cls,
        config: Config,
        *,
        clock: Callable[[], datetime] = utc_now,
        stderr: TextIO | None = None,
    ) -> App:
        """Open the store (TinyDB: taking the data folder's lock first, so a second instance
        is refused before it prints anything about the corpus; PostgreSQL: checking and
        migrating the schema), then load the corpus and the index."""
        store = open_store(config)
        try:
            corpus = Corpus.from_config(config)
            signature = corpus.signature()
            loaded = load_saying_problems(corpus, stderr or sys.stderr)
            posts = {post.id: post for post in loaded.posts}
            index = KeywordIndex.open(config.data_dir / "index", posts.values())
            s = config.summary
            summaries = Summaries(
                sentences=s.sentences,
                comments=s.comments,
                method=s.method,
                cache_dir=config.data_dir / "summaries",
            )
            summaries.warm(posts.values(), progress=Bar("summarising posts", stream=stderr))
            reserve = None
            if config.store.backend == "tinydb":  # a database keeps its own disk
                reserve = Reserve(config.data_dir / RESERVE_NAME)
            lease = timedelta(seconds=config.store.lease_seconds)
            outbox = Outbox(store, {}, PostIndex(posts), summaries, reserve=reserve,
                            lease=lease, clock=clock)  # fmt: skip
        except BaseException:
            _close_now(store)
            raise
        app = cls(config, posts, store, index, summaries, outbox, clock, corpus=corpus)
        app._signature = signature
        app._bad_files = frozenset(p.key for p in loaded.problems)  # said on stderr just now
        return app

    def close(self) -> None:
        """Close outside the event loop (or with a store whose close does not wait)."""
        if self._fetching is not None:
            self._fetching.cancel()
        if not self._closed:
            self._closed = True
            _close_now(self.store)

    async def aclose(self) -> None:
        """Close inside the event loop the store was used in (a database's pool lives there)."""
        if self._fetching is not None:
            self._fetching.cancel()
        if not self._closed:
            self._closed = True
            await self.store.close()

    async def tick(self, now: datetime) -> None:
        """One scheduler wake-up: pick up new or edited posts, then run the outbox."""
        self.fetch_feeds(now)
        self.refresh_if_changed()
        await self.outbox.tick(now)

    def fetch_feeds(self, now: datetime) -> asyncio.Task[None] | None:
        """Fetch the feeds that are due, in the background: the tick never waits for a feed.
        One round at a time; what it brings is loaded at a later tick (the signature changes)."""
        if self.corpus.remote and (self._fetching is None or self._fetching.done()):
            self._fetching = asyncio.create_task(self.corpus.refresh(now))
        return self._fetching

    def refresh_if_changed(self) -> CorpusChange | None:
        """Reload the corpus when a seed file was added, edited or removed (cheap: stat only).

        What changed is handed to every ``corpus_listeners`` callback (when anything did) and
        returned; None when no seed file changed. With no listener (the Telegram front end),
        newly skipped files are logged as warnings instead.
        """
        signature = self.corpus.signature()
        if signature == self._signature:
            return None
        change = self.reload(signature)
        self._signature = signature
        if change and not self.corpus_listeners:  # e.g. Telegram: the operator reads the log
            for error in change.skipped:
                log.warning("corpus: %s", _skipped_line(error))
        for listener in list(self.corpus_listeners) if change else ():
            try:
                listener(change)
            except Exception:
                log.exception("a corpus listener failed")
        return change

    def now(self) -> datetime:
        return self.clock()

    def add_sender(self, sender: Sender) -> None:
        self.outbox.senders[sender.platform] = sender

    @property
    def digests(self) -> Outbox:
        return self.outbox

    def post_index(self) -> PostIndex:
        return self.outbox.posts

    def help_reply(self) -> Reply:
        return self.commands.help_reply()

    async def dispatch(self, cmd: Command) -> Reply:
        """Run one command through the CommandSet, with this App as its context."""
        return await self.commands.dispatch(self, cmd)

    def is_bot_admin(self, platform: str, user_id: str) -> bool:
        return user_id in self.config.bot_admins(platform)

    def summary(self, post: Post) -> Summary:
        return self.summaries.summary(post)

    def latest(self, count: int = 5) -> list[Post]:
        return sorted(self.posts.values(), key=lambda p: (p.date, p.id), reverse=True)[:count]

    def reload(self, signature: Hashable | None = None) -> CorpusChange:
        """Re-read the corpus sources: new and changed posts are indexed, removed ones dropped.

        Nothing is printed: the returned change says which posts were added, updated or removed
        and which bad files are new since the last load (a bad file left as it was is not
        reported again). The outbox plans from the new corpus from now on.
        """
        if signature is None:
            signature = self.corpus.signature()
        result = self.corpus.load()
        fresh = {post.id: post for post in result.posts}
        report = self.index.sync(fresh.values())
        old, self.posts = self.posts, fresh
        self.outbox.set_posts(PostIndex(fresh))
        bad = {problem.key: problem for problem in result.problems}
        skipped = tuple(problem for key, problem in bad.items() if key not in self._bad_files)
        self._bad_files = frozenset(bad)
        if report.added or report.updated or report.removed:
            log.info("corpus reloaded: %s", report)
        for error in skipped:
            log.info("corpus file skipped: %s", error)
        return CorpusChange(
            added=tuple(post for pid, post in fresh.items() if pid not in old),
            updated=tuple(post for pid, post in fresh.items() if pid in old and old[pid] != post),
            removed=tuple(post for pid, post in old.items() if pid not in fresh),
            skipped=skipped,
        )


@dataclass(frozen=True)
class CorpusChange:
    """What a reload of the corpus folder changed, in the words the console shows."""

    added: tuple[Post, ...] = ()
    updated: tuple[Post, ...] = ()
    removed: tuple[Post, ...] = ()
    skipped: tuple[Problem, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.added or self.updated or self.removed or self.skipped)

    def lines(self) -> list[str]:
        """One line for the posts, then one per newly skipped file; all start with 'corpus:'."""
        kinds = [("added", self.added), ("updated", self.updated), ("removed", self.removed)]
        parts = [_posts_part(verb, posts) for verb, posts in kinds if posts]
        if parts:  # "1 post added (...), 2 removed (...)": the noun once, in the first part
            count, rest = parts[0].split(" ", 1)
            parts[0] = f"{count} {'post' if count == '1' else 'posts'} {rest}"
        lines = [f"corpus: {', '.join(parts)}"] if parts else []
        lines += [f"corpus: {_skipped_line(error)}" for error in self.skipped]
        return lines


def _close_now(store: Store) -> None:
    """Close ``store`` from synchronous code: the TinyDB store at once (its files), any other
    on a loop of its own (no loop may be running: inside one, use :meth:`App.aclose`)."""
    close_now = getattr(store, "close_now", None)
    if close_now is not None:
        close_now()
    else:
        asyncio.run(store.close())


def _posts_part(verb: str, posts: tuple[Post, ...]) -> str:
    shown = [f"{post.id}: '{_short(post.title)}'" for post in posts[:SHOWN]]
    more = f" and {len(posts) - SHOWN} more" if len(posts) > SHOWN else ""
    return f"{len(posts)} {verb} ({', '.join(shown)}{more})"


def _skipped_line(problem: Problem) -> str:
    where = f"line {problem.line}: " if problem.line else ""
    return f"{problem.file} skipped: {where}{problem.message}"


def _short(title: str, limit: int = 60) -> str:
    return title if len(title) <= limit else title[: limit - 1] + "…"
