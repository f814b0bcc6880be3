"""Telegram's limits across instances: two bots (as two instances would be) pacing through one
PostgreSQL database stay inside 30 messages/s and 20/min per group together, against the
loopback Bot API server that answers 429 beyond them. Alone, each would pace to 29/s itself
and the two together would be refused."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Iterator

import pytest
from telegram.ext import ExtBot

from bot.chat.throttle import CommandThrottle
from bot.platforms.telegram.pacing import SharedPacer
from bot.store.postgres.store import PostgresStore
from tests.fakes.postgres import Cluster, cluster_or_skip
from tests.fakes.ptb import paced_bot
from tests.fakes.telegram_server import ApiError, FakeTelegram

_numbers = iter(range(1000))


@pytest.fixture(scope="module")
def cluster() -> Iterator[Cluster]:
    yield from cluster_or_skip()


@pytest.fixture
async def stores(cluster: Cluster) -> AsyncIterator[list[PostgresStore]]:
    url = cluster.create_database(f"pacing{next(_numbers)}")
    opened = [await PostgresStore.open(url) for _ in range(2)]
    yield opened
    for store in opened:
        await store.close()


async def _send(bot: ExtBot[None], chats: list[int], prefix: str) -> None:
    await asyncio.gather(*(bot.send_message(chat, f"{prefix} {chat}") for chat in chats))


async def test_two_instances_together_stay_inside_thirty_a_second(
    fake_telegram: FakeTelegram, stores: list[PostgresStore]
) -> None:
    logging.getLogger("httpx").setLevel(logging.WARNING)
    fake_telegram.rate_limit = True
    bots = [await paced_bot(fake_telegram, store) for store in stores]
    loop = asyncio.get_running_loop()
    started = loop.time()
    await asyncio.gather(
        _send(bots[0], list(range(1, 46)), "a"), _send(bots[1], list(range(46, 91)), "b")
    )
    took = loop.time() - started
    assert fake_telegram.errors(429) == 0
    assert len(fake_telegram.sent()) == 90
    assert took >= 89 / 28.3 * 0.98  # paced as one bot: 90 messages at 28.3/s
    for bot in bots:
        await bot.shutdown()


async def test_a_429_in_one_instance_brings_no_more_429s(
    fake_telegram: FakeTelegram, stores: list[PostgresStore]
) -> None:
    """One instance's first send is answered 429 (retry after 1 s) and that instance pauses,
    the other goes on. When the pause ends, the requests it held go out on turns booked after
    it, not at once on turns booked during it: no further 429 (held inside the limiter, they
    went out together and crowded the other instance's turns: a 429 for each, again and again
    for the rest of the broadcast)."""
    logging.getLogger("httpx").setLevel(logging.WARNING)
    fake_telegram.rate_limit = True
    bots = [await paced_bot(fake_telegram, store) for store in stores]
    fake_telegram.fail("sendMessage", ApiError.flood(1), chat_id=1)
    await asyncio.gather(
        _send(bots[0], list(range(1, 46)), "a"), _send(bots[1], list(range(46, 91)), "b")
    )
    assert fake_telegram.errors(429) == 1  # the scripted one
    assert len(fake_telegram.sent()) == 90 and not fake_telegram.duplicates()
    for bot in bots:
        await bot.shutdown()


async def test_a_group_gets_twenty_a_minute_from_all_instances_together(
    fake_telegram: FakeTelegram, stores: list[PostgresStore]
) -> None:
    """Burst 5 then one per 4 s, shared: 6 messages from two instances take 4 s, none refused."""
    fake_telegram.rate_limit = True
    bots = [await paced_bot(fake_telegram, store) for store in stores]
    loop = asyncio.get_running_loop()
    started = loop.time()
    await asyncio.gather(*(bots[n % 2].send_message(-1001, f"m{n}") for n in range(6)))
    assert loop.time() - started >= 3.8
    assert fake_telegram.errors(429) == 0
    for bot in bots:
        await bot.shutdown()


async def test_a_chats_command_limit_holds_for_all_instances_together(
    stores: list[PostgresStore],
) -> None:
    """Behind a proxy a chat's commands reach any instance: together they answer a burst of 10,
    then refuse, and each instance tells the chat once; another chat is not held back."""
    a, b = (CommandThrottle(shared=store, platform="telegram") for store in stores)
    verdicts = [await (a if n % 2 else b).admit("42") for n in range(14)]
    assert [v.allowed for v in verdicts] == [True] * 10 + [False] * 4
    assert [v.notify for v in verdicts[10:]] == [True, True, False, False]  # once per instance
    assert all(v.retry_in > 0 for v in verdicts[10:])
    assert (await a.admit("43")).allowed
    alone = CommandThrottle(platform="telegram")  # no shared store: this process's limit only
    assert all([(await alone.admit("42")).allowed for _ in range(10)])


async def test_a_late_wake_up_goes_at_once_when_no_turn_was_booked_after_it(
    stores: list[PostgresStore],
) -> None:
    """Turns 0.3 s apart; the process is blocked past its second turn by more than MAX_LATE.
    Nobody booked after it, so it goes at once and the schedule goes on from then."""
    pacer = SharedPacer(stores[0], "telegram:alone", 0.3)
    loop = asyncio.get_running_loop()
    async with pacer:
        first = loop.time()
    second = asyncio.create_task(_paced(pacer))
    await asyncio.sleep(0.05)  # it has booked the turn at ~0.3 s and sleeps until then
    time.sleep(0.4)  # the event loop is stuck past that turn (a loaded machine)
    went = await second
    assert pacer.dropped == 0 and went - first < 0.55
    assert await _paced(pacer) - went >= 0.3 - 0.01  # the next turn: one period after it


async def test_a_turn_woken_for_too_late_is_left_unused_when_others_booked_after_it(
    stores: list[PostgresStore],
) -> None:
    """As above, but another instance has booked the turn after it: sending late would crowd
    that one, so the late request leaves its turn and takes the next free one."""
    late, other = (SharedPacer(store, "telegram:crowd", 0.3) for store in stores)
    loop = asyncio.get_running_loop()
    async with late:
        first = loop.time()
    second = asyncio.create_task(_paced(late))
    await asyncio.sleep(0.02)
    third = asyncio.create_task(_paced(other))  # books the turn at ~0.6 s
    await asyncio.sleep(0.05)
    time.sleep(0.4)
    went, other_went = await second, await third
    assert late.dropped == 1 and other.dropped == 0
    assert other_went - first < 0.6 + 0.1
    assert went - first >= 0.9 - 0.01  # the next free turn after the one it missed


async def _paced(pacer: SharedPacer) -> float:
    async with pacer:
        return asyncio.get_running_loop().time()
