"""Due-digest logic with a fake clock: DST in three zones, weekly, downtime, the real scheduler."""

from __future__ import annotations

import asyncio
from collections import Counter
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.config import DigestDefaults
from bot.domain.records import Subscriber
from bot.domain.schedule import (
    JOB_ID,
    due_digests,
    latest_slot,
    make_scheduler,
    next_slot,
    schedule_digests,
    send_instant,
)

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def sub(
    chat: str, zone: str, time: str, *, weekly: str | None = None, created: datetime = T0
) -> Subscriber:
    defaults = DigestDefaults(
        time=time, timezone=zone, frequency="weekly" if weekly else "daily", weekday=weekly or "mon"
    )
    return Subscriber.new("fake", chat, kind="private", defaults=defaults, now=created)


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def simulate(
    subs: list[Subscriber],
    start: datetime,
    end: datetime,
    *,
    down: tuple[datetime, datetime] | None = None,
) -> list[tuple[str, str, datetime]]:
    """Subscribe at start, wake each minute until end (not while down); (chat, slot, when)."""
    subs = [replace(s, created=start) for s in subs]
    last: dict[str, str] = {}
    fired = []
    now = start
    while now <= end:
        if down is None or not down[0] <= now < down[1]:
            for due in due_digests(subs, now, last):
                last[due.subscriber.key] = due.slot.id
                fired.append((due.subscriber.chat_id, due.slot.id, now))
        now += timedelta(minutes=1)
    return fired


@pytest.mark.parametrize(
    ("zone", "day", "hhmm", "expected_utc"),
    [
        ("Europe/London", date(2026, 3, 29), "01:30", "2026-03-29T01:00"),  # gap -> 02:00 BST
        ("Europe/London", date(2026, 10, 25), "01:30", "2026-10-25T00:30"),  # first 01:30 (BST)
        ("America/New_York", date(2026, 3, 8), "02:30", "2026-03-08T07:00"),  # gap -> 03:00 EDT
        ("America/New_York", date(2026, 11, 1), "01:30", "2026-11-01T05:30"),  # first 01:30 (EDT)
        ("Australia/Sydney", date(2026, 10, 4), "02:15", "2026-10-03T16:00"),  # gap -> 03:00 AEDT
        ("Australia/Sydney", date(2026, 4, 5), "02:30", "2026-04-04T15:30"),  # first 02:30 (AEDT)
        ("Asia/Kolkata", date(2026, 3, 29), "08:00", "2026-03-29T02:30"),
    ],
)
def test_send_instant_gap_and_repeat(zone: str, day: date, hhmm: str, expected_utc: str) -> None:
    assert send_instant(day, hhmm, ZoneInfo(zone)) == utc(expected_utc)


@pytest.mark.parametrize(
    ("zone", "hhmm", "start", "expected"),
    [
        # spring 2026: 29 March in London, 8 March in New York, 4 October in Sydney
        (
            "Europe/London",
            "01:30",
            "2026-03-27",
            ["03-27T01:30", "03-28T01:30", "03-29T01:00", "03-30T00:30"],
        ),
        (
            "America/New_York",
            "02:30",
            "2026-03-06",
            ["03-06T07:30", "03-07T07:30", "03-08T07:00", "03-09T06:30"],
        ),
        (
            "Australia/Sydney",
            "02:30",
            "2026-10-02",
            ["10-01T16:30", "10-02T16:30", "10-03T16:00", "10-04T15:30"],
        ),
        # autumn 2026: 25 October, 1 November, 5 April: the repeated hour fires once
        (
            "Europe/London",
            "01:30",
            "2026-10-23",
            ["10-23T00:30", "10-24T00:30", "10-25T00:30", "10-26T01:30"],
        ),
        (
            "America/New_York",
            "01:30",
            "2026-10-30",
            ["10-30T05:30", "10-31T05:30", "11-01T05:30", "11-02T06:30"],
        ),
        (
            "Australia/Sydney",
            "02:30",
            "2026-04-03",
            ["04-02T15:30", "04-03T15:30", "04-04T15:30", "04-05T16:30"],
        ),
        (
            "Asia/Kolkata",
            "08:00",
            "2026-03-27",
            ["03-27T02:30", "03-28T02:30", "03-29T02:30", "03-30T02:30"],
        ),
    ],
)
def test_one_digest_per_local_day_across_dst(
    zone: str, hhmm: str, start: str, expected: list[str]
) -> None:
    first = datetime.fromisoformat(start).replace(tzinfo=ZoneInfo(zone))
    fired = simulate(
        [sub("a", zone, hhmm)],
        first.astimezone(UTC),
        (first + timedelta(days=4)).astimezone(UTC) - timedelta(minutes=1),
    )
    assert [when.strftime("%m-%dT%H:%M") for _, _, when in fired] == expected
    assert len({slot for _, slot, _ in fired}) == 4


