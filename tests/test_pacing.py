"""The pacer behind the Telegram rate limiter: first come first served, never over the limit.

That it wastes no slots is measured by bench/broadcast.py (messages/s against the limit).
"""

from __future__ import annotations

import asyncio
import itertools

from bot.frontends.pacing import PacedRateLimiter, Pacer


async def _times(pacer: Pacer, count: int) -> list[tuple[int, float]]:
    loop = asyncio.get_running_loop()
    done: list[tuple[int, float]] = []

    async def one(n: int) -> None:
        async with pacer:
            done.append((n, loop.time()))

    await asyncio.gather(*(one(n) for n in range(count)))
    return done


def _most_in_window(times: list[float], window: float) -> int:
    times = sorted(times)
    return max(sum(1 for t in times if start <= t < start + window) for start in times)


async def test_burst_then_steady_spacing_in_arrival_order() -> None:
    period, burst = 0.02, 3
    done = await _times(Pacer(period, burst), 15)
    assert [n for n, _ in done] == list(range(15))  # first come, first served
    times = [t for _, t in done]
    assert times[2] - times[0] < period  # the burst goes at once
    gaps = [b - a for a, b in itertools.pairwise(times[2:])]
    assert min(gaps) >= period * 0.95  # then one per period
    assert _most_in_window(times, 0.1) <= burst + 0.1 / period


def test_group_limit_never_exceeds_twenty_a_minute() -> None:
    limiter = PacedRateLimiter(per_second=29, group_per_minute=20, group_burst=5, max_retries=0)
    pacer = limiter._get_group_limiter(-100)
    assert limiter._get_group_limiter(-100) is pacer
    # burst 5, then one per 4 s: at most 5 + 60 / 4 = 20 in any minute
    assert (pacer.period, pacer.tolerance) == (4.0, 16.0)
