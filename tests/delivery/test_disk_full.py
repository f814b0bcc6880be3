"""A full disk while recording sends, on a real full file system (a small tmpfs, as root).

What the chat service confirmed is recorded in the space of the reserve (``DATA/space-reserve``,
freed for it), so neither the next tick nor a restart sends it again; no new send starts until
the reserve can be written again; the log names the file that could not be written; ``/digest``
says in the chat that the digest was delivered but the bot's disk is full.
"""

from __future__ import annotations

import asyncio
import logging
import shutil
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.app import App
from bot.delivery.outbox import DiskFullPaused, Outbox
from bot.delivery.sender import NO_PROGRESS, Failed, Outcome, Progress, Sent
from bot.domain.digest import Digest, PostIndex
from bot.store.reserve import RESERVE_NAME, Reserve
from bot.store.tinydb.protocol import TinyDBStore
from bot.store.tinydb.store import Store
from tests.app_fixtures import FakeClock, files, make_config, running
from tests.delivery.test_outbox import POSTS, SUMMARIES, outbox, subscribe
from tests.delivery.test_outbox_in_flight import london
from tests.fakes.sender import FakeSender
from tests.fakes.telegram_server import FakeTelegram
from tests.full_disk import Disk, small_disk

AT8 = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
DELIVERED = (
    "Your digest was delivered, but the bot has run out of disk space, so digests wait until "
    "its administrator frees some."
)
NOT_SENT = (
    "Nothing was sent: the bot has run out of disk space, so digests wait until its "
    "administrator frees some."
)


@pytest.fixture
def disk(tmp_path: Path) -> Iterator[Disk]:
    with small_disk(tmp_path / "disk") as mounted:
        yield mounted


@dataclass
class FillingSender(FakeSender):
    """Sends each digest as ``parts`` messages; the disk fills up right after message
    ``fill_after`` (counted over all chats) reached the chat, before anything records it.
    Before a digest's last message it waits for ``gate`` (if set); ``last`` replaces the last
    message by that outcome once (e.g. a retryable failure)."""

    disk: Disk | None = None
    fill_after: int = 1
    parts: int = 1
    gate: asyncio.Event | None = None
    last: Outcome | None = None
    messages: list[tuple[str, int]] = field(default_factory=list)

    async def send(self, chat_id: str, digest: Digest, progress: Progress = NO_PROGRESS) -> Outcome:
        ids = list(progress.done)
        for part in range(len(ids), self.parts):
            await asyncio.sleep(0)
            if part == self.parts - 1:
                if self.gate is not None:
                    await self.gate.wait()
                if self.last is not None:
                    outcome, self.last = self.last, None
                    return outcome
            self.messages.append((chat_id, part))
            if self.disk is not None and len(self.messages) == self.fill_after:
                self.disk.fill()
            ids.append(f"{chat_id}-{part}")
            if part < self.parts - 1:
                await progress.record(tuple(ids))
        self.calls += 1
        self.arrived.append((chat_id, digest))
        return Sent(tuple(ids))


def full_writes(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if "no space left" in r.getMessage()]


@pytest.mark.parametrize("parts", [1, 2])
async def test_a_send_confirmed_on_a_full_disk_is_recorded_and_never_sent_again(
    disk: Disk, caplog: pytest.LogCaptureFixture, parts: int
) -> None:
    data = disk.root / "data"
    store = Store.open(data)
    chats = subscribe(store, 3)
    london(store, chats)
    first = FillingSender(disk=disk, parts=parts)
    run = await outbox(store, first).tick(AT8)
    assert shutil.disk_usage(disk.root).free <= 1 << 20  # what the reserve gave back, at most
    assert run.sent == 1 and first.chats() == ["c0"]  # c1 and c2 did not start
    [logged] = full_writes(caplog)
    assert logged.startswith(str(data / "store" / "deliveries")) and logged.count(".json") == 1
    assert not (data / RESERVE_NAME).exists()  # its space held the record
    store.close()

    with Store.open(data) as store:  # restarted on the still full disk: what is on it?
        states = {d.chat_id: (d.state, len(d.message_ids)) for d in store.deliveries()}
        assert states == {"c0": ("sent", parts), "c1": ("pending", 0), "c2": ("pending", 0)}
        second = FakeSender()
        box = outbox(store, second)
        await box.tick(AT8 + timedelta(minutes=1))
        assert second.calls == 0 and box.paused  # still full: no new send starts
        disk.free()
        await box.tick(AT8 + timedelta(minutes=2))
        assert not box.paused and (data / RESERVE_NAME).stat().st_size == 1 << 20
        assert Counter(first.chats() + second.chats()) == dict.fromkeys(chats, 1)
        assert store.stats().deliveries == {"sent": 3}


