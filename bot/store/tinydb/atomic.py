"""A crash-safe TinyDB Storage: every write goes to a temp file, is fsynced, then replaces the file.

TinyDB's stock ``JSONStorage`` rewrites its file in place, so a process killed mid-write leaves a
truncated file. :class:`AtomicJSONStorage` writes ``NAME.tmp``, fsyncs it, renames it over
``NAME`` with ``os.replace`` (atomic on POSIX and Windows) and fsyncs the folder, so a reader sees
either the old or the new content, never half of each. Before each replace the previous version is
hard-linked to ``NAME.bak``, so a hand-edited file that no longer parses still has a last good copy.

The storage keeps the parsed content in memory between writes (the store holds the data-folder
lock, so nobody else writes the file). If a write fails, the cache is dropped and the next read
goes back to the disk, so memory never claims something the disk does not have.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import re
import sys
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

from tinydb.storages import Storage

Data = dict[str, dict[str, Any]]


class StoreError(Exception):
    """A problem with the data folder; the message names the file and says what to do."""


class StoreCorrupt(StoreError):
    """A store file that cannot be read back (truncated, hand-edited, wrong shape)."""

    def __init__(self, path: Path, problem: str) -> None:
        self.path = path
        self.problem = problem
        super().__init__(f"{path}: {problem}")


class DiskFull(StoreError):
    """A write failed because the device holding the data folder has no space left."""

    def __init__(self, path: Path) -> None:
        self.path = path
        super().__init__(
            f"{path}: no space left on the device holding the data folder; free some space "
            "(nothing written so far was lost)"
        )


class AtomicJSONStorage(Storage):
    """TinyDB Storage writing ``temp file + fsync + os.replace``; reads are served from memory."""

    def __init__(
        self, path: str | Path, *, keep_backup: bool = True, readonly: bool = False
    ) -> None:
        self.path = Path(path)
        self.keep_backup = keep_backup
        self.readonly = readonly
        self._cache: Data | None = None
        self._loaded = False
        self.writes = 0

    def read(self) -> Data | None:
        if not self._loaded:
            self._cache = load_json_file(self.path)
            self._loaded = True
        return self._cache

    def write(self, data: Data) -> None:
        if self.readonly:
            raise StoreError(f"{self.path}: the store was opened read-only")
        try:
            text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
            write_atomic(self.path, text, keep_backup=self.keep_backup)
        except BaseException:
            self._cache, self._loaded = None, False
            raise
        self._cache, self._loaded = data, True
        self.writes += 1

    def close(self) -> None:
        self._cache, self._loaded = None, False


def load_json_file(path: Path) -> Data | None:
    """The parsed file, None when it does not exist; StoreCorrupt when it is not a TinyDB file."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise StoreCorrupt(path, f"cannot read: {exc.strerror or exc}") from None
    if not raw.strip():
        raise StoreCorrupt(path, "the file is empty (expected a JSON object)")
    try:
        data = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise StoreCorrupt(path, f"not UTF-8 text (byte {exc.start})") from None
    except json.JSONDecodeError as exc:
        raise StoreCorrupt(
            path, f"not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})"
        ) from None
    if not isinstance(data, dict) or not all(isinstance(t, dict) for t in data.values()):
        raise StoreCorrupt(path, "expected a JSON object of tables ({'table': {'1': {...}}})")
    return data


def write_atomic(path: Path, text: str, *, keep_backup: bool = False) -> None:
    """Replace ``path`` with ``text``: a crash at any point leaves the old or the new file.

    A full device raises :class:`DiskFull` (the old file is untouched, the temp file removed).
    """
    try:
        _write_atomic(path, text, keep_backup=keep_backup)
    except OSError as exc:
        if exc.errno in (errno.ENOSPC, errno.EDQUOT):
            with contextlib.suppress(OSError):
                path.with_name(path.name + ".tmp").unlink()
            raise DiskFull(path) from None
        raise


def _write_atomic(path: Path, text: str, *, keep_backup: bool) -> None:
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    try:
        view = memoryview(text.encode("utf-8"))
        while view:
            written = os.write(fd, view)
            view = view[written:]
        os.fsync(fd)
    finally:
        os.close(fd)
    if keep_backup:
        _link_backup(path)
    os.replace(tmp, path)
    fsync_dir(path.parent)


def _link_backup(path: Path) -> None:
    """Hard-link the current file to NAME.bak (no copy); a missing file or no links is fine."""
    bak = path.with_name(path.name + ".bak")
    staging = path.with_name(path.name + ".bak.tmp")
    with contextlib.suppress(FileNotFoundError):
        staging.unlink()
    try:
        os.link(path, staging)
    except (FileNotFoundError, OSError):
        return
    os.replace(staging, bak)


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


_REF_RE = re.compile(r"^\d+(\.\d+)*$")


def pack_refs(refs: Sequence[str]) -> str | list[str]:
    """Comment refs as ranges: ('1', '2', '3', '3.1', '3.2') -> '1-3,3.1-2' (a list if unusual)."""
    if not all(_REF_RE.match(r) for r in refs):
        return list(refs)
    parts: list[str] = []
    start = prev = None
    for ref in sorted(set(refs), key=lambda r: tuple(int(x) for x in r.split("."))):
        if prev is not None and _follows(prev, ref):
            prev = ref
            continue
        if start is not None:
            parts.append(_span(start, prev))
        start = prev = ref
    if start is not None:
        parts.append(_span(start, prev))
    return ",".join(parts)


def _follows(prev: str, ref: str) -> bool:
    head, _, last = prev.rpartition(".")
    head2, _, last2 = ref.rpartition(".")
    return head == head2 and int(last2) == int(last) + 1


def _span(start: str, end: str | None) -> str:
    return start if end in (None, start) else f"{start}-{end.rpartition('.')[2]}"  # type: ignore[union-attr]


def unpack_refs(packed: Any) -> tuple[str, ...]:
    """The refs of :func:`pack_refs`, in thread order; equal inputs share one tuple."""
    if isinstance(packed, (list, tuple)):
        return tuple(str(r) for r in packed)
    return _unpack(str(packed))


@lru_cache(maxsize=1 << 16)
def _unpack(packed: str) -> tuple[str, ...]:
    refs: list[str] = []
    for part in filter(None, packed.split(",")):
        first, _, last = part.partition("-")
        if not last:
            refs.append(sys.intern(first))
            continue
        head, _, number = first.rpartition(".")
        prefix = f"{head}." if head else ""
        refs.extend(sys.intern(f"{prefix}{n}") for n in range(int(number), int(last) + 1))
    return tuple(refs)
