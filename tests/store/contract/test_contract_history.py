"""The Store contract, history and housekeeping: what a chat has been given (pending, sent,
unknown and archived deliveries count; failed, blocked and empty ones do not), folding old
final deliveries into one archived record per chat, once, keeping the history; and a store
reopened finding everything as it was (where the backend keeps anything)."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import timedelta

import pytest

from bot.domain.records import DeliveryItem, Run, Subscriber
from bot.store.base import LostClaim, Store
from tests.store.contract.backends import Backend
from tests.store.contract.records import DEFAULTS, LEASE, NOW, delivery

OLD = NOW - timedelta(days=3)


def about(post: str, *refs: str) -> tuple[DeliveryItem, ...]:
    return (DeliveryItem(post, "new", refs),)


async def test_history_counts_what_the_chat_has_been_given(store: Store) -> None:
    states = ["pending", "sent", "unknown", "failed", "blocked", "empty"]
    await store.plan(None, [delivery("1", f"2026-02-0{n + 1}", state, items=about(f"p{n}", "1"))
                            for n, state in enumerate(states)])  # fmt: skip
    assert await store.history("telegram", "1") == {"p0": ("1",), "p1": ("1",), "p2": ("1",)}
    assert await store.history("telegram", "2") == {}
    assert await store.history("slack", "1") == {}


async def test_a_post_given_twice_has_the_comments_of_both(store: Store) -> None:
    first = delivery("1", "2026-03-01", "sent", items=about("p", "1", "2"))
    second = delivery("1", "2026-03-02", "sent", items=about("p", "2", "3"))
    await store.plan(None, [first, second])
    assert await store.history("telegram", "1") == {"p": frozenset({"1", "2", "3"})}


async def test_history_follows_the_outcome(store: Store) -> None:
    await store.plan(None, [delivery("1")])
    given = {"000_post": ("1", "2", "2.1")}
    assert await store.history("telegram", "1") == given  # pending: held for the chat
    [held] = await store.claim(owner="a", now=NOW, lease=LEASE, platforms=["telegram"])
    await store.finish(held.id, owner="a", state="failed", now=NOW, error="403")
    assert await store.history("telegram", "1") == {}


async def test_housekeeping_folds_once_and_keeps_the_history(backend: Backend) -> None:
    a, b = backend.store, await backend.peer()
    await a.plan(Run("r1", NOW), [delivery("5", f"2026-02-{d:02d}", "sent") for d in (1, 2)])
    later = NOW + timedelta(days=3)
    counts = await asyncio.gather(a.housekeeping(later), b.housekeeping(later))
    assert sorted(counts) == [0, 2]
    [archive] = await a.deliveries(chat_id="5", platform="telegram")
    assert archive.state == "archived" and archive.slot == "2026-02-02"
    assert archive.id == "telegram:5@archive" and archive.updated == later
    assert await a.history("telegram", "5") == {"000_post": ("1", "2", "2.1")}
    assert await a.housekeeping(later) == 0


async def test_housekeeping_folds_only_old_final_deliveries(store: Store) -> None:
    old = [
        delivery("1", "2026-02-26", "sent", created=OLD, items=about("p1", "1")),
        delivery("1", "2026-02-27", "failed", created=OLD, items=about("p2", "1")),
        delivery("1", "2026-02-28", "pending", created=OLD, items=about("p3", "1")),
    ]
    recent = delivery("1", "2026-03-02", "sent", items=about("p4", "1"))
    await store.plan(None, [*old, recent])
    assert await store.housekeeping(NOW) == 2
    kept = {d.slot: d.state for d in await store.deliveries(chat_id="1")}
    assert kept == {"2026-02-27": "archived", "2026-02-28": "pending", "2026-03-02": "sent"}
    [archive] = await store.deliveries(state="archived")
    assert archive.items == (DeliveryItem("p1", "archived", ("1",)),)  # failed: not given
    assert archive.created == OLD
    history = await store.history("telegram", "1")
    assert history == {"p1": ("1",), "p3": ("1",), "p4": ("1",)}


async def test_a_second_fold_adds_to_the_archive(store: Store) -> None:
    await store.plan(None, [delivery("1", "2026-02-01", "sent", created=OLD,
                                     items=about("p", "1"))])  # fmt: skip
    assert await store.housekeeping(NOW) == 1
    await store.plan(None, [delivery("1", "2026-02-02", "unknown", created=OLD,
                                     items=about("p", "2"))])  # fmt: skip
    assert await store.housekeeping(NOW) == 1
    [archive] = await store.deliveries(chat_id="1")
    assert archive.slot == "2026-02-02" and archive.items == (
        DeliveryItem("p", "archived", ("1", "2")),
    )
    assert await store.history("telegram", "1") == {"p": ("1", "2")}


async def test_housekeeping_drops_old_runs(store: Store) -> None:
    for n, started in enumerate((OLD, NOW - timedelta(days=1), NOW)):
        await store.record_run(Run(f"r{n}", started))
    await store.housekeeping(NOW)
    assert [r.id for r in await store.runs()] == ["r2", "r1"]


async def test_archived_history_moves_with_the_chat(store: Store) -> None:
    await store.subscribe("telegram", "-5", kind="group", defaults=DEFAULTS, now=NOW)
    await store.plan(None, [delivery("-5", "2026-02-01", "sent", created=OLD)])
    await store.housekeeping(NOW)
    await store.move_chat("telegram", "-5", "-1005", now=NOW)
    [archive] = await store.deliveries(chat_id="-1005")
    assert archive.state == "archived" and archive.id == "telegram:-1005@archive"
    assert await store.history("telegram", "-1005") == {"000_post": ("1", "2", "2.1")}


@pytest.mark.reopens
async def test_a_reopened_store_finds_everything(backend: Backend) -> None:
    store = backend.store
    sub = await store.subscribe("telegram", "1", kind="private", defaults=DEFAULTS, now=NOW)
    sub = await store.update_subscriber("telegram", "1", now=NOW, topics=["fish"], posts=4)
    other = Subscriber.new("slack", "C1", kind="channel", defaults=DEFAULTS, now=NOW)
    await store.put_subscribers([replace(other, active=False)])
    run = Run("r1", NOW, NOW + timedelta(seconds=3), due=2, sent=1)
    await store.plan(run, [delivery("1"), delivery("1", "2026-02-01", "sent", created=OLD)])
    [held] = await store.claim(owner="a", now=NOW, lease=LEASE, platforms=["telegram"], limit=1)
    await store.housekeeping(NOW)
    before = (await store.deliveries(), await store.history("telegram", "1"), await store.stats())
    store = await backend.reopen()
    assert await store.get_subscriber("telegram", "1") == sub
    assert [s.chat_id async for s in store.subscribers(active=False)] == ["C1"]
    after = (await store.deliveries(), await store.history("telegram", "1"), await store.stats())
    assert after == before and await store.runs() == [run]
    assert [c.last_slot async for c in store.candidates(NOW + timedelta(days=1))] == ["2026-03-02"]
    if backend.shared:  # other instances live on: the hold survived the restart
        with pytest.raises(LostClaim):
            await store.finish(held.id, owner="b", state="sent", now=NOW)
    else:  # one process per folder: its holds died with it, the delivery is free again
        [again] = await store.claim(owner="b", now=NOW, lease=LEASE, platforms=["telegram"])
        assert again.id == held.id
        await store.release(held.id, owner="b")
        await store.claim(owner="a", now=NOW, lease=LEASE, platforms=["telegram"])
    assert (await store.finish(held.id, owner="a", state="sent", now=NOW)).state == "sent"
