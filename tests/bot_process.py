"""The bot and the fake Bot API server as separate processes, for tests that kill -9 the bot.

As a program this module *is* the bot: the production Telegram front end in a runner (``run_bot``:
polling, setMyCommands, the digest scheduler waking the outbox at once and every minute) on a
data folder, pointed at a Bot API server, with a clock that starts at ``--now`` and runs at
real speed::

    python -m tests.bot_process --data DIR --corpus DIR --base-url URL --now 2026-11-23T08:00Z

The token comes from ``DIGESTBOT_TELEGRAM_TOKEN`` as in production. As a module it gives the
parent's handles: :class:`ServerProcess` (``tests.fakes.telegram_standalone`` and its control
API, for benchmarks), :class:`ServerThread` (the same server on a thread of the test process),
:class:`BotProcess` (start, kill -9, peak RSS from ``/proc``), and :func:`run_cli` /
:func:`start_cli`: the real ``digestbot`` command (``python -m bot``) in a process, with the
token variable set as given and no other ``DIGESTBOT_*`` variable inherited.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import IO, Any

from bot.config import DigestDefaults
from bot.domain.records import Subscriber
from tests.fakes.telegram_server import FakeTelegram
from tests.fakes.telegram_updates import TOKEN

ROOT = Path(__file__).resolve().parent.parent
TOKEN_ENV = "DIGESTBOT_TELEGRAM_TOKEN"


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(ROOT), TOKEN_ENV: TOKEN}


def cli_env(token: str | None, **variables: str) -> dict[str, str]:
    """The environment of a ``digestbot`` run: ours without DIGESTBOT_* plus the given ones."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("DIGESTBOT_")}
    if token is not None:
        env[TOKEN_ENV] = token
    return {**env, "PYTHONPATH": str(ROOT), **variables}


def run_cli(
    args: list[str], token: str | None, timeout: float = 120, **variables: str
) -> subprocess.CompletedProcess[str]:
    """``digestbot ARGS`` to completion; its exit status, stdout and stderr."""
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=ROOT,
        env=cli_env(token, **variables),
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def start_cli(args: list[str], token: str | None, stderr: IO[str]) -> subprocess.Popen[str]:
    """``digestbot ARGS`` running in the background; stderr to ``stderr``."""
    return subprocess.Popen(
        [sys.executable, "-m", "bot", *args],
        cwd=ROOT,
        env=cli_env(token),
        stdout=subprocess.PIPE,
        stderr=stderr,
        text=True,
    )


