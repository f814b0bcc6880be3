"""The in-memory store: the :class:`bot.store.base.Store` protocol in plain dictionaries.

A twin of the PostgreSQL store for tests, benchmarks and a bot that need not remember anything
across restarts: it behaves as :class:`bot.store.postgres.store.PostgresStore` does, call for
call (the contract suite in ``tests/store/contract/`` runs on both), and keeps nothing on disk.
Each method runs to its end without awaiting anything, so on one event loop every call is
atomic, as a transaction is in PostgreSQL: two tasks claiming at once get different deliveries.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import AsyncIterator, Collection, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from bot.config import DigestDefaults
from bot.domain.records import (
    CLAIMING,
    STATES,
    Delivery,
    Run,
    StoreStats,
    Subscriber,
    check_changes,
)
from bot.errors import NotFound
from bot.store.base import Candidate, History, LostClaim

ChatKey = tuple[str, str]  # (platform, chat_id)


@dataclass(frozen=True)
class Hold:
    """Who holds a pending delivery, and until when."""

    owner: str
    until: datetime


class MemoryStore:
    """Subscribers, deliveries, history and runs in memory (see the module docstring)."""

    def __init__(self, *, keep_days: float = 2.0) -> None:
        self.keep_days = keep_days
        self._subs: dict[ChatKey, Subscriber] = {}
        self._last_slots: dict[ChatKey, str] = {}
        self._deliveries: dict[str, Delivery] = {}
        self._holds: dict[str, Hold] = {}
        self._runs: dict[str, Run] = {}

    @property
    def shown(self) -> str:
        return "memory"

    async def close(self) -> None:
        return None

    # ---------------------------------------------------------------- subscribers
    async def get_subscriber(self, platform: str, chat_id: str) -> Subscriber | None:
        return self._subs.get((platform, str(chat_id)))

    async def subscribe(
        self, platform: str, chat_id: str, *, kind: str, defaults: DigestDefaults, now: datetime
    ) -> Subscriber:
        sub = Subscriber.new(platform, str(chat_id), kind=kind, defaults=defaults, now=now)
        check_changes(sub.as_doc())
        old = self._subs.get((platform, sub.chat_id))
        if old is not None:  # reactivated, its settings kept
            sub = replace(old, active=True, updated=old.updated if old.active else now)
        self._subs[(platform, sub.chat_id)] = sub
        return sub

    async def update_subscriber(
        self, platform: str, chat_id: str, *, now: datetime, **changes: Any
    ) -> Subscriber:
        check_changes(changes)
        old = self._subs.get((platform, str(chat_id)))
        if old is None:
            raise NotFound("this chat has no subscription; send /subscribe first")
        new = replace(old, **changes, updated=now)
        new = replace(new, topics=tuple(new.topics))
        check_changes(new.as_doc())
        self._subs[(new.platform, new.chat_id)] = new
        return new

    async def set_active(
        self, platform: str, chat_id: str, active: bool, *, now: datetime
    ) -> Subscriber | None:
        key = (platform, str(chat_id))
        old = self._subs.get(key)
        if old is None or old.active == active:
            return old
        self._subs[key] = new = replace(old, active=active, updated=now)
        return new

    async def move_chat(
        self, platform: str, old_id: str, new_id: str, *, now: datetime
    ) -> Subscriber | None:
        old_key, new_key = (platform, str(old_id)), (platform, str(new_id))
        sub = self._subs.get(old_key)
        if old_key == new_key or sub is None:
            return sub
        self._subs.pop(new_key, None)
        self._last_slots.pop(new_key, None)
        for delivery in self._of_chat(old_key):
            moved = delivery.moved_to(new_key[1])
            del self._deliveries[delivery.id]
            hold = self._holds.pop(delivery.id, None)
            if moved.id not in self._deliveries:  # the new chat's own delivery wins
                self._deliveries[moved.id] = moved
                if hold is not None:
                    self._holds[moved.id] = hold
        del self._subs[old_key]
        self._subs[new_key] = moved_sub = replace(sub, chat_id=new_key[1], updated=now)
        if old_key in self._last_slots:
            self._last_slots[new_key] = self._last_slots.pop(old_key)
        return moved_sub

    async def put_subscribers(self, subs: Sequence[Subscriber]) -> None:
        for sub in subs:
            check_changes(sub.as_doc())
        for sub in subs:
            self._subs[(sub.platform, sub.chat_id)] = replace(sub, topics=tuple(sub.topics))
        self._refresh_last_slots({(s.platform, s.chat_id) for s in subs})

    async def subscribers(self, *, active: bool | None = None) -> AsyncIterator[Subscriber]:
        for key in sorted(self._subs):
            sub = self._subs.get(key)
            if sub is not None and (active is None or sub.active == active):
                yield sub

    async def candidates(self, now: datetime) -> AsyncIterator[Candidate]:
        for key in sorted(self._subs):
            sub = self._subs.get(key)
            if sub is not None and sub.active:
                last = self._last_slots.get(key)
                if last is None or _before_today(last, sub.timezone, now):
                    yield Candidate(sub, last)

    # ---------------------------------------------------------------- history
    async def history(self, platform: str, chat_id: str) -> History:
        parts: dict[str, list[tuple[str, ...]]] = {}
        for delivery in self._of_chat((platform, str(chat_id))):
            if delivery.state in CLAIMING:
                for item in delivery.items:
                    parts.setdefault(item.post_id, []).append(item.refs)
        return {
            post_id: refs[0] if len(refs) == 1 else frozenset().union(*refs)
            for post_id, refs in parts.items()
        }

    # ---------------------------------------------------------------- deliveries
    async def plan(self, run: Run | None, deliveries: Sequence[Delivery]) -> list[Delivery]:
        if run is not None:  # None: an on-demand digest
            self._runs[run.id] = run
        added = self._insert(deliveries)
        return [d for d in deliveries if d.id in added]

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
        wanted, skipped = set(platforms), set(skip)
        free = [
            d
            for d in self._deliveries.values()
            if d.state == "pending"
            and d.platform in wanted
            and d.id not in skipped
            and self._free(d.id, now)
        ]
        free.sort(key=lambda d: (d.created, d.id))
        taken = free[: max(limit, 0)]
        for delivery in taken:
            self._holds[delivery.id] = Hold(owner, now + lease)
        return taken

    async def claim_delivery(
        self, delivery_id: str, *, owner: str, now: datetime, lease: timedelta
    ) -> Delivery | None:
        delivery = self._deliveries.get(delivery_id)
        if delivery is None or delivery.state != "pending" or not self._free(delivery_id, now):
            return None
        self._holds[delivery_id] = Hold(owner, now + lease)
        return delivery

    async def record_progress(
        self,
        delivery_id: str,
        *,
        owner: str,
        message_ids: Sequence[str],
        now: datetime,
        lease: timedelta,
    ) -> Delivery:
        delivery = self._held(delivery_id, owner)
        if delivery is None or delivery.state != "pending":
            raise LostClaim(f"{delivery_id} is no longer held by {owner}")
        new = replace(delivery, message_ids=tuple(message_ids), updated=now)
        self._deliveries[delivery_id] = new
        self._holds[delivery_id] = Hold(owner, now + lease)
        return new

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
        """Record the outcome and release the claim; repeated with the same outcome (its answer
        was lost), the second call returns what the first recorded."""
        if state not in STATES:
            raise ValueError(f"unknown delivery state {state!r}")
        delivery = self._held(delivery_id, owner)
        if delivery is not None:
            done = delivery.with_outcome(state, now, tuple(message_ids), error, attempts)
            self._deliveries[delivery_id] = done
            del self._holds[delivery_id]
            return done
        found = self._deliveries.get(delivery_id)
        unheld = found is not None and delivery_id not in self._holds
        if unheld and found is not None and found.state == state and found.updated == now:
            return found  # recorded by the first try
        raise LostClaim(f"{delivery_id} is no longer held by {owner}")

    async def release(self, delivery_id: str, *, owner: str) -> None:
        if self._held(delivery_id, owner) is not None:
            del self._holds[delivery_id]

    async def get_delivery(self, delivery_id: str) -> Delivery | None:
        return self._deliveries.get(delivery_id)

    async def deliveries(
        self,
        *,
        state: str | None = None,
        platform: str | None = None,
        chat_id: str | None = None,
    ) -> list[Delivery]:
        found = [
            d
            for d in self._deliveries.values()
            if (state is None or d.state == state)
            and (platform is None or d.platform == platform)
            and (chat_id is None or d.chat_id == str(chat_id))
        ]
        return sorted(found, key=lambda d: (d.created, d.id))

    # ---------------------------------------------------------------- runs and housekeeping
    async def record_run(self, run: Run) -> Run:
        self._runs[run.id] = run
        return run

    async def runs(self, limit: int = 20) -> list[Run]:
        newest = sorted(self._runs.values(), key=lambda r: (r.started, r.id), reverse=True)
        return newest[: max(limit, 0)]

    async def housekeeping(self, now: datetime) -> int:
        """Fold final deliveries last changed before ``now - keep_days`` into each chat's
        archived record; drop runs started before then. Returns how many were folded."""
        cutoff = now - timedelta(days=self.keep_days)
        chats = {
            (d.platform, d.chat_id)
            for d in self._deliveries.values()
            if d.state not in ("pending", "archived") and d.updated < cutoff
        }
        folded = 0
        for chat in sorted(chats):
            group = [
                d
                for d in self._of_chat(chat)
                if d.archived or (d.state != "pending" and d.updated < cutoff)
            ]
            for delivery in group:
                del self._deliveries[delivery.id]
                self._holds.pop(delivery.id, None)
            self._insert([Delivery.archive_of(group, now)])
            folded += sum(1 for d in group if not d.archived)
        for run in list(self._runs.values()):
            if run.started < cutoff:
                del self._runs[run.id]
        return folded

    async def stats(self) -> StoreStats:
        active = sum(1 for s in self._subs.values() if s.active)
        states = Counter(d.state for d in self._deliveries.values())
        last = await self.runs(1)
        return StoreStats(len(self._subs), active, dict(states), last[0] if last else None)

    # ---------------------------------------------------------------- inside
    def _of_chat(self, chat: ChatKey) -> list[Delivery]:
        return [d for d in self._deliveries.values() if (d.platform, d.chat_id) == chat]

    def _free(self, delivery_id: str, now: datetime) -> bool:
        hold = self._holds.get(delivery_id)
        return hold is None or hold.until <= now

    def _held(self, delivery_id: str, owner: str) -> Delivery | None:
        hold = self._holds.get(delivery_id)
        return self._deliveries.get(delivery_id) if hold and hold.owner == owner else None

    def _insert(self, deliveries: Sequence[Delivery]) -> set[str]:
        """Add the deliveries not there yet (by id, and by chat + slot as PostgreSQL's unique
        index has it); bring each chat's last planned slot up to date. The ids added."""
        slots = {
            (d.platform, d.chat_id, d.slot)
            for d in self._deliveries.values()
            if d.slot and not d.archived
        }
        added: set[str] = set()
        for delivery in deliveries:
            slot = (delivery.platform, delivery.chat_id, delivery.slot)
            if delivery.id in self._deliveries or slot in slots:
                continue
            self._deliveries[delivery.id] = delivery
            added.add(delivery.id)
            if delivery.slot and not delivery.archived:
                slots.add(slot)
        self._refresh_last_slots({(d.platform, d.chat_id) for d in deliveries if d.slot})
        return added

    def _refresh_last_slots(self, chats: Collection[ChatKey]) -> None:
        """A subscribed chat's last slot: the latest slot planned for it (never going back)."""
        if not chats:
            return
        latest: dict[ChatKey, str] = {}
        for d in self._deliveries.values():
            chat = (d.platform, d.chat_id)
            if d.slot and chat in chats and d.slot > latest.get(chat, ""):
                latest[chat] = d.slot
        for chat, slot in latest.items():
            if chat in self._subs and slot > self._last_slots.get(chat, ""):
                self._last_slots[chat] = slot


def _before_today(slot: str, timezone: str, now: datetime) -> bool:
    """``slot`` is before today's date in ``timezone`` (an unknown zone: always, as in SQL)."""
    try:
        zone = ZoneInfo(timezone)
    except (KeyError, ValueError, OSError):  # ZoneInfoNotFoundError is a KeyError
        return True
    return slot < now.astimezone(zone).date().isoformat()
