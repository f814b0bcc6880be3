"""Crash-safe file writes: readers see the old file or the new one, never a part of one.

The one implementation for the whole project (the summary cache here; the bot's TinyDB store
through ``bot.store.tinydb.atomic``): a temporary file in the same folder, fsynced, renamed
over the target with ``os.replace`` (atomic on POSIX and Windows), then the folder fsynced so
the rename survives a power cut.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Callable
from pathlib import Path


def write_atomic(
    path: Path, text: str, *, before_replace: Callable[[], object] | None = None
) -> None:
    """Replace ``path`` with ``text`` (UTF-8). ``before_replace`` runs once the new content is
    on disk, just before the rename (e.g. to keep a backup). On any error the temporary file
    (``.NAME.*.tmp``) is removed and the old file is left as it was."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(text.encode("utf-8"))
            handle.flush()
            os.fsync(handle.fileno())
        if before_replace is not None:
            before_replace()
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
    fsync_dir(path.parent)


def fsync_dir(folder: Path) -> None:
    """Make a rename in ``folder`` durable (no-op where folders cannot be opened, e.g. Windows)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
