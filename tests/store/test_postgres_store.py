"""The PostgreSQL store on a real server: what only a shared database has to show.

Claims that two instances race for, planning that every instance does, the lease a dead owner
leaves behind, migrations and the newer-schema refusal, the password kept out of messages, and
riding out a server restart. (What every store does is the contract suite's.)
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta

import pytest

from bot.config import DigestDefaults
from bot.domain.records import Delivery, DeliveryItem, Run, Subscriber
from bot.store.base import LostClaim
from bot.store.postgres.store import PostgresStore
from bot.store.tinydb.atomic import StoreError
from tests.fakes.postgres import Cluster, cluster_or_skip

NOW = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
LEASE = timedelta(minutes=5)
DEFAULTS = DigestDefaults()
_counter = iter(range(10_000))


@pytest.fixture(scope="module")
def cluster() -> Iterator[Cluster]:
    yield from cluster_or_skip()


@pytest.fixture
def db_url(cluster: Cluster) -> str:
    return cluster.create_database(f"t{next(_counter)}")


@pytest.fixture
async def store(db_url: str) -> AsyncIterator[PostgresStore]:
    opened = await PostgresStore.open(db_url, retry_for=20)
    yield opened
    await opened.close()


def delivery(chat: str, slot: str = "2026-03-02", state: str = "pending") -> Delivery:
    items = (DeliveryItem("000_post", "new", ("1", "2", "2.1")),)
    return Delivery(
        Delivery.make_id("telegram", chat, slot),
        "telegram",
        chat,
        slot,
        "Digest",
        items,
        state,
        NOW,
        NOW,
        run_id="r1",
    )


async def test_records_round_trip(store: PostgresStore) -> None:
    sub = await store.subscribe("telegram", "42", kind="group", defaults=DEFAULTS, now=NOW)
    assert await store.get_subscriber("telegram", "42") == sub
    changed = await store.update_subscriber(
        "telegram", "42", now=NOW + timedelta(1), topics=["prison", "fish"], time="07:30"
    )
    assert changed.topics == ("prison", "fish") and changed.time == "07:30"
    assert await store.get_subscriber("telegram", "42") == changed
    [added] = await store.plan(Run("r1", NOW), [delivery("42")])
    assert await store.get_delivery(added.id) == added
    assert await store.history("telegram", "42") == {"000_post": ("1", "2", "2.1")}
    assert [r.id for r in await store.runs()] == ["r1"]


async def test_planning_twice_adds_nothing_the_second_time(store: PostgresStore) -> None:
    await store.subscribe("telegram", "1", kind="private", defaults=DEFAULTS, now=NOW)
    first = await store.plan(Run("r1", NOW), [delivery("1"), delivery("2")])
    again = await store.plan(Run("r2", NOW), [delivery("1"), delivery("3")])
    assert [d.chat_id for d in first] == ["1", "2"]
    assert [d.chat_id for d in again] == ["3"]
    assert [c async for c in store.candidates(NOW)] == []  # planned today: not due again
    [candidate] = [c async for c in store.candidates(NOW + timedelta(days=1))]
    assert candidate.last_slot == "2026-03-02"


async def test_two_instances_planning_at_once_plan_each_digest_once(db_url: str) -> None:
    stores = [await PostgresStore.open(db_url) for _ in range(3)]
    try:
        wanted = [delivery(str(n)) for n in range(300)]
        added = await asyncio.gather(*(s.plan(Run(f"r{i}", NOW), wanted) for i, s in
                                       enumerate(stores)))  # fmt: skip
        assert sorted(d.id for part in added for d in part) == sorted(d.id for d in wanted)
    finally:
        for s in stores:
            await s.close()


async def test_concurrent_claims_never_hand_out_a_delivery_twice(db_url: str) -> None:
    stores = [await PostgresStore.open(db_url) for _ in range(3)]
    try:
        await stores[0].plan(Run("r1", NOW), [delivery(str(n)) for n in range(200)])

        async def drain(store: PostgresStore, owner: str) -> list[str]:
            got: list[str] = []
            while batch := await store.claim(
                owner=owner, now=NOW, lease=LEASE, platforms=["telegram"], limit=7
            ):
                got += [d.id for d in batch]
            return got

        parts = await asyncio.gather(*(drain(s, f"i{n}") for n, s in enumerate(stores)))
        every = [i for part in parts for i in part]
        assert len(every) == len(set(every)) == 200
        assert all(parts), "every instance got a share"
    finally:
        for s in stores:
            await s.close()


async def test_an_expired_lease_resumes_after_the_last_recorded_message(
    store: PostgresStore,
) -> None:
    await store.plan(Run("r1", NOW), [delivery("7")])
    [held] = await store.claim(owner="a", now=NOW, lease=LEASE, platforms=["telegram"])
    await store.record_progress(held.id, owner="a", message_ids=["m1"], now=NOW, lease=LEASE)
    assert (
        await store.claim(owner="b", now=NOW + LEASE / 2, lease=LEASE, platforms=["telegram"]) == []
    )
    later = NOW + LEASE + timedelta(seconds=1)
    [taken] = await store.claim(owner="b", now=later, lease=LEASE, platforms=["telegram"])
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
    assert await store.claim_delivery(done.id, owner="c", now=later, lease=LEASE) is None


async def test_housekeeping_folds_once_and_keeps_the_history(db_url: str) -> None:
    a, b = await PostgresStore.open(db_url), await PostgresStore.open(db_url)
    try:
        await a.plan(Run("r1", NOW), [delivery("5", f"2026-02-{d:02d}", "sent") for d in (1, 2)])
        later = NOW + timedelta(days=3)
        counts = await asyncio.gather(a.housekeeping(later), b.housekeeping(later))
        assert sorted(counts) == [0, 2]
        [archive] = await a.deliveries(chat_id="5", platform="telegram")
        assert archive.state == "archived" and archive.slot == "2026-02-02"
        assert await a.history("telegram", "5") == {"000_post": ("1", "2", "2.1")}
    finally:
        await a.close()
        await b.close()


async def test_move_chat_takes_deliveries_and_history(store: PostgresStore) -> None:
    await store.subscribe("telegram", "-5", kind="group", defaults=DEFAULTS, now=NOW)
    await store.plan(Run("r1", NOW), [delivery("-5")])
    moved = await store.move_chat("telegram", "-5", "-1005", now=NOW)
    assert moved is not None and moved.chat_id == "-1005"
    assert await store.get_subscriber("telegram", "-5") is None
    [d] = await store.deliveries(platform="telegram", chat_id="-1005")
    assert d.id == "telegram:-1005@2026-03-02"
    assert await store.history("telegram", "-1005") == {"000_post": ("1", "2", "2.1")}


async def test_a_database_from_a_newer_digestbot_is_refused(cluster: Cluster, db_url: str) -> None:
    store = await PostgresStore.open(db_url)
    await store.close()
    name = db_url.rsplit("/", 1)[1]
    cluster.psql("INSERT INTO digestbot_migrations (version, name) VALUES (99, 'future')", name)
    with pytest.raises(StoreError) as err:
        await PostgresStore.open(db_url)
    message = str(err.value)
    assert "schema version 99 was written by a newer digestbot" in message
    assert cluster.password not in message and "\n" not in message


async def test_unreachable_database_is_one_line_without_the_password(cluster: Cluster) -> None:
    url = cluster.url("nowhere").replace(f":{cluster.port}/", ":1/")
    with pytest.raises(StoreError) as err:
        await PostgresStore.open(url)
    message = str(err.value)
    assert message.startswith("database digestbot@127.0.0.1:1/nowhere is unreachable: ")
    assert cluster.password not in message and "\n" not in message
    wrong = cluster.url("postgres").replace(cluster.password, "not-the-password")
    with pytest.raises(StoreError) as err:
        await PostgresStore.open(wrong)
    assert "password authentication failed" in str(err.value)
    assert "not-the-password" not in str(err.value)


async def test_a_server_restart_mid_run_loses_nothing(
    cluster: Cluster, store: PostgresStore
) -> None:
    await store.plan(Run("r1", NOW), [delivery(str(n)) for n in range(20)])
    claimed = await store.claim(owner="a", now=NOW, lease=LEASE, platforms=["telegram"])
    await asyncio.to_thread(cluster.restart)
    for d in claimed:
        await store.finish(d.id, owner="a", state="sent", now=NOW, message_ids=["m"])
    assert (await store.stats()).deliveries == {"sent": 20}


async def test_subscribers_stream_in_batches(store: PostgresStore) -> None:
    subs = [
        Subscriber.new("telegram", str(n), kind="private", defaults=DEFAULTS, now=NOW)
        for n in range(5000)
    ]
    await store.put_subscribers(subs)
    seen = 0
    async for sub in store.subscribers(active=True):
        seen += 1
        assert sub.active
    assert seen == 5000
    assert (await store.stats()).subscribers == 5000


async def test_three_instances_share_one_send_schedule(db_url: str) -> None:
    """29 turns a second between them, whoever asks: 60 turns are spread over 2 s, not sent
    in one burst, and each instance's waits are in step with the others'."""
    stores = [await PostgresStore.open(db_url) for _ in range(3)]
    period = 1 / 29
    loop = asyncio.get_running_loop()
    try:
        started = loop.time()
        waits = await asyncio.gather(
            *(s.reserve("telegram:all", period) for _ in range(20) for s in stores)
        )
        elapsed = loop.time() - started
        assert min(waits) < period  # the first goes at once
        assert 59 * period - elapsed - 0.05 <= max(waits) <= 60 * period
        assert len({round(w, 6) for w in waits}) == 60  # no two turns alike
    finally:
        for s in stores:
            await s.close()


async def test_a_command_limit_refuses_beyond_the_burst_for_every_instance(db_url: str) -> None:
    a, b = await PostgresStore.open(db_url), await PostgresStore.open(db_url)
    try:
        answers = [await (a if n % 2 else b).try_take("cmd:42", 3.0, 10) for n in range(12)]
        assert answers[:10] == [0.0] * 10
        assert all(wait > 0 for wait in answers[10:])
        assert await a.try_take("cmd:43", 3.0, 10) == 0.0  # another chat is not held back
    finally:
        await a.close()
        await b.close()
