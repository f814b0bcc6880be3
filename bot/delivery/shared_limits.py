"""Rate limits shared by every instance of one bot: the protocol a store may offer.

Telegram's limits (30 messages a second per bot token, 20 a minute per group) and the per-chat
command limit hold for the bot, not for one process. A store that several instances share
(:class:`bot.store.postgres.store.PostgresStore`) keeps one schedule per limit key in the
database, as the generic cell rate algorithm: each request takes the next free turn, so the
instances together keep to the limit and none of them wastes a turn another could use.
Front ends use it when ``isinstance(store, SharedLimits)``; otherwise they pace in process.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable


@runtime_checkable
class SharedLimits(Protocol):
    async def reserve(self, key: str, period: float, burst: int = 1) -> float:
        """Take the next turn under limit ``key`` (one request per ``period`` seconds after a
        burst of ``burst``); the seconds to wait before sending (0: now)."""
        ...

    async def book(self, key: str, period: float, burst: int = 1) -> tuple[float, object]:
        """:meth:`reserve`, and a token of the schedule after this turn (for go_late)."""
        ...

    async def go_late(self, key: str, period: float, booked: object) -> bool:
        """A request woke late for the turn :meth:`book` gave with ``booked``: True (send now)
        when nobody booked a turn after it, the schedule going on from now; else False."""
        ...

    async def take_turn(
        self, key: str, period: float, burst: int = 1, lead: float = 0.0
    ) -> tuple[bool, float]:
        """Take the turn only if it is free now or within ``lead`` seconds: (True, seconds to
        wait before sending); else nothing is taken: (False, seconds before asking again)."""
        ...

    async def try_take(self, key: str, period: float, burst: int = 1) -> float:
        """0 when a turn of ``key`` was free and is now taken, else the seconds until one is
        (the per-chat command limit: a refused command takes nothing)."""
        ...