async def test_a_tick_on_a_full_disk_sends_nothing_and_resumes_when_space_is_back(
    disk: Disk, caplog: pytest.LogCaptureFixture
) -> None:
    data = disk.root / "data"
    with Store.open(data) as store:
        chats = subscribe(store, 2)
        london(store, chats)
        sender = FakeSender()
        box = outbox(store, sender)
        await box.tick(AT8 - timedelta(hours=1))  # nothing due; writes the reserve
        assert (data / RESERVE_NAME).exists()
        disk.fill()
        run = await box.tick(AT8)  # planning meets the full disk
        assert (run.due, run.sent, sender.calls) == (0, 0, 0) and box.paused
        assert len(full_writes(caplog)) == 1  # once, not once a minute
        for minute in range(1, 4):
            await box.tick(AT8 + timedelta(minutes=minute))
        assert sender.calls == 0 and len(full_writes(caplog)) == 1
        disk.free()
        await box.tick(AT8 + timedelta(minutes=5))
        assert Counter(sender.chats()) == dict.fromkeys(chats, 1)
        assert any("digests resume" in r.getMessage() for r in caplog.records)


def no_reserve(store: Store, sender: FakeSender) -> Outbox:
    """An outbox whose reserve holds nothing: a full disk leaves records in memory."""
    reserve = Reserve(store.data_dir / RESERVE_NAME, size=0)
    return Outbox(TinyDBStore(store), [sender], PostIndex(POSTS), SUMMARIES, reserve=reserve)


async def test_when_even_the_reserve_is_not_enough_the_record_waits_in_memory(
    disk: Disk, caplog: pytest.LogCaptureFixture
) -> None:
    """The confirmed send cannot be written: it stays claimed, so the next ticks do not send
    it again, and it is written once space is back."""
    data = disk.root / "data"
    with Store.open(data) as store:
        chats = subscribe(store, 2)
        london(store, chats)
        sender = FillingSender(disk=disk)
        box = no_reserve(store, sender)
        await box.tick(AT8)
        assert sender.chats() == ["c0"]
        assert [d.state for d in store.deliveries()] == ["pending", "pending"]  # not written
        assert any("kept in memory" in r.getMessage() for r in caplog.records)
        for minute in range(1, 4):
            await box.tick(AT8 + timedelta(minutes=minute))
        assert sender.chats() == ["c0"]
        disk.free()
        await box.tick(AT8 + timedelta(minutes=5))
        assert Counter(sender.chats()) == dict.fromkeys(chats, 1)
    with Store.open(data) as store:
        assert store.stats().deliveries == {"sent": 2}


async def test_records_kept_in_memory_reach_the_disk_in_order(disk: Disk) -> None:
    """Message 1 of 2 went out (its record kept in memory), then message 2 met a retryable
    failure (that record too): once space is back both are written, in order, and the retry
    sends message 2 only."""
    with Store.open(disk.root / "data") as store:
        london(store, subscribe(store, 1))
        sender = FillingSender(disk=disk, parts=2, last=Failed(retryable=True, reason="429"))
        box = no_reserve(store, sender)
        await box.tick(AT8)
        assert sender.messages == [("c0", 0)]
        disk.free()
        await box.tick(AT8 + timedelta(minutes=1))
        assert sender.messages == [("c0", 0), ("c0", 1)]
        [delivery] = store.deliveries()
        assert (delivery.state, delivery.message_ids, delivery.attempts) == (
            "sent",
            ("c0-0", "c0-1"),
            2,
        )


async def test_space_back_while_a_digest_is_still_going_out_leaves_it_to_its_sender(
    disk: Disk,
) -> None:
    """/digest's first message is recorded only in memory; space comes back and a tick writes
    that record while the second message is still on its way: the tick must not resume it."""
    with Store.open(disk.root / "data") as store:
        subscribe(store, 1)
        store.update_subscriber("fake", "c0", now=AT8, timezone="Europe/London", time="20:00")
        gate = asyncio.Event()
        sender = FillingSender(disk=disk, parts=2, gate=gate)
        box = no_reserve(store, sender)
        sub = store.get_subscriber("fake", "c0")
        assert sub is not None
        manual = asyncio.create_task(box.send_now(sub, AT8))
        while not sender.messages:
            await asyncio.sleep(0.001)
        disk.free()
        run = await box.tick(AT8 + timedelta(minutes=1))  # writes the record kept in memory
        [delivery] = store.deliveries()
        assert (delivery.state, delivery.message_ids) == ("pending", ("c0-0",))
        assert run.resumed == 0
        gate.set()
        assert isinstance(await manual, Sent)
        assert sender.messages == [("c0", 0), ("c0", 1)]
        assert store.deliveries()[0].state == "sent"


