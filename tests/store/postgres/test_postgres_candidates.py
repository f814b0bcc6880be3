"""PostgresStore.candidates narrows a tick to the chats near their time, and never leaves out a
chat whose digest is due.

The query leaves out chats whose latest slot before today is planned and whose slot today is
hours away (on the wall clock of the chat's zone, in SQL). Checked against the schedule itself
(:func:`bot.domain.schedule.due_digests`) for daily and weekly chats in zones with daylight
saving shifts of 30 min to 2 h, at instants around those shifts and midnight.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta

import pytest

from bot.domain.inputs import WEEKDAYS
from bot.domain.records import Subscriber
from bot.domain.schedule import due_digests, latest_slot
from bot.store.postgres.store import PostgresStore
from tests.fakes.postgres import Cluster, cluster_or_skip

ZONES = ("UTC", "Europe/Berlin", "America/New_York", "Australia/Lord_Howe", "Asia/Kolkata",
         "America/St_Johns", "Pacific/Kiritimati", "Antarctica/Troll")  # fmt: skip
TIMES = ("00:00", "00:30", "01:59", "02:30", "03:00", "07:45", "12:00", "21:15", "23:59")
CREATED = datetime(2026, 1, 1, tzinfo=UTC)
# around daylight-saving changes: the US (Mar 8), Europe and Troll (Mar 29, Oct 25), Lord Howe
# (Apr 5, 30 min), and an ordinary day
STARTS = ("2026-03-08T04:00", "2026-03-28T22:00", "2026-04-04T13:00", "2026-10-24T22:00",
          "2026-06-10T10:00")  # fmt: skip
AGO = (None, timedelta(minutes=1), timedelta(hours=2), timedelta(hours=5), timedelta(days=1),
       timedelta(days=3), timedelta(days=8))  # fmt: skip


@pytest.fixture(scope="module")
def cluster() -> Iterator[Cluster]:
    yield from cluster_or_skip()


@pytest.fixture
async def store(cluster: Cluster) -> AsyncIterator[PostgresStore]:
    opened = await PostgresStore.open(cluster.create_database("candidates"))
    yield opened
    await opened.close()


def subscribers() -> list[Subscriber]:
    subs = []
    for n, (zone, hhmm, frequency) in enumerate(
        itertools.product(ZONES, TIMES, ("daily", "weekly"))
    ):
        subs.append(Subscriber("telegram", str(n), "private", zone, hhmm, frequency,
                               WEEKDAYS[n % 7], (), 5, True, CREATED, CREATED))  # fmt: skip
    return subs


def instants() -> Iterator[datetime]:
    for start in STARTS:
        first = datetime.fromisoformat(start).replace(tzinfo=UTC)
        yield from (first + timedelta(minutes=53 * k) for k in range(14))


async def set_last_slots(store: PostgresStore, last: dict[str, str | None]) -> None:
    async def work(conn: object) -> None:
        await conn.execute(  # type: ignore[attr-defined]
            "UPDATE subscribers s SET last_slot = u.slot FROM unnest(%s::text[], %s::text[]) "
            "AS u(chat, slot) WHERE s.chat_id = u.chat",
            (list(last), list(last.values())),
        )

    await store.db.run(work)


async def test_every_due_chat_is_a_candidate_and_most_others_are_not(
    store: PostgresStore,
) -> None:
    subs = subscribers()
    await store.put_subscribers(subs)
    chance = random.Random(13)
    seen = total = 0  # running chats not planned today: read by the tick, and all
    for now in instants():
        last: dict[str, str | None] = {}
        running = set()  # chats planned until a minute ago, as in a bot that has been running
        for sub in subs:  # planned up to some time before now (or never)
            ago = chance.choice(AGO)
            slot = latest_slot(sub, now - ago) if ago is not None else None
            last[sub.chat_id] = slot.id if slot else None
            if ago == AGO[1]:
                running.add(sub.chat_id)
        await set_last_slots(store, last)
        candidates = {c.subscriber.chat_id: c async for c in store.candidates(now)}
        keys = {s.key: v for s in subs if (v := last[s.chat_id]) is not None}
        due = {d.subscriber.chat_id for d in due_digests(subs, now, keys)}
        assert due <= set(candidates), f"due but left out at {now}: {due - set(candidates)}"
        assert all(c.last_slot == last[chat] for chat, c in candidates.items())
        before = {s.chat_id for s in subs if s.chat_id in running  # not planned today
                  and str(last[s.chat_id]) < now.astimezone(s.zone).date().isoformat()}  # fmt: skip
        seen, total = seen + len(before & set(candidates)), total + len(before)
    assert seen < total * 0.4  # a tick reads the chats near their time, not all not planned today
