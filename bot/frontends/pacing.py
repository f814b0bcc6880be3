"""Rate limiting that keeps to Telegram's limits without wasting slots.

PTB's AIORateLimiter takes the overall and per-group limits from aiolimiter's leaky buckets. A
waiter there that finds no room sleeps a whole period and checks again, so with several senders
waiting (a digest broadcast and some group replies) slots go unused and a broadcast falls from
29 to under 25 messages a second. :class:`Pacer` is the same limit as a first-come-first-served
schedule (the generic cell rate algorithm): requests are served in order, each at the earliest
moment the limit allows, measured from when the previous one really went out.

A pacer with period T and burst B lets at most B + W / T requests through in any window of W
seconds, so 29/s with B=1 never exceeds 30 in a second, and 15/min with B=5 never exceeds 20 in
a minute.
"""

from __future__ import annotations

import asyncio
from types import TracebackType

from telegram.ext import AIORateLimiter

GROUP_PACERS_KEPT = 4096


class Pacer:
    """``async with pacer:`` waits for this request's turn under the limit."""

    def __init__(self, period: float, burst: int = 1) -> None:
        self.period = period
        self.tolerance = (burst - 1) * period
        self._tat = 0.0  # theoretical arrival time of the next request
        self._lock = asyncio.Lock()  # FIFO: waiters are served in the order they came

    def idle(self, now: float) -> bool:
        """True when the pacer holds nothing back (it can be dropped and made anew)."""
        return not self._lock.locked() and now >= self._tat

    async def __aenter__(self) -> None:
        async with self._lock:
            loop = asyncio.get_running_loop()
            wait = self._tat - self.tolerance - loop.time()
            if wait > 0:
                await asyncio.sleep(wait)
            self._tat = max(self._tat, loop.time()) + self.period

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        return None


class PacedRateLimiter(AIORateLimiter):
    """PTB's AIORateLimiter (retries on RetryAfter included) with :class:`Pacer` limits."""

    def __init__(
        self,
        *,
        per_second: float,
        group_per_minute: float,
        group_burst: int,
        max_retries: int,
    ) -> None:
        super().__init__(max_retries=max_retries)
        self._base_limiter = Pacer(1 / per_second)  # type: ignore[assignment]
        self._group_period = 60 / (group_per_minute - group_burst)
        self._group_burst = group_burst
        self._pacers: dict[str | int | bool, Pacer] = {}

    def _get_group_limiter(self, group_id: str | int | bool) -> Pacer:  # type: ignore[override]
        if len(self._pacers) > GROUP_PACERS_KEPT:
            now = asyncio.get_running_loop().time()
            for key, pacer in list(self._pacers.items()):
                if key != group_id and pacer.idle(now):
                    del self._pacers[key]
        if group_id not in self._pacers:
            self._pacers[group_id] = Pacer(self._group_period, self._group_burst)
        return self._pacers[group_id]
