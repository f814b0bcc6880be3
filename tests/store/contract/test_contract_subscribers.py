"""The Store contract, subscribers: subscribing, settings, pausing, a chat changing id, bulk
writes, streaming every subscriber and picking the ones that may be due."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from bot.domain.records import InvalidSetting, Run, Subscriber
from bot.errors import NotFound
from bot.store.base import Store
from tests.store.contract.records import DEFAULTS, NOW, delivery

LATER = NOW + timedelta(hours=1)


async def test_a_subscriber_round_trips_with_the_defaults(store: Store) -> None:
    sub = await store.subscribe("telegram", "42", kind="group", defaults=DEFAULTS, now=NOW)
    assert sub == Subscriber.new("telegram", "42", kind="group", defaults=DEFAULTS, now=NOW)
    assert await store.get_subscriber("telegram", "42") == sub
    assert await store.get_subscriber("slack", "42") is None
    assert await store.get_subscriber("telegram", "43") is None


async def test_subscribing_again_keeps_the_settings_and_reactivates(store: Store) -> None:
    await store.subscribe("telegram", "42", kind="group", defaults=DEFAULTS, now=NOW)
    changed = await store.update_subscriber("telegram", "42", now=NOW, topics=["fish"])
    again = await store.subscribe("telegram", "42", kind="private", defaults=DEFAULTS, now=LATER)
    assert again == changed  # active already: nothing changes, not even `updated`
    paused = await store.set_active("telegram", "42", False, now=LATER)
    assert paused is not None and not paused.active and paused.updated == LATER
    later = LATER + timedelta(hours=1)
    back = await store.subscribe("telegram", "42", kind="private", defaults=DEFAULTS, now=later)
    assert back == replace(changed, active=True, updated=later)
    assert await store.get_subscriber("telegram", "42") == back


async def test_settings_change_and_bad_values_change_nothing(store: Store) -> None:
    await store.subscribe("telegram", "42", kind="group", defaults=DEFAULTS, now=NOW)
    changed = await store.update_subscriber(
        "telegram", "42", now=LATER, topics=["prison", "fish"], time="07:30", posts=5
    )
    assert (changed.topics, changed.time, changed.posts) == (("prison", "fish"), "07:30", 5)
    assert changed.updated == LATER
    assert await store.get_subscriber("telegram", "42") == changed
    bad = [{"time": "25:00"}, {"posts": 0}, {"timezone": "Mars/Base"}, {"colour": "red"},
           {"frequency": "hourly"}, {"topics": [""]}]  # fmt: skip
    for change in bad:
        with pytest.raises(InvalidSetting):
            await store.update_subscriber("telegram", "42", now=LATER, **change)
    assert await store.get_subscriber("telegram", "42") == changed
    with pytest.raises(NotFound):
        await store.update_subscriber("telegram", "404", now=LATER, posts=2)


async def test_set_active_changes_only_what_differs(store: Store) -> None:
    assert await store.set_active("telegram", "1", False, now=NOW) is None
    sub = await store.subscribe("telegram", "1", kind="private", defaults=DEFAULTS, now=NOW)
    assert await store.set_active("telegram", "1", True, now=LATER) == sub  # already active
    paused = await store.set_active("telegram", "1", False, now=LATER)
    assert paused == replace(sub, active=False, updated=LATER)
    assert await store.set_active("telegram", "1", False, now=LATER + timedelta(hours=1)) == paused


async def test_move_chat_takes_settings_deliveries_history_and_last_slot(store: Store) -> None:
    await store.subscribe("telegram", "-5", kind="group", defaults=DEFAULTS, now=NOW)
    await store.update_subscriber("telegram", "-5", now=NOW, posts=7)
    await store.plan(Run("r1", NOW), [delivery("-5")])
    moved = await store.move_chat("telegram", "-5", "-1005", now=LATER)
    assert moved is not None and (moved.chat_id, moved.posts, moved.updated) == ("-1005", 7, LATER)
    assert await store.get_subscriber("telegram", "-5") is None
    assert await store.get_subscriber("telegram", "-1005") == moved
    [d] = await store.deliveries(platform="telegram", chat_id="-1005")
    assert d.id == "telegram:-1005@2026-03-02" and d.chat_id == "-1005"
    assert await store.deliveries(chat_id="-5") == []
    assert await store.history("telegram", "-1005") == {"000_post": ("1", "2", "2.1")}
    assert await store.history("telegram", "-5") == {}
    assert [c async for c in store.candidates(NOW)] == []  # planned today, under its new id


async def test_move_chat_onto_a_known_chat_keeps_that_chats_deliveries(store: Store) -> None:
    for chat in ("-5", "-1005"):
        await store.subscribe("telegram", chat, kind="group", defaults=DEFAULTS, now=NOW)
    await store.update_subscriber("telegram", "-5", now=NOW, posts=7)
    theirs = replace(delivery("-1005"), title="the new chat's own")
    await store.plan(None, [delivery("-5"), delivery("-5", "2026-03-01"), theirs])
    moved = await store.move_chat("telegram", "-5", "-1005", now=LATER)
    assert moved is not None and moved.posts == 7  # the moved subscriber replaces the other
    found = await store.deliveries(chat_id="-1005")
    assert sorted((d.slot, d.title) for d in found) == [
        ("2026-03-01", "Digest"),
        ("2026-03-02", "the new chat's own"),
    ]
    assert (await store.stats()).subscribers == 1


async def test_move_chat_of_an_unknown_or_the_same_chat(store: Store) -> None:
    assert await store.move_chat("telegram", "1", "2", now=NOW) is None
    sub = await store.subscribe("telegram", "1", kind="private", defaults=DEFAULTS, now=NOW)
    assert await store.move_chat("telegram", "1", "1", now=LATER) == sub
    assert await store.move_chat("slack", "1", "2", now=LATER) is None
    assert await store.get_subscriber("telegram", "1") == sub


async def test_put_subscribers_inserts_replaces_and_refuses_bad_ones(store: Store) -> None:
    subs = [Subscriber.new("slack", f"C{n}", kind="channel", defaults=DEFAULTS, now=NOW)
            for n in range(3)]  # fmt: skip
    await store.put_subscribers(subs)
    await store.put_subscribers([replace(subs[0], posts=9, active=False)])
    assert (await store.get_subscriber("slack", "C0")) == replace(subs[0], posts=9, active=False)
    with pytest.raises(InvalidSetting):
        await store.put_subscribers([replace(subs[1], posts=2), replace(subs[2], time="8")])
    assert await store.get_subscriber("slack", "C1") == subs[1]  # nothing of the batch written
    await store.put_subscribers([])
    assert (await store.stats()).subscribers == 3


async def test_put_subscribers_picks_up_slots_planned_before(store: Store) -> None:
    await store.plan(None, [delivery("9", "2026-03-01"), delivery("9", "2026-03-02")])
    sub = Subscriber.new("telegram", "9", kind="private", defaults=DEFAULTS, now=NOW)
    await store.put_subscribers([sub])
    [candidate] = [c async for c in store.candidates(NOW + timedelta(days=1))]
    assert candidate.last_slot == "2026-03-02"
    assert [c async for c in store.candidates(NOW)] == []


async def test_subscribers_stream_every_one_in_order(store: Store) -> None:
    count = 2500  # more than one batch of a streaming read
    subs = [Subscriber.new("telegram", f"{n:05d}", kind="private", defaults=DEFAULTS, now=NOW)
            for n in range(count)]  # fmt: skip
    await store.put_subscribers([replace(s, active=n % 3 != 0) for n, s in enumerate(subs)])
    await store.put_subscribers([Subscriber.new("slack", "C1", kind="channel", defaults=DEFAULTS,
                                                now=NOW)])  # fmt: skip
    every = [(s.platform, s.chat_id) async for s in store.subscribers()]
    assert every == sorted(every) and len(every) == count + 1
    active = [s async for s in store.subscribers(active=True)]
    paused = [s async for s in store.subscribers(active=False)]
    assert all(s.active for s in active) and not any(s.active for s in paused)
    assert (len(active), len(paused)) == (count + 1 - 834, 834)
    stats = await store.stats()
    assert (stats.subscribers, stats.active) == (count + 1, count + 1 - 834)


async def test_candidates_are_the_active_ones_not_planned_today(store: Store) -> None:
    for chat in ("1", "2", "3"):
        await store.subscribe("telegram", chat, kind="private", defaults=DEFAULTS, now=NOW)
    await store.set_active("telegram", "3", False, now=NOW)
    await store.plan(Run("r1", NOW), [delivery("1")])
    [fresh] = [c async for c in store.candidates(NOW)]
    assert fresh.subscriber.chat_id == "2" and fresh.last_slot is None
    tomorrow = {c.subscriber.chat_id: c.last_slot async for c in store.candidates(NOW
                + timedelta(days=1))}  # fmt: skip
    assert tomorrow == {"1": "2026-03-02", "2": None}


async def test_candidates_count_days_in_each_chats_time_zone(store: Store) -> None:
    zones = {"la": "America/Los_Angeles", "nz": "Pacific/Auckland"}
    for chat, zone in zones.items():
        await store.subscribe("telegram", chat, kind="private", defaults=DEFAULTS, now=NOW)
        # due at midnight their time: a store may leave out chats whose time is hours away
        await store.update_subscriber("telegram", chat, now=NOW, timezone=zone, time="00:00")
    await store.plan(None, [delivery("la", "2026-03-01"), delivery("nz", "2026-03-02")])
    # 08:00 UTC: 00:00 on 2 March in Los Angeles, 21:00 on 2 March in Auckland
    assert [c.subscriber.chat_id async for c in store.candidates(NOW)] == ["la"]
    # a minute earlier it is still 1 March in Los Angeles (2 March in UTC)
    early = NOW - timedelta(minutes=1)
    assert [c.subscriber.chat_id async for c in store.candidates(early)] == []
    # 19:00 UTC, still 2 March in UTC: 3 March in Auckland
    late = NOW + timedelta(hours=11)
    assert sorted([c.subscriber.chat_id async for c in store.candidates(late)]) == ["la", "nz"]
