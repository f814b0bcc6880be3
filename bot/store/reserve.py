"""Disk space held back so that a full disk can still record what a chat service confirmed.

``DATA/space-reserve`` is a 1 MiB file of random bytes (random, so a compressing file system
cannot shrink it). When the outbox's record of a confirmed send meets a full device, the outbox
deletes this file and writes the record in the space it gave back, so a restart knows the digest
went out and does not send it again. While the reserve is missing no new send starts; every
tick tries to write it again, and digests resume once it is back with as much space again
beside it (so a device that has just its reserve's worth free does not fill up at once).
Deleting the file by hand is harmless: it is written again at the next tick.
"""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
from pathlib import Path

RESERVE_NAME = "space-reserve"
RESERVE_BYTES = 1 << 20  # a deliveries shard at 10,000 subscribers is ~71 KB; writes are serial
_CHUNK = 64 << 10
FULL = (errno.ENOSPC, errno.EDQUOT)


class Reserve:
    """``ensure()`` writes the reserve (False: no room for it); ``release()`` frees it."""

    def __init__(self, path: Path, size: int = RESERVE_BYTES) -> None:
        self.path = Path(path)
        self.size = size

    def present(self) -> bool:
        if self.size <= 0:
            return True
        try:
            return self.path.stat().st_size >= self.size
        except FileNotFoundError:
            return False

    def ensure(self) -> bool:
        """The reserve is in place (written now if it was missing or short); False when the
        device has no room for it (nothing is left behind)."""
        if self.present():
            return True
        try:
            self._write()
        except OSError as exc:
            with contextlib.suppress(OSError):
                self.path.unlink()
            if exc.errno in FULL:
                return False
            raise
        return True

    def spare(self) -> bool:
        """Room for another reserve beside this one: the device is not about to fill again."""
        return shutil.disk_usage(self.path.parent).free >= self.size

    def release(self) -> bool:
        """Give the space back; False when there was no reserve to free."""
        if self.size <= 0:
            return False
        try:
            self.path.unlink()
        except FileNotFoundError:
            return False
        return True

    def _write(self) -> None:
        fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        try:
            left = self.size
            while left > 0:
                chunk = os.urandom(min(_CHUNK, left))
                view = memoryview(chunk)
                while view:
                    view = view[os.write(fd, view) :]
                left -= len(chunk)
            os.fsync(fd)
        finally:
            os.close(fd)
