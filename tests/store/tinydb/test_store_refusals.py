"""The store never silently resets: every damaged or edited file stops the start with one line.

Each case edits a real store the way a person, a script or a failing disk would, then starts the
bot on it twice: with ``Store.open`` (the exact StoreError) and with the real ``digestbot run``
(exit 2, that one line on stderr, no traceback). Every file under the data folder must then be
byte-for-byte what it was: nothing is rewritten, reset or dropped.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot import cli
from bot.config import DigestDefaults
from bot.domain.records import Delivery, DeliveryItem, Run, chat_key
from bot.store.tinydb.atomic import StoreError
from bot.store.tinydb.store import SCHEMA_VERSION, SHARDS, Store, shard_of
from tests.app_fixtures import SEEDS
from tests.tmpfs import fill, remount_readonly, tmpfs

ROOT = Path(__file__).resolve().parents[3]
NOW = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
OLD = NOW - timedelta(days=30)
CHATS = ("1", "2", "3", "4", "5")
RUN = ("run", "--frontend", "console")
AGAIN = "fix or remove it, the .bak file next to it is the last version digestbot wrote"


def _delivery(chat: str, slot: str, refs: tuple[str, ...], state: str, when: datetime) -> Delivery:
    item = DeliveryItem("000_63c8db97991e146f", "new", refs)
    return Delivery(
        Delivery.make_id("telegram", chat, slot), "telegram", chat, slot, "Daily digest",
        (item,), state, when, when,
    )  # fmt: skip


def build(data: Path) -> None:
    """Five subscribers, a sent, an archived and a pending delivery, and a run."""
    with Store.open(data) as store:
        for chat in CHATS:
            store.subscribe("telegram", chat, now=OLD, defaults=DigestDefaults())
        store.update_subscriber("telegram", "1", now=OLD, time="07:30")  # its file gets a .bak
        refs = tuple(str(n) for n in range(1, 19))
        store.add_deliveries([_delivery("1", "2026-10-24", refs, "sent", OLD)])
        store.compact(NOW)  # folded into chat 1's history record
        store.add_deliveries([_delivery("1", "2026-11-22", refs, "sent", NOW)])
        store.add_deliveries([_delivery("2", "2026-11-23", ("1", "2"), "pending", NOW)])
        store.record_run(Run("r1", NOW, NOW, due=2, sent=1))


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    data = tmp_path_factory.mktemp("template") / "data"
    build(data)
    assert shard_of(chat_key("telegram", "1")) != shard_of(chat_key("telegram", "2"))
    return data


@pytest.fixture
def data(template: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "data"
    shutil.copytree(template, copy)
    return copy


def snapshot(folder: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()
    }


def shard_file(data: Path, folder: str, chat: str) -> Path:
    return data / "store" / folder / f"{shard_of(chat_key('telegram', chat)):02d}.json"


def edit_json(path: Path, change: Callable[[dict], object]) -> None:
    doc = json.loads(path.read_text())
    change(doc)
    path.write_text(json.dumps(doc))


def edit_text(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, (old, text[:300])
    path.write_text(text.replace(old, new))


def record_id(path: Path, table: str, delivery_id: str) -> str:
    docs = json.loads(path.read_text())[table]
    return next(doc_id for doc_id, doc in docs.items() if doc.get("id") == delivery_id)


def set_meta(**values: object) -> Callable[[Path], str]:
    def mutate(data: Path) -> str:
        edit_json(data / "store" / "meta.json", lambda d: d["meta"]["1"].update(values))
        return str(data / "store" / "meta.json")

    return mutate


# ---------------------------------------------------------------------- the cases


def shards_1(data: Path) -> str:
    meta = set_meta(shards=1)(data)
    return (
        f'{meta}: "shards" is 1, but the store has {SHARDS} shard files; digestbot never '
        f'changes that number: put back "shards": {SHARDS}'
    )


def shards_not_whole(value: object, shown: str) -> Callable[[Path], str]:
    def mutate(data: Path) -> str:
        meta = set_meta(shards=value)(data)
        return (
            f'{meta}: "shards" is {shown}, not a whole number; the store has {SHARDS} shard '
            f'files: put back "shards": {SHARDS}'
        )

    return mutate


def missing(folder: str, chat: str, *, with_bak: bool, what: str) -> Callable[[Path], str]:
    def mutate(data: Path) -> str:
        path = shard_file(data, folder, chat)
        if not with_bak:  # every file has one after its first write (its empty start)
            path.with_name(path.name + ".bak").unlink()
        path.unlink()
        if with_bak:
            return (
                f"{path}: the file is missing; copy {path.name}.bak beside it (the version "
                f"before digestbot's last write) to {path.name}, or restore the data folder "
                "from a backup"
            )
        return (
            f"{path}: the file is missing; restore the data folder from a backup, or write "
            f"{{}} into it to give up the {what} it held"
        )

    return mutate


def schema(value: int) -> Callable[[Path], str]:
    def mutate(data: Path) -> str:
        meta = set_meta(schema=value)(data)
        return (
            f'{meta}: "schema" is {value}, a version digestbot never writes in meta.json; '
            f'put back "schema": {SCHEMA_VERSION}'
        )

    return mutate


def schema_1_without_legacy_file(data: Path) -> str:
    meta = set_meta(schema=1)(data)
    return (
        f'{meta}: "schema" is 1, but schema 1 kept everything in {data / "digestbot.json"}, '
        f'which is not there; put back "schema": {SCHEMA_VERSION}'
    )


def document_id_abc(data: Path) -> str:
    path = shard_file(data, "subscribers", "3")
    edit_json(path, lambda d: d["subscribers"].update(abc=d["subscribers"].pop("1")))
    return f"{path}: record id 'abc' in table 'subscribers' is not a whole number; {AGAIN}"


def huge_number(text: str, shown: str) -> Callable[[Path], str]:
    def mutate(data: Path) -> str:
        path = shard_file(data, "deliveries", "2")
        doc_id = record_id(path, "deliveries", "telegram:2@2026-11-23")
        edit_text(path, '"attempts":0', f'"attempts":{text}')
        return (
            f"{path}: record {doc_id} is not valid (attempts must be a whole number from 0 to "
            f"1000000, got {shown}); {AGAIN}"
        )

    return mutate


def run_count(text: str, shown: str) -> Callable[[Path], str]:
    def mutate(data: Path) -> str:
        path = data / "store" / "runs.json"
        edit_text(path, '"sent":1', f'"sent":{text}')
        return (
            f"{path}: record 1 is not valid (sent must be a whole number from 0 to "
            f"1000000000, got {shown}); {AGAIN}"
        )

    return mutate


def slot_not_a_date(data: Path) -> str:
    path = shard_file(data, "deliveries", "2")
    doc_id = record_id(path, "deliveries", "telegram:2@2026-11-23")
    edit_json(path, lambda d: d["deliveries"][doc_id].update(slot="not-a-date"))
    return (
        f"{path}: record {doc_id} is not valid (slot 'not-a-date' is not a date like "
        f"2026-11-23); {AGAIN}"
    )


def subscriber_in_the_wrong_shard(data: Path) -> str:
    source, target = shard_file(data, "subscribers", "3"), shard_file(data, "subscribers", "4")
    moved = json.loads(source.read_text())["subscribers"]["1"]
    source.write_text(json.dumps({"subscribers": {}}))
    edit_json(target, lambda d: d["subscribers"].update({"2": moved}))
    return (
        f"{target}: record 2 (telegram:3) belongs in {source.name}, where its chat hashes; "
        f"move it back, or copy the .bak file next to it over this file"
    )


def subscriber_twice(data: Path) -> str:
    path = shard_file(data, "subscribers", "3")
    edit_json(path, lambda d: d["subscribers"].update({"2": d["subscribers"]["1"]}))
    return f"{path}: records 1 and 2 are both telegram:3; remove one, or copy the .bak file next to it over this file"  # noqa: E501


def archive_among_deliveries(data: Path) -> str:
    history, deliveries = shard_file(data, "history", "1"), shard_file(data, "deliveries", "1")
    archive = json.loads(history.read_text())["history"]["1"]
    history.write_text("{}")
    edit_json(deliveries, lambda d: d["deliveries"].update({"9": archive}))
    return (
        f"{deliveries}: record 9 is in state 'archived', so it belongs in history/"
        f"{deliveries.name}; move it back, or copy the .bak file next to it over this file"
    )


def renamed_table(data: Path) -> str:
    path = shard_file(data, "subscribers", "5")
    edit_json(path, lambda d: d.update(subscriber=d.pop("subscribers")))
    return (
        f"{path}: holds a table 'subscriber' where only 'subscribers' belongs; rename it back, "
        "or copy the .bak file next to it over this file"
    )


def meta_missing(data: Path) -> str:
    meta = data / "store" / "meta.json"
    meta.unlink()
    return (
        f"{meta}: the file is missing but the store holds data; put it back: "
        f'{{"meta": {{"1": {{"schema": {SCHEMA_VERSION}, "shards": {SHARDS}}}}}}}'
    )


CASES = [
    pytest.param(shards_1, id="shards-1"),
    pytest.param(shards_not_whole(94.9, "94.9"), id="shards-94.9"),
    pytest.param(shards_not_whole(True, "true"), id="shards-true"),
    pytest.param(
        missing("subscribers", "1", with_bak=True, what="subscribers"), id="subscribers-gone"
    ),
    pytest.param(
        missing("subscribers", "4", with_bak=False, what="subscribers"),
        id="subscribers-gone-no-bak",
    ),
    pytest.param(
        missing("deliveries", "1", with_bak=True, what="deliveries"), id="deliveries-gone"
    ),
    pytest.param(missing("history", "1", with_bak=False, what="digest history"), id="history-gone"),
    pytest.param(schema(-1), id="schema--1"),
    pytest.param(schema(0), id="schema-0"),
    pytest.param(schema_1_without_legacy_file, id="schema-1-no-digestbot.json"),
    pytest.param(document_id_abc, id="document-id-abc"),
    pytest.param(huge_number("1e400", "inf"), id="attempts-1e400"),
    pytest.param(huge_number("Infinity", "inf"), id="attempts-Infinity"),
    pytest.param(huge_number("NaN", "nan"), id="attempts-NaN"),
    pytest.param(huge_number("2.5", "2.5"), id="attempts-2.5"),
    pytest.param(run_count("1e400", "inf"), id="run-count-1e400"),
    pytest.param(slot_not_a_date, id="slot-not-a-date"),
    pytest.param(subscriber_in_the_wrong_shard, id="record-in-the-wrong-shard"),
    pytest.param(subscriber_twice, id="subscriber-twice"),
    pytest.param(archive_among_deliveries, id="archive-among-deliveries"),
    pytest.param(renamed_table, id="renamed-table"),
    pytest.param(meta_missing, id="meta.json-gone"),
]


def start(
    data: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, *command: str
) -> tuple[int, str]:
    """`digestbot --data DATA COMMAND` in this process (stdin empty): exit code and stderr."""
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))
    code = cli.main(["--corpus", str(SEEDS), "--data", str(data), *(command or RUN)])
    captured = capsys.readouterr()
    return code, captured.err


@pytest.mark.parametrize("mutate", CASES)
def test_damaged_store_stops_the_start_naming_the_file_and_nothing_changes(
    data: Path,
    mutate: Callable[[Path], str],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    message = mutate(data)
    before = snapshot(data)
    with pytest.raises(StoreError) as info:
        Store.open(data)
    assert str(info.value) == message
    assert snapshot(data) == before
    for command in (RUN, ("digest", "--chat", "telegram:1")):
        assert start(data, capsys, monkeypatch, *command) == (2, f"digestbot: {message}\n")
        assert snapshot(data) == before


def test_the_documented_fixes_bring_the_store_back(data: Path) -> None:
    """Copying the .bak back (or writing {} to give a shard up) is all it takes to start again."""
    lost = shard_file(data, "subscribers", "1")
    missing("subscribers", "1", with_bak=True, what="subscribers")(data)
    shutil.copy(lost.with_name(lost.name + ".bak"), lost)
    given_up = shard_file(data, "history", "1")
    given_up.unlink()
    given_up.write_text("{}")
    with Store.open(data) as store:
        assert {s.chat_id for s in store.subscribers()} == set(CHATS)
        assert store.get_delivery("telegram:1@2026-11-22") is not None


def test_a_ref_range_of_300_million_is_refused_at_once(data: Path) -> None:
    """A real `digestbot run`: a one-line refusal within seconds, not a hang eating memory."""
    path = shard_file(data, "deliveries", "2")
    doc_id = record_id(path, "deliveries", "telegram:2@2026-11-23")
    edit_json(path, lambda d: d["deliveries"][doc_id]["items"][0].update(refs="1-300000000"))
    before = snapshot(data)
    env = {k: v for k, v in os.environ.items() if k != "DIGESTBOT_TELEGRAM_TOKEN"}
    limit = "import resource; resource.setrlimit(resource.RLIMIT_AS, (3 << 30, 3 << 30)); "
    proc = subprocess.run(
        [sys.executable, "-c", limit + "from bot.cli import main; raise SystemExit(main())",
         "--corpus", str(SEEDS), "--data", str(data), *RUN],
        stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=60, env=env, cwd=ROOT,
    )  # fmt: skip
    assert (proc.returncode, proc.stderr) == (
        2,
        f"digestbot: {path}: record {doc_id} is not valid (refs '1-300000000' stand for "
        f"300000000 comments; a record holds at most 1000000); {AGAIN}\n",
    )
    assert snapshot(data) == before


# ---------------------------------------------------------------------- the data folder itself


def test_data_pointing_at_a_file_is_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("my notes\n")
    expected = (
        f"digestbot: {notes}: this is a file, not a folder; point --data (or [data] folder in "
        "the config) at a folder\n"
    )
    for command in (RUN, ("digest",)):
        assert start(notes, capsys, monkeypatch, *command) == (2, expected)
    assert notes.read_text() == "my notes\n"
    inside = notes / "data"
    assert start(inside, capsys, monkeypatch) == (
        2,
        f"digestbot: {inside}: {notes} is a file, not a folder; point --data (or [data] folder "
        "in the config) at a folder\n",
    )


@pytest.fixture
def mount(tmp_path: Path) -> Iterator[Path]:
    with tmpfs(tmp_path / "mnt", size="16m") as mounted:
        yield mounted


def test_a_read_only_data_folder_is_one_line_and_reading_still_works(
    template: Path,
    mount: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    data = mount / "data"
    shutil.copytree(template, data)
    remount_readonly(mount)
    before = snapshot(data)
    assert start(data, capsys, monkeypatch) == (
        2,
        f"digestbot: {data}: the data folder is read-only (cannot write {data / '.lock'}: "
        "Read-only file system); make it writable, or point --data at a folder digestbot "
        "can write\n",
    )
    code, err = start(data, capsys, monkeypatch, "digest", "--chat", "telegram:1", "--json")
    assert (code, err) == (0, "")  # a preview only reads
    assert snapshot(data) == before


def test_a_data_folder_without_write_permission_is_one_line(
    data: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same for a user who may not write the folder (root may: the mount test covers it)."""
    if os.geteuid() == 0:
        pytest.skip("root writes through permission bits; the read-only mount test covers root")
    before = snapshot(data)
    folders = [data, *(p for p in (data / "store").rglob("*") if p.is_dir()), data / "store"]
    for folder in folders:
        folder.chmod(0o555)
    try:
        assert start(data, capsys, monkeypatch) == (
            2,
            f"digestbot: {data}: the data folder is read-only (cannot write {data}: Permission "
            "denied); make it writable, or point --data at a folder digestbot can write\n",
        )
    finally:
        for folder in folders:
            folder.chmod(0o755)
    assert snapshot(data) == before


