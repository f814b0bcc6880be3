"""The Store contract, deliveries: planning once, claims with a lease, progress, outcomes.

Concurrent calls go through :meth:`Backend.peer`: separate store objects where the backend
has several instances (PostgreSQL), concurrent tasks on the one store elsewhere.
"""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import timedelta

import pytest

from bot.domain.records import DeliveryItem, Run
from bot.store.base import LostClaim, Store
from tests.store.contract.backends import Backend
from tests.store.contract.records import DEFAULTS, LEASE, NOW, delivery, drain

TG = ["telegram"]


async def test_a_delivery_round_trips_with_every_field(store: Store) -> None:
    items = (
        DeliveryItem("000_a", "new", ("1", "2", "2.1"), reason="matches fish"),
        DeliveryItem("001_b", "discussion", ("1", "3", "3.1"), new=("3", "3.1")),
    )
    full = replace(delivery("42", items=items), message_ids=("m1", "m2"), attempts=2,
                   error="timed out", run_id="run-7", state="unknown")  # fmt: skip
    on_demand = replace(delivery("42", ""), id="telegram:42@now-1", title="Your digest now")
    assert await store.plan(None, [full, on_demand]) == [full, on_demand]
    assert await store.get_delivery(full.id) == full
    assert await store.get_delivery(on_demand.id) == on_demand
    assert await store.get_delivery("telegram:42@1999-01-01") is None
    assert await store.runs() == []  # planned without a run: none recorded


async def test_deliveries_filter_and_come_oldest_first(store: Store) -> None:
    first = delivery("2", "2026-03-01", "sent", created=NOW - timedelta(days=1))
    rest = [delivery("1"), delivery("2"), delivery("C1", platform="slack", state="failed")]
    await store.plan(Run("r1", NOW), [*rest, first])
    assert [d.id for d in await store.deliveries()] == [first.id, *sorted(d.id for d in rest)]
    assert [d.chat_id for d in await store.deliveries(state="pending")] == ["1", "2"]
    assert [d.id for d in await store.deliveries(platform="slack")] == [rest[2].id]
    assert [d.slot for d in await store.deliveries(chat_id="2")] == ["2026-03-01", "2026-03-02"]
    assert await store.deliveries(state="sent", chat_id="1") == []


async def test_planning_twice_adds_nothing_the_second_time(store: Store) -> None:
    await store.subscribe("telegram", "1", kind="private", defaults=DEFAULTS, now=NOW)
    first = await store.plan(Run("r1", NOW), [delivery("1"), delivery("2")])
    again = await store.plan(Run("r2", NOW), [replace(delivery("1"), title="other"),
                                               delivery("3")])  # fmt: skip
    assert [d.chat_id for d in first] == ["1", "2"]
    assert [d.chat_id for d in again] == ["3"]
    assert (await store.get_delivery(delivery("1").id)) == delivery("1")  # the first one kept
    assert [r.id for r in await store.runs()] == ["r2", "r1"]  # both runs recorded
    assert [c async for c in store.candidates(NOW)] == []  # planned today: not due again
    [candidate] = [c async for c in store.candidates(NOW + timedelta(days=1))]
    assert candidate.last_slot == "2026-03-02"


async def test_planning_at_once_plans_each_digest_once(backend: Backend) -> None:
    stores = [backend.store, await backend.peer(), await backend.peer()]
    wanted = [delivery(str(n)) for n in range(300)]
    added = await asyncio.gather(*(s.plan(Run(f"r{i}", NOW), wanted) for i, s in
                                   enumerate(stores)))  # fmt: skip
    assert sorted(d.id for part in added for d in part) == sorted(d.id for d in wanted)
    assert (await backend.store.stats()).deliveries == {"pending": 300}


async def test_concurrent_claims_never_hand_out_a_delivery_twice(backend: Backend) -> None:
    stores = [backend.store, await backend.peer(), await backend.peer()]
    await backend.store.plan(Run("r1", NOW), [delivery(str(n)) for n in range(200)])
    parts = await asyncio.gather(*(drain(s, f"i{n}") for n, s in enumerate(stores)))
    every = [i for part in parts for i in part]
    assert len(every) == len(set(every)) == 200
    assert all(parts), "every claimer got a share"


