"""One process, N front ends: the runner owns the scheduler (a minute ticker) and the outbox.

``digestbot run`` builds a Runner from ``[bot] frontends`` (or ``--frontend``, repeatable) and
runs until a front end finishes (the console at end of input or ``quit``) or SIGINT/SIGTERM.
A platform is one entry of :data:`FRONTENDS`: its name, whether its token is set, and how to
make its front end.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import AsyncIterator, Callable, Iterator, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import TextIO

from bot.app import App
from bot.config import Config, ConfigError
from bot.domain.schedule import make_scheduler, schedule_digests
from bot.errors import UsageError
from bot.platforms.base import Frontend

log = logging.getLogger(__name__)

Environ = Mapping[str, str] | None  # None: os.environ
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)
AUTO = "auto"


@dataclass(frozen=True)
class Platform:
    """A front end the runner can start. ``token`` is None for one that needs none."""

    name: str
    make: Callable[[App], Frontend]
    token: Callable[[Config, Environ], str | None] | None = None
    missing: str = ""  # what to do when the token is not set


def _console(app: App) -> Frontend:
    from bot.platforms.console.frontend import ConsoleFrontend

    return ConsoleFrontend(app)


def _telegram(app: App) -> Frontend:
    from bot.platforms.telegram.frontend import TelegramFrontend

    token = app.config.telegram_token()
    assert token, "checked by choose_frontends"
    return TelegramFrontend(app, token)


def _slack(app: App) -> Frontend:
    from bot.platforms.slack.serve import SlackService

    return SlackService.from_config(app)


def _slack_token(config: Config, environ: Environ) -> str | None:
    """The bot token, or in OAuth mode (many workspaces, no token of its own) the client id."""
    secrets = config.slack_secrets(environ)
    if secrets is None:
        return None
    return secrets.bot_token or secrets.client_id


FRONTENDS: dict[str, Platform] = {
    "console": Platform("console", _console),
    "telegram": Platform(
        "telegram",
        _telegram,
        token=lambda config, environ: config.telegram_token(environ),
        missing="the Telegram front end needs a bot token in the environment variable "
        "{env} (see README, 'Run it on Telegram')",
    ),
    "slack": Platform(
        "slack",
        _slack,
        token=_slack_token,
        missing="the Slack front end needs a bot token (xoxb-...) in the environment variable "
        "{env}, or the OAuth client id and secret for many workspaces (see docs/slack.md)",
    ),
}


def choose_frontends(
    config: Config, requested: Sequence[str] = (), *, environ: Environ = None
) -> list[str]:
    """The front ends to run: ``requested`` (``--frontend``) or the config's; ``auto`` means
    every platform whose token variable is set, else the console. Unknown names and missing
    tokens are one-line errors naming the config key or the variable."""
    names = list(requested) or list(config.frontends)
    key = "--frontend" if requested else f"{config.source}: 'bot.frontends'"
    chosen: list[str] = []
    for name in names:
        if name != AUTO and name not in FRONTENDS:
            known = ", ".join((AUTO, *FRONTENDS))
            error = UsageError if requested else ConfigError
            raise error(f"{key}: unknown front end {name!r}; expected one of {known}")
        for picked in _auto(config, environ) if name == AUTO else [name]:
            if picked not in chosen:
                chosen.append(picked)
    for name in chosen:
        platform = FRONTENDS[name]
        if platform.token is not None and not platform.token(config, environ):
            raise UsageError(platform.missing.format(env=_token_env(config, name)))
    return chosen


def _auto(config: Config, environ: Environ) -> list[str]:
    ready = [p.name for p in FRONTENDS.values() if p.token and p.token(config, environ)]
    return ready or ["console"]


def _token_env(config: Config, name: str) -> str:
    section = getattr(config, name, None)
    return str(getattr(section, "token_env", "") or getattr(section, "bot_token_env", ""))


class Runner:
    """The scheduler, the outbox's runs and the front ends of one process."""

    def __init__(
        self, app: App, frontends: Sequence[Frontend] = (), *, every_seconds: int = 60
    ) -> None:
        self.app = app
        self.frontends = list(frontends)
        self.every_seconds = every_seconds
        self.lock = asyncio.Lock()
        self.scheduler = make_scheduler()

    async def tick(self, now: datetime) -> None:
        """One digest run (corpus reload, outbox), then each front end's after-run work."""
        async with self.lock:
            await self.app.tick(now)
            for frontend in self.frontends:
                await frontend.after_tick()

    @asynccontextmanager
    async def serving(self, *, scheduled: bool = True) -> AsyncIterator[Runner]:
        """Start every front end in order, then (``scheduled``) one digest run and the minute
        ticker; on exit stop the ticker, then the front ends in reverse order."""
        started: list[Frontend] = []
        try:
            for frontend in self.frontends:
                started.append(frontend)
                await frontend.start(self)
            if scheduled:
                await self.tick(self.app.now())
                schedule_digests(
                    self.scheduler,
                    self.tick,
                    clock=self.app.clock,
                    every_seconds=self.every_seconds,
                )
                self.scheduler.start()
            yield self
        finally:
            if self.scheduler.running:
                self.scheduler.shutdown(wait=False)
            for frontend in reversed(started):
                await frontend.stop()

    async def run(self) -> int:
        """Serve until a front end finishes (its exit status) or SIGINT/SIGTERM (0)."""
        async with self.serving():
            stop: asyncio.Future[int | None] = asyncio.get_running_loop().create_future()
            with _on_signals(lambda: None if stop.done() else stop.set_result(0)):
                tasks = [asyncio.ensure_future(f.serve()) for f in self.frontends]
                try:
                    return await _first_status(tasks, stop)
                finally:
                    for task in tasks:
                        task.cancel()
                    await asyncio.gather(*tasks, return_exceptions=True)


async def _first_status(
    tasks: Sequence[asyncio.Future[int | None]], stop: asyncio.Future[int | None]
) -> int:
    """The exit status of the first front end that finishes with one, or of the stop signal."""
    pending: set[asyncio.Future[int | None]] = {*tasks, stop}
    while True:
        done, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
        for task in done:
            status = task.result()  # a front end's error propagates
            if status is not None:
                return status


@contextlib.contextmanager
def _on_signals(handler: Callable[[], object]) -> Iterator[None]:
    loop = asyncio.get_running_loop()
    with contextlib.suppress(NotImplementedError, ValueError):  # Windows, or not main thread
        for sig in STOP_SIGNALS:
            loop.add_signal_handler(sig, handler)
    try:
        yield
    finally:
        with contextlib.suppress(NotImplementedError, ValueError):
            for sig in STOP_SIGNALS:
                loop.remove_signal_handler(sig)


async def run_console(
    app: App, *, stdin: TextIO | None = None, out: TextIO | None = None, every_seconds: int = 60
) -> int:
    """The console alone in a runner, until EOF, Ctrl-D or 'quit' (exit status 0)."""
    from bot.platforms.console.frontend import ConsoleFrontend

    frontend = ConsoleFrontend(app, stdin=stdin, out=out)
    return await Runner(app, [frontend], every_seconds=every_seconds).run()


def run_bot(app: App, names: Sequence[str], *, every_seconds: int = 60) -> int:
    """Run the named front ends (see :func:`choose_frontends`) side by side until stopped."""
    frontends = [FRONTENDS[name].make(app) for name in names]

    async def main() -> int:
        try:
            return await Runner(app, frontends, every_seconds=every_seconds).run()
        finally:
            await app.aclose()  # in this loop: a database pool belongs to it

    return asyncio.run(main())
