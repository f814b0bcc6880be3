"""The TinyDB store on the :class:`bot.store.base.Store` protocol.

:class:`TinyDBStore` puts the file store (:class:`~bot.store.tinydb.store.Store`: shards,
atomic writes, one writer per data folder) behind the async protocol the outbox, the handlers
and the CLI use. Claims are leases held here, in the one process the folder lock admits: a
restart starts with none, which is what a lease that ran out would give. Each method runs to
the end without awaiting, so two tasks of this process never see a half-made change.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Collection, Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.config import DigestDefaults
from bot.domain.records import Delivery, Run, StoreStats, Subscriber, check_changes
from bot.store.base import Candidate, History, LostClaim
from bot.store.tinydb.store import Store


class TinyDBStore:
    """The protocol over one opened TinyDB data folder (see the module docstring)."""

    def __init__(self, files: Store, *, keep_days: float = 2.0) -> None:
        self.files = files
        self.keep_days = keep_days
        self._leases = files.leases  # shared by every view of this open folder

    @classmethod
    def open(cls, data_dir: str | Path, *, readonly: bool = False) -> TinyDBStore:
        """Lock and load the folder: :meth:`Store.open`'s one-line refusals apply."""
        return cls(Store.open(data_dir, readonly=readonly))

    @property
    def data_dir(self) -> Path:
        return self.files.data_dir

    @property
    def shown(self) -> str:
        """Where the store is, for logs and errors."""
        return str(self.files.root)

    async def close(self) -> None:
        self.files.close()

    def close_now(self) -> None:
        """:meth:`close` from synchronous code (nothing here waits)."""
        self.files.close()

    # ---------------------------------------------------------------- subscribers
    async def get_subscriber(self, platform: str, chat_id: str) -> Subscriber | None:
        return self.files.get_subscriber(platform, chat_id)

    async def subscribe(
        self, platform: str, chat_id: str, *, kind: str, defaults: DigestDefaults, now: datetime
    ) -> Subscriber:
        return self.files.subscribe(platform, chat_id, now=now, defaults=defaults, kind=kind)

    async def update_subscriber(
        self, platform: str, chat_id: str, *, now: datetime, **changes: Any
    ) -> Subscriber:
        if isinstance(changes.get("topics"), list):  # stored as read back: a tuple
            changes["topics"] = tuple(changes["topics"])
        return self.files.update_subscriber(platform, chat_id, now=now, **changes)

    async def set_active(
        self, platform: str, chat_id: str, active: bool, *, now: datetime
    ) -> Subscriber | None:
        return self.files.set_active(platform, chat_id, active, now=now)

    async def move_chat(
        self, platform: str, old_id: str, new_id: str, *, now: datetime
    ) -> Subscriber | None:
        return self.files.migrate_chat(platform, old_id, new_id, now=now)

    async def put_subscribers(self, subs: Sequence[Subscriber]) -> None:
        for sub in subs:  # all checked first: a bad one writes nothing of the batch
            check_changes(sub.as_doc())
        self.files.put_subscribers(subs)

    async def subscribers(self, *, active: bool | None = None) -> AsyncIterator[Subscriber]:
        found = self.files.subscribers(active=active)
        for sub in sorted(found, key=lambda s: (s.platform, s.chat_id)):
            yield sub

    async def candidates(self, now: datetime) -> AsyncIterator[Candidate]:
        """The active subscribers not yet planned for their local day at ``now``."""
        last = self.files.last_slots()
        for sub in self.files.list_active():
            slot = last.get(sub.key)
            if slot is None or slot < _local_day(now, sub.timezone):
                yield Candidate(sub, slot)

    # ---------------------------------------------------------------- history
    async def history(self, platform: str, chat_id: str) -> History:
        return self.files.history(platform, chat_id)

    # ---------------------------------------------------------------- deliveries
    async def plan(self, run: Run | None, deliveries: Sequence[Delivery]) -> list[Delivery]:
        if run is not None:
            self.files.record_run(run)
        return self.files.add_deliveries(deliveries)

    async def claim(
        self,
        *,
        owner: str,
        now: datetime,
        lease: timedelta,
        platforms: Collection[str],
        limit: int = 1000,
        skip: Collection[str] = (),
    ) -> list[Delivery]:
        found: list[Delivery] = []
        for delivery in self.files.deliveries(state="pending"):
            if len(found) >= limit:
                break
            wanted = delivery.platform in platforms and delivery.id not in skip
            if wanted and self._free(delivery.id, now):
                self._leases[delivery.id] = (owner, now + lease)
                found.append(delivery)
        return found

    async def claim_delivery(
        self, delivery_id: str, *, owner: str, now: datetime, lease: timedelta
    ) -> Delivery | None:
        delivery = self.files.get_delivery(delivery_id)
        if delivery is None or delivery.state != "pending" or not self._free(delivery_id, now):
            return None
        self._leases[delivery_id] = (owner, now + lease)
        return delivery

    def _free(self, delivery_id: str, now: datetime) -> bool:
        held = self._leases.get(delivery_id)
        return held is None or held[1] <= now

    def _check(self, delivery_id: str, owner: str) -> None:
        held = self._leases.get(delivery_id)
        if held is None or held[0] != owner:
            raise LostClaim(f"{delivery_id} is no longer held by {owner}")

    async def record_progress(
        self,
        delivery_id: str,
        *,
        owner: str,
        message_ids: Sequence[str],
        now: datetime,
        lease: timedelta,
    ) -> Delivery:
        self._check(delivery_id, owner)
        done = self.files.mark(delivery_id, "pending", now=now, message_ids=message_ids)
        self._leases[delivery_id] = (owner, now + lease)
        return done

    async def finish(
        self,
        delivery_id: str,
        *,
        owner: str,
        state: str,
        now: datetime,
        message_ids: Sequence[str] = (),
        error: str | None = None,
        attempts: int | None = None,
    ) -> Delivery:
        if delivery_id not in self._leases:
            done = self.files.get_delivery(delivery_id)
            if done is not None and done.state == state and done.updated == now:
                return done  # recorded by an earlier try
        self._check(delivery_id, owner)
        recorded = self.files.mark(
            delivery_id, state, now=now, message_ids=message_ids, error=error, attempts=attempts
        )
        del self._leases[delivery_id]  # only once the outcome is written (a full disk keeps it)
        return recorded

    async def release(self, delivery_id: str, *, owner: str) -> None:
        held = self._leases.get(delivery_id)
        if held is not None and held[0] == owner:
            del self._leases[delivery_id]

    async def get_delivery(self, delivery_id: str) -> Delivery | None:
        return self.files.get_delivery(delivery_id)

    async def deliveries(
        self,
        *,
        state: str | None = None,
        platform: str | None = None,
        chat_id: str | None = None,
    ) -> list[Delivery]:
        found = self.files.deliveries(state=state, platform=platform, chat_id=chat_id)
        if platform is None or chat_id is None:  # the files index only whole chat keys
            found = [
                d for d in found if platform in (None, d.platform) and chat_id in (None, d.chat_id)
            ]
        return found

    # ---------------------------------------------------------------- runs and housekeeping
    async def record_run(self, run: Run) -> Run:
        return self.files.record_run(run)

    async def runs(self, limit: int = 20) -> list[Run]:
        return self.files.runs(limit)

    async def housekeeping(self, now: datetime) -> int:
        return self.files.compact(now, keep_days=self.keep_days)

    async def stats(self) -> StoreStats:
        return self.files.stats()


def _local_day(now: datetime, zone: str) -> str:
    """The date at ``now`` in ``zone`` as slots name it; for a zone that does not exist, a
    value after every slot (always a candidate: the schedule decides)."""
    try:
        return now.astimezone(ZoneInfo(zone)).date().isoformat()
    except (ZoneInfoNotFoundError, ValueError):
        return "\uffff"
