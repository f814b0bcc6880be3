"""The store's shard files: which exist, creating them, and reading their records back.

From schema 3 every shard file exists from the first start (``{}`` while empty): the store knows
how many there are (``meta.json`` says so), so a missing file is a loss, never an empty shard,
and the start stops naming it. Reading checks more than each record's fields: a record in the
wrong file (a hand move, or an edited shard count), two records for one chat, an archived record
outside ``history/`` or a table under another name would each make the store forget or duplicate
data silently, so each stops the start too.
"""

from __future__ import annotations

import contextlib
import os
import re
import zlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tinydb import TinyDB
from tinydb.table import Document, Table

from bot.domain.records import Delivery, Subscriber, delivery_from_doc, subscriber_from_doc
from bot.store.tinydb.atomic import (
    AtomicJSONStorage,
    ReadOnlyFolder,
    StoreCorrupt,
    folder_error,
    load_json_file,
)
from summariser import fsync_dir

FOLDERS = {"subscribers": "subscribers", "deliveries": "deliveries", "history": "digest history"}
RUNS = "runs.json"
SHARDS = 128  # for a new store; an existing one keeps the count in its meta.json
MAX_SHARDS = 4096
_NAME_RE = re.compile(r"^(\d{2,4})\.json(\.bak)?$")
_FIX = "copy the .bak file next to it over this file"


def shard_name(number: int) -> str:
    return f"{number:02d}.json"


def shard_of(key: str, shards: int = SHARDS) -> int:
    return zlib.crc32(key.encode("utf-8")) % shards


def checked(path: Path, doc_id: int, parse: Any, doc: Mapping[str, Any]) -> Any:
    """``parse(doc)``, or StoreCorrupt naming the file, the record and what is wrong."""
    try:
        return parse(doc)
    except (KeyError, TypeError, ValueError, OverflowError) as exc:
        problem = f"missing field {exc}" if isinstance(exc, KeyError) else str(exc)
        raise StoreCorrupt(
            path,
            f"record {doc_id} is not valid ({problem}); fix or remove it, the .bak file "
            "next to it is the last version digestbot wrote",
        ) from None


# ---------------------------------------------------------------------- which files exist


@dataclass
class Found:
    """The shard files (and their .bak copies) present in each folder, by number."""

    files: dict[str, set[int]] = field(default_factory=dict)
    baks: dict[str, set[int]] = field(default_factory=dict)

    @property
    def count(self) -> int:
        """One more than the highest shard number seen (0 for none): the shard count in use."""
        numbers = [n for group in (self.files, self.baks) for ns in group.values() for n in ns]
        return max(numbers) + 1 if numbers else 0

    def complete(self, shards: int) -> bool:
        return all(self.files.get(folder) == set(range(shards)) for folder in FOLDERS)


def scan(root: Path) -> Found:
    found = Found()
    for folder in FOLDERS:
        files, baks = found.files.setdefault(folder, set()), found.baks.setdefault(folder, set())
        try:
            names = os.listdir(root / folder)
        except (FileNotFoundError, NotADirectoryError):
            continue
        for name in names:
            match = _NAME_RE.match(name)
            if match and shard_name(int(match[1])) == name.removesuffix(".bak"):
                (baks if match[2] else files).add(int(match[1]))
    return found


def check_files(root: Path, shards: int, *, every_file: bool) -> None:
    """Each shard file (and runs.json) below ``shards`` that is missing is a loss: refuse it.

    ``every_file`` (schema 3): every file must exist. Before (schema 2) files were made on first
    write, so only a missing file whose .bak is beside it is known to be lost.
    """
    paths = [root / folder / shard_name(n) for n in range(shards) for folder in FOLDERS]
    for path in [*paths, root / RUNS]:
        if path.exists():
            continue
        if path.with_name(path.name + ".bak").exists():
            raise StoreCorrupt(
                path,
                f"the file is missing; copy {path.name}.bak beside it (the version before "
                f"digestbot's last write) to {path.name}, or restore the data folder from a backup",
            )
        if every_file:
            what = "scheduler runs" if path.name == RUNS else FOLDERS[path.parent.name]
            raise StoreCorrupt(
                path,
                "the file is missing; restore the data folder from a backup, or write {} into "
                f"it to give up the {what} it held",
            )


def holds_data(root: Path, found: Found) -> bool:
    """Whether any shard file or runs.json holds a record (every one is read; an empty file left
    by a first start cut short holds nothing)."""
    paths = [root / folder / shard_name(n) for folder, ns in found.files.items() for n in ns]
    for path in [*paths, root / RUNS]:
        if path.is_file() and path.stat().st_size == 0:
            continue
        data = load_json_file(path) or {}
        if any(data.values()):
            return True
    return False


def create_missing(root: Path, shards: int, *, fresh: bool) -> None:
    """Write ``{}`` into every shard file (and runs.json) not there yet, then make them durable.

    ``fresh``: the folder holds no data (checked by :func:`holds_data`), so an empty file left by
    a first start cut short is written again. Each file is renamed into place (a crash leaves
    only ``*.tmp`` files, dropped at the next start) and all of them are flushed with one
    ``sync`` before ``meta.json`` records that they exist.
    """
    paths = [root / folder / shard_name(n) for n in range(shards) for folder in FOLDERS]
    made = []
    for path in [*paths, root / RUNS]:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            if not path.exists() or (fresh and path.stat().st_size == 0):
                _write_new(path)
                made.append(path)
        except OSError as exc:
            raise folder_error(root.parent, path, exc) from None
    _flush(made, root)


