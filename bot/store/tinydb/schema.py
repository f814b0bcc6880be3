"""The store's versions: reading ``meta.json`` strictly, and bringing older layouts up to date.

Schema 1 kept every table in one file, ``DATA/digestbot.json``. Schema 2 split subscribers,
deliveries and history into ``SHARDS`` files each, by a hash of the chat key, each file made on
its first write. Schema 3 (current) has the same files, all made at the first start, so that a
missing one is known to be lost (:mod:`.layout`). ``meta.json`` is written last, so a
crash at any point leaves the old layout, redone at the next start. A migration from schema 1
copies the old file to ``*.v1-backup`` first; one from schema 2 only adds the empty files, after
every record was read and checked.

``meta.json`` is never guessed at: a value digestbot does not write (``"shards": 94.9``, a shard
count that does not match the files, ``"schema": 0``) stops the start saying what to put back.
"""

from __future__ import annotations

import contextlib
import json
import shutil
from collections import defaultdict
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tinydb import TinyDB

from bot.domain.records import chat_key, delivery_from_doc, run_from_doc, subscriber_from_doc
from bot.store.tinydb.atomic import (
    AtomicJSONStorage,
    StoreCorrupt,
    StoreError,
    folder_error,
    load_json_file,
    write_atomic,
)
from bot.store.tinydb.fields import show
from bot.store.tinydb.layout import (
    MAX_SHARDS,
    RUNS,
    SHARDS,
    Found,
    check_files,
    checked,
    create_missing,
    holds_data,
    scan,
    shard_name,
    shard_of,
)

SCHEMA_VERSION = 3
LEGACY_FILE = "digestbot.json"  # schema 1: one TinyDB file for everything


@dataclass(frozen=True)
class Meta:
    """What ``meta.json`` says: 0 = nothing written yet, 1 = the single legacy file."""

    version: int
    shards: int


def meta_text(shards: int) -> str:
    return json.dumps({"meta": {"1": {"schema": SCHEMA_VERSION, "shards": shards}}})


