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

A group's pacer serves a scheduled digest before the replies still waiting there (see
:func:`sending_as`): the group's answers are sent in the background, in order, so a group that
floods the bot with commands cannot stall anyone else, and the digest for that group waits at
most one of its slots instead of a queue of answers.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
from collections.abc import Callable, Coroutine, Iterator
from contextlib import AbstractAsyncContextManager, contextmanager, nullcontext
from contextvars import ContextVar
from types import TracebackType
from typing import Any

from telegram.ext import AIORateLimiter

from bot.delivery.shared_limits import SharedLimits

GROUP_PACERS_KEPT = 4096
MAX_LATE = 0.02  # seconds: a shared turn woken for later than this is left unused (see below)
BOOKINGS = 4  # turns a request books at most (the last goes however late)
SHARED_SLACK = 28.3 / 29  # shared overall rate, of the local one: at 28.3/s a request may go
# out up to 60 ms after its turn before a 1 s window could hold 31: MAX_LATE before it leaves
# the process, 40 ms for its way to the server (bench/broadcast_pg.py --load measures both)

DIGEST = 0  # a scheduled digest: goes before a group's queued replies
REPLY = 1  # an answer to a command (the default)
_priority: ContextVar[int] = ContextVar("send_priority", default=REPLY)


@contextmanager
def sending_as(priority: int) -> Iterator[None]:
    """Requests made inside this block (in this task) wait in a group's queue as ``priority``."""
    token = _priority.set(priority)
    try:
        yield
    finally:
        _priority.reset(token)


class Turns:
    """An asyncio lock whose waiters are served by priority (lower first), then arrival order.

    ``release`` hands the lock straight to the next waiter, so nobody arriving in between can
    take it out of turn.
    """

    def __init__(self) -> None:
        self._held = False
        self._waiters: list[tuple[int, int, asyncio.Future[None]]] = []
        self._arrivals = itertools.count()

    def busy(self) -> bool:
        return self._held

    async def acquire(self, priority: int) -> None:
        if not self._held:
            self._held = True
            return
        turn: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._waiters, (priority, next(self._arrivals), turn))
        try:
            await turn
        except asyncio.CancelledError:
            if turn.done() and not turn.cancelled():
                self.release()  # handed the lock, then cancelled: pass it on
            raise  # a cancelled waiter stays in the heap and is skipped by release()

    def release(self) -> None:
        while self._waiters:
            _, _, turn = heapq.heappop(self._waiters)
            if not turn.done():
                turn.set_result(None)
                return
        self._held = False


class Pacer:
    """``async with pacer:`` waits for this request's turn under the limit.

    Requests are served first come first served; with ``by_priority`` a digest (see
    :func:`sending_as`) goes before replies still waiting, so a group that floods the bot with
    commands cannot hold up its own digest behind a minute of queued answers.
    """

    def __init__(self, period: float, burst: int = 1, *, by_priority: bool = False) -> None:
        self.period = period
        self.tolerance = (burst - 1) * period
        self.by_priority = by_priority
        self._tat = 0.0  # theoretical arrival time of the next request
        self._turns = Turns()

    def idle(self, now: float) -> bool:
        """True when the pacer holds nothing back (it can be dropped and made anew)."""
        return not self._turns.busy() and now >= self._tat

    async def __aenter__(self) -> None:
        await self._turns.acquire(_priority.get() if self.by_priority else REPLY)
        try:
            loop = asyncio.get_running_loop()
            wait = self._tat - self.tolerance - loop.time()
            if wait > 0:
                await asyncio.sleep(wait)
            self._tat = max(self._tat, loop.time()) + self.period
        finally:
            self._turns.release()

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        return None


