"""Writing down what a chat service did, even when the disk holding the data folder is full.

The outbox records every confirmed message and every outcome through :meth:`Recorder.write`.
When such a write meets a full device (:class:`~bot.errors.OutOfSpace`):

1. the reserve (:mod:`bot.store.reserve`) is deleted and the write tried again in the space it gave
   back: the record is on disk, so a restart knows the digest went out;
2. if even that fails, the write is held in memory, in order with the others of its delivery,
   and the delivery stays claimed (the outbox does not release it while :meth:`holds` says so),
   so no tick sends it again; held writes are tried first at every tick, and no tick claims
   anything before they are written (only a bot stopped before can repeat one).

From the first full write on, :attr:`Recorder.paused` is true and no new send starts, until the
held writes are on disk and the reserve can be written again with as much room beside it.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from pathlib import Path

from bot.errors import OutOfSpace
from bot.store.base import LostClaim
from bot.store.reserve import Reserve

log = logging.getLogger(__name__)

Write = Callable[[], Awaitable[object]]


class Recorder:
    """Record writes for the outbox; see the module docstring."""

    def __init__(self, reserve: Reserve | None = None) -> None:
        # no reserve (a database store): a full disk still pauses sends and holds records
        self.reserve = reserve or Reserve(Path("space-reserve"), size=0)
        self.full: OutOfSpace | None = None  # the write that found the disk full (None: room)
        self._held: dict[str, list[Write]] = {}  # key -> writes not on disk yet, in order

    @property
    def paused(self) -> bool:
        return self.full is not None

    def holds(self, key: str) -> bool:
        """Writes of ``key`` wait in memory (its delivery must stay claimed)."""
        return key in self._held

    async def write(self, key: str, write: Write) -> None:
        """Record what a chat service did; ``key`` is the delivery id (or one of its side
        effects), so the writes of one delivery reach the disk in the order they were made."""
        self._held.setdefault(key, []).append(write)
        try:
            await self._flush(key)
            return
        except LostClaim:
            del self._held[key]  # another owner holds the delivery: this is never written
            raise
        except OutOfSpace as full:
            freed = self.reserve.release()
            self.disk_full(full)
            if freed and await self._flushed(key):
                log.error("%s: %s recorded in the space held in reserve", _where(full), key)
                return
            log.error(
                "%s: the disk is full and its reserve is used up; %s is kept in memory until "
                "it can be written (if the bot stops before, it may be sent again)",
                _where(full),
                key,
            )

    def disk_full(self, full: OutOfSpace) -> None:
        """Stop new sends; the reserve goes (its space is for the records of sends)."""
        self.reserve.release()
        self._pause(full)

    async def room(self) -> bool:
        """Write the held records, then the reserve: False while the disk is full."""
        for key in list(self._held):
            try:
                if not await self._flushed(key):
                    return False
            except Exception:  # e.g. the record was moved meanwhile: it can never be written
                log.exception("%s: a record kept in memory cannot be written; dropped", key)
                del self._held[key]
                continue
            log.warning("%s is recorded now", key)
        fresh = not self.reserve.present()
        if not self.reserve.ensure():
            self._pause(OutOfSpace(f"{self.reserve.path}: no room for the space reserve"))
            return False
        if (fresh or self.paused) and not self.reserve.spare():
            self._pause(OutOfSpace(f"{self.reserve.path}: no room beside the space reserve"))
            return False  # the reserve is in place, but nothing beside it: wait
        if self.full is not None:
            log.warning("disk space is back (%s written); digests resume", self.reserve.path)
            self.full = None
        return True

    def _pause(self, full: OutOfSpace) -> None:
        if self.full is None:
            log.error(
                "%s: no space left on the device holding the data folder; new digests wait "
                "until space is freed",
                _where(full),
            )
        self.full = full

    async def _flush(self, key: str) -> None:
        """Write the held records of ``key`` in order; OutOfSpace keeps those not written."""
        writes = self._held[key]
        while writes:
            await writes[0]()
            writes.pop(0)
        del self._held[key]

    async def _flushed(self, key: str) -> bool:
        try:
            await self._flush(key)
        except OutOfSpace:
            return False
        return True


def _where(full: OutOfSpace) -> str:
    """The file a full write was for (TinyDB's DiskFull knows it), else the store's message."""
    path = getattr(full, "path", None)
    return str(path) if path is not None else str(full)
