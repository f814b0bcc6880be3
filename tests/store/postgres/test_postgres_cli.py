"""The digestbot command on PostgreSQL: start-up refusals in one line (exit 2, the password
nowhere), ``digestbot store migrate`` and ``digestbot store copy`` between TinyDB and
PostgreSQL, both ways, nothing lost (checked by counts and record by record)."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.config import DigestDefaults
from bot.domain.records import Delivery, DeliveryItem, Run, Subscriber
from bot.store.base import Store
from bot.store.postgres.store import PostgresStore
from bot.store.tinydb.protocol import TinyDBStore
from tests.bot_process import cli_env, run_cli
from tests.fakes.postgres import Cluster, cluster_or_skip

NOW = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
SEEDS = Path(__file__).resolve().parents[3] / "seeds"


@pytest.fixture(scope="module")
def cluster() -> Iterator[Cluster]:
    yield from cluster_or_skip()


def config(tmp_path: Path, backend: str = "postgresql") -> Path:
    path = tmp_path / "config.toml"
    path.write_text(
        f'[corpus]\nfolder = "{SEEDS}"\n[data]\nfolder = "data"\n'
        f'[store]\nbackend = "{backend}"\nurl_env = "TEST_DB_URL"\n',
        encoding="utf-8",
    )
    return path


def one_line(stderr: str) -> str:
    lines = stderr.splitlines()
    assert len(lines) == 1, stderr[-2000:]
    assert lines[0].startswith("digestbot: ") and "Traceback" not in lines[0]
    return lines[0]


def test_an_unreachable_database_stops_the_start_in_one_line(
    cluster: Cluster, tmp_path: Path
) -> None:
    url = cluster.url("digestbot").replace(f":{cluster.port}/", ":1/")
    done = run_cli(["--config", str(config(tmp_path)), "run"], None, TEST_DB_URL=url)
    assert done.returncode == 2
    line = one_line(done.stderr)
    assert "database digestbot@127.0.0.1:1/digestbot is unreachable" in line
    assert cluster.password not in done.stderr + done.stdout


def test_a_wrong_password_is_named_without_showing_it(cluster: Cluster, tmp_path: Path) -> None:
    url = cluster.url("postgres").replace(cluster.password, "Wrong-Secret-Password-1")
    done = run_cli(["--config", str(config(tmp_path)), "run"], None, TEST_DB_URL=url)
    assert done.returncode == 2
    line = one_line(done.stderr)
    assert "password authentication failed" in line
    assert "Wrong-Secret-Password-1" not in done.stderr + done.stdout


def test_no_url_variable_names_the_variable(tmp_path: Path) -> None:
    done = run_cli(["--config", str(config(tmp_path)), "run"], None)
    assert done.returncode == 2
    assert "TEST_DB_URL" in one_line(done.stderr)


def test_store_migrate_applies_once(cluster: Cluster, tmp_path: Path) -> None:
    url = cluster.create_database("migrate_cli")
    args = ["--config", str(config(tmp_path)), "store", "migrate"]
    first = run_cli(args, None, TEST_DB_URL=url)
    assert first.returncode == 0, first.stderr
    assert "schema version 2; applied 1 (" in first.stdout and "), 2 (slack" in first.stdout
    again = run_cli(args, None, TEST_DB_URL=url)
    assert "schema version 2; up to date" in again.stdout


async def _fill(store: Store) -> None:
    defaults = DigestDefaults()
    subs = [
        Subscriber.new("telegram", str(n), kind="private", defaults=defaults, now=NOW)
        for n in range(250)
    ]
    await store.put_subscribers(subs)
    await store.set_active("telegram", "7", False, now=NOW)
    run = Run("r1", NOW, due=3)
    deliveries = []
    for n, state in enumerate(("pending", "sent", "failed", "unknown", "empty")):
        slot = f"2026-03-0{n + 1}"
        items = (DeliveryItem("000_post", "new", ("1", "2")),)
        deliveries.append(Delivery(Delivery.make_id("telegram", str(n), slot), "telegram",
                                   str(n), slot, "Digest", items, state, NOW, NOW, "r1",
                                   ("m1",) if state == "sent" else ()))  # fmt: skip
    await store.plan(run, deliveries)
    await store.record_run(run)


async def _everything(store: Store) -> tuple[list[Subscriber], list[Delivery], list[Run]]:
    subs = sorted([s async for s in store.subscribers()], key=lambda s: s.key)
    return subs, await store.deliveries(), await store.runs(1000)


def test_store_copy_tinydb_to_postgresql_and_back(cluster: Cluster, tmp_path: Path) -> None:
    url = cluster.create_database("copy_cli")
    cfg = config(tmp_path)
    tiny = TinyDBStore.open(tmp_path / "data")
    asyncio.run(_fill(tiny))
    want = asyncio.run(_everything(tiny))
    asyncio.run(tiny.close())

    there = run_cli(["--config", str(cfg), "store", "copy", "--from", "tinydb", "--to",
                     "postgresql"], None, TEST_DB_URL=url)  # fmt: skip
    assert there.returncode == 0, there.stderr
    assert "250 subscribers (249 active), 5 deliveries" in there.stdout
    assert "counts match" in there.stdout

    async def in_postgres() -> tuple[list[Subscriber], list[Delivery], list[Run]]:
        store = await PostgresStore.open(url)
        try:
            return await _everything(store)
        finally:
            await store.close()

    assert asyncio.run(in_postgres()) == want
    again = run_cli(["--config", str(cfg), "store", "copy", "--from", "tinydb", "--to",
                     "postgresql"], None, TEST_DB_URL=url)  # fmt: skip
    assert again.returncode == 2 and "not empty" in one_line(again.stderr)

    back_cfg = tmp_path / "back"
    back_cfg.mkdir()
    back = run_cli(["--config", str(config(back_cfg)), "store", "copy", "--from", "postgresql",
                    "--to", "tinydb"], None, TEST_DB_URL=url)  # fmt: skip
    assert back.returncode == 0, back.stderr
    returned = TinyDBStore.open(back_cfg / "data")
    try:
        assert asyncio.run(_everything(returned)) == want
    finally:
        asyncio.run(returned.close())


def test_the_bot_runs_on_postgresql_and_keeps_nothing_in_a_tinydb_folder(
    cluster: Cluster, tmp_path: Path
) -> None:
    """`digestbot run` on the database: a console user subscribes and asks for a digest; the
    subscription and the sent delivery are rows in PostgreSQL, and no TinyDB store is made."""
    url = cluster.create_database("run_cli")
    lines = "/subscribe 08:00 Europe/London\n/digest\n/stats\nquit\n"
    done = subprocess.run(
        [sys.executable, "-m", "bot", "--config", str(config(tmp_path)), "run",
         "--frontend", "console"],
        input=lines, capture_output=True, text=True, cwd=tmp_path, timeout=240,
        env=cli_env(None, TEST_DB_URL=url),
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    assert "Subscribed. Digest every day at 08:00 (Europe/London)" in done.stdout
    assert "Subscribers: 1 (1 active)." in done.stdout
    assert "Deliveries: sent 1." in done.stdout
    assert cluster.password not in done.stdout + done.stderr

    async def rows() -> tuple[list[Subscriber], list[Delivery]]:
        store = await PostgresStore.open(url)
        try:
            return [s async for s in store.subscribers()], await store.deliveries()
        finally:
            await store.close()

    subs, deliveries = asyncio.run(rows())
    assert [(s.platform, s.time, s.timezone, s.active) for s in subs] == [
        ("console", "08:00", "Europe/London", True)
    ]
    assert [(d.platform, d.state) for d in deliveries] == [("console", "sent")]
    assert len(deliveries[0].items) > 0
    assert not (tmp_path / "data" / "store").exists()
