"""Several real ``digestbot run`` processes on one PostgreSQL database, for tests and benches.

:class:`Fleet` starts the fake Bot API server as its own process (``--rate-limit``: 429 beyond
30 messages a second and 20 a minute per group), then ``python -m bot --config CFG run
--frontend telegram`` as many times as asked: each instance with its own data folder (summary
cache, search index), Telegram in webhook mode on its own loopback port (two getUpdates pollers
would conflict), the same database URL and webhook secret. :func:`due_now` makes subscribers
whose daily digest is due at once (the current UTC minute, subscribed a day ago), so the
instances' first digest run sends the broadcast. The fleet reads back what the chats received
(``delivered``), every sendMessage answer (``refused``: 429s) and the store's rows (``rows``).
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from psycopg import AsyncConnection

from bot.config import DigestDefaults
from bot.domain.records import Subscriber
from bot.store.postgres.store import PostgresStore
from tests.bot_process import ServerProcess, broadcast_chats, cli_env
from tests.fakes.telegram_updates import TOKEN

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"
SECRET = "fleet-webhook-secret"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


def listen_port() -> int:
    """A free port below the ephemeral range (32768 and up), so that no outgoing connection
    of another instance (to the database, to the Bot API) takes it before the bot listens."""
    while True:
        port = random.randrange(20_000, 32_000)
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port


def due_now(count: int, now: datetime | None = None) -> list[Subscriber]:
    """``count`` subscribers due at once: every tenth a group (basic or supergroup), the rest
    private chats; 1-5 posts each (one or two messages)."""
    now = (now or datetime.now(UTC)).replace(second=0, microsecond=0)
    defaults = DigestDefaults(time=f"{now:%H:%M}", timezone="UTC")
    return broadcast_chats(count, defaults, now)


def put_subscribers(url: str, subs: Sequence[Subscriber]) -> None:
    async def put() -> None:
        store = await PostgresStore.open(url)
        try:
            await store.put_subscribers(subs)
        finally:
            await store.close()

    asyncio.run(put())


def write_config(folder: Path, base_url: str, port: int, lease: int, in_flight: int) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "config.toml"
    path.write_text(
        f'[corpus]\nfolder = "{SEEDS}"\n[data]\nfolder = "data"\n'
        f'[store]\nbackend = "postgresql"\nlease_seconds = {lease}\n'
        f'[telegram]\nbase_url = "{base_url}"\nmode = "webhook"\nwebhook_port = {port}\n'
        f'webhook_url = "http://127.0.0.1:{port}/telegram"\nmax_in_flight = {in_flight}\n',
        encoding="utf-8",
    )
    return path


@dataclass
class Instance:
    """One ``digestbot run --frontend telegram`` process."""

    name: str
    port: int
    proc: subprocess.Popen[str]
    log: Path

    @property
    def webhook(self) -> str:
        return f"http://127.0.0.1:{self.port}/telegram"

    def alive(self) -> bool:
        return self.proc.poll() is None

    def kill9(self) -> None:
        os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait()

    def stop(self) -> int:
        """SIGTERM; the exit status."""
        if self.alive():
            self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.kill9()
            return -9

    def stderr(self) -> str:
        return self.log.read_text(errors="replace")


class Fleet:
    """The fake Bot API server and N bot instances on the database at ``url``."""

    def __init__(self, root: Path, url: str, *, lease: int = 300, in_flight: int = 8) -> None:
        self.root, self.url, self.lease, self.in_flight = root, url, lease, in_flight
        self.server = ServerProcess(rate_limit=True)
        self.instances: list[Instance] = []
        self._logs: list[IO[str]] = []

    def start(self, count: int) -> list[Instance]:
        started = []
        for _ in range(count):
            name = f"i{len(self.instances) + len(started)}"
            port = listen_port()
            cfg = write_config(self.root / name, self.server.base_url, port, self.lease,
                               self.in_flight)  # fmt: skip
            log = self.root / name / "stderr.log"
            stream = log.open("w")
            self._logs.append(stream)
            env = cli_env(TOKEN, DIGESTBOT_DATABASE_URL=self.url, DIGESTBOT_WEBHOOK_SECRET=SECRET)
            proc = subprocess.Popen(
                [sys.executable, "-m", "bot", "--config", str(cfg), "run", "--frontend",
                 "telegram"],
                cwd=self.root / name, env=env, stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL, stderr=stream, text=True,
            )  # fmt: skip
            started.append(Instance(name, port, proc, log))
        self.instances += started
        return started

    def sends(self) -> int:
        """Messages the chats have received so far."""
        return sum(len(messages) for messages in self.server.delivered().values())

    def delivered(self) -> dict[int, list[str]]:
        return {chat: [m["text"] for m in ms] for chat, ms in self.server.delivered().items()}

    def calls(self) -> list[dict[str, Any]]:
        return self.server.calls()

    def refused(self) -> int:
        """sendMessage requests the server answered 429."""
        return sum(1 for call in self.server.calls() if call["status"] == 429)

    def rows(self) -> list[tuple[str, str, int, str]]:
        """(chat_id, state, messages recorded, owner) of every delivery."""
        return asyncio.run(_rows(self.url))

    def stop(self) -> list[int]:
        statuses = [instance.stop() for instance in self.instances]
        for stream in self._logs:
            stream.close()
        self.server.stop()
        return statuses


async def _rows(url: str) -> list[tuple[str, str, int, str]]:
    store = await PostgresStore.open(url, max_size=1, retry_for=10)
    try:

        async def work(conn: AsyncConnection) -> list[tuple[str, str, int, str]]:
            cur = await conn.execute(
                "SELECT chat_id, state, coalesce(jsonb_array_length(message_ids), 0), "
                "coalesce(owner, '') FROM deliveries ORDER BY chat_id"
            )
            return [(str(a), str(b), int(c), str(d)) for a, b, c, d in await cur.fetchall()]

        return await store.db.run(work)
    finally:
        await store.close()


def post_update(instance: Instance, update: dict[str, Any], timeout: float = 60) -> int:
    """POST ``update`` to the instance's webhook as Telegram does (with the secret header),
    waiting for it to listen; the HTTP status it answered."""
    request = urllib.request.Request(
        instance.webhook, data=json.dumps(update).encode(), method="POST",
        headers={"Content-Type": "application/json", SECRET_HEADER: SECRET},
    )  # fmt: skip
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(request, timeout=30) as answer:
                return int(answer.status)
        except urllib.error.HTTPError as refused:
            return int(refused.code)
        except (ConnectionError, urllib.error.URLError) as exc:
            if time.monotonic() > deadline or not instance.alive():
                raise AssertionError(
                    f"{instance.name} is not listening: {instance.stderr()}"
                ) from exc
            time.sleep(0.2)


def wait_for(condition: Any, timeout: float, what: str, poll: float = 0.25) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"after {timeout:g} s: {what}")
        time.sleep(poll)
