"""The store's on-disk layout: schema version, sharding and the migration from older layouts.

Schema 1 kept every table in one file, ``DATA/digestbot.json``. Schema 2 (current) splits
subscribers and deliveries into ``SHARDS`` files each, by a hash of the chat key, so that one
write rewrites a small file. A migration copies the old file to ``*.v1-backup`` first.
"""

from __future__ import annotations

import shutil
import zlib
from collections import defaultdict
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from tinydb import TinyDB
from tinydb.table import Table

from bot.domain.records import Delivery, chat_key, delivery_from_doc, subscriber_from_doc
from bot.store.tinydb.atomic import AtomicJSONStorage, StoreCorrupt, load_json_file

SCHEMA_VERSION = 2
SHARDS = 128
LEGACY_FILE = "digestbot.json"  # schema 1: one TinyDB file for everything


class Shard:
    """One subscribers file and one deliveries file, with their in-memory indexes."""

    def __init__(self, root: Path, number: int, readonly: bool) -> None:
        name = f"{number:02d}.json"
        self.sub_path = root / "subscribers" / name
        self.del_path = root / "deliveries" / name
        self.subs_db = TinyDB(self.sub_path, storage=AtomicJSONStorage, readonly=readonly)
        self.dels_db = TinyDB(self.del_path, storage=AtomicJSONStorage, readonly=readonly)
        self.hist_path = root / "history" / name
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


def shard_of(key: str, shards: int = SHARDS) -> int:
    return zlib.crc32(key.encode("utf-8")) % shards


def checked(path: Path, doc_id: int, parse: Any, doc: Mapping[str, Any]) -> Any:
    try:
        return parse(doc)
    except (KeyError, TypeError, ValueError) as exc:
        problem = f"missing field {exc}" if isinstance(exc, KeyError) else str(exc)
        raise StoreCorrupt(
            path,
            f"record {doc_id} is not valid ({problem}); fix or remove it, the .bak file "
            "next to it is the last version digestbot wrote",
        ) from None


# ---------------------------------------------------------------------- schema and migration


def schema_version(data_dir: Path) -> int:
    """The schema of the folder: 2 (current), 1 (single file), 0 (nothing written yet)."""
    return read_meta(data_dir)[0]


def read_meta(data_dir: Path) -> tuple[int, int]:
    """(schema version, shard count) of the folder; a new folder gets SHARDS."""
    meta_path = data_dir / "store" / "meta.json"
    meta = load_json_file(meta_path)
    if meta is None:
        return (1 if (data_dir / LEGACY_FILE).exists() else 0), SHARDS
    try:
        record = next(iter(meta["meta"].values()))
        version, shards = int(record["schema"]), int(record.get("shards", SHARDS))
    except (KeyError, StopIteration, TypeError, ValueError):
        raise StoreCorrupt(
            meta_path, "expected {'meta': {'1': {'schema': N, 'shards': N}}}"
        ) from None
    if not 1 <= shards <= 4096:
        raise StoreCorrupt(meta_path, f"shards is {shards}; expected 1 to 4096")
    return version, shards


def migrate(data_dir: Path, version: int) -> None:
    """Bring the folder to SCHEMA_VERSION; a copy of the old files is kept.

    The new schema is recorded before the old file goes, so a crash at any point leaves either
    the old layout (migrated again from scratch at the next start) or the new one.
    """
    root = data_dir / "store"
    if version == 1:
        shutil.copy2(data_dir / LEGACY_FILE, data_dir / f"{LEGACY_FILE}.v1-backup")
        if root.exists():  # an earlier migration stopped half-way: the old file is the truth
            shutil.rmtree(root)
        _migrate_v1(data_dir, root)
    for folder in ("subscribers", "deliveries", "history"):
        (root / folder).mkdir(parents=True, exist_ok=True)
    meta = TinyDB(root / "meta.json", storage=AtomicJSONStorage)
    meta.table("meta").truncate()
    meta.table("meta").insert({"schema": SCHEMA_VERSION, "shards": SHARDS})
    meta.close()
    if version == 1:
        (data_dir / LEGACY_FILE).unlink()


def _migrate_v1(data_dir: Path, root: Path) -> None:
    """Schema 1 kept every table in DATA/digestbot.json and had no chat kind: split into shards."""
    legacy = data_dir / LEGACY_FILE
    data = load_json_file(legacy) or {}
    (root / "subscribers").mkdir(parents=True, exist_ok=True)
    (root / "deliveries").mkdir(exist_ok=True)
    subs: dict[int, list[dict[str, Any]]] = defaultdict(list)
    dels: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for doc_id, doc in data.get("subscribers", {}).items():
        new = {"kind": "private", **doc}
        checked(legacy, int(doc_id), subscriber_from_doc, new)
        subs[shard_of(chat_key(new["platform"], new["chat_id"]))].append(new)
    for doc_id, doc in data.get("deliveries", {}).items():
        checked(legacy, int(doc_id), delivery_from_doc, doc)
        dels[shard_of(chat_key(doc["platform"], doc["chat_id"]))].append(doc)
    for folder, table, groups in (
        ("subscribers", "subscribers", subs),
        ("deliveries", "deliveries", dels),
    ):
        for number, docs in groups.items():
            db = TinyDB(root / folder / f"{number:02d}.json", storage=AtomicJSONStorage)
            db.table(table).insert_multiple(docs)
            db.close()
    runs = TinyDB(root / "runs.json", storage=AtomicJSONStorage)
    runs.table("runs").insert_multiple(list(data.get("runs", {}).values()))
    runs.close()
