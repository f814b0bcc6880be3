"""When digests are due: a pure function of ``now``, woken every minute by APScheduler.

Rules (all in the subscriber's IANA time zone):

- A slot is a local date on which the subscriber gets a digest (every day, or their weekday).
  Its send instant is their local time on that date. The slot id is the date (``2026-03-29``).
- A send time that does not exist that day (the spring-forward gap) is sent at the next minute
  that exists (01:30 in Europe/London on 29 March 2026 -> 02:00 BST). A send time that occurs
  twice (the autumn repeat) is sent at its first occurrence, once.
- A subscriber is due when the latest slot whose instant has passed is later than the last slot
  planned for them. Only the latest slot counts, so after any downtime they get exactly one
  catch-up digest, not one per missed day. Slots before the subscription was created are skipped.

APScheduler only wakes :func:`due_digests`: one interval job every minute, no per-subscriber
cron jobs, no limit on lateness (``misfire_grace_time=None``), missed wake-ups coalesced into one.
Nothing is lost when a wake-up is skipped because the next one sees the same due slots.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from apscheduler.job import Job
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.triggers.interval import IntervalTrigger

from bot.domain.records import WEEKDAYS, Subscriber

log = logging.getLogger(__name__)

JOB_ID = "digests"


@dataclass(frozen=True)
class Slot:
    """One scheduled digest: the local date it belongs to and the UTC instant it is sent."""

    day: date
    at: datetime

    @property
    def id(self) -> str:
        return self.day.isoformat()


@dataclass(frozen=True)
class Due:
    subscriber: Subscriber
    slot: Slot


@lru_cache(maxsize=8192)
def send_instant(day: date, hhmm: str, zone: ZoneInfo) -> datetime:
    """The UTC instant of local ``hhmm`` on ``day``: the first occurrence of a repeated time,
    the next valid minute of a time that falls in a gap."""
    hour, minute = (int(part) for part in hhmm.split(":"))
    wall = datetime(day.year, day.month, day.day, hour, minute)
    for _ in range(24 * 60):
        instant = wall.replace(tzinfo=zone).astimezone(UTC)  # fold=0: the first occurrence
        if instant.astimezone(zone).replace(tzinfo=None) == wall:
            return instant
        wall += timedelta(minutes=1)
    raise ValueError(f"no valid local time after {hhmm} on {day} in {zone.key}")


def _slot_days(sub: Subscriber, start: date, step: int) -> Iterable[date]:
    weekday = WEEKDAYS.index(sub.weekday)
    for offset in range(9):
        day = start + timedelta(days=step * offset)
        if sub.frequency == "daily" or day.weekday() == weekday:
            yield day


def latest_slot(sub: Subscriber, now: datetime) -> Slot | None:
    """The most recent slot whose send instant is at or before ``now``."""
    zone = sub.zone
    today = now.astimezone(zone).date()
    for day in _slot_days(sub, today, -1):
        at = send_instant(day, sub.time, zone)
        if at <= now:
            return Slot(day, at)
    return None


def next_slot(sub: Subscriber, now: datetime) -> Slot:
    """The first slot whose send instant is after ``now`` (for "next digest at ..." replies)."""
    zone = sub.zone
    today = now.astimezone(zone).date()
    for day in _slot_days(sub, today - timedelta(days=1), 1):
        at = send_instant(day, sub.time, zone)
        if at > now:
            return Slot(day, at)
    raise ValueError(f"no slot found for {sub.key}")  # pragma: no cover - 9 days always hold one


def due_digests(
    subscribers: Iterable[Subscriber], now: datetime, last_slots: Mapping[str, str]
) -> list[Due]:
    """The subscribers whose digest is due at ``now`` (pure: no clock, no I/O).

    ``last_slots`` maps a chat key to the id of the last slot already planned for it
    (:meth:`bot.store.tinydb.store.Store.last_slots`). Inactive subscribers are never due.
    """
    if now.tzinfo is None:
        raise ValueError("now must carry a time zone")
    due = []
    for sub in subscribers:
        if not sub.active:
            continue
        slot = latest_slot(sub, now)
        if slot is None or slot.at < sub.created:
            continue
        if slot.id > last_slots.get(sub.key, ""):
            due.append(Due(sub, slot))
    return due


def make_scheduler() -> AsyncIOScheduler:
    """An AsyncIOScheduler in UTC (call ``.start()`` inside the running event loop)."""
    return AsyncIOScheduler(timezone=UTC)


def schedule_digests(
    scheduler: BaseScheduler,
    tick: Callable[[datetime], Awaitable[object]],
    *,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    every_seconds: int = 60,
) -> Job:
    """Add the one job that wakes the due logic: ``tick(clock())`` now and every minute.

    ``misfire_grace_time=None`` runs a late wake-up however late it is (the default of 1 s
    silently skips it when the loop was busy); ``coalesce=True`` turns a backlog of missed
    wake-ups into one; ``max_instances=1`` never overlaps two runs. The job is in memory: at
    start it runs at once, and the store decides what is due, so no overdue run can be dropped.
    The scheduler keeps real time; ``clock`` is only what the tick is told (a fake clock far
    from now would otherwise make APScheduler walk every missed minute in between).
    """

    async def wake() -> None:
        try:
            await tick(clock())
        except Exception:
            log.exception("digest run failed; the next run retries what is still due")

    return scheduler.add_job(
        wake,
        IntervalTrigger(seconds=every_seconds, timezone=UTC),
        id=JOB_ID,
        name="digests",
        misfire_grace_time=None,
        coalesce=True,
        max_instances=1,
        next_run_time=datetime.now(UTC),
        replace_existing=True,
    )
