"""The TinyDB store on real files: settings, lock, corrupt files, schema migration, compaction."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.config import DigestDefaults
from bot.domain.records import Delivery, DeliveryItem, InvalidSetting, Run, chat_key
from bot.store.tinydb.atomic import (
    AtomicJSONStorage,
    StoreCorrupt,
    StoreError,
    pack_refs,
    unpack_refs,
)
from bot.store.tinydb.lock import DataDirLocked
from bot.store.tinydb.store import SCHEMA_VERSION, Store, shard_of

NOW = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
DEFAULTS = DigestDefaults()


def delivery(
    chat: str,
    slot: str,
    posts: dict[str, tuple[str, ...]],
    *,
    state: str = "pending",
    when: datetime = NOW,
) -> Delivery:
    items = tuple(DeliveryItem(pid, "new", refs) for pid, refs in posts.items())
    return Delivery(
        Delivery.make_id("telegram", chat, slot),
        "telegram",
        chat,
        slot,
        "t",
        items,
        state,
        when,
        when,
    )


def seen(store: Store, chat: str) -> dict[str, set[str]]:
    return {post: set(refs) for post, refs in store.history("telegram", chat).items()}


@pytest.fixture
def store(tmp_path: Path) -> Store:
    with Store.open(tmp_path) as opened:
        yield opened  # type: ignore[misc]


def test_subscribe_uses_defaults_and_survives_reopen(tmp_path: Path) -> None:
    with Store.open(tmp_path) as store:
        sub = store.subscribe("telegram", -100123, now=NOW, defaults=DEFAULTS, kind="group")
        store.update_subscriber(
            "telegram",
            "-100123",
            now=NOW,
            time="07:30",
            topics=("probation",),
            timezone="Asia/Kolkata",
            posts=5,
        )
        assert (sub.chat_id, sub.kind, sub.time, sub.timezone) == (
            "-100123",
            "group",
            "08:00",
            "Europe/London",
        )
    with Store.open(tmp_path) as store:
        again = store.get_subscriber("telegram", -100123)
        assert again is not None
        assert (again.time, again.timezone, again.topics, again.posts) == (
            "07:30",
            "Asia/Kolkata",
            ("probation",),
            5,
        )
        assert [s.key for s in store.list_active()] == ["telegram:-100123"]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"time": "25:00"}, "time '25:00' is not HH:MM on a 24-hour clock, e.g. 08:00"),
        (
            {"timezone": "Mars/Olympus"},
            "time zone 'Mars/Olympus' is unknown; use an IANA name like Europe/London",
        ),
        ({"posts": 0}, "posts per digest must be a whole number from 1 to 20, got 0"),
        ({"frequency": "hourly"}, "frequency 'hourly' is not one of: daily, weekly"),
        (
            {"weekday": "monday"},
            "weekday 'monday' is not one of: mon, tue, wed, thu, fri, sat, sun",
        ),
        ({"colour": "red"}, "unknown setting 'colour'"),
    ],
)
def test_bad_settings_are_refused_with_a_message(
    store: Store, change: dict[str, object], message: str
) -> None:
    store.subscribe("telegram", 1, now=NOW, defaults=DEFAULTS)
    with pytest.raises(InvalidSetting) as info:
        store.update_subscriber("telegram", 1, now=NOW, **change)
    assert str(info.value) == message
    assert store.get_subscriber("telegram", 1).time == "08:00"  # type: ignore[union-attr]


def test_update_of_unknown_chat_says_subscribe_first(store: Store) -> None:
    with pytest.raises(Exception, match="send /subscribe first"):
        store.update_subscriber("telegram", 9, now=NOW, time="09:00")


def test_second_instance_is_refused_naming_folder_and_pid(tmp_path: Path) -> None:
    with Store.open(tmp_path):
        with pytest.raises(DataDirLocked) as info:
            Store.open(tmp_path)
        assert str(info.value) == (
            f"{tmp_path} is in use by another digestbot (process {os.getpid()}); stop it first, "
            "or give this one its own folder with --data DIR"
        )
        with Store.open(tmp_path, readonly=True) as reader:  # previews still work
            assert reader.subscribers() == []
    with Store.open(tmp_path):  # released on close
        pass


def test_history_counts_sent_pending_unknown_but_not_failed(store: Store) -> None:
    store.add_deliveries(
        [
            delivery("1", "2026-11-20", {"a": ("1", "2")}, state="sent"),
            delivery("1", "2026-11-21", {"b": ()}, state="failed"),
            delivery("1", "2026-11-22", {"c": ("1",)}, state="unknown"),
            delivery("1", "2026-11-23", {"d": ()}),
        ]
    )
    assert seen(store, "1") == {"a": {"1", "2"}, "c": {"1"}, "d": set()}
    assert store.last_slots() == {"telegram:1": "2026-11-23"}
    assert (
        store.add_deliveries([delivery("1", "2026-11-23", {"x": ()})]) == []
    )  # same slot: kept once


def test_mark_is_persisted_and_stats_count_states(tmp_path: Path) -> None:
    with Store.open(tmp_path) as store:
        d = delivery("5", "2026-11-23", {"a": ()})
        store.add_deliveries([d])
        store.mark(
            d.id, "sent", now=NOW + timedelta(seconds=3), message_ids=["77", "78"], attempts=1
        )
        store.record_run(Run("r1", NOW, NOW, due=1, sent=1))
    with Store.open(tmp_path) as store:
        got = store.get_delivery(d.id)
        assert got is not None and (got.state, got.message_ids, got.attempts) == (
            "sent",
            ("77", "78"),
            1,
        )
        stats = store.stats()
        assert (stats.subscribers, stats.deliveries, stats.last_run.sent) == (0, {"sent": 1}, 1)  # type: ignore[union-attr]


def test_migrate_chat_keeps_settings_and_history(store: Store) -> None:
    store.subscribe("telegram", -1, now=NOW, defaults=DEFAULTS, kind="group")
    store.update_subscriber("telegram", -1, now=NOW, topics=("prisons",))
    store.add_deliveries([delivery("-1", "2026-11-22", {"a": ("1",)}, state="sent")])
    moved = store.migrate_chat("telegram", -1, -1009, now=NOW)
    assert moved is not None and moved.topics == ("prisons",)
    assert store.get_subscriber("telegram", -1) is None
    assert seen(store, "-1009") == {"a": {"1"}}
    assert store.history("telegram", -1) == {}
    assert store.last_slots() == {"telegram:-1009": "2026-11-22"}


def test_blocked_chat_can_be_paused_and_resubscribed(store: Store) -> None:
    store.subscribe("telegram", 3, now=NOW, defaults=DEFAULTS)
    store.set_active("telegram", 3, False, now=NOW)
    assert store.list_active() == []
    again = store.subscribe("telegram", 3, now=NOW, defaults=DEFAULTS)
    assert again.active and again.time == "08:00"


def test_compact_folds_old_deliveries_and_keeps_history(tmp_path: Path) -> None:
    old = NOW - timedelta(days=30)
    with Store.open(tmp_path) as store:
        store.add_deliveries(
            [
                delivery("1", f"2026-10-{d:02d}", {f"p{d}": ("1",)}, state="sent", when=old)
                for d in range(1, 25)
            ]
        )
        store.add_deliveries([delivery("1", "2026-11-22", {"new": ()}, state="sent")])
        path = tmp_path / "store" / "deliveries" / f"{shard_of(chat_key('telegram', '1')):02d}.json"
        before = path.stat().st_size
        assert store.compact(NOW) == 24
        assert path.stat().st_size < before / 2
    with Store.open(tmp_path) as store:
        history = store.history("telegram", 1)
        assert set(history) == {f"p{d}" for d in range(1, 25)} | {"new"}
        assert len(store.deliveries(platform="telegram", chat_id=1)) == 2  # archive + recent
        assert store.last_slots() == {"telegram:1": "2026-11-22"}
        assert store.compact(NOW + timedelta(days=60)) == 1  # the recent one joins the archive
        assert set(store.history("telegram", 1)) == {f"p{d}" for d in range(1, 25)} | {"new"}


def _shard_file(tmp_path: Path, chat: str) -> Path:
    return tmp_path / "store" / "subscribers" / f"{shard_of(chat_key('telegram', chat)):02d}.json"


def test_truncated_file_is_named_left_alone_and_a_backup_is_kept(tmp_path: Path) -> None:
    with Store.open(tmp_path) as store:
        store.subscribe("telegram", 1, now=NOW, defaults=DEFAULTS)
        store.update_subscriber("telegram", 1, now=NOW, time="09:00")
    path = _shard_file(tmp_path, "1")
    path.write_bytes(path.read_bytes()[:40])
    broken = path.read_bytes()
    with pytest.raises(StoreCorrupt) as info:
        Store.open(tmp_path)
    assert str(info.value).startswith(f"{path}: not valid JSON (line 1, column ")
    assert path.read_bytes() == broken  # never reset
    backup = json.loads(path.with_name(path.name + ".bak").read_text())
    assert next(iter(backup["subscribers"].values()))["time"] == "08:00"
    path.write_bytes(path.with_name(path.name + ".bak").read_bytes())  # the documented fix
    with Store.open(tmp_path) as store:
        assert store.get_subscriber("telegram", 1) is not None


def test_hand_edited_record_is_named(tmp_path: Path) -> None:
    with Store.open(tmp_path) as store:
        store.subscribe("telegram", 1, now=NOW, defaults=DEFAULTS)
    path = _shard_file(tmp_path, "1")
    data = json.loads(path.read_text())
    data["subscribers"]["1"]["posts"] = "three"
    path.write_text(json.dumps(data))
    with pytest.raises(StoreCorrupt) as info:
        Store.open(tmp_path)
    assert str(info.value) == (
        f"{path}: record 1 is not valid (posts per digest must be a whole number from 1 to 20, "
        "got 'three'); fix or remove it, the .bak file next to it is the last version "
        "digestbot wrote"
    )


def _legacy(tmp_path: Path) -> dict[str, object]:
    sub = {
        "platform": "telegram",
        "chat_id": "42",
        "timezone": "Asia/Kolkata",
        "time": "06:45",
        "frequency": "weekly",
        "weekday": "fri",
        "topics": ["courts"],
        "posts": 2,
        "active": True,
        "created": NOW.isoformat(),
        "updated": NOW.isoformat(),
    }
    sent = delivery("42", "2026-11-20", {"a": ("1",)}, state="sent").as_doc()
    legacy = {"subscribers": {"1": sub}, "deliveries": {"1": sent}, "runs": {}}
    (tmp_path / "digestbot.json").write_text(json.dumps(legacy))
    return legacy


def test_schema_1_single_file_is_migrated_with_a_backup(tmp_path: Path) -> None:
    legacy = _legacy(tmp_path)
    with Store.open(tmp_path) as store:
        got = store.get_subscriber("telegram", 42)
        assert got is not None and (got.kind, got.time, got.weekday, got.topics) == (
            "private",
            "06:45",
            "fri",
            ("courts",),
        )
        assert seen(store, "42") == {"a": {"1"}}
    assert json.loads((tmp_path / "digestbot.json.v1-backup").read_text()) == legacy
    assert not (tmp_path / "digestbot.json").exists()
    meta = json.loads((tmp_path / "store" / "meta.json").read_text())
    assert next(iter(meta["meta"].values()))["schema"] == SCHEMA_VERSION == 3


def test_a_migration_stopped_half_way_is_redone_from_the_old_file(tmp_path: Path) -> None:
    _legacy(tmp_path)
    with Store.open(tmp_path):
        pass
    (tmp_path / "store" / "meta.json").unlink()  # as if killed before the schema was recorded
    (tmp_path / "digestbot.json.v1-backup").rename(tmp_path / "digestbot.json")
    with Store.open(tmp_path) as store:
        assert [s.key for s in store.subscribers()] == ["telegram:42"]  # once, not twice
        assert len(store.deliveries()) == 1


def test_newer_schema_is_refused(tmp_path: Path) -> None:
    with Store.open(tmp_path):
        pass
    meta = tmp_path / "store" / "meta.json"
    meta.write_text(json.dumps({"meta": {"1": {"schema": 9, "shards": 64}}}))
    with pytest.raises(StoreError, match="schema version 9 was written by a newer digestbot"):
        Store.open(tmp_path)


def test_atomic_storage_write_leaves_no_temp_and_reads_back(tmp_path: Path) -> None:
    storage = AtomicJSONStorage(tmp_path / "x.json")
    assert storage.read() is None
    storage.write({"t": {"1": {"a": 1}}})
    storage.write({"t": {"1": {"a": 2}}})
    assert sorted(p.name for p in tmp_path.iterdir()) == ["x.json", "x.json.bak"]
    assert AtomicJSONStorage(tmp_path / "x.json").read() == {"t": {"1": {"a": 2}}}
    assert json.loads((tmp_path / "x.json.bak").read_text()) == {"t": {"1": {"a": 1}}}


@pytest.mark.parametrize(
    ("refs", "packed"),
    [
        (("1", "1.1", "1.2", "2", "3", "4", "4.1"), "1,1.1-2,2-4,4.1"),
        (("1", "2", "3", "10"), "1-3,10"),
        ((), ""),
        (("x", "1"), ["x", "1"]),  # not comment refs: kept as a list
    ],
)
def test_refs_are_packed_as_ranges_and_keep_thread_order(
    refs: tuple[str, ...], packed: object
) -> None:
    assert pack_refs(refs) == packed
    assert unpack_refs(pack_refs(refs)) == refs