def _write_new(path: Path) -> None:
    tmp = path.with_name(path.name + ".tmp")
    try:
        tmp.write_bytes(b"{}")
        os.replace(tmp, path)
    except OSError:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise


def _flush(paths: list[Path], root: Path) -> None:
    """Make ``paths`` durable: one ``sync()`` where there is one (385 fsyncs cost seconds on a
    busy disk), else an fsync of each file and folder."""
    if hasattr(os, "sync"):
        os.sync()
        return
    for path in paths:  # pragma: no cover - platforms without sync()
        with path.open("rb+") as file:
            os.fsync(file.fileno())
    for folder in (root, *(root / f for f in FOLDERS)):  # pragma: no cover
        fsync_dir(folder)


def check_writable(data_dir: Path, root: Path) -> None:
    """ReadOnlyFolder when a folder the store writes in cannot be written (checked at start)."""
    for folder in (data_dir, root, *(root / f for f in FOLDERS)):
        if folder.is_dir() and not os.access(folder, os.W_OK | os.X_OK):
            raise ReadOnlyFolder(data_dir, folder, _why_not_writable(folder))


def _why_not_writable(folder: Path) -> str:
    try:
        mounted_readonly = bool(os.statvfs(folder).f_flag & os.ST_RDONLY)
    except (AttributeError, OSError):  # no statvfs (Windows)
        mounted_readonly = False
    return "Read-only file system" if mounted_readonly else "Permission denied"


def tables_of(db: TinyDB, path: Path, table: str) -> Table:
    """The one table of a store file; another table name in it is refused (it would be lost)."""
    data = db.storage.read() or {}
    for name in data:
        if name != table:
            raise StoreCorrupt(
                path, f"holds a table {name[:40]!r} where only {table!r} belongs; rename it "
                f"back, or {_FIX}"
            )  # fmt: skip
    return db.table(table, cache_size=0)


# ---------------------------------------------------------------------- one shard


class Shard:
    """One subscribers file, one deliveries file and one history file, with their indexes."""

    def __init__(self, root: Path, number: int, readonly: bool) -> None:
        name = shard_name(number)
        self.number = number
        self.sub_path = root / "subscribers" / name
        self.del_path = root / "deliveries" / name
        self.hist_path = root / "history" / name
        self.subs_db = TinyDB(self.sub_path, storage=AtomicJSONStorage, readonly=readonly)
        self.dels_db = TinyDB(self.del_path, storage=AtomicJSONStorage, readonly=readonly)
        self.hist_db = TinyDB(self.hist_path, storage=AtomicJSONStorage, readonly=readonly)
        self.subs = self.subs_db.table("subscribers", cache_size=0)
        self.dels = self.dels_db.table("deliveries", cache_size=0)
        self.hist = self.hist_db.table("history", cache_size=0)
        self.sub_ids: dict[str, int] = {}
        self.del_ids: dict[str, int] = {}
        self.hist_ids: dict[str, int] = {}

    def table_of(self, delivery: Delivery) -> tuple[Table, dict[str, int]]:
        """Archived records live in the history file, the others in the deliveries file."""
        return (self.hist, self.hist_ids) if delivery.archived else (self.dels, self.del_ids)

    def close(self) -> None:
        self.subs_db.close()
        self.dels_db.close()
        self.hist_db.close()

    def subscribers(self, shards: int) -> Iterator[Subscriber]:
        """Every subscriber of the shard, checked (fields, file, duplicates) and indexed."""
        for doc in tables_of(self.subs_db, self.sub_path, "subscribers"):
            sub: Subscriber = checked(self.sub_path, doc.doc_id, subscriber_from_doc, doc)
            self._place(self.sub_path, doc, sub.key, shards, self.sub_ids)
            yield sub

    def deliveries(self, shards: int) -> Iterator[Delivery]:
        """Every delivery and history record of the shard, checked and indexed."""
        for path, db, table, archived in (
            (self.del_path, self.dels_db, "deliveries", False),
            (self.hist_path, self.hist_db, "history", True),
        ):
            for doc in tables_of(db, path, table):
                delivery: Delivery = checked(path, doc.doc_id, delivery_from_doc, doc)
                if delivery.archived is not archived:
                    home = "history" if delivery.archived else "deliveries"
                    raise StoreCorrupt(
                        path, f"record {doc.doc_id} is in state {delivery.state!r}, so it belongs "
                        f"in {home}/{shard_name(self.number)}; move it back, or {_FIX}"
                    )  # fmt: skip
                ids = self.table_of(delivery)[1]
                self._place(path, doc, delivery.key, shards, ids, delivery.id)
                yield delivery

    def _place(
        self, path: Path, doc: Document, key: str, shards: int, ids: dict[str, int], name: str = ""
    ) -> None:
        home = shard_of(key, shards)
        if home != self.number:
            raise StoreCorrupt(
                path, f"record {doc.doc_id} ({key}) belongs in {shard_name(home)}, where its "
                f"chat hashes; move it back, or {_FIX}"
            )  # fmt: skip
        name = name or key
        if name in ids:
            raise StoreCorrupt(
                path, f"records {ids[name]} and {doc.doc_id} are both {name}; remove one, "
                f"or {_FIX}"
            )  # fmt: skip
        ids[name] = doc.doc_id
