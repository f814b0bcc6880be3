"""The outbox sends several chats' digests side by side (up to the sender's ``max_in_flight``):
one slow chat holds up nobody else, one chat's digests still arrive in order, and a crash
leaves at most ``max_in_flight`` sends whose outcome is open."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.delivery.sender import NO_PROGRESS, Failed, Outcome, Progress, Sent
from bot.domain.digest import Digest
from bot.store.tinydb.store import Store
from tests.delivery.test_outbox import START, outbox, subscribe
from tests.fakes.sender import Crash, FakeSender

AT8 = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)


@pytest.fixture
def data(tmp_path: Path) -> Path:
    return tmp_path


@pytest.fixture
def store(data: Path) -> Iterator[Store]:
    with Store.open(data) as opened:
        yield opened


@dataclass
class SlowSender(FakeSender):
    """A FakeSender whose sends take ``delay`` seconds (the next of ``slow[chat]`` for that
    chat, and not before ``hold[chat]`` is set): a digest arrives at the end of its send."""

    delay: float = 0.01
    slow: dict[str, list[float]] = field(default_factory=dict)
    hold: dict[str, asyncio.Event] = field(default_factory=dict)
    in_flight: int = 0
    most_in_flight: int = 0

    async def send(self, chat_id: str, digest: Digest, progress: Progress = NO_PROGRESS) -> Outcome:
        self.in_flight += 1
        self.most_in_flight = max(self.most_in_flight, self.in_flight)
        try:
            if chat_id in self.hold:
                await self.hold[chat_id].wait()
            delays = self.slow.get(chat_id)
            await asyncio.sleep(delays.pop(0) if delays else self.delay)
            return await super().send(chat_id, digest, progress)
        finally:
            self.in_flight -= 1


def london(store: Store, chats: list[str]) -> None:
    for chat in chats:
        store.update_subscriber("fake", chat, now=START, timezone="Europe/London")


@pytest.mark.parametrize("width", [1, 4])
async def test_sends_side_by_side_never_more_than_max_in_flight(store: Store, width: int) -> None:
    chats = subscribe(store, 20)
    london(store, chats)
    sender = SlowSender(max_in_flight=width)
    run = await outbox(store, sender).tick(AT8)
    assert (run.due, run.sent) == (20, 20)
    assert sender.most_in_flight == width
    assert sorted(sender.chats()) == sorted(chats)


async def test_a_chat_that_waits_holds_up_nobody_else(store: Store) -> None:
    """c0's send waits until every other chat has its digest (as a digest to a busy group waits
    for the group's limit): with one send at a time this would never finish."""
    chats = subscribe(store, 12)
    london(store, chats)
    others_done = asyncio.Event()
    sender = SlowSender(max_in_flight=3, hold={"c0": others_done})

    async def release_when_others_arrived() -> None:
        while len(sender.arrived) < 11:
            await asyncio.sleep(0.005)
        others_done.set()

    release = asyncio.create_task(release_when_others_arrived())
    run = await asyncio.wait_for(outbox(store, sender).tick(AT8), timeout=10)
    await release
    assert run.sent == 12
    assert sender.chats()[-1] == "c0" and sorted(sender.chats()[:-1]) == sorted(chats[1:])


async def test_one_chats_digests_arrive_in_order(store: Store) -> None:
    """Two pending digests of one chat (both days failed with a retryable error) go one after
    the other, even though the first one's send is slower."""
    chats = subscribe(store, 3)
    london(store, chats)
    busy = [Failed(retryable=True, reason="429")] * 3
    sender = SlowSender(max_in_flight=4, script={"c0": list(busy)})
    box = outbox(store, sender)
    await box.tick(AT8)  # c0 day one: failed, stays pending
    await box.tick(AT8 + timedelta(days=1))  # day one again and day two: both fail
    assert [d.slot for d in store.deliveries(platform="fake", chat_id="c0", state="pending")] == [
        "2026-11-23",
        "2026-11-24",
    ]
    sender.slow["c0"] = [0.05, 0.0]  # side by side, day two would overtake day one
    run = await box.tick(AT8 + timedelta(days=1, minutes=1))
    assert run.resumed == 2 and run.sent == 2
    titles = [d.title for chat, d in sender.arrived if chat == "c0"]
    assert titles == [
        "Daily digest, Monday 23 November 2026",
        "Daily digest, Tuesday 24 November 2026",
    ]


async def test_a_crash_leaves_the_sends_in_flight_pending_and_the_restart_sends_them_once(
    data: Path,
) -> None:
    store = Store.open(data)
    chats = subscribe(store, 10)
    london(store, chats)
    first = SlowSender(max_in_flight=4, crash_at=6)
    with pytest.raises(Crash):  # the crash itself, not an exception group
        await outbox(store, first).tick(AT8)
    pending = store.deliveries(state="pending")
    sent = store.deliveries(state="sent")
    assert len(sent) == len(first.arrived) and len(sent) + len(pending) == 10
    assert pending and not {d.chat_id for d in pending} & set(first.chats())  # none arrived
    store.close()

    store = Store.open(data)
    second = SlowSender(max_in_flight=4)
    await outbox(store, second).tick(AT8 + timedelta(minutes=1))
    assert Counter(first.chats() + second.chats()) == dict.fromkeys(chats, 1)
    assert store.stats().deliveries == {"sent": 10}
    store.close()


@dataclass
class PartsSender:
    """Each digest goes out as ``parts`` messages; the process dies right after message
    ``crash_after`` (counted over all chats) arrived and was recorded."""

    parts: int = 3
    crash_after: int | None = None
    platform: str = "fake"
    max_in_flight: int = 1
    arrived: list[tuple[str, int]] = field(default_factory=list)

    async def send(self, chat_id: str, digest: Digest, progress: Progress = NO_PROGRESS) -> Outcome:
        ids = list(progress.done)
        for part in range(len(ids), self.parts):
            await asyncio.sleep(0)
            self.arrived.append((chat_id, part))
            ids.append(f"{chat_id}-{part}")
            await progress.record(tuple(ids))
            if len(self.arrived) == self.crash_after:
                raise Crash(f"killed after message {self.crash_after}")
        return Sent(tuple(ids))


async def test_a_digest_resumed_after_a_crash_sends_only_the_messages_not_recorded(
    data: Path,
) -> None:
    store = Store.open(data)
    chats = subscribe(store, 2)
    london(store, chats)
    first = PartsSender(crash_after=5)  # c0's three messages, then two of c1's
    with pytest.raises(Crash):
        await outbox(store, first).tick(AT8)
    c1 = store.get_delivery("fake:c1@2026-11-23")
    assert c1 is not None and (c1.state, c1.message_ids) == ("pending", ("c1-0", "c1-1"))
    store.close()

    store = Store.open(data)
    second = PartsSender()
    await outbox(store, second).tick(AT8 + timedelta(minutes=1))
    assert second.arrived == [("c1", 2)]  # only the message that had not gone out
    assert Counter(first.arrived + second.arrived) == {(c, p): 1 for c in chats for p in range(3)}
    c1 = store.get_delivery("fake:c1@2026-11-23")
    assert c1 is not None and (c1.state, c1.message_ids) == ("sent", ("c1-0", "c1-1", "c1-2"))
    store.close()