async def test_claims_come_oldest_first_by_platform_up_to_the_limit(store: Store) -> None:
    old = delivery("9", "2026-03-01", created=NOW - timedelta(hours=1))
    chats = [delivery(c) for c in ("b", "a", "c")]
    slack = delivery("C1", platform="slack")
    await store.plan(None, [*chats, slack, old, delivery("d", state="sent")])
    got = await store.claim(owner="x", now=NOW, lease=LEASE, platforms=TG, limit=3)
    assert [d.chat_id for d in got] == ["9", "a", "b"]  # by (created, id)
    assert got[0] == old
    rest = await store.claim(owner="y", now=NOW, lease=LEASE, platforms=["telegram", "slack"])
    assert [d.id for d in rest] == sorted([slack.id, chats[2].id])
    assert await store.claim(owner="x", now=NOW, lease=LEASE, platforms=TG) == []
    assert await store.claim(owner="z", now=NOW, lease=LEASE, platforms=[]) == []


async def test_skip_leaves_those_deliveries_for_another_claim(store: Store) -> None:
    await store.plan(None, [delivery(c) for c in "abcd"])
    skip = {delivery("a").id, delivery("c").id, "telegram:none@2026-03-02"}
    got = await store.claim(owner="x", now=NOW, lease=LEASE, platforms=TG, skip=skip)
    assert [d.chat_id for d in got] == ["b", "d"]
    rest = await store.claim(owner="x", now=NOW, lease=LEASE, platforms=TG, skip=())
    assert [d.chat_id for d in rest] == ["a", "c"]


async def test_an_expired_lease_resumes_after_the_last_recorded_message(store: Store) -> None:
    await store.plan(Run("r1", NOW), [delivery("7")])
    [held] = await store.claim(owner="a", now=NOW, lease=LEASE, platforms=TG)
    step = await store.record_progress(held.id, owner="a", message_ids=["m1"], now=NOW,
                                       lease=LEASE)  # fmt: skip
    assert step.message_ids == ("m1",) and step.state == "pending"
    assert await store.claim(owner="b", now=NOW + LEASE / 2, lease=LEASE, platforms=TG) == []
    later = NOW + LEASE + timedelta(seconds=1)
    [taken] = await store.claim(owner="b", now=later, lease=LEASE, platforms=TG)
    assert taken.message_ids == ("m1",)
    with pytest.raises(LostClaim):
        await store.record_progress(held.id, owner="a", message_ids=["m1", "m2"], now=later,
                                    lease=LEASE)  # fmt: skip
    with pytest.raises(LostClaim):
        await store.finish(held.id, owner="a", state="sent", now=later)
    done = await store.finish(
        taken.id, owner="b", state="sent", now=later, message_ids=["m1", "m2"]
    )
    assert done.state == "sent" and done.message_ids == ("m1", "m2")
    assert await store.get_delivery(done.id) == done
    assert await store.claim_delivery(done.id, owner="c", now=later, lease=LEASE) is None


async def test_progress_renews_the_lease(store: Store) -> None:
    await store.plan(None, [delivery("7")])
    [held] = await store.claim(owner="a", now=NOW, lease=LEASE, platforms=TG)
    renewed = NOW + LEASE - timedelta(seconds=1)
    await store.record_progress(held.id, owner="a", message_ids=["m1"], now=renewed, lease=LEASE)
    assert await store.claim(owner="b", now=NOW + LEASE, lease=LEASE, platforms=TG) == []
    assert await store.claim(owner="b", now=renewed + LEASE, lease=LEASE, platforms=TG) != []


async def test_only_the_owner_records_progress_or_the_outcome(store: Store) -> None:
    await store.plan(None, [delivery("7"), delivery("8")])
    with pytest.raises(LostClaim):  # never claimed
        await store.finish(delivery("8").id, owner="a", state="sent", now=NOW)
    [held] = await store.claim(owner="a", now=NOW, lease=LEASE, platforms=TG, limit=1)
    with pytest.raises(LostClaim):
        await store.record_progress(held.id, owner="b", message_ids=["x"], now=NOW, lease=LEASE)
    with pytest.raises(LostClaim):
        await store.finish(held.id, owner="b", state="failed", now=NOW)
    with pytest.raises(LostClaim):
        await store.finish("telegram:404@2026-03-02", owner="a", state="sent", now=NOW)
    assert await store.get_delivery(held.id) == held  # untouched


