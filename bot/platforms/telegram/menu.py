"""The bot's command menu (setMyCommands): set at start, never a reason not to start.

The menu is cosmetic: every command works without it. A Bot API that answers 5xx, times out,
or (a self-hosted or older server) answers "not supported" or 404 must not stop the bot, so
the first attempt is made at start and, when it fails, the bot serves anyway and retries in
the background with back-off (5 s, doubling, at most every 10 minutes), logging the failure
once and the recovery once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field

from telegram import Bot, BotCommand
from telegram.error import TelegramError

from bot import redact

log = logging.getLogger(__name__)


@dataclass
class Backoff:
    """Delays between retries: ``first`` seconds, doubling up to ``most``."""

    first: float = 5.0
    most: float = 600.0

    def delays(self) -> list[float]:
        """Enough delays to reach ``most``; the caller repeats the last one."""
        out = [self.first]
        while out[-1] < self.most:
            out.append(min(out[-1] * 2, self.most))
        return out


@dataclass
class CommandMenu:
    """Sets ``commands`` as the bot's menu; see the module docstring."""

    bot: Bot = field(repr=False)  # PTB's repr of a Bot shows its token
    commands: Sequence[BotCommand]
    backoff: Backoff = field(default_factory=Backoff)
    attempts: int = 0
    done: bool = False
    _task: asyncio.Task[None] | None = field(default=None, repr=False)

    async def set_at_start(self) -> None:
        """One attempt now; on failure, log once and keep trying in the background."""
        error = await self._attempt()
        if error is None:
            return
        log.warning(
            "could not set the command menu (setMyCommands: %s); the bot works without it and "
            "retries in the background",
            error,
        )
        self._task = asyncio.create_task(self._retry(), name="set command menu")

    async def _retry(self) -> None:
        delays = self.backoff.delays()
        while True:
            await asyncio.sleep(delays[min(self.attempts - 1, len(delays) - 1)])
            error = await self._attempt()
            if error is None:
                log.info("command menu set after %d attempts", self.attempts)
                return
            log.debug("setMyCommands failed again (attempt %d): %s", self.attempts, error)

    async def _attempt(self) -> str | None:
        """None when the menu is set, else what went wrong (redacted)."""
        self.attempts += 1
        try:
            await self.bot.set_my_commands(self.commands)
        except TelegramError as exc:
            return redact.redact(exc.message or type(exc).__name__)
        self.done = True
        return None

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