class SharedPacer(Pacer):
    """A :class:`Pacer` whose schedule lives in a store every instance shares, so several
    instances together keep to one limit.

    Each request books the next free turn ahead (``book``: one statement, against the
    database server's clock) and sleeps until it. The schedule advances by one period per
    turn whenever the turns are booked, so neither the round trip nor a late wake-up of one
    instance stretches the spacing for the others (asking "is it free now?" instead loses both
    on every turn: 22 of 28 messages a second on a loaded machine). The risk of booking ahead
    is the opposite one: a request that goes out late crowds the turns booked after it. So a
    request that wakes more than :data:`MAX_LATE` after its turn goes only if nobody has booked
    after it (``go_late``: the schedule then goes on from now); otherwise it leaves the turn
    unused and books another (counted in ``dropped``; the :data:`BOOKINGS`-th goes however
    late). One request of this process books at a time and holds its place until it goes, so a
    group's digest still goes before replies queued there.
    """

    def __init__(
        self,
        limits: SharedLimits,
        key: str,
        period: float,
        burst: int = 1,
        *,
        by_priority: bool = False,
    ) -> None:
        super().__init__(period, burst, by_priority=by_priority)
        self.limits, self.key, self.burst = limits, key, burst
        self.dropped = 0  # turns woken too late for and left unused

    async def __aenter__(self) -> None:
        await self._turns.acquire(_priority.get() if self.by_priority else REPLY)
        try:
            loop = asyncio.get_running_loop()
            for _ in range(BOOKINGS):
                asked = loop.time()  # the turn's time is measured from here: never too early
                wait, booked = await self.limits.book(self.key, self.period, self.burst)
                if wait > 0:
                    await asyncio.sleep(max(asked + wait - loop.time(), 0.0))
                if loop.time() - (asked + wait) <= MAX_LATE:
                    break
                if await self.limits.go_late(self.key, self.period, booked):
                    break
                self.dropped += 1
        finally:
            self._turns.release()


class PacedRateLimiter(AIORateLimiter):
    """PTB's AIORateLimiter (retries on RetryAfter included) with :class:`Pacer` limits.

    Only requests that post to a chat are paced: reads such as ``getChatMember`` (asked when a
    group member changes settings) do not count against Telegram's message limits, and queueing
    them behind a busy group's replies would stall the handling of every later update.
    """

    def __init__(
        self,
        *,
        per_second: float,
        group_per_minute: float,
        group_burst: int,
        max_retries: int,
        shared: SharedLimits | None = None,
        bot_key: str = "telegram",
    ) -> None:
        """``shared``: a store every instance of the bot uses (limits across instances, keyed
        by ``bot_key``, e.g. "telegram:<bot id>"); None paces this process alone."""
        super().__init__(max_retries=max_retries)
        self._shared, self._bot_key = shared, bot_key
        overall = per_second if shared is None else per_second * SHARED_SLACK
        self._overall = self._pacer("all", 1 / overall)
        self._base_limiter = None  # PTB's own bucket: unused, _run_request paces with _overall
        self._group_period = 60 / (group_per_minute - group_burst)
        self._group_burst = group_burst
        self._pacers: dict[str | int | bool, Pacer] = {}

    def _pacer(self, name: str, period: float, burst: int = 1, by_priority: bool = False) -> Pacer:
        if self._shared is None:
            return Pacer(period, burst, by_priority=by_priority)
        key = f"{self._bot_key}:{name}"
        return SharedPacer(self._shared, key, period, burst, by_priority=by_priority)

    async def process_request(
        self,
        callback: Any,
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> Any:
        if endpoint.startswith("get"):
            return await callback(*args, **kwargs)
        return await super().process_request(
            callback, args, kwargs, endpoint, data, rate_limit_args
        )

    async def _run_request(
        self,
        chat: bool,
        group: str | int | bool,
        allow_paid_broadcast: bool,
        callback: Callable[..., Coroutine[Any, Any, Any]],
        args: Any,
        kwargs: dict[str, Any],
    ) -> Any:
        """PTB's request step, with the wait for a RetryAfter pause moved before the turn.

        PTB waits for the pause inside the limiters: every request that took its turn while
        the process was paused then goes out at once when the pause ends, crowding the turns
        booked after it (by this instance or, with a shared schedule, by the others), so one
        429 brings the next, every pause long. Here a request waits out the pause first and
        then takes a turn, so what leaves after a pause is paced like everything else.
        """
        if allow_paid_broadcast:
            return await super()._run_request(
                chat, group, allow_paid_broadcast, callback, args, kwargs
            )
        await self._retry_after_event.wait()
        base: AbstractAsyncContextManager[Any] = self._overall if chat else nullcontext()
        in_group: AbstractAsyncContextManager[Any] = (
            self._get_group_limiter(group) if group else nullcontext()
        )
        async with in_group, base:
            return await callback(*args, **kwargs)

    def _get_group_limiter(self, group_id: str | int | bool) -> Pacer:  # type: ignore[override]
        if len(self._pacers) > GROUP_PACERS_KEPT:
            now = asyncio.get_running_loop().time()
            for key, pacer in list(self._pacers.items()):
                if key != group_id and pacer.idle(now):
                    del self._pacers[key]
        if group_id not in self._pacers:
            self._pacers[group_id] = self._pacer(
                f"chat:{group_id}", self._group_period, self._group_burst, by_priority=True
            )
        return self._pacers[group_id]