async def test_finish_releases_and_a_repeat_returns_the_outcome(store: Store) -> None:
    await store.plan(None, [delivery("7"), delivery("8")])
    first, second = await store.claim(owner="a", now=NOW, lease=LEASE, platforms=TG)
    retry = await store.finish(first.id, owner="a", state="pending", now=NOW,
                               message_ids=["m1"], error="429", attempts=1)  # fmt: skip
    assert (retry.state, retry.message_ids, retry.error, retry.attempts) == (
        "pending", ("m1",), "429", 1)  # fmt: skip
    [again] = await store.claim(owner="b", now=NOW, lease=LEASE, platforms=TG)  # at once
    assert again == retry
    done = await store.finish(again.id, owner="b", state="sent", now=NOW)
    assert (done.message_ids, done.error, done.attempts) == (("m1",), None, 1)  # kept
    assert await store.finish(again.id, owner="b", state="sent", now=NOW) == done
    with pytest.raises(LostClaim):  # another outcome is not a repeat
        await store.finish(again.id, owner="b", state="failed", now=NOW)
    with pytest.raises(LostClaim):
        await store.finish(again.id, owner="b", state="sent", now=NOW + timedelta(seconds=1))
    with pytest.raises(ValueError):
        await store.finish(second.id, owner="a", state="lost", now=NOW)
    assert (await store.get_delivery(second.id)) == second


async def test_claim_delivery_holds_one_pending_delivery(store: Store) -> None:
    wanted = delivery("5", "", state="pending")
    wanted = replace(wanted, id="telegram:5@now-1")
    await store.plan(None, [wanted, delivery("6", state="empty")])
    assert await store.claim_delivery("telegram:404@x", owner="a", now=NOW, lease=LEASE) is None
    assert await store.claim_delivery(delivery("6").id, owner="a", now=NOW, lease=LEASE) is None
    assert await store.claim_delivery(wanted.id, owner="a", now=NOW, lease=LEASE) == wanted
    assert await store.claim_delivery(wanted.id, owner="b", now=NOW, lease=LEASE) is None
    assert await store.claim(owner="b", now=NOW, lease=LEASE, platforms=TG) == []
    later = NOW + LEASE
    assert await store.claim_delivery(wanted.id, owner="b", now=later, lease=LEASE) == wanted
    with pytest.raises(LostClaim):
        await store.finish(wanted.id, owner="a", state="sent", now=later)


async def test_runs_round_trip_newest_first(store: Store) -> None:
    runs = [Run(f"r{n}", NOW + timedelta(minutes=n)) for n in range(5)]
    for run in runs:
        await store.record_run(run)
    done = replace(runs[2], finished=NOW + timedelta(hours=1), due=4, sent=2, empty=1,
                   failed=1, unknown=0, blocked=3, retried=5, resumed=6)  # fmt: skip
    assert await store.record_run(done) == done
    assert await store.runs() == [runs[4], runs[3], done, runs[1], runs[0]]
    assert await store.runs(2) == [runs[4], runs[3]]
    assert (await store.stats()).last_run == runs[4]


async def test_stats_count_subscribers_and_deliveries_by_state(store: Store) -> None:
    empty = await store.stats()
    assert (empty.subscribers, empty.active, empty.deliveries, empty.last_run) == (0, 0, {}, None)
    for chat in ("1", "2", "3"):
        await store.subscribe("telegram", chat, kind="private", defaults=DEFAULTS, now=NOW)
    await store.set_active("telegram", "2", False, now=NOW)
    states = ["pending", "pending", "sent", "failed", "unknown", "blocked", "empty"]
    run = Run("r1", NOW)
    await store.plan(run, [delivery(str(n), state=s) for n, s in enumerate(states)])
    stats = await store.stats()
    assert (stats.subscribers, stats.active, stats.last_run) == (3, 2, run)
    assert stats.deliveries == {"pending": 2, "sent": 1, "failed": 1, "unknown": 1,
                                "blocked": 1, "empty": 1}  # fmt: skip


async def test_release_frees_a_claim_and_only_its_owner_may(store: Store) -> None:
    """An outbox gives a claim back without an outcome (an exception before sending): the
    delivery is as it was, free for the next claim; someone else's release changes nothing."""
    await store.plan(None, [delivery("1")])
    [held] = await store.claim(owner="a", now=NOW, lease=LEASE, platforms=["telegram"])
    await store.release(held.id, owner="b")  # not b's: still a's
    assert await store.claim(owner="b", now=NOW, lease=LEASE, platforms=["telegram"]) == []
    await store.release(held.id, owner="a")
    assert await store.get_delivery(held.id) == held
    [again] = await store.claim(owner="b", now=NOW, lease=LEASE, platforms=["telegram"])
    assert again.id == held.id
    with pytest.raises(LostClaim):
        await store.finish(held.id, owner="a", state="sent", now=NOW)
