"""The outbox on a real store, fake clock, fake sender: exactly once, even after a crash."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.config import DigestDefaults
from bot.delivery.outbox import Outbox
from bot.delivery.sender import Blocked, Failed, Sender, Sent
from bot.domain.digest import PostIndex, Summaries
from bot.domain.records import Subscriber
from bot.store.reserve import RESERVE_NAME, Reserve
from bot.store.tinydb.protocol import TinyDBStore
from bot.store.tinydb.store import Store
from summariser import Comment, Post
from tests.fakes.sender import Crash, FakeSender, arrived_posts

START = datetime(2026, 11, 23, 0, 0, tzinfo=UTC)
SUMMARIES = Summaries(sentences=1, comments=1)
ZONES = ("Europe/London", "America/New_York", "Asia/Kolkata")


def make_post(n: int, comments: int = 2) -> Post:
    thread = tuple(
        Comment(str(i), f"Comment {i} on post {n} says something.") for i in range(1, comments + 1)
    )
    body = (f"Post {n} opens here. It has a second sentence.",)
    return Post(f"{n:03d}_post", date(2026, 11, 1) + timedelta(days=n), f"Post {n}", body, thread)


POSTS = [make_post(n) for n in range(1, 9)]


@pytest.fixture
def data(tmp_path: Path) -> Path:
    return tmp_path


def open_store(data: Path) -> Store:
    return Store.open(data)


@pytest.fixture
def store(data: Path) -> Iterator[Store]:
    with Store.open(data) as opened:
        yield opened


def subscribe(store: Store, chats: int, **settings: object) -> list[str]:
    ids = []
    for n in range(chats):
        chat = f"c{n}"
        store.subscribe("fake", chat, now=START, defaults=DigestDefaults(time="08:00", posts=2))
        store.update_subscriber("fake", chat, now=START, timezone=ZONES[n % 3], **settings)
        ids.append(chat)
    return ids


def outbox(store: Store, sender: Sender, posts: list[Post] = POSTS) -> Outbox:
    reserve = Reserve(store.data_dir / RESERVE_NAME)  # as the app gives a TinyDB store
    return Outbox(TinyDBStore(store), [sender], PostIndex(posts), SUMMARIES, reserve=reserve)


async def run_minutes(box: Outbox, start: datetime, minutes: int) -> None:
    for minute in range(minutes):
        await box.tick(start + timedelta(minutes=minute))


async def test_each_subscriber_gets_one_digest_a_day_in_their_zone(store: Store) -> None:
    chats = subscribe(store, 3)
    sender = FakeSender()
    box = outbox(store, sender)
    await run_minutes(box, START, 2 * 24 * 60)  # two days, a tick every minute
    assert Counter(sender.chats()) == {"c0": 2, "c1": 2, "c2": 2}
    for chat in chats:
        assert arrived_posts([sender], chat) == ["008_post", "007_post", "006_post", "005_post"]
    sent = store.deliveries(state="sent")
    assert sorted((d.chat_id, d.slot) for d in sent) == [
        ("c0", "2026-11-23"),
        ("c0", "2026-11-24"),
        ("c1", "2026-11-23"),
        ("c1", "2026-11-24"),
        ("c2", "2026-11-23"),
        ("c2", "2026-11-24"),
    ]


async def test_weekly_subscriber_gets_one_digest_on_their_day(store: Store) -> None:
    subscribe(store, 1, frequency="weekly", weekday="wed")
    sender = FakeSender()
    await run_minutes(outbox(store, sender), START, 60 * 24 * 8)
    assert [d.title for _, d in sender.arrived] == [
        "Weekly digest, week to Wednesday 25 November 2026"
    ]


async def test_killed_mid_run_then_restarted_no_duplicates_no_misses(data: Path) -> None:
    store = open_store(data)
    chats = subscribe(store, 6)
    for chat in chats:
        store.update_subscriber("fake", chat, now=START, timezone="Europe/London")
    first = FakeSender(crash_at=4)
    with pytest.raises(Crash):
        await outbox(store, first).tick(datetime(2026, 11, 23, 8, 0, tzinfo=UTC))
    assert len(first.arrived) == 3
    assert len(store.deliveries(state="pending")) == 3  # recorded before sending
    store.close()  # the process died: its lock goes with it

    store = open_store(data)
    second = FakeSender()
    await run_minutes(outbox(store, second), datetime(2026, 11, 23, 8, 5, tzinfo=UTC), 10)
    assert Counter(first.chats() + second.chats()) == dict.fromkeys(chats, 1)
    for chat in chats:
        assert arrived_posts([first, second], chat) == ["008_post", "007_post"]
    assert store.stats().deliveries == {"sent": 6}
    store.close()


async def test_blocked_chat_is_paused_and_the_others_still_get_theirs(store: Store) -> None:
    subscribe(store, 3)
    sender = FakeSender(blocked={"c1"})
    await run_minutes(outbox(store, sender), datetime(2026, 11, 23, 8, 0, tzinfo=UTC), 6 * 60)
    assert sorted(sender.chats()) == ["c0", "c2"]  # c1 (New York, 13:00 UTC) blocked the bot
    assert store.get_subscriber("fake", "c1").active is False  # type: ignore[union-attr]
    assert [d.state for d in store.deliveries(platform="fake", chat_id="c1")] == ["blocked"]


async def test_failures_retry_give_up_and_never_stop_others(store: Store) -> None:
    subscribe(store, 3)
    for chat in ("c0", "c1", "c2"):
        store.update_subscriber("fake", chat, now=START, timezone="Europe/London")
    sender = FakeSender(
        script={
            "c0": [Failed(retryable=True, reason="429"), Failed(retryable=True, reason="429")],
            "c1": [RuntimeError("render bug")],
            "c2": [Failed(retryable=False, reason="400 Bad Request")],
        }
    )
    box = outbox(store, sender)
    at8 = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
    first = await box.tick(at8)
    assert (first.due, first.sent, first.retried, first.failed) == (3, 0, 1, 2)
    await run_minutes(box, at8 + timedelta(minutes=1), 5)
    assert sender.chats() == ["c0"]  # the third attempt went through
    states = {d.chat_id: (d.state, d.attempts) for d in store.deliveries()}
    assert states == {"c0": ("sent", 3), "c1": ("failed", 1), "c2": ("failed", 1)}
    assert store.get_delivery("fake:c1@2026-11-23").error == "RuntimeError: render bug"  # type: ignore[union-attr]


async def test_unknown_outcome_is_reported_not_resent(store: Store) -> None:
    subscribe(store, 2)
    for chat in ("c0", "c1"):
        store.update_subscriber("fake", chat, now=START, timezone="Europe/London")
    sender = FakeSender(script={"c0": ["lost"], "c1": ["timeout"]})
    box = outbox(store, sender)
    await run_minutes(box, datetime(2026, 11, 23, 8, 0, tzinfo=UTC), 30)
    assert sender.calls == 2 and sender.chats() == ["c0"]
    unknown = await box.unknown()
    assert [(d.chat_id, d.error) for d in unknown] == [
        ("c0", "timed out after sending"),
        ("c1", "no answer within 60 s"),
    ]
    # the next digest does not repeat what may have arrived
    await run_minutes(box, datetime(2026, 11, 24, 8, 0, tzinfo=UTC), 1)
    assert arrived_posts([sender], "c0") == ["008_post", "007_post", "006_post", "005_post"]


async def test_empty_digests_send_nothing_and_are_not_replanned(store: Store) -> None:
    subscribe(store, 1, topics=["elephants"])
    store.update_subscriber("fake", "c0", now=START, timezone="Europe/London")
    sender = FakeSender()
    box = outbox(store, sender)
    runs = [await box.tick(datetime(2026, 11, 23, 8, m, tzinfo=UTC)) for m in range(3)]
    assert sender.calls == 0
    assert [(r.due, r.empty) for r in runs] == [(1, 1), (0, 0), (0, 0)]
    assert [d.state for d in store.deliveries()] == ["empty"]


async def test_all_posts_sent_means_no_more_digests_until_a_thread_grows(store: Store) -> None:
    subscribe(store, 1, posts=20)
    store.update_subscriber("fake", "c0", now=START, timezone="Europe/London")
    sender = FakeSender()
    box = outbox(store, sender)
    await run_minutes(box, datetime(2026, 11, 23, 8, 0, tzinfo=UTC), 1)
    await run_minutes(box, datetime(2026, 11, 24, 8, 0, tzinfo=UTC), 1)
    assert sender.calls == 1
    grown = make_post(3, comments=5)
    box.set_posts(PostIndex([*POSTS[:2], grown, *POSTS[3:]]))
    await run_minutes(box, datetime(2026, 11, 25, 8, 0, tzinfo=UTC), 1)
    latest = sender.arrived[-1][1]
    assert [(i.post_id, i.kind, i.new) for i in latest.items] == [
        ("003_post", "discussion", ("3", "4", "5"))
    ]
    assert {q.ref for q in latest.items[0].comments} <= {"3", "4", "5"}


async def test_downtime_of_25_hours_gives_one_catch_up(store: Store) -> None:
    subscribe(store, 3)
    sender = FakeSender()
    box = outbox(store, sender)
    await run_minutes(box, START, 24 * 60)  # day one: everyone served
    await run_minutes(box, START + timedelta(hours=49), 60)  # back after 25 h down
    assert Counter(sender.chats()) == {"c0": 2, "c1": 2, "c2": 2}


async def test_send_now_counts_as_given_but_keeps_the_schedule(store: Store) -> None:
    subscribe(store, 1)
    store.update_subscriber("fake", "c0", now=START, timezone="Europe/London")
    sender = FakeSender()
    box = outbox(store, sender)
    sub = store.get_subscriber("fake", "c0")
    assert sub is not None
    assert isinstance(await box.send_now(sub, datetime(2026, 11, 23, 7, 0, tzinfo=UTC)), Sent)
    await run_minutes(box, datetime(2026, 11, 23, 8, 0, tzinfo=UTC), 1)
    assert arrived_posts([sender], "c0") == ["008_post", "007_post", "006_post", "005_post"]


async def test_resumed_delivery_for_a_chat_that_left_is_failed_not_sent(data: Path) -> None:
    store = open_store(data)
    subscribe(store, 1)
    store.update_subscriber("fake", "c0", now=START, timezone="Europe/London")
    with pytest.raises(Crash):
        await outbox(store, FakeSender(crash_at=1)).tick(datetime(2026, 11, 23, 8, 0, tzinfo=UTC))
    store.set_active("fake", "c0", False, now=START)
    sender = FakeSender()
    await outbox(store, sender).tick(datetime(2026, 11, 23, 8, 1, tzinfo=UTC))
    assert sender.calls == 0
    assert [d.error for d in store.deliveries()] == ["unsubscribed before sending"]
    store.close()


def test_blocked_outcome_type_is_what_front_ends_return() -> None:
    assert Blocked().reason == "the chat blocked the bot or no longer exists"


async def test_compaction_keeps_files_small_and_history_whole(store: Store) -> None:
    subscribe(store, 2, posts=1)
    sender = FakeSender()
    box = outbox(store, sender)
    for day in range(12):
        morning = datetime(2026, 11, 23, 7, 0, tzinfo=UTC) + timedelta(days=day)
        await run_minutes(box, morning, 8 * 60)  # 07:00 to 15:00 UTC covers both zones
    for chat in ("c0", "c1"):
        assert arrived_posts([sender], chat) == [p.id for p in reversed(POSTS)]  # each once
        recent = [d for d in store.deliveries(platform="fake", chat_id=chat) if not d.archived]
        assert len(recent) <= 3  # older ones were folded into the history file
        assert len(store.history("fake", chat)) == 8


@pytest.mark.parametrize(
    ("zone", "hhmm", "days", "expected_utc"),
    [
        (
            "Europe/London",
            "01:30",
            ("2026-03-28", "2026-03-29", "2026-03-30"),
            ["2026-03-28T01:30", "2026-03-29T01:00", "2026-03-30T00:30"],
        ),  # gap: 02:00 BST
        (
            "Europe/London",
            "01:30",
            ("2026-10-24", "2026-10-25", "2026-10-26"),
            ["2026-10-24T00:30", "2026-10-25T00:30", "2026-10-26T01:30"],
        ),  # repeated hour: once
        (
            "America/New_York",
            "02:30",
            ("2026-03-07", "2026-03-08", "2026-03-09"),
            ["2026-03-07T07:30", "2026-03-08T07:00", "2026-03-09T06:30"],
        ),
        (
            "America/New_York",
            "01:30",
            ("2026-10-31", "2026-11-01", "2026-11-02"),
            ["2026-10-31T05:30", "2026-11-01T05:30", "2026-11-02T06:30"],
        ),
    ],
)
async def test_dst_days_through_the_outbox_one_digest_each_local_day(
    data: Path, zone: str, hhmm: str, days: tuple[str, ...], expected_utc: list[str]
) -> None:
    first = datetime.fromisoformat(days[0]).replace(tzinfo=ZoneInfo(zone)).astimezone(UTC)
    store = open_store(data)
    store.put_subscriber(
        Subscriber.new(
            "fake",
            "c0",
            kind="private",
            now=first - timedelta(hours=1),
            defaults=DigestDefaults(time=hhmm, timezone=zone, posts=1),
        )
    )
    sender = FakeSender()
    sent_at: list[str] = []
    box = outbox(store, sender)
    for minute in range(3 * 24 * 60):
        now = first + timedelta(minutes=minute)
        if (await box.tick(now)).sent:
            sent_at.append(now.strftime("%Y-%m-%dT%H:%M"))
    store.close()
    assert sent_at == expected_utc
    assert [d.slot for _, d in sender.arrived] == list(days)
