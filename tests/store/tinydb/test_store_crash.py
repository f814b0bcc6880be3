"""A real `kill -9` of a process writing the store: it always opens, no confirmed write is lost.

The child subscribes chats, changes a setting, records a delivery and marks it sent, printing an
ack line after each write returned. The parent kills it with SIGKILL at a random point (often in
the middle of a write), opens the store and checks every acknowledged write, from this round and
all earlier ones.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bot.store.tinydb.lock import DataDirLocked
from bot.store.tinydb.store import Store

ROOT = Path(__file__).resolve().parents[3]

CHILD = r"""
import sys
from datetime import UTC, datetime
from bot.config import DigestDefaults
from bot.store.tinydb.lock import DataDirLocked
from bot.store.tinydb.store import Store
from bot.domain.records import Delivery, DeliveryItem

data, prefix = sys.argv[1], sys.argv[2]
now = datetime(2026, 11, 23, 8, tzinfo=UTC)
out = sys.stdout
store = Store.open(data)
out.write("ready\n"); out.flush()
for i in range(100000):
    chat = f"{prefix}-{i}"
    store.subscribe("telegram", chat, now=now, defaults=DigestDefaults())
    out.write(f"sub {chat}\n"); out.flush()
    store.update_subscriber("telegram", chat, now=now, posts=7, topics=["court", chat])
    out.write(f"upd {chat}\n"); out.flush()
    item = DeliveryItem("000_post", "new", ("1", "2", "2.1"))
    d = Delivery(Delivery.make_id("telegram", chat, "2026-11-23"), "telegram", chat,
                 "2026-11-23", "Daily digest", (item,), "pending", now, now)
    store.add_deliveries([d])
    out.write(f"del {d.id}\n"); out.flush()
    store.mark(d.id, "sent", now=now, message_ids=[str(i)], attempts=1)
    out.write(f"sent {d.id}\n"); out.flush()
"""


def _kill_once(data: Path, prefix: str, rnd: random.Random) -> list[str]:
    """Start a writer, kill -9 it after a random number of acks plus a random pause; its acks."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(data), prefix],
        stdout=subprocess.PIPE,
        text=True,
        env=env,
    )
    assert child.stdout is not None
    assert child.stdout.readline() == "ready\n"
    acks: list[str] = []
    for _ in range(rnd.randint(0, 40)):
        line = child.stdout.readline()
        if not line:
            break
        acks.append(line.strip())
    time.sleep(rnd.random() * 0.004)  # land anywhere inside the next write
    os.kill(child.pid, signal.SIGKILL)
    rest = child.stdout.read()  # acks written before the kill are confirmed too
    child.wait()
    assert child.returncode == -signal.SIGKILL
    return acks + [line for line in rest.splitlines() if line]


def _check(store: Store, acks: list[str]) -> None:
    for ack in acks:
        kind, what = ack.split(" ", 1)
        if kind == "sub":
            assert store.get_subscriber("telegram", what) is not None, ack
        elif kind == "upd":
            sub = store.get_subscriber("telegram", what)
            assert sub is not None and (sub.posts, sub.topics) == (7, ("court", what)), ack
        else:
            delivery = store.get_delivery(what)
            assert delivery is not None, ack
            if kind == "sent":
                assert (delivery.state, delivery.attempts) == ("sent", 1), ack


def _rounds(tmp_path: Path, count: int) -> None:
    rnd = random.Random(20261123)
    confirmed: list[str] = []
    mid_write = 0
    for n in range(count):
        confirmed += _kill_once(tmp_path, f"r{n}", rnd)
        mid_write += any(tmp_path.rglob("*.tmp"))  # killed between temp file and replace
        with Store.open(tmp_path) as store:  # always opens: the lock died with the child
            _check(store, confirmed)
    assert len(confirmed) > count  # the kills did land after real writes
    assert mid_write > 0  # and some in the middle of one (about 3 in 4 here)


def test_kill_9_loses_no_confirmed_write_quick(tmp_path: Path) -> None:
    _rounds(tmp_path, 30)


@pytest.mark.slow
def test_kill_9_loses_no_confirmed_write(tmp_path: Path) -> None:
    _rounds(tmp_path, 30 if os.environ.get("CI") == "true" else 200)


def test_a_second_process_is_refused_with_the_holders_pid(tmp_path: Path) -> None:
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys; from bot.store.tinydb.store import Store; s = Store.open(sys.argv[1]);"
            " print('ready', flush=True); sys.stdin.read()",
            str(tmp_path),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert holder.stdout is not None and holder.stdin is not None
    try:
        assert holder.stdout.readline() == "ready\n"
        with pytest.raises(DataDirLocked) as info:
            Store.open(tmp_path)
        assert info.value.pid == holder.pid
        assert str(info.value).startswith(
            f"{tmp_path} is in use by another digestbot (process {holder.pid})"
        )
    finally:
        holder.stdin.close()
        holder.wait(timeout=30)
    with Store.open(tmp_path):  # free again once the holder has exited
        pass
