"""Where feed documents are parsed: never on the event loop; in worker processes when many.

feedparser and BeautifulSoup are pure Python, so a worker thread holds the GIL the event loop
needs and a refresh uses one core however many it has. A small refresh (a few new posts) parses
in a thread; once a refresh has had ``after`` documents to parse, the rest go to a process pool
(``spawn``: safe in a process running threads) of one worker per core, at most ``MAX_WORKERS``.
The pool lives for one refresh: nothing stays running between the bot's fetches.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import TypeVar

log = logging.getLogger(__name__)
T = TypeVar("T")
AFTER = 32  # documents parsed in a thread before a refresh starts worker processes
MAX_WORKERS = 4


def cores() -> int:
    """The cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


class Parsing:
    """``await parsing.run(parse_feed, body, content_type)``: off the loop, in a thread or a worker
    process (see the module text). Use as ``async with Parsing() as parsing:``."""

    def __init__(self, *, after: int = AFTER, workers: int | None = None) -> None:
        self.after = after
        self.workers = workers if workers is not None else min(cores(), MAX_WORKERS)
        self.seen = 0
        self._pool: ProcessPoolExecutor | None = None

    @property
    def in_processes(self) -> bool:
        return self._pool is not None

    async def run(self, parse: Callable[[bytes, str], T], body: bytes, content_type: str) -> T:
        """``parse(body, content_type)``; ``parse`` must be a module-level function."""
        self.seen += 1
        if self._pool is None and (self.workers < 2 or self.seen <= self.after):
            return await asyncio.to_thread(parse, body, content_type)
        if self._pool is None:
            spawn = multiprocessing.get_context("spawn")
            self._pool = ProcessPoolExecutor(self.workers, mp_context=spawn)
        loop = asyncio.get_running_loop()
        try:
            return await loop.run_in_executor(self._pool, parse, body, content_type)
        except BrokenProcessPool:  # a worker died (out of memory?): threads for the rest
            log.warning("feed parsing: a worker process died; parsing in threads from here on")
            self.workers = 1
            await self.close()
            return await asyncio.to_thread(parse, body, content_type)

    async def close(self) -> None:
        pool, self._pool = self._pool, None
        if pool is not None:
            await asyncio.to_thread(pool.shutdown, wait=True, cancel_futures=True)

    async def __aenter__(self) -> Parsing:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()
