"""The PostgreSQL store on a real server: what only a shared database has to show.

The newer-schema refusal, the password kept out of messages, riding out a server restart, and
the send schedules every instance shares. What every store does (planning once, claims, leases,
history, housekeeping, several instances at once) is the contract suite's: tests/store/contract/.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from datetime import timedelta

import psycopg
import pytest

from bot.domain.records import Run
from bot.store.postgres.schema import HOUSEKEEPING_LOCK
from bot.store.postgres.store import PostgresStore
from bot.store.tinydb.atomic import StoreError
from tests.fakes.postgres import Cluster, cluster_or_skip
from tests.store.contract.records import LEASE, NOW, delivery

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


async def test_housekeeping_waits_for_no_one_while_another_session_holds_its_lock(
    db_url: str, store: PostgresStore
) -> None:
    await store.plan(Run("r1", NOW), [delivery("5", "2026-02-01", "sent")])
    later = NOW + timedelta(days=3)
    async with await psycopg.AsyncConnection.connect(db_url, autocommit=True) as other:
        await other.execute("SELECT pg_advisory_lock(%s)", (HOUSEKEEPING_LOCK,))
        assert await asyncio.wait_for(store.housekeeping(later), 10) == 0
        assert (await store.stats()).deliveries == {"sent": 1}
        await other.execute("SELECT pg_advisory_unlock(%s)", (HOUSEKEEPING_LOCK,))
        assert await store.housekeeping(later) == 1  # free again: this one folds
