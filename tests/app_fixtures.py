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
from bot.platforms.telegram.frontend import TelegramFrontend
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
async def running(tg: FakeTelegram, app: App) -> AsyncIterator[TelegramFrontend]:
    """The real PTB Application polling the fake server (no scheduler: tests call tick)."""
    frontend = TelegramFrontend(app, tg.token, scheduled=False)
    async with frontend.serving():
        yield frontend
