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

from bot.errors import OutOfSpace, StoreError
from summariser import write_atomic as replace_file

Data = dict[str, dict[str, Any]]


class StoreCorrupt(StoreError):
    """A store file that cannot be read back (truncated, hand-edited, wrong shape)."""

    def __init__(self, path: Path, problem: str) -> None:
        self.path = path
        self.problem = problem
        super().__init__(f"{path}: {problem}")


class DiskFull(StoreError, OutOfSpace):
    """A write failed because the device holding the data folder has no space left."""

    def __init__(self, path: Path) -> None:
        self.path = path
        super().__init__(
            f"{path}: no space left on the device holding the data folder; free some space "
            "(nothing written so far was lost)"
        )


class NotAFolder(StoreError):
    """The data folder (or a folder above it) is a file."""

    def __init__(self, folder: Path, file: Path) -> None:
        self.folder = folder
        what = "this is a file" if file == folder else f"{file} is a file"
        super().__init__(
            f"{folder}: {what}, not a folder; point --data (or [data] folder in the config) "
            "at a folder"
        )


class ReadOnlyFolder(StoreError):
    """The data folder cannot be written (read-only file system, no permission)."""

    def __init__(self, folder: Path, path: Path, reason: str) -> None:
        self.folder = folder
        super().__init__(
            f"{folder}: the data folder is read-only (cannot write {path}: {reason}); make it "
            "writable, or point --data at a folder digestbot can write"
        )


_READ_ONLY = (errno.EROFS, errno.EACCES, errno.EPERM)


def folder_error(folder: Path, path: Path, exc: OSError) -> StoreError:
    """The one-line StoreError for an OSError met while opening or preparing the data folder."""
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return DiskFull(path)
    if exc.errno in _READ_ONLY:
        return ReadOnlyFolder(folder, path, exc.strerror or str(exc))
    if exc.errno in (errno.EEXIST, errno.ENOTDIR):
        return NotAFolder(folder, first_file(folder))
    return StoreError(f"{path}: {exc.strerror or exc}; check the data folder (--data)")


def first_file(folder: Path) -> Path:
    """``folder`` or the nearest folder above it that exists but is not a folder (else itself)."""
    for candidate in (folder, *folder.parents):
        if candidate.exists():
            return candidate if not candidate.is_dir() else folder
    return folder


def check_folder(folder: Path) -> None:
    """Raise NotAFolder when ``folder`` or a folder above it is a file (it need not exist)."""
    file = first_file(folder)
    if file.exists() and not file.is_dir():
        raise NotAFolder(folder, file)


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
    except (ValueError, RecursionError) as exc:  # a 5,000-digit number; arrays nested 100,000 deep
        problem = "nested too deeply" if isinstance(exc, RecursionError) else str(exc)
        raise StoreCorrupt(path, f"not valid JSON ({problem})") from None
    if not isinstance(data, dict) or not all(isinstance(t, dict) for t in data.values()):
        raise StoreCorrupt(path, "expected a JSON object of tables ({'table': {'1': {...}}})")
    check_tables(path, data)
    return data


_DOC_ID_RE = re.compile(r"^[1-9][0-9]{0,17}$")
FIX = "fix or remove it, the .bak file next to it is the last version digestbot wrote"


def check_tables(path: Path, data: Data) -> None:
    """Every record of a TinyDB file has a whole-number id and is an object (TinyDB assumes so)."""
    for table, docs in data.items():
        for doc_id, doc in docs.items():
            if not _DOC_ID_RE.match(doc_id):
                raise StoreCorrupt(
                    path, f"record id {doc_id[:40]!r} in table {table[:40]!r} is not a whole "
                    f"number; {FIX}"
                )  # fmt: skip
            if not isinstance(doc, dict):
                raise StoreCorrupt(path, f"record {doc_id} is not a JSON object; {FIX}")


def write_atomic(path: Path, text: str, *, keep_backup: bool = False) -> None:
    """Replace ``path`` with ``text``: a crash at any point leaves the old or the new file
    (``summariser.write_atomic``); ``keep_backup`` hard-links the old file to NAME.bak first.

    A full device raises :class:`DiskFull` (the old file is untouched, the temp file removed).
    """
    backup = (lambda: _link_backup(path)) if keep_backup else None
    try:
        replace_file(path, text, before_replace=backup)
    except OSError as exc:
        if exc.errno in (errno.ENOSPC, errno.EDQUOT):
            raise DiskFull(path) from None
        raise


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


MAX_REFS = 1_000_000
"""A stored ref list may stand for at most this many comments (a 16 MB seed file holds fewer)."""

_PART_RE = re.compile(r"^(\d{1,9}(?:\.\d{1,9}){0,31})(?:-(\d{1,9}))?$")


def unpack_refs(packed: Any, name: str = "refs") -> tuple[str, ...]:
    """The refs of :func:`pack_refs`, in thread order; equal inputs share one tuple.

    Raises ValueError (naming ``name``) for anything :func:`pack_refs` never writes: other types,
    bad syntax, ranges running backwards, or more than MAX_REFS comments (checked before any is
    made, so ``1-300000000`` is refused at once).
    """
    if isinstance(packed, (list, tuple)):
        if len(packed) > MAX_REFS or not all(isinstance(r, str) and r for r in packed):
            raise ValueError(f"{name} must be a list of at most {MAX_REFS} comment refs")
        return tuple(packed)
    if not isinstance(packed, str):
        raise ValueError(
            f"{name} must be comment refs like '1-18,3.1-4', got {type(packed).__name__}"
        )
    return _unpack(packed, name)


@lru_cache(maxsize=1 << 16)
def _unpack(packed: str, name: str) -> tuple[str, ...]:
    spans: list[tuple[str, int, int]] = []
    total = 0
    for part in filter(None, packed.split(",")):
        match = _PART_RE.match(part)
        if match is None:
            raise ValueError(f"{name} {packed[:40]!r} are not comment refs like '1-18,3.1-4'")
        first, last = match.groups()
        head, _, number = first.rpartition(".")
        low, high = int(number), int(last or number)
        if high < low:
            raise ValueError(f"{name} {packed[:40]!r} hold a range that runs backwards ({part})")
        spans.append((f"{head}." if head else "", low, high))
        total += high - low + 1
    if total > MAX_REFS:
        raise ValueError(
            f"{name} {packed[:40]!r} stand for {total} comments; a record holds at most {MAX_REFS}"
        )
    refs: list[str] = []
    for prefix, low, high in spans:
        refs.extend(sys.intern(f"{prefix}{n}") for n in range(low, high + 1))
    return tuple(refs)
