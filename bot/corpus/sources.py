"""The corpus as the app sees it: every configured Source, loaded and refreshed together.

``Corpus.from_config`` builds the sources (the seed folder, then one per ``[[corpus.feeds]]``);
``load`` merges their posts (an id two sources both give is a problem, the first one wins);
``refresh`` lets every source with a remote side fetch what is due, each on its own, so one slow
or failing feed never holds up the others.
"""

from __future__ import annotations

import asyncio
import logging
import sys
from collections.abc import Hashable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO

from bot.config import Config
from bot.corpus.feeds import FeedSource
from bot.corpus.fetch import Client, make_client
from bot.corpus.folder import FolderSource
from bot.corpus.imports import ImportSource, import_sources
from bot.corpus.parsing import Parsing
from bot.corpus.source import Fetching, Loaded, Problem, Progress, Source, SourceStatus
from bot.progress import progress
from summariser import Post

log = logging.getLogger(__name__)
FEEDS_AT_ONCE = 8  # feeds fetched at once (each reads up to 4 comment feeds at once)


@dataclass
class Corpus:
    sources: tuple[Source, ...]
    workers: int | None = None  # processes parsing a big refresh (None: one per core, at most 4)

    @classmethod
    def from_config(cls, config: Config) -> Corpus:
        """The folder (unless the file lists only feeds), one source per feed, then the imports
        (an imported post that a feed also gives is the feed's, without a word)."""
        folder: tuple[Source, ...] = (FolderSource(config.corpus_dir),) if config.use_folder else ()
        feeds = config.data_dir / "feeds"
        feed_sources = tuple(FeedSource(f, feeds) for f in config.feeds)
        return cls(folder + feed_sources + tuple(import_sources(config.data_dir)))

    @property
    def remote(self) -> bool:
        return any(isinstance(s, Fetching) for s in self.sources)

    def signature(self) -> tuple[Hashable, ...]:
        return tuple(source.signature() for source in self.sources)

    def load(self, *, progress: Progress | None = None) -> Loaded:
        posts: dict[str, Post] = {}
        problems: list[Problem] = []
        for source in self.sources:
            loaded = source.load(progress=progress)
            problems += loaded.problems
            for post in loaded.posts:
                if post.id in posts:
                    if not isinstance(source, ImportSource):
                        problems.append(_duplicate(source, post))
                else:
                    posts[post.id] = post
        return Loaded(tuple(posts.values()), tuple(problems))

    async def refresh(self, now: datetime) -> None:
        """Fetch what is due in every source with a remote side; never raises."""
        fetching = [s for s in self.sources if isinstance(s, Fetching) and s.due(now)]
        if not fetching:
            return
        limit = asyncio.Semaphore(FEEDS_AT_ONCE)

        async def one(source: Fetching, client: Client) -> None:
            async with limit:
                await source.refresh(now, client, parsing)

        async with make_client() as client, Parsing(workers=self.workers) as parsing:
            results = await asyncio.gather(
                *(one(s, client) for s in fetching), return_exceptions=True
            )
        for source, result in zip(fetching, results, strict=True):
            if isinstance(result, Exception):
                log.error("corpus source %s: refresh failed", source.name, exc_info=result)

    def statuses(self) -> list[SourceStatus]:
        return [source.status() for source in self.sources]


def _duplicate(source: Source, post: Post) -> Problem:
    message = f"post id {post.id} is also given by another source; this one is left out"
    return Problem(source.name, None, message, key=(source.name, "duplicate", post.id))


def load_saying_problems(corpus: Corpus, stderr: TextIO) -> Loaded:
    """Load every source (a progress bar on a terminal); each problem is said on stderr."""
    loaded = corpus.load(
        progress=lambda files: progress(list(files), "loading corpus", stream=stderr)
    )
    for problem in loaded.problems:
        print(f"digestbot: skipped {problem}", file=stderr)
        log.info("corpus source problem: %s", problem)
    return loaded


def load_posts(
    config: Config, *, stderr: TextIO | None = None, corpus: Corpus | None = None
) -> dict[str, Post]:
    """Every post of the configured sources by id (CLI use): the feeds that are due are fetched
    first (politely: their interval holds here too); each problem is said on stderr."""
    corpus = corpus or Corpus.from_config(config)
    if corpus.remote:
        asyncio.run(corpus.refresh(datetime.now(UTC)))
    loaded = load_saying_problems(corpus, stderr or sys.stderr)
    return {post.id: post for post in loaded.posts}


def load_corpus(folder: Path, *, stderr: TextIO | None = None) -> dict[str, Post]:
    """Posts of one seed folder by id (benchmarks); each bad file is said on stderr."""
    loaded = load_saying_problems(Corpus((FolderSource(folder),)), stderr or sys.stderr)
    return {post.id: post for post in loaded.posts}
