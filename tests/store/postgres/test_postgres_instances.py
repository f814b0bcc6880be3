"""Several instances (separate processes) on one PostgreSQL database, sending one scheduled
broadcast through the loopback Bot API server that answers 429 beyond 30 messages a second.

Every instance plans the same broadcast (each digest is planned once), claims with a lease,
sends through python-telegram-bot with the rate limit shared in the database, and records each
message. One instance is killed with SIGKILL mid-broadcast: the others finish its chats after
its lease runs out; only messages whose request was out at the kill arrive twice (at most its
8 in flight), none is missed, and the server refused nothing.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.bot_process import ServerProcess
from tests.fakes.postgres import Cluster, cluster_or_skip
from tests.fakes.telegram_updates import TOKEN

ROOT = Path(__file__).resolve().parents[3]
IN_FLIGHT = 8
_numbers = iter(range(1000))


@pytest.fixture(scope="module")
def cluster() -> Iterator[Cluster]:
    yield from cluster_or_skip()


def start(url: str, base_url: str, owner: str, chats: int, parts: int, stop_after: int = 0):
    env = {**os.environ, "DIGESTBOT_DATABASE_URL": url, "DIGESTBOT_TELEGRAM_TOKEN": TOKEN}
    args = ["--base-url", base_url, "--owner", owner, "--plan", str(chats), "--parts",
            str(parts), "--in-flight", str(IN_FLIGHT), "--lease", "3"]  # fmt: skip
    if stop_after:
        args += ["--stop-after", str(stop_after)]
    return subprocess.Popen(
        [sys.executable, "-m", "tests.pg_instance", *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def broadcast(cluster: Cluster, chats: int, parts: int, kill_after: int) -> None:
    url = cluster.create_database(f"instances{next(_numbers)}")
    server = ServerProcess(rate_limit=True)
    try:
        procs = [
            start(url, server.base_url, "a", chats, parts),
            start(url, server.base_url, "b", chats, parts),
            start(url, server.base_url, "c", chats, parts, stop_after=kill_after),
        ]
        outputs = [proc.communicate(timeout=600) for proc in procs]
        statuses = [proc.returncode for proc in procs]
        assert statuses[:2] == [0, 0], outputs[0][1][-2000:] + outputs[1][1][-2000:]
        assert statuses[2] == (-9 if kill_after else 0), outputs[2][1][-2000:]
        delivered = server.delivered()
        calls = server.calls()
    finally:
        server.stop()
    assert sum(1 for call in calls if call["status"] == 429) == 0
    texts: dict[int, list[str]] = {
        chat: [m["text"] for m in messages] for chat, messages in delivered.items()
    }
    assert sorted(texts) == list(range(1, chats + 1)), "every subscriber got its digest"
    twice = {chat: t for chat, t in texts.items() if len(t) != len(set(t))}
    for chat, got in texts.items():
        want = [f"telegram:{chat}@2026-11-23 #{part}" for part in range(parts)]
        assert sorted(set(got)) == sorted(want), f"chat {chat} is missing a message: {got}"
    assert len(twice) <= (IN_FLIGHT if kill_after else 0), f"duplicates: {twice}"
    assert cluster.psql("SELECT state, count(*) FROM deliveries GROUP BY state",
                        url.rsplit("/", 1)[1]) == f"sent|{chats}"  # fmt: skip


def test_three_instances_send_one_broadcast_and_one_is_killed(cluster: Cluster) -> None:
    broadcast(cluster, chats=1000, parts=1, kill_after=60)


@pytest.mark.slow
@pytest.mark.parametrize("kill_after", [0, 1, 100, 250])  # each instance's share is ~1/3
def test_kill_9_at_several_points_with_two_part_digests(cluster: Cluster, kill_after: int) -> None:
    broadcast(cluster, chats=1000, parts=2, kill_after=kill_after)
