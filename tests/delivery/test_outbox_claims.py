"""One delivery has one sender at a time: the outbox claims a delivery before sending it and
releases it after marking, and ticks run one after the other. Two ticks started together (the
console's own tick and the scheduler's first wake-up), or ``send_now`` (``/digest``) racing the
minute tick, never send one delivery twice."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.delivery.sender import Sent
from bot.store.tinydb.store import Store
from tests.delivery.test_outbox import START, outbox, subscribe
from tests.delivery.test_outbox_in_flight import SlowSender, london
from tests.fakes.sender import Crash, FakeSender

AT8 = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store.open(tmp_path) as opened:
        yield opened


@pytest.mark.parametrize("width", [1, 4])
async def test_two_ticks_started_together_send_each_digest_once(store: Store, width: int) -> None:
    chats = subscribe(store, 6)
    london(store, chats)
    sender = SlowSender(max_in_flight=width)
    box = outbox(store, sender)
    await asyncio.gather(box.tick(AT8), box.tick(AT8))
    assert Counter(sender.chats()) == dict.fromkeys(chats, 1)
    assert store.stats().deliveries == {"sent": 6}


async def test_a_tick_never_resumes_a_delivery_another_tick_is_sending(tmp_path: Path) -> None:
    """Pending deliveries left by a crash: the restart's first two ticks (explicit + scheduler)
    both find them pending; each one still goes out once."""
    store = Store.open(tmp_path)
    chats = subscribe(store, 4)
    london(store, chats)
    with pytest.raises(Crash):
        await outbox(store, FakeSender(crash_at=1)).tick(AT8)
    assert len(store.deliveries(state="pending")) == 4
    store.close()

    with Store.open(tmp_path) as store:
        sender = SlowSender(max_in_flight=2, delay=0.02)
        box = outbox(store, sender)
        later = AT8 + timedelta(minutes=5)
        runs = await asyncio.gather(box.tick(later), box.tick(later + timedelta(seconds=1)))
        assert Counter(sender.chats()) == dict.fromkeys(chats, 1)
        assert sorted(r.resumed for r in runs) == [0, 4]
        assert store.stats().deliveries == {"sent": 4}


async def test_send_now_racing_the_minute_tick_sends_one_copy(store: Store) -> None:
    """/digest while its send is slow: the delivery is pending, but the tick that comes along
    leaves it to its owner."""
    subscribe(store, 1)
    store.update_subscriber("fake", "c0", now=START, timezone="Europe/London", time="20:00")
    sender = SlowSender(slow={"c0": [0.2]})
    box = outbox(store, sender)
    sub = store.get_subscriber("fake", "c0")
    assert sub is not None
    now = datetime(2026, 11, 23, 7, 0, tzinfo=UTC)
    manual = asyncio.create_task(box.send_now(sub, now))
    while sender.in_flight == 0:
        await asyncio.sleep(0.001)
    [pending] = store.deliveries(state="pending")
    run = await box.tick(now + timedelta(minutes=1))
    assert isinstance(await manual, Sent)
    assert run.resumed == 0 and sender.calls == 1 and sender.chats() == ["c0"]
    assert store.get_delivery(pending.id).state == "sent"  # type: ignore[union-attr]


async def test_two_digest_commands_at_one_instant_send_two_different_digests(
    store: Store,
) -> None:
    """The second /digest (same clock reading) gets the posts the first did not take, under
    its own delivery record."""
    subscribe(store, 1)
    sub = store.get_subscriber("fake", "c0")
    assert sub is not None
    sender = SlowSender()
    box = outbox(store, sender)
    now = datetime(2026, 11, 23, 7, 0, tzinfo=UTC)
    first, second = await asyncio.gather(box.send_now(sub, now), box.send_now(sub, now))
    assert isinstance(first, Sent) and isinstance(second, Sent)
    posts = [i.post_id for _, d in sender.arrived for i in d.items]
    assert sorted(posts) == ["005_post", "006_post", "007_post", "008_post"]
    assert len(store.deliveries(state="sent")) == 2