def test_a_full_disk_at_the_lock_is_one_line(
    mount: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    data = mount / "data"
    filler = fill(mount)
    assert start(data, capsys, monkeypatch) == (
        2,
        f"digestbot: {data / '.lock'}: no space left on the device holding the data folder; "
        "free some space (nothing written so far was lost)\n",
    )
    filler.unlink()
    assert start(data, capsys, monkeypatch) == (0, "")


def test_a_full_disk_at_the_first_store_write_is_one_line_and_the_next_start_works(
    mount: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    data = mount / "data"
    data.mkdir()
    (data / ".lock").write_text("12345\n")  # its page is reused for the pid: the lock succeeds
    filler = fill(mount)
    code, err = start(data, capsys, monkeypatch)
    assert code == 2 and err.count("\n") == 1, err
    assert err.startswith(f"digestbot: {data / 'store'}/")
    assert err.endswith(
        ": no space left on the device holding the data folder; free some space "
        "(nothing written so far was lost)\n"
    )
    filler.unlink()
    assert start(data, capsys, monkeypatch) == (0, "")
    with Store.open(data) as store:
        store.subscribe("telegram", 1, now=NOW, defaults=DigestDefaults())
    with Store.open(data) as store:
        assert [s.chat_id for s in store.subscribers()] == ["1"]
