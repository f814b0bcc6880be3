"""Building a real App (corpus copy, TinyDB store, index) in tmp_path, with a fake clock."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.app import App
from bot.config import Config, TelegramConfig
from bot.platforms.telegram.frontend import TEST_POLLING, TelegramFrontend
from bot.runner import Runner
from bot.store.tinydb.protocol import TinyDBStore
from bot.store.tinydb.store import Store
from tests.fakes.telegram_server import FakeTelegram

SEEDS = Path(__file__).resolve().parent.parent / "seeds"


@dataclass
class FakeClock:
    """A clock that moves only when told."""

    now: datetime = datetime(2026, 11, 23, 6, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now


def make_config(tmp_path: Path, **telegram: object) -> Config:
    corpus = tmp_path / "seeds"
    if not corpus.exists():
        shutil.copytree(SEEDS, corpus)
    return replace(
        Config(),
        corpus_dir=corpus,
        data_dir=tmp_path / "data",
        telegram=replace(TelegramConfig(), **telegram),  # type: ignore[arg-type]
    )


def open_app(tmp_path: Path, clock: FakeClock | None = None, **telegram: object) -> App:
    return App.open(make_config(tmp_path, **telegram), clock=clock or FakeClock())


@asynccontextmanager
async def running(tg: FakeTelegram, app: App) -> AsyncIterator[Runner]:
    """The real PTB Application polling the fake server inside a runner with no scheduler
    (tests call ``runner.tick``); ``telegram(runner)`` is the front end."""
    async with serving(TelegramFrontend(app, tg.token, polling=TEST_POLLING)) as runner:
        yield runner


@asynccontextmanager
async def serving(frontend: TelegramFrontend) -> AsyncIterator[Runner]:
    """``frontend`` started (and stopped on exit) by a runner whose scheduler does not run."""
    async with Runner(frontend.app, [frontend]).serving(scheduled=False) as runner:
        yield runner


def telegram(runner: Runner) -> TelegramFrontend:
    [frontend] = runner.frontends
    assert isinstance(frontend, TelegramFrontend)
    return frontend


def files(app: App) -> Store:
    """The TinyDB files behind ``app.store``, read as the tests inspect them (synchronously)."""
    assert isinstance(app.store, TinyDBStore), app.store
    return app.store.files
