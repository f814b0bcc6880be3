"""Per-chat command limits: one chat cannot take the bot's answers from everyone else.

The bot answers at most Telegram's 30 messages a second overall, and Telegram answers a bot that
posts to one chat much faster than once a second with 429s. A chat that fires commands as fast
as it can would otherwise fill the bot's sending with its answers and every other chat would
wait behind them. So each chat may send a burst of :data:`BURST` commands, then
:data:`PER_MINUTE` a minute (the generic cell rate algorithm, as in
:mod:`~bot.platforms.telegram.pacing`); commands beyond that are ignored. The first ignored gets a
notice saying when to try again, and one log line; further ones are ignored quietly, with at
most one notice a minute per chat (a notice is a message too).

With a store that several instances share (:class:`~bot.delivery.shared_limits.SharedLimits`)
the limit is kept in it, so a chat gets that much from all instances together (:meth:`admit`);
otherwise in this process.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from bot.delivery.shared_limits import SharedLimits

log = logging.getLogger(__name__)

PER_MINUTE = 20
BURST = 10
KEPT = 10_000  # chats remembered before idle ones are forgotten
NOTICE_EVERY = 60.0  # seconds: at most one notice (and one log line) per chat


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    notify: bool = False  # tell the chat (at most once a minute)
    retry_in: float = 0.0  # seconds until the next command is answered


class CommandThrottle:
    """``check(chat)`` for every command before it runs: allowed, or ignored (notice once)."""

    def __init__(
        self,
        per_minute: float = PER_MINUTE,
        burst: int = BURST,
        *,
        clock: Callable[[], float] = time.monotonic,
        shared: SharedLimits | None = None,
        platform: str = "",
    ) -> None:
        if per_minute <= 0 or burst < 1:
            raise ValueError("per_minute must be > 0 and burst >= 1")
        self.per_minute, self.burst = per_minute, burst
        self.period = 60.0 / per_minute
        self.tolerance = (burst - 1) * self.period
        self.clock = clock
        self.shared, self.platform = shared, platform  # the platform: part of the shared key
        self._tat: dict[str, float] = {}  # per chat: when its next command is "due"
        self._told: dict[str, float] = {}  # per chat: when it was last told

    async def admit(self, chat: str) -> Verdict:
        """:meth:`check`, against the shared limit when there is one."""
        if self.shared is None:
            return self.check(chat)
        wait = await self.shared.try_take(
            f"command:{self.platform}:{chat}", self.period, self.burst
        )
        if wait <= 0:
            return Verdict(True)
        return Verdict(False, self._tell(chat, self.clock()), wait)

    def check(self, chat: str) -> Verdict:
        """This process's limit: allowed, or ignored (and whether to tell the chat)."""
        now = self.clock()
        tat = max(self._tat.get(chat, now), now)
        if tat - self.tolerance > now:
            return Verdict(False, self._tell(chat, now), tat - self.tolerance - now)
        self._tat[chat] = tat + self.period
        if len(self._tat) > KEPT:
            self._forget_idle(now)
        return Verdict(True)

    def _tell(self, chat: str, now: float) -> bool:
        """Whether an ignored command gets a notice (and a log line): once a minute a chat."""
        notify = now - self._told.get(chat, now - NOTICE_EVERY) >= NOTICE_EVERY
        if notify:
            self._told[chat] = now
            log.warning("chat %s is over %g commands a minute: ignoring it for now", chat,
                        self.per_minute)  # fmt: skip
        return notify

    def notice(self, verdict: Verdict) -> str:
        """What a chat is told the first time its commands are ignored."""
        wait = max(1, round(verdict.retry_in))
        return (
            f"That is more commands than I answer in one chat ({self.burst} at once, then "
            f"{self.per_minute:g} a minute). I'll answer again in {wait} s."
        )

    def _forget_idle(self, now: float) -> None:
        for chat, tat in list(self._tat.items()):
            if tat <= now:  # back to a full burst: nothing to remember
                del self._tat[chat]
        for chat, told in list(self._told.items()):
            if now - told >= NOTICE_EVERY:
                del self._told[chat]
