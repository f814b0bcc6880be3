"""The pacer behind the Telegram rate limiter: first come first served, never over the limit;
in a group's pacer a digest goes before the replies still waiting; reads are not paced; the
requests held by a 429's pause go out paced, not in one burst.

That it wastes no slots is measured by bench/broadcast.py (messages/s against the limit).
"""

from __future__ import annotations

import asyncio
import logging

from bot.platforms.telegram.pacing import DIGEST, REPLY, PacedRateLimiter, Pacer, Turns, sending_as
from tests.fakes.ptb import paced_bot
from tests.fakes.telegram_server import ApiError, FakeTelegram


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
    # then one per period: the n-th after the burst never goes before start + n periods (a
    # late wake-up under load only delays a slot, so this cannot fail for a busy machine)
    early = [i for i in range(burst, 15) if times[i] - times[0] < (i - burst + 1) * period * 0.99]
    assert not early, f"released before their slot: {early}"
    assert _most_in_window(times, 0.1) <= burst + 0.1 / period


def test_group_limit_never_exceeds_twenty_a_minute() -> None:
    limiter = PacedRateLimiter(per_second=29, group_per_minute=20, group_burst=5, max_retries=0)
    pacer = limiter._get_group_limiter(-100)
    assert limiter._get_group_limiter(-100) is pacer
    # burst 5, then one per 4 s: at most 5 + 60 / 4 = 20 in any minute
    assert (pacer.period, pacer.tolerance) == (4.0, 16.0)

    assert pacer.by_priority and not limiter._overall.by_priority


async def _queue_then_digest(pacer: Pacer, replies: int) -> list[str]:
    """``replies`` answers queue up; once they wait, a digest asks for a slot too."""
    order: list[str] = []

    async def one(name: str, priority: int) -> None:
        with sending_as(priority):
            async with pacer:
                order.append(name)

    tasks = [asyncio.create_task(one(f"reply {n}", REPLY)) for n in range(replies)]
    await asyncio.sleep(0.005)  # the first reply holds the turn, the others wait
    tasks.append(asyncio.create_task(one("digest", DIGEST)))
    await asyncio.gather(*tasks)
    return order


async def test_a_digest_goes_before_a_groups_queued_replies() -> None:
    order = await _queue_then_digest(Pacer(0.02, by_priority=True), 6)
    assert order[:3] == ["reply 0", "reply 1", "digest"]  # behind the one holding the turn only
    assert order[3:] == [f"reply {n}" for n in range(2, 6)]  # the replies keep their order


async def test_the_overall_pacer_stays_first_come_first_served() -> None:
    order = await _queue_then_digest(Pacer(0.02), 4)
    assert order == ["reply 0", "reply 1", "reply 2", "reply 3", "digest"]


async def test_a_cancelled_waiter_gives_up_its_turn() -> None:
    turns = Turns()
    await turns.acquire(REPLY)
    got: list[str] = []

    async def wait(name: str, priority: int) -> None:
        await turns.acquire(priority)
        got.append(name)
        turns.release()

    early = asyncio.create_task(wait("cancelled", DIGEST))
    late = asyncio.create_task(wait("served", REPLY))
    await asyncio.sleep(0)
    early.cancel()
    turns.release()  # hands the turn to the best waiter still waiting
    await asyncio.wait_for(late, 1)
    assert got == ["served"] and not turns.busy()

    # handed the turn and cancelled before it ran: the turn passes on
    await turns.acquire(REPLY)
    first = asyncio.create_task(wait("handed, then cancelled", DIGEST))
    second = asyncio.create_task(wait("next", REPLY))
    await asyncio.sleep(0)
    turns.release()
    first.cancel()
    await asyncio.wait_for(second, 1)
    assert got == ["served", "next"] and not turns.busy()


async def test_reads_are_not_held_by_a_busy_groups_limit() -> None:
    limiter = PacedRateLimiter(per_second=29, group_per_minute=20, group_burst=1, max_retries=0)
    calls: list[str] = []

    async def call(name: str) -> dict[str, str]:
        calls.append(name)
        return {}

    async def request(endpoint: str) -> object:
        return await limiter.process_request(call, (endpoint,), {}, endpoint, {"chat_id": -5}, None)

    await request("sendMessage")  # the group's one slot for the next 3 s
    held = asyncio.create_task(request("sendMessage"))
    await asyncio.wait_for(request("getChatMember"), 0.5)
    assert calls == ["sendMessage", "getChatMember"]
    held.cancel()


async def test_the_requests_a_429_held_back_go_out_paced_not_at_once(
    fake_telegram: FakeTelegram,
) -> None:
    """One 429 pauses the process for its retry_after. The requests that queued during the
    pause then go out at 29/s: the server, which answers 429 beyond 30 in any second, refuses
    none of them (PTB held them inside the limiter, each with its turn taken, and let them all
    go when the pause ended: a burst of ~30 and a 429 for every request over the limit)."""
    logging.getLogger("httpx").setLevel(logging.WARNING)
    fake_telegram.rate_limit = True
    fake_telegram.fail("sendMessage", ApiError.flood(1))  # the first send: retry after 1 s
    bot = await paced_bot(fake_telegram)
    try:
        await asyncio.gather(*(bot.send_message(chat, f"m {chat}") for chat in range(1, 61)))
    finally:
        await bot.shutdown()
    assert fake_telegram.errors(429) == 1  # the scripted one
    assert sorted(fake_telegram.delivered) == list(range(1, 61))
    assert not fake_telegram.duplicates()
