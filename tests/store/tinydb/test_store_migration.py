"""Schema 2 folders (shard files made on first write) and schema 1 files, brought to schema 3.

A schema 2 folder as the previous digestbot left it: ``meta.json`` says 2 and only the shard files
that were ever written exist, with a .bak only from their second write. Built here from a current
store by removing what schema 2 never had (every empty file, every .bak of an empty file).
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bot.domain.records import Subscriber
from bot.store.tinydb.atomic import StoreCorrupt
from bot.store.tinydb.store import SCHEMA_VERSION, SHARDS, Store
from tests.store.tinydb.test_store_refusals import AGAIN, build, shard_file, snapshot

EMPTY = b"{}"
ROOT = Path(__file__).resolve().parents[3]


def as_schema_2(data: Path) -> None:
    root = data / "store"
    for path in [*root.rglob("*.json"), *root.rglob("*.bak")]:
        if path.read_bytes() == EMPTY:
            path.unlink()
    meta = root / "meta.json"
    meta.write_text(json.dumps({"meta": {"1": {"schema": 2, "shards": SHARDS}}}))


@pytest.fixture
def v2(tmp_path: Path) -> Path:
    data = tmp_path / "data"
    build(data)
    as_schema_2(data)
    assert len(list((data / "store" / "subscribers").glob("*.json"))) < SHARDS
    return data


def contents(store: Store) -> tuple[list[Subscriber], list[object], list[object]]:
    return store.subscribers(), store.deliveries(), store.runs()


def test_a_schema_2_folder_opens_with_the_same_data_and_gets_every_file(v2: Path) -> None:
    with Store.open(v2, readonly=True) as reader:  # a preview reads it as it is, writing nothing
        before = contents(reader)
    assert len(before[0]) == 5 and len(before[1]) == 3
    with Store.open(v2) as store:
        assert contents(store) == before
    meta = json.loads((v2 / "store" / "meta.json").read_text())
    assert meta == {"meta": {"1": {"schema": SCHEMA_VERSION, "shards": SHARDS}}}
    for folder in ("subscribers", "deliveries", "history"):
        names = {p.name for p in (v2 / "store" / folder).glob("*.json")}
        assert names == {f"{n:02d}.json" for n in range(SHARDS)}
    with Store.open(v2) as store:
        assert contents(store) == before


def test_a_schema_2_file_gone_with_its_bak_beside_it_is_refused(v2: Path) -> None:
    """The case of a folder written before this version: a lost file still leaves its .bak."""
    path = shard_file(v2, "deliveries", "1")
    assert path.with_name(path.name + ".bak").exists()
    path.unlink()
    before = snapshot(v2)
    for readonly in (False, True):
        with pytest.raises(StoreCorrupt) as info:
            Store.open(v2, readonly=readonly)
        assert str(info.value) == (
            f"{path}: the file is missing; copy {path.name}.bak beside it (the version before "
            f"digestbot's last write) to {path.name}, or restore the data folder from a backup"
        )
    assert snapshot(v2) == before


def test_a_bad_record_stops_the_migration_before_anything_is_written(v2: Path) -> None:
    path = shard_file(v2, "subscribers", "2")
    doc = json.loads(path.read_text())
    doc["subscribers"]["1"]["created"] = "yesterday"
    path.write_text(json.dumps(doc))
    before = snapshot(v2)
    with pytest.raises(StoreCorrupt) as info:
        Store.open(v2)
    assert str(info.value) == (
        f"{path}: record 1 is not valid (created 'yesterday' is not a time like "
        f"2026-11-23T08:00:00+00:00); {AGAIN}"
    )
    assert snapshot(v2) == before  # still schema 2, no file added


def test_a_first_start_killed_while_making_the_files_is_finished_next_time(
    tmp_path: Path,
) -> None:
    data = tmp_path / "data"
    with Store.open(data):
        pass
    root = data / "store"
    (root / "meta.json").unlink()  # as if killed before meta.json was written
    for path in list((root / "history").glob("*.json"))[:40]:
        path.unlink()
    (root / "history" / "07.json.tmp").write_text('{"hist')  # a write cut short
    with Store.open(data) as store:
        assert store.subscribers() == []
    assert len(list((root / "history").glob("*.json"))) == SHARDS
    assert not list(root.rglob("*.tmp"))


def test_a_bad_schema_1_record_is_refused_before_the_backup_or_any_shard_is_written(
    tmp_path: Path,
) -> None:
    legacy = tmp_path / "digestbot.json"
    sub = {
        **{"platform": "telegram", "chat_id": "42", "timezone": "Europe/London", "time": "06:45"},
        **{"frequency": "daily", "weekday": "mon", "topics": [], "posts": 3, "active": True},
        **{"created": "2026-11-20T08:00:00+00:00", "updated": "2026-11-20T08:00:00+00:00"},
    }
    legacy.write_text(json.dumps({"subscribers": {"1": sub, "2": {**sub, "posts": 1e400}}}))
    before = snapshot(tmp_path)
    with pytest.raises(StoreCorrupt) as info:
        Store.open(tmp_path)
    assert str(info.value) == (
        f"{legacy}: record 2 is not valid (posts per digest must be a whole number from 1 to 20, "
        f"got inf); {AGAIN}"
    )
    after = snapshot(tmp_path)
    assert after.pop(".lock") == b""  # the lock was taken and given back; nothing else appeared
    assert after == before
    legacy.write_text(json.dumps({"subscribers": {"1": sub, "2": {**sub, "chat_id": "43"}}}))
    with Store.open(tmp_path) as store:
        assert sorted(s.chat_id for s in store.subscribers()) == ["42", "43"]


CREATE = r"""
import sys
from bot.store.tinydb.store import Store
print("go", flush=True)
Store.open(sys.argv[1]).close()
print("done", flush=True)
"""


def _start_creating(data: Path) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    child = subprocess.Popen(
        [sys.executable, "-c", CREATE, str(data)], stdout=subprocess.PIPE, text=True, env=env
    )
    assert child.stdout is not None and child.stdout.readline() == "go\n"
    return child


def test_kill_9_during_the_first_start_never_leaves_a_store_that_refuses(tmp_path: Path) -> None:
    """A real `kill -9` of a process making a new store, at a random moment of it: at least 20
    kills, and more (up to 80) until 3 of them landed while the files were being made. The
    moments are drawn from how long one whole first start takes on this machine now."""
    begun = time.monotonic()
    whole = _start_creating(tmp_path / "timing")
    assert whole.stdout is not None and whole.stdout.readline() == "done\n"
    whole.wait()
    took = time.monotonic() - begun
    rnd = random.Random(10)
    cut = rounds = 0
    while rounds < 20 or (cut < 3 and rounds < 80):
        data = tmp_path / f"data{rounds}"
        child = _start_creating(data)
        time.sleep(rnd.uniform(0, took))
        child.kill()
        child.wait()
        rounds += 1
        cut += not (data / "store" / "meta.json").exists() and (data / "store").exists()
        with Store.open(data) as store:
            assert store.subscribers() == []
        assert len(list((data / "store" / "deliveries").glob("*.json"))) == SHARDS
        assert not list(data.rglob("*.tmp"))
    print(f"{cut} of {rounds} kills landed while the files were being made")
    assert cut >= 3