def _whole(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def schema_version(data_dir: Path) -> int:
    """The schema of the folder: 3 (current), 2, 1 (single file), 0 (nothing written yet)."""
    return read_meta(data_dir).version


def read_meta(data_dir: Path) -> Meta:
    """The folder's schema and shard count, checked against the files; StoreError if wrong."""
    root = data_dir / "store"
    path = root / "meta.json"
    found = scan(root)
    raw = load_json_file(path)
    if raw is None:
        if (data_dir / LEGACY_FILE).exists():
            return Meta(1, SHARDS)
        if holds_data(root, found):
            put_back = meta_text(found.count or SHARDS)
            problem = f"the file is missing but the store holds data; put it back: {put_back}"
            raise StoreCorrupt(path, problem)
        return Meta(0, SHARDS)
    record = _record(path, raw)
    written = record.get("schema")
    if isinstance(written, int) and not isinstance(written, bool) and written > SCHEMA_VERSION:
        raise StoreError(
            f"{path}: schema version {written} was written by a newer digestbot (this one "
            f"reads up to {SCHEMA_VERSION}); upgrade digestbot"
        )
    shards = _shards(path, record.get("shards", SHARDS), found, complete=written == SCHEMA_VERSION)
    version = _check_version(data_dir, path, written, found.complete(shards))
    check_files(root, shards, every_file=version >= 3)
    return Meta(version, shards)


def _record(path: Path, raw: Mapping[str, Any]) -> Mapping[str, Any]:
    table = raw.get("meta")
    if set(raw) == {"meta"} and isinstance(table, dict) and len(table) == 1:
        record = next(iter(table.values()))
        if "schema" in record:
            return record
    raise StoreCorrupt(path, f"expected {meta_text(SHARDS)}")


def _shards(path: Path, value: Any, found: Found, *, complete: bool) -> int:
    files = found.count
    put_back = f'put back "shards": {files or SHARDS}'
    hint = f"the store has {files} shard files: {put_back}" if files else put_back
    if not _whole(value):
        raise StoreCorrupt(path, f'"shards" is {show(value)}, not a whole number; {hint}')
    if not 1 <= value <= MAX_SHARDS:
        raise StoreCorrupt(path, f'"shards" is {value}, not from 1 to {MAX_SHARDS}; {hint}')
    if files > value or (complete and 0 < files < value and found.complete(files)):
        raise StoreCorrupt(
            path, f'"shards" is {value}, but the store has {files} shard files; digestbot never '
            f'changes that number: {put_back}'
        )  # fmt: skip
    return int(value)


def _check_version(data_dir: Path, path: Path, version: Any, complete: bool) -> int:
    if _whole(version) and version >= 2:
        return int(version)
    put_back = f'put back "schema": {SCHEMA_VERSION if complete else 2}'
    if not _whole(version):
        problem = f'"schema" is {show(version)}, not a whole number'
    elif version == 1 and not (data_dir / LEGACY_FILE).exists():
        legacy = data_dir / LEGACY_FILE
        problem = f'"schema" is 1, but schema 1 kept everything in {legacy}, which is not there'
    else:
        problem = f'"schema" is {version}, a version digestbot never writes in meta.json'
    raise StoreCorrupt(path, f"{problem}; {put_back}")


# ---------------------------------------------------------------------- writing the layout


@contextlib.contextmanager
def writing(data_dir: Path, path: Path) -> Iterator[None]:
    """Turn an OSError of a write at start (full disk, read-only) into its one-line StoreError."""
    try:
        yield
    except OSError as exc:
        raise folder_error(data_dir, path, exc) from None


def complete_layout(data_dir: Path, shards: int, *, fresh: bool = False) -> None:
    """Make every missing shard file (empty), then record the current schema in meta.json.

    ``fresh``: a folder with no data yet (a first start, or one cut short)."""
    root = data_dir / "store"
    create_missing(root, shards, fresh=fresh)
    with writing(data_dir, root / "meta.json"):
        write_atomic(root / "meta.json", meta_text(shards), keep_backup=True)


def migrate_v1(data_dir: Path) -> None:
    """Schema 1 kept every table in DATA/digestbot.json and had no chat kind: split into shards.

    Every record is checked before anything is written; the old file is kept as *.v1-backup.
    """
    legacy, root = data_dir / LEGACY_FILE, data_dir / "store"
    data = load_json_file(legacy) or {}
    groups = _legacy_groups(legacy, data)
    runs = list(data.get("runs", {}).values())
    with writing(data_dir, root):
        shutil.copy2(legacy, data_dir / f"{LEGACY_FILE}.v1-backup")
        if root.exists():  # an earlier migration stopped half-way: the old file is the truth
            shutil.rmtree(root)
        for folder in ("subscribers", "deliveries"):
            (root / folder).mkdir(parents=True, exist_ok=True)
        for (folder, number), docs in groups.items():
            db = TinyDB(root / folder / shard_name(number), storage=AtomicJSONStorage)
            db.table(folder).insert_multiple(docs)
            db.close()
        db = TinyDB(root / RUNS, storage=AtomicJSONStorage)
        db.table("runs").insert_multiple(runs)
        db.close()
    complete_layout(data_dir, SHARDS, fresh=True)
    with writing(data_dir, legacy):
        legacy.unlink()


def _legacy_groups(
    legacy: Path, data: Mapping[str, Mapping[str, Any]]
) -> dict[tuple[str, int], list[dict[str, Any]]]:
    groups: dict[tuple[str, int], list[dict[str, Any]]] = defaultdict(list)
    seen: set[str] = set()
    for doc_id, doc in data.get("subscribers", {}).items():
        new = {"kind": "private", **doc}
        key = checked(legacy, int(doc_id), subscriber_from_doc, new).key
        _once(legacy, doc_id, key, seen)
        groups["subscribers", shard_of(key, SHARDS)].append(new)
    for doc_id, doc in data.get("deliveries", {}).items():
        delivery = checked(legacy, int(doc_id), delivery_from_doc, doc)
        _once(legacy, doc_id, delivery.id, seen)
        home = shard_of(chat_key(delivery.platform, delivery.chat_id), SHARDS)
        groups["deliveries", home].append(dict(doc))
    for doc_id, doc in data.get("runs", {}).items():
        _once(legacy, doc_id, "run " + checked(legacy, int(doc_id), run_from_doc, doc).id, seen)
    return groups


def _once(path: Path, doc_id: str, name: str, seen: set[str]) -> None:
    if name in seen:
        raise StoreCorrupt(path, f"record {doc_id} repeats {name}; remove one of the two")
    seen.add(name)
