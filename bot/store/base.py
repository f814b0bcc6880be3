"""The Store protocol: what the bot keeps, in the words of the domain.

Subscribers (one per chat), deliveries (one digest for one chat and slot, planned before it is
sent), the history each chat has been given, and runs (one per scheduler tick that had work).
Every implementation (memory, TinyDB, PostgreSQL) passes the one contract suite in
``tests/store/contract/``; nothing outside ``bot/store/`` knows which one it talks to.

Sending is claim -> send -> finish. :meth:`Store.claim` hands pending deliveries to one owner
(an outbox of one process) with a lease; only that owner may record progress or the outcome
while the lease holds, so two senders (a command and the scheduler tick, or two instances)
never send one delivery twice. A lease that runs out (its owner died) frees the delivery for
the next claim, which resumes after the last recorded message.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Collection, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from bot.config import DigestDefaults
from bot.domain.records import Delivery, History, Run, StoreStats, Subscriber

__all__ = ["Candidate", "History", "LostClaim", "Store"]


class LostClaim(Exception):
    """The caller no longer holds the delivery (its lease ran out and another owner took it)."""


@dataclass(frozen=True)
class Candidate:
    """An active subscriber that may be due, with the latest slot already planned for it."""

    subscriber: Subscriber
    last_slot: str | None


class Store(Protocol):
    # ---------------------------------------------------------------- lifecycle
    @property
    def shown(self) -> str:
        """Where the store is, for messages: a data folder, or ``user@host:port/db``."""
        ...

    async def close(self) -> None: ...

    # ---------------------------------------------------------------- subscribers
    async def get_subscriber(self, platform: str, chat_id: str) -> Subscriber | None: ...

    async def subscribe(
        self, platform: str, chat_id: str, *, kind: str, defaults: DigestDefaults, now: datetime
    ) -> Subscriber:
        """Create a subscriber with the defaults, or reactivate the existing one."""
        ...

    async def update_subscriber(
        self, platform: str, chat_id: str, *, now: datetime, **changes: Any
    ) -> Subscriber:
        """Change settings; InvalidSetting on a bad value, NotFound without a subscription."""
        ...

    async def set_active(
        self, platform: str, chat_id: str, active: bool, *, now: datetime
    ) -> Subscriber | None: ...

    async def move_chat(
        self, platform: str, old_id: str, new_id: str, *, now: datetime
    ) -> Subscriber | None:
        """A chat changed id: settings, deliveries and history move with it."""
        ...

    async def put_subscribers(self, subs: Sequence[Subscriber]) -> None:
        """Insert or replace many subscribers (imports, store copy, benchmarks)."""
        ...

    def subscribers(self, *, active: bool | None = None) -> AsyncIterator[Subscriber]:
        """Every subscriber (streamed: a large store never sits in memory at once)."""
        ...

    def candidates(self, now: datetime) -> AsyncIterator[Candidate]:
        """Active subscribers that may be due at ``now`` (a superset is fine: the schedule
        decides), each with its last planned slot."""
        ...

    # ---------------------------------------------------------------- history
    async def history(self, platform: str, chat_id: str) -> History: ...

    # ---------------------------------------------------------------- deliveries
    async def plan(self, run: Run | None, deliveries: Sequence[Delivery]) -> list[Delivery]:
        """Record ``run`` (None: an on-demand digest) and the deliveries planned in it. A
        delivery whose id (chat + slot) is already recorded is skipped: planning is
        idempotent, so every instance may plan. Returns the deliveries this call added."""
        ...

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
        """Pending deliveries of ``platforms`` that nobody holds (or whose lease ran out),
        oldest first, now held by ``owner`` until ``now + lease``; none of ``skip`` (those the
        caller already tried in this run)."""
        ...

    async def claim_delivery(
        self, delivery_id: str, *, owner: str, now: datetime, lease: timedelta
    ) -> Delivery | None:
        """Hold one pending delivery (an on-demand digest); None when another owner holds it
        or it is final."""
        ...

    async def record_progress(
        self,
        delivery_id: str,
        *,
        owner: str,
        message_ids: Sequence[str],
        now: datetime,
        lease: timedelta,
    ) -> Delivery:
        """The messages of the digest sent so far; renews the lease. LostClaim if not held."""
        ...

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
        """Record the outcome and release the claim (``pending`` = try again in a later run).
        LostClaim if not held."""
        ...

    async def release(self, delivery_id: str, *, owner: str) -> None:
        """Give up a claim without recording anything (the delivery stays as it is, free for
        the next claim); nothing happens when ``owner`` does not hold it."""
        ...

    async def get_delivery(self, delivery_id: str) -> Delivery | None: ...

    async def deliveries(
        self,
        *,
        state: str | None = None,
        platform: str | None = None,
        chat_id: str | None = None,
    ) -> list[Delivery]: ...

    # ---------------------------------------------------------------- runs and housekeeping
    async def record_run(self, run: Run) -> Run: ...

    async def runs(self, limit: int = 20) -> list[Run]: ...

    async def housekeeping(self, now: datetime) -> int:
        """Fold old final deliveries into history (once, whichever instance gets to it);
        returns how many were folded."""
        ...

    async def stats(self) -> StoreStats: ...