CHAT = 42


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()  # Monday 23 November 2026, 06:00 UTC


def open_on(disk: Disk, tmp_path: Path, tg: FakeTelegram, clock: FakeClock) -> App:
    config = make_config(tmp_path, base_url=tg.base_url)
    return App.open(replace(config, data_dir=disk.root / "data"), clock=clock)


def digests(tg: FakeTelegram) -> list[str]:
    return [c.text or "" for c in tg.sent(CHAT) if (c.text or "").startswith("<b>Daily digest")]


async def answer(tg: FakeTelegram, text: str) -> str:
    before = len(tg.sent(CHAT))
    tg.inject_message(text, user_id=CHAT)
    calls = await tg.wait_for("sendMessage", before + 1, chat_id=CHAT, timeout=10)
    return calls[-1].text or ""


async def test_digest_command_on_a_disk_that_fills_up_while_sending(
    disk: Disk,
    tmp_path: Path,
    fake_telegram: FakeTelegram,
    clock: FakeClock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Telegram took /digest's message, then the disk filled up before the bot recorded it:
    the chat is told it was delivered and that the disk is full; neither the next minute nor a
    restart on the still full disk sends it again; /digest meanwhile says nothing was sent."""
    app = open_on(disk, tmp_path, fake_telegram, clock)
    async with running(fake_telegram, app) as runner:
        await answer(fake_telegram, "/subscribe 20:00 Europe/London")
        fake_telegram.delay_response(0.5, chat_id=CHAT)
        fake_telegram.inject_message("/digest", user_id=CHAT)
        await fake_telegram.wait_until(lambda: len(digests(fake_telegram)) == 1)
        disk.fill()  # the message is in the chat; its answer is on the way
        await fake_telegram.wait_until(lambda: len(fake_telegram.sent(CHAT)) >= 3, timeout=10)
        assert fake_telegram.sent(CHAT)[-1].text == DELIVERED
        assert any(str(disk.root / "data" / "store") in m for m in full_writes(caplog))
        await runner.tick(clock.advance(minutes=1))
    app.close()

    app = open_on(disk, tmp_path, fake_telegram, clock)  # restarted, the disk still full
    async with running(fake_telegram, app) as runner:
        await runner.tick(clock.advance(minutes=1))
        assert await answer(fake_telegram, "/digest") == NOT_SENT
        assert len(digests(fake_telegram)) == 1
        disk.free()
        await runner.tick(clock.advance(minutes=1))
        before = len(digests(fake_telegram))
        fake_telegram.inject_message("/digest", user_id=CHAT)  # space is back: the rest
        await fake_telegram.wait_until(lambda: len(digests(fake_telegram)) > before, timeout=10)
    app.close()
    assert fake_telegram.duplicates() == {}
    [manual, rest] = [d for d in files(app).deliveries() if d.state == "sent"] or [None, None]
    assert manual is not None and rest is not None
    assert not set(manual.post_ids) & set(rest.post_ids)


def test_the_reserve_is_random_bytes_and_refuses_to_half_exist(disk: Disk) -> None:
    reserve = Reserve(disk.root / RESERVE_NAME, size=256 << 10)
    assert reserve.ensure() and reserve.present()
    content = reserve.path.read_bytes()
    assert len(content) == 256 << 10 and len(set(content[:4096])) > 200  # not compressible
    assert reserve.release() and not reserve.release()
    disk.fill()
    assert not reserve.ensure() and not reserve.path.exists()  # no partial file left
    disk.free()
    assert reserve.ensure()


async def test_reserve_logging_stays_quiet_on_a_healthy_disk(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with Store.open(tmp_path) as store:
        subscribe(store, 1)
        box = outbox(store, FakeSender())
        caplog.set_level(logging.WARNING)
        for minute in range(3):
            await box.tick(AT8 + timedelta(minutes=minute))
        assert not box.paused and (tmp_path / RESERVE_NAME).exists()
        assert not [r for r in caplog.records if r.levelno >= logging.WARNING]
        sub = store.get_subscriber("fake", "c0")
        assert sub is not None
        assert not isinstance(await box.send_now(sub, AT8), DiskFullPaused)
