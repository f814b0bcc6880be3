"""The TinyDB store: subscribers, digest runs and deliveries, one writer per data folder.

``DATA/store/`` holds ``meta.json``, 128 shards each of subscribers, deliveries (the outbox)
and history, and ``runs.json`` (docs/store.md has the layout). Every file is written atomically
(:class:`AtomicJSONStorage`); a delivery's write rewrites one small shard, and :meth:`compact`
folds old final deliveries into the history files. The store is read once at open into
in-memory indexes, and opening never guesses: a missing, damaged or hand-edited file stops the
start with one line naming it, before anything is written (:mod:`.schema`, :mod:`.layout`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from tinydb import where

from bot.config import DigestDefaults
from bot.domain.records import (
    CLAIMING,
    Delivery,
    History,
    Run,
    StoreStats,
    Subscriber,
    chat_key,
    check_changes,
)
from bot.store.tinydb.atomic import StoreError, check_folder
from bot.store.tinydb.layout import RUNS, SHARDS, Shard, check_writable, shard_of
from bot.store.tinydb.lock import DataDirLock
from bot.store.tinydb.runs import RunLog, closed
from bot.store.tinydb.schema import SCHEMA_VERSION, complete_layout, migrate_v1, read_meta

__all__ = ["SCHEMA_VERSION", "SHARDS", "Store", "shard_of"]


class Store:
    """Subscribers, runs and deliveries. Open with :meth:`Store.open` (takes the folder lock)."""

    def __init__(self, data_dir: Path, *, readonly: bool = False) -> None:
        self.data_dir = Path(data_dir)
        self.root = self.data_dir / "store"
        self.readonly = readonly
        self._lock = DataDirLock(self.data_dir)
        self.shards = SHARDS
        self._shards: list[Shard] = []
        self._subscribers: dict[str, Subscriber] = {}
        self._deliveries: dict[str, Delivery] = {}
        self._by_chat: dict[str, dict[str, Delivery]] = defaultdict(dict)
        self._history: dict[str, History] = {}
        self._runs: RunLog | None = None
        # delivery id -> (owner, lease until): claims of this process (never on disk; see
        # bot/store/tinydb/protocol.py)
        self.leases: dict[str, tuple[str, datetime]] = {}

    # ------------------------------------------------------------------ opening

    @classmethod
    def open(cls, data_dir: str | Path, *, readonly: bool = False) -> Store:
        """Lock the folder (unless ``readonly``), load and check every file, then migrate.

        Raises a one-line StoreError naming the file and what to do, with nothing modified or
        reset: DataDirLocked when another process holds the folder, StoreCorrupt when a file is
        missing, damaged or edited, DiskFull, ReadOnlyFolder or NotAFolder for the folder itself.
        """
        store = cls(Path(data_dir), readonly=readonly)
        check_folder(store.data_dir)
        if not readonly:
            store._lock.acquire()
        try:
            version = store._prepare()
            if version:  # 0: a folder never written (a reader finds nothing to read)
                store._load()
            if not readonly and version == 2:  # files were made on first write: add the others
                complete_layout(store.data_dir, store.shards)
            if not readonly:  # half-written temp files of a killed process: never read
                for stale in store.root.rglob("*.tmp"):
                    stale.unlink(missing_ok=True)
        except BaseException:
            store.close()
            raise
        return store

    def close(self) -> None:
        for shard in self._shards:
            shard.close()
        if self._runs is not None:
            self._runs.close()
        self._shards, self._runs = [], None
        self._lock.release()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _prepare(self) -> int:
        """Read and check meta.json against the files; make a new store's files, migrate
        schema 1. The schema version the files now have (0: nothing there, for a reader)."""
        meta = read_meta(self.data_dir)
        self.shards = meta.shards
        if meta.version == 1:
            if self.readonly:
                raise StoreError(
                    f"{self.data_dir}: the store needs a migration; start the bot once"
                )
            migrate_v1(self.data_dir)
            return SCHEMA_VERSION
        if self.readonly:
            return meta.version
        check_writable(self.data_dir, self.root)
        if meta.version == 0:  # nothing to read: make the files first
            complete_layout(self.data_dir, self.shards, fresh=True)
            return SCHEMA_VERSION
        return meta.version

    def _load(self) -> None:
        self._shards = [Shard(self.root, n, self.readonly) for n in range(self.shards)]
        for shard in self._shards:
            for sub in shard.subscribers(self.shards):
                self._subscribers[sub.key] = sub
            for delivery in shard.deliveries(self.shards):
                self._index(delivery)
        self._runs = RunLog(self.root / RUNS, readonly=self.readonly)

    def _shard(self, key: str) -> Shard:
        if not self._shards:
            raise closed(self.root)
        return self._shards[shard_of(key, self.shards)]

    def _index(self, delivery: Delivery) -> None:
        self._deliveries[delivery.id] = delivery
        self._by_chat[delivery.key][delivery.id] = delivery
        self._history.pop(delivery.key, None)

    def _unindex(self, delivery: Delivery) -> None:
        self._deliveries.pop(delivery.id, None)
        self._by_chat[delivery.key].pop(delivery.id, None)
        self._history.pop(delivery.key, None)

    # ------------------------------------------------------------------ subscribers

    def get_subscriber(self, platform: str, chat_id: str | int) -> Subscriber | None:
        return self._subscribers.get(chat_key(platform, chat_id))

    def subscribers(self, *, active: bool | None = None) -> list[Subscriber]:
        subs = self._subscribers.values()
        return [s for s in subs if active is None or s.active is active]

    def list_active(self) -> list[Subscriber]:
        return self.subscribers(active=True)

    def put_subscriber(self, sub: Subscriber) -> Subscriber:
        """Insert or replace one subscriber (validated); returns it."""
        check_changes(sub.as_doc())
        shard = self._shard(sub.key)
        doc_id = shard.sub_ids.get(sub.key)
        if doc_id is None:
            shard.sub_ids[sub.key] = shard.subs.insert(sub.as_doc())
        else:
            shard.subs.update(sub.as_doc(), doc_ids=[doc_id])
        self._subscribers[sub.key] = sub
        return sub

    def put_subscribers(self, subs: Sequence[Subscriber]) -> None:
        """Insert many new subscribers (an import): one write per shard touched."""
        groups: dict[int, list[Subscriber]] = defaultdict(list)
        for sub in subs:
            check_changes(sub.as_doc())
            if sub.key in self._subscribers:
                self.put_subscriber(sub)
            else:
                groups[shard_of(sub.key, self.shards)].append(sub)
        for number, group in groups.items():
            shard = self._shards[number]
            ids = shard.subs.insert_multiple([s.as_doc() for s in group])
            for doc_id, sub in zip(ids, group, strict=True):
                shard.sub_ids[sub.key] = doc_id
                self._subscribers[sub.key] = sub

    def subscribe(
        self,
        platform: str,
        chat_id: str | int,
        *,
        now: datetime,
        defaults: DigestDefaults,
        kind: str = "private",
    ) -> Subscriber:
        """Create a subscriber with the configured defaults, or reactivate an existing one."""
        old = self.get_subscriber(platform, chat_id)
        if old is not None:
            return (
                old if old.active else self.put_subscriber(replace(old, active=True, updated=now))
            )
        sub = Subscriber.new(platform, str(chat_id), kind=kind, defaults=defaults, now=now)
        return self.put_subscriber(sub)

    def update_subscriber(
        self, platform: str, chat_id: str | int, *, now: datetime, **changes: Any
    ) -> Subscriber:
        """Change settings (time, timezone, frequency, weekday, topics, posts, kind, active).

        Raises InvalidSetting (a UsageError with a message for the user) on a bad value and
        NotFound when the chat has no subscription.
        """
        sub = self._require(platform, chat_id)
        check_changes(changes)
        return self.put_subscriber(replace(sub, **changes, updated=now))

    def set_active(
        self, platform: str, chat_id: str | int, active: bool, *, now: datetime
    ) -> Subscriber | None:
        sub = self.get_subscriber(platform, chat_id)
        if sub is None or sub.active is active:
            return sub
        return self.put_subscriber(replace(sub, active=active, updated=now))

    def migrate_chat(
        self, platform: str, old_id: str | int, new_id: str | int, *, now: datetime
    ) -> Subscriber | None:
        """A chat changed id (Telegram group -> supergroup): keep settings and history."""
        sub = self.get_subscriber(platform, old_id)
        if sub is None or str(old_id) == str(new_id):
            return sub
        moved = replace(sub, chat_id=str(new_id), updated=now)
        olds = list(self._by_chat.get(sub.key, {}).values())
        self.add_deliveries([d.moved_to(moved.chat_id) for d in olds])
        self.put_subscriber(moved)
        self._remove_subscriber(sub.key)
        self._remove_deliveries(sub.key, [d.id for d in olds])
        return moved

    def _require(self, platform: str, chat_id: str | int) -> Subscriber:
        from bot.errors import NotFound

        sub = self.get_subscriber(platform, chat_id)
        if sub is None:
            raise NotFound("this chat has no subscription; send /subscribe first")
        return sub

    def _remove_subscriber(self, key: str) -> None:
        shard = self._shard(key)
        doc_id = shard.sub_ids.pop(key, None)
        if doc_id is not None:
            shard.subs.remove(doc_ids=[doc_id])
        self._subscribers.pop(key, None)

    # ------------------------------------------------------------------ history

    def history(self, platform: str, chat_id: str | int) -> History:
        """Post id -> comment refs the chat has seen (sent, pending or unknown deliveries)."""
        key = chat_key(platform, chat_id)
        cached = self._history.get(key)
        if cached is not None:
            return cached
        parts: dict[str, list[tuple[str, ...]]] = {}
        for delivery in self._by_chat.get(key, {}).values():
            if delivery.state in CLAIMING:
                for item in delivery.items:
                    parts.setdefault(item.post_id, []).append(item.refs)
        history: History = {
            post_id: refs[0] if len(refs) == 1 else frozenset().union(*refs)
            for post_id, refs in parts.items()
        }
        self._history[key] = history
        return history

    def last_slots(self) -> dict[str, str]:
        """Chat key -> the latest scheduled slot (local date) that was planned for it."""
        last: dict[str, str] = {}
        for key, deliveries in self._by_chat.items():
            slots = [d.slot for d in deliveries.values() if d.slot]
            if slots:
                last[key] = max(slots)
        return last

    # ------------------------------------------------------------------ deliveries

    def get_delivery(self, delivery_id: str) -> Delivery | None:
        return self._deliveries.get(delivery_id)

    def deliveries(
        self,
        *,
        state: str | None = None,
        platform: str | None = None,
        chat_id: str | int | None = None,
    ) -> list[Delivery]:
        if platform is not None and chat_id is not None:
            pool: Iterable[Delivery] = self._by_chat.get(chat_key(platform, chat_id), {}).values()
        else:
            pool = self._deliveries.values()
        found = [d for d in pool if state is None or d.state == state]
        return sorted(found, key=lambda d: (d.created, d.id))

    def add_deliveries(self, deliveries: Sequence[Delivery]) -> list[Delivery]:
        """Record new deliveries (one write per shard touched); ids already present are skipped."""
        groups: dict[tuple[int, bool], list[Delivery]] = defaultdict(list)
        for delivery in deliveries:
            if delivery.id not in self._deliveries:
                groups[shard_of(delivery.key, self.shards), delivery.archived].append(delivery)
        added: list[Delivery] = []
        for (number, _), group in groups.items():
            shard = self._shards[number]
            table, known = shard.table_of(group[0])
            ids = table.insert_multiple([d.as_doc() for d in group])
            for doc_id, delivery in zip(ids, group, strict=True):
                known[delivery.id] = doc_id
                self._index(delivery)
                added.append(delivery)
        return added

    def mark(
        self,
        delivery_id: str,
        state: str,
        *,
        now: datetime,
        message_ids: Sequence[str] = (),
        error: str | None = None,
        attempts: int | None = None,
    ) -> Delivery:
        """Record the outcome of a delivery (one small write)."""
        old = self._deliveries[delivery_id]
        new = old.with_outcome(state, now, tuple(message_ids), error, attempts)
        shard = self._shard(old.key)
        shard.dels.update(new.outcome_doc(), doc_ids=[shard.del_ids[delivery_id]])
        self._index(new)
        return new

    def _remove_deliveries(self, key: str, ids: Sequence[str]) -> None:
        shard = self._shard(key)
        found = [d for d in (self._deliveries.get(i) for i in ids) if d is not None]
        for archived in (False, True):
            group = [d for d in found if d.archived is archived]
            if group:
                table, known = shard.table_of(group[0])
                table.remove(doc_ids=[known.pop(d.id) for d in group])
        for delivery in found:
            self._unindex(delivery)

    def compact(self, now: datetime, *, keep_days: float = 2) -> int:
        """Fold final deliveries older than ``keep_days`` into one archived record per chat.

        At most three writes per shard: archives updated, archives added (history file), old
        records removed (deliveries file). A crash in between leaves some history twice (it is
        a union), never lost. Returns the number of delivery records folded.
        """
        cutoff = now - timedelta(days=keep_days)
        work: dict[int, list[tuple[list[Delivery], Delivery]]] = defaultdict(list)
        for key, chat in list(self._by_chat.items()):
            old = [d for d in chat.values() if d.is_final and d.updated < cutoff and not d.archived]
            if old:
                existing = [d for d in chat.values() if d.archived]
                work[shard_of(key, self.shards)].append(
                    (old, Delivery.archive_of([*existing, *old], now))
                )
        for number, folds in work.items():
            self._fold(self._shards[number], folds)
        if self._runs is not None:
            self._runs.drop_before(cutoff)
        return sum(len(old) for folds in work.values() for old, _ in folds)

    def _fold(self, shard: Shard, folds: list[tuple[list[Delivery], Delivery]]) -> None:
        archives = [archive for _, archive in folds]
        known = [a for a in archives if a.id in shard.hist_ids]
        if known:
            shard.hist.update_multiple([(a.as_doc(), where("id") == a.id) for a in known])
            for archive in known:
                self._index(archive)
        self.add_deliveries([a for a in archives if a.id not in shard.hist_ids])
        old = [d for folded, _ in folds for d in folded]
        shard.dels.remove(doc_ids=[shard.del_ids.pop(d.id) for d in old])
        for delivery in old:
            self._unindex(delivery)

    # ------------------------------------------------------------------ runs

    def record_run(self, run: Run) -> Run:
        """Insert or replace a run record (started before sending, finished after)."""
        if self._runs is None:
            raise closed(self.root)
        return self._runs.record(run)

    def runs(self, limit: int = 20) -> list[Run]:
        return self._runs.latest(limit) if self._runs is not None else []

    def stats(self) -> StoreStats:
        states: dict[str, int] = defaultdict(int)
        for delivery in self._deliveries.values():
            states[delivery.state] += 1
        active = sum(1 for s in self._subscribers.values() if s.active)
        last = self.runs(1)
        return StoreStats(
            subscribers=len(self._subscribers),
            active=active,
            deliveries=dict(states),
            last_run=last[0] if last else None,
        )
