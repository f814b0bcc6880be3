"""Property: an edited or damaged store opens with data the bot can use, or is refused in one line.

Hypothesis edits one file of a real store (bytes cut, changed or inserted; a JSON value replaced
by a hostile one such as ``1e400``, ``NaN``, ``"1-300000000"`` or ``"not-a-date"``; a key dropped
or renamed; the file deleted, with or without its .bak; or the file only re-formatted). Then
``Store.open`` must either raise a one-line StoreError naming a file of the data folder, or open
with records that survive the uses the bot makes of them at start (each record written back and
read again, the due-digest schedule, history, stats). The files are never changed (except
``meta.json`` when an edit made it a valid schema 2 folder, which the start migrates). A mere
re-format must open with exactly the data of the untouched store.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.domain.records import delivery_from_doc, run_from_doc, subscriber_from_doc
from bot.domain.schedule import due_digests, next_slot
from bot.store.tinydb.atomic import StoreError
from bot.store.tinydb.store import Store
from tests.store.tinydb.test_store_refusals import build, shard_file, snapshot

NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
HOSTILE = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**70), 2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=12),
    st.sampled_from(
        [
            "1-300000000",
            "5-3",
            "1,,2",
            "1.0.0.0",
            "not-a-date",
            "2026-02-30",
            "",
            "abc",
            "1e400",
            "9999-12-31T23:59:59-05:00",
            "0001-01-01T00:00:00+01:00",
            "2026-11-23T08:00:00",
            "telegram:1@x",
            "telegram:9@2026-11-23",
            "Europe/London",
            "../../etc/passwd",
            "08:00",
            "archived",
            "sent",
            "pending",
            "weekly",
            "group",
        ]
    ),
    st.lists(st.one_of(st.integers(), st.text(max_size=3)), max_size=3),
    st.dictionaries(st.text(max_size=4), st.integers(), max_size=2),
)


@pytest.fixture(scope="module")
def stores(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    base = tmp_path_factory.mktemp("fuzz")
    build(base / "template")
    shutil.copytree(base / "template", base / "work")
    return base / "template", base / "work"


def targets(data: Path) -> list[Path]:
    files = [data / "store" / "meta.json", data / "store" / "runs.json"]
    for folder in ("subscribers", "deliveries", "history"):
        files += [shard_file(data, folder, chat) for chat in ("1", "2")]
    return files


def contents(store: Store) -> tuple[object, ...]:
    return store.subscribers(), store.deliveries(), store.runs(), store.last_slots()


def paths_in(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix]
    if isinstance(node, dict):
        for key, value in node.items():
            found += paths_in(value, (*prefix, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found += paths_in(value, (*prefix, index))
    return found


def edit_json(doc: Any, path: tuple[Any, ...], action: str, value: Any) -> Any:
    if not path:
        return value
    parent = doc
    for step in path[:-1]:
        parent = parent[step]
    last = path[-1]
    if action == "drop" and isinstance(parent, dict):
        del parent[last]
    elif action == "rename" and isinstance(parent, dict):
        parent[str(value)] = parent.pop(last)
    else:
        parent[last] = value
    return doc


@st.composite
def mutations(draw: st.DrawFn, files: list[Path]) -> tuple[Path, str, Any]:
    target = draw(st.sampled_from(files))
    kind = draw(st.sampled_from(["bytes", "json", "json", "json", "delete", "reformat"]))
    raw = target.read_bytes()
    if kind == "bytes":
        at = draw(st.integers(0, len(raw)))
        how = draw(st.sampled_from(["cut", "change", "insert"]))
        junk = draw(st.binary(min_size=1, max_size=6))
        if how == "cut":
            return target, kind, raw[:at]
        if how == "change":
            return target, kind, raw[:at] + junk + raw[at + len(junk) :]
        return target, kind, raw[:at] + junk + raw[at:]
    if kind == "json":
        doc = json.loads(raw)
        where = draw(st.sampled_from(paths_in(doc)))
        action = draw(st.sampled_from(["set", "set", "drop", "rename"]))
        edited = edit_json(doc, where, action, draw(HOSTILE))
        return target, kind, json.dumps(edited).encode()
    if kind == "delete":
        return target, kind, draw(st.booleans())  # also its .bak
    return target, kind, json.dumps(json.loads(raw), indent=2, sort_keys=True).encode()


def exercise(store: Store) -> None:
    """What the bot does with the records at start and at its first tick."""
    for sub in store.subscribers():
        assert subscriber_from_doc(sub.as_doc()) == sub
        next_slot(sub, NOW)
        store.history(sub.platform, sub.chat_id)
    for delivery in store.deliveries():
        assert delivery_from_doc(delivery.as_doc()) == delivery
        if delivery.slot:
            date.fromisoformat(delivery.slot)  # as a resumed digest does
    for run in store.runs(1000):
        assert run_from_doc(run.as_doc()) == run
    due_digests(store.list_active(), NOW, store.last_slots())
    store.stats()


def signature(folder: Path) -> dict[str, tuple[int, int, int]]:
    """Size, inode and mtime of every file: any write or replace changes one of them."""
    stats = {str(p.relative_to(folder)): p.stat() for p in folder.rglob("*") if p.is_file()}
    return {name: (st.st_size, st.st_ino, st.st_mtime_ns) for name, st in stats.items()}


@dataclass
class Bench:
    """The untouched store, its files, and the working copy the examples edit and restore."""

    template: Path
    work: Path
    files: dict[str, bytes] = field(init=False)
    untouched: tuple[object, ...] = field(init=False)
    clean: dict[str, tuple[int, int, int]] = field(init=False)

    def __post_init__(self) -> None:
        self.files = snapshot(self.template)
        with Store.open(self.template, readonly=True) as reader:
            self.untouched = contents(reader)
        self.clean = signature(self.work)

    def changed(self) -> dict[str, bytes | None]:
        """Files of the working copy that differ from the template (None: gone)."""
        now = signature(self.work)
        names = {n for n in now.keys() | self.clean.keys() if now.get(n) != self.clean.get(n)}
        read = {n: (self.work / n).read_bytes() if n in now else None for n in names}
        return {n: data for n, data in read.items() if data != self.files.get(n)}

    def restore(self) -> None:
        for name in self.changed():
            if name in self.files:
                (self.work / name).write_bytes(self.files[name])
            else:
                (self.work / name).unlink()
        self.clean = signature(self.work)


def check(bench: Bench, mutation: tuple[Path, str, Any]) -> None:
    target, kind, payload = mutation
    name = str(target.relative_to(bench.template))
    path = bench.work / name
    expected: dict[str, bytes | None] = {name: None}
    if kind == "delete":
        path.unlink()
        if payload and (bench.work / f"{name}.bak").exists():
            (bench.work / f"{name}.bak").unlink()
            expected[f"{name}.bak"] = None
    else:
        path.write_bytes(payload)
        expected[name] = payload
    try:
        store = Store.open(bench.work)
    except StoreError as exc:
        assert kind != "reformat", exc
        message = str(exc)
        assert message.startswith(str(bench.work)) and "\n" not in message, message
    else:
        with store:
            exercise(store)
            if kind == "reformat":
                assert contents(store) == bench.untouched
    unexpected = {n for n, d in bench.changed().items() if n not in expected or expected[n] != d}
    if said_schema_2(expected.get("store/meta.json", bench.files["store/meta.json"])):
        unexpected -= {"store/meta.json", "store/meta.json.bak"}  # migrated: meta.json rewritten
    assert not unexpected, sorted(unexpected)


def said_schema_2(meta: bytes | None) -> bool:
    try:
        record = next(iter(json.loads(meta or b"")["meta"].values()))
    except (ValueError, TypeError, KeyError, AttributeError, StopIteration):
        return False
    return isinstance(record, dict) and record.get("schema") == 2


def run_property(stores: tuple[Path, Path], examples: int) -> None:
    bench = Bench(*stores)
    files = targets(bench.template)

    @settings(
        max_examples=examples,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
        database=None,
    )
    @given(mutations(files))
    def prop(mutation: tuple[Path, str, Any]) -> None:
        try:
            check(bench, mutation)
        finally:
            bench.restore()

    prop()


def test_edited_store_opens_usable_or_is_refused_in_one_line(stores: tuple[Path, Path]) -> None:
    run_property(stores, 100)


@pytest.mark.slow
def test_edited_store_opens_usable_or_is_refused_in_one_line_full(
    stores: tuple[Path, Path],
) -> None:
    run_property(stores, 5000)