class ServerProcess:
    """``tests.fakes.telegram_standalone`` in its own process; its control API over HTTP."""

    def __init__(self, *, rate_limit: bool = True) -> None:
        command = [sys.executable, "-m", "tests.fakes.telegram_standalone", "--port", "0"]
        self.proc = subprocess.Popen(
            [*command, *(["--rate-limit"] if rate_limit else [])],
            cwd=ROOT,
            env=_env(),
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.proc.stdout is not None
        first = self.proc.stdout.readline().split()
        if first[:1] != ["base_url"]:
            self.stop()
            raise RuntimeError(f"fake Bot API server did not start: {first}")
        self.base_url = first[1]
        self.control = self.base_url.removesuffix("/bot") + "/_fake"

    def calls(self, method: str = "sendMessage") -> list[dict[str, Any]]:
        with urllib.request.urlopen(f"{self.control}/calls?method={method}", timeout=30) as r:
            calls: list[dict[str, Any]] = json.load(r)
            return calls

    def delivered(self) -> dict[int, list[dict[str, Any]]]:
        with urllib.request.urlopen(f"{self.control}/delivered", timeout=30) as r:
            return {int(chat): messages for chat, messages in json.load(r).items()}

    def inject(self, update: dict[str, Any]) -> dict[str, Any]:
        request = urllib.request.Request(
            f"{self.control}/updates",
            data=json.dumps(update).encode(),
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=60) as r:
            queued: dict[str, Any] = json.load(r)
            return queued

    def stop(self) -> None:
        self.proc.kill()
        self.proc.wait()


class ServerThread:
    """A :class:`FakeTelegram` served by an event loop in a thread of the test process.

    Read its records (``server.calls``, ``server.delivered``) from the test; anything that
    queues an update goes through :meth:`call`, which runs it on the server's loop.
    """

    def __init__(self, *, rate_limit: bool = True) -> None:
        self.server = FakeTelegram()
        self.server.rate_limit = rate_limit
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        asyncio.run_coroutine_threadsafe(self.server.start(), self.loop).result(timeout=30)

    @property
    def base_url(self) -> str:
        return self.server.base_url

    def call(self, function: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        async def run() -> Any:
            return function(*args, **kwargs)

        return asyncio.run_coroutine_threadsafe(run(), self.loop).result(timeout=60)

    def sends(self) -> int:
        """sendMessage requests received so far (accepted or not)."""
        return sum(1 for call in list(self.server.calls) if call.method == "sendMessage")

    def stop(self) -> None:
        asyncio.run_coroutine_threadsafe(self.server.stop(), self.loop).result(timeout=30)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=30)
        self.loop.close()


def broadcast_chats(count: int, defaults: DigestDefaults, now: datetime) -> list[Subscriber]:
    """``count`` Telegram subscribers (subscribed a day before ``now``): every tenth a group
    (basic and supergroup ids), the rest private chats; 1-5 posts each (one or two messages)."""
    subs = []
    for n in range(count):
        if n % 10 == 9:
            chat, kind = (-4_000_000 - n if n % 20 == 9 else -1_000_000_000_000 - n), "group"
        else:
            chat, kind = 100_000 + n, "private"
        sub = Subscriber.new(
            "telegram", str(chat), kind=kind, defaults=defaults, now=now - timedelta(days=1)
        )
        subs.append(replace(sub, posts=1 + n % 5))
    return subs


class BotProcess:
    """One run of the bot (this module as a program); stderr goes to ``log``."""

    def __init__(
        self, data: Path, corpus: Path, base_url: str, now: datetime, log: IO[str]
    ) -> None:
        args = ["--data", str(data), "--corpus", str(corpus), "--base-url", base_url]
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "tests.bot_process", *args, "--now", now.isoformat()],
            cwd=ROOT,
            env=_env(),
            stdout=subprocess.DEVNULL,
            stderr=log,
        )

    def alive(self) -> bool:
        return self.proc.poll() is None

    def kill9(self) -> None:
        """SIGKILL, then reap it (its data folder lock dies with it)."""
        os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait()

    def stop(self) -> int:
        """SIGTERM (PTB stops polling and shuts down cleanly); the exit status."""
        if self.alive():
            self.proc.send_signal(signal.SIGTERM)
        return self.proc.wait(timeout=30)

    def peak_rss_mb(self) -> float:
        """The process's peak resident set size so far (VmHWM, what getrusage reports)."""
        status = Path(f"/proc/{self.proc.pid}/status").read_text()
        kib = next(int(line.split()[1]) for line in status.splitlines() if line[:6] == "VmHWM:")
        return kib / 1024


def wait_until(
    condition: Callable[[], bool], timeout: float, what: str, poll: float = 0.02
) -> None:
    """Poll ``condition()`` until true; AssertionError naming ``what`` after ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"after {timeout:g} s: {what}")
        time.sleep(poll)


def main(argv: list[str] | None = None) -> int:
    from bot.app import App
    from bot.config import Config, TelegramConfig
    from bot.runner import run_bot

    parser = argparse.ArgumentParser(description="The Telegram bot with a clock set to --now.")
    for option in ("--data", "--corpus", "--base-url", "--now"):
        parser.add_argument(option, required=True)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)
    config = replace(
        Config(),
        corpus_dir=Path(args.corpus),
        data_dir=Path(args.data),
        telegram=replace(TelegramConfig(), base_url=args.base_url),
    )
    start, started = datetime.fromisoformat(args.now), time.monotonic()

    def clock() -> datetime:
        return start + timedelta(seconds=time.monotonic() - started)

    app = App.open(config, clock=clock)
    try:
        return run_bot(app, ["telegram"])
    finally:
        app.close()


if __name__ == "__main__":
    sys.exit(main())