def test_three_zones_over_a_month_get_one_digest_each_day() -> None:
    subs = [
        sub("lon", "Europe/London", "08:00"),
        sub("nyc", "America/New_York", "07:15"),
        sub("kol", "Asia/Kolkata", "21:45"),
    ]
    fired = simulate(subs, utc("2026-03-01T00:00"), utc("2026-03-31T23:59"))
    per_chat = Counter(chat for chat, _, _ in fired)
    assert per_chat == {"lon": 31, "nyc": 31, "kol": 31}
    for chat, zone, hhmm in (
        ("lon", "Europe/London", "08:00"),
        ("nyc", "America/New_York", "07:15"),
    ):
        local_times = {
            w.astimezone(ZoneInfo(zone)).strftime("%H:%M") for c, _, w in fired if c == chat
        }
        assert local_times == {hhmm}


def test_weekly_fires_on_the_weekday_only() -> None:
    weekly = sub("w", "America/New_York", "09:00", weekly="fri")
    fired = simulate([weekly], utc("2026-10-26T00:00"), utc("2026-11-16T00:00"))
    assert [slot for _, slot, _ in fired] == ["2026-10-30", "2026-11-06", "2026-11-13"]
    assert [w.isoformat() for _, _, w in fired][1] == "2026-11-06T14:00:00+00:00"  # EST now


def test_downtime_of_30_minutes_across_the_send_time_sends_once_at_restart() -> None:
    fired = simulate(
        [sub("a", "Europe/London", "08:00")],
        utc("2026-06-10T07:00"),
        utc("2026-06-10T12:00"),
        down=(utc("2026-06-10T06:50"), utc("2026-06-10T07:20")),
    )
    assert fired == [("a", "2026-06-10", utc("2026-06-10T07:20"))]


def test_downtime_of_25_hours_gives_one_catch_up_not_one_per_missed_day() -> None:
    fired = simulate(
        [sub("a", "Asia/Kolkata", "08:00")],
        utc("2026-06-09T00:00"),
        utc("2026-06-12T00:00"),
        down=(utc("2026-06-10T02:00"), utc("2026-06-11T03:00")),
    )
    assert [(slot, when.isoformat()) for _, slot, when in fired] == [
        ("2026-06-09", "2026-06-09T02:30:00+00:00"),
        ("2026-06-11", "2026-06-11T03:00:00+00:00"),  # the catch-up for 10 and 11 June
    ]


def test_no_digest_for_a_slot_before_the_subscription() -> None:
    late = sub("a", "Europe/London", "08:00", created=utc("2026-06-10T09:00"))
    fired = simulate([late], utc("2026-06-10T09:00"), utc("2026-06-11T23:00"))
    assert [slot for _, slot, _ in fired] == ["2026-06-11"]


def test_inactive_and_already_planned_are_not_due() -> None:
    a = sub("a", "Europe/London", "08:00")
    paused = Subscriber(**{**a.__dict__, "chat_id": "b", "active": False})
    now = utc("2026-06-10T09:00")
    assert [d.subscriber.chat_id for d in due_digests([a, paused], now, {})] == ["a"]
    assert due_digests([a], now, {"fake:a": "2026-06-10"}) == []
    with pytest.raises(ValueError, match="time zone"):
        due_digests([a], datetime(2026, 6, 10, 9), {})


def test_latest_and_next_slot() -> None:
    s = sub("a", "Europe/London", "01:30")
    now = utc("2026-03-29T00:59")
    assert latest_slot(s, now) is not None and latest_slot(s, now).id == "2026-03-28"  # type: ignore[union-attr]
    assert next_slot(s, now).at == utc("2026-03-29T01:00")


async def test_real_scheduler_wakes_the_tick_at_start_with_the_fake_clock() -> None:
    seen: list[datetime] = []
    woke = asyncio.Event()

    async def tick(now: datetime) -> None:
        seen.append(now)
        woke.set()

    scheduler = make_scheduler()
    fake_now = utc("2026-03-29T01:00")
    job = schedule_digests(scheduler, tick, clock=lambda: fake_now)
    assert (job.id, job.misfire_grace_time, job.coalesce, job.max_instances) == (
        JOB_ID,
        None,
        True,
        1,
    )
    assert job.trigger.interval == timedelta(minutes=1)
    scheduler.start()
    try:
        await asyncio.wait_for(woke.wait(), timeout=10)
    finally:
        scheduler.shutdown(wait=False)
    assert seen == [fake_now]
    assert len(scheduler.get_jobs()) == 0 or scheduler.get_jobs()[0].id == JOB_ID
