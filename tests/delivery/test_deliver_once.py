"""No double send through the real front ends: ``digestbot run`` (its own tick at start while
the scheduler's job also fires at start) prints a catch-up digest and a resumed one once, and a
slow ``/digest`` on Telegram racing the minute tick arrives once."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.app import App
from bot.config import DigestDefaults
from bot.domain.records import Subscriber
from bot.store.tinydb.store import Store
from tests.app_fixtures import FakeClock, files, open_app, running
from tests.fakes.sender import Crash, FakeSender
from tests.fakes.telegram_server import FakeTelegram
from tests.platforms.console.test_console import run_bot

CHAT = 42
GROUP = -4002


def console_subscriber(data: Path, *, days_ago: int = 3) -> None:
    """The console chat, subscribed days ago for 00:00 UTC: a catch-up digest is due now."""
    now = datetime.now(UTC)
    defaults = DigestDefaults(time="00:00", timezone="UTC")
    sub = Subscriber.new(
        "console", "console", kind="private", defaults=defaults, now=now - timedelta(days=days_ago)
    )
    with Store.open(data) as store:
        store.put_subscriber(sub)


@pytest.mark.parametrize("run", [1, 2, 3])
def test_console_start_prints_a_catch_up_digest_once(tmp_path: Path, run: int) -> None:
    data = tmp_path / "data"
    console_subscriber(data)
    proc = run_bot(data, "/settings\n/latest 1\n")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.count("Daily digest, ") == 1, proc.stdout
    with Store.open(data) as store:
        assert [d.state for d in store.deliveries()] == ["sent"]


async def test_console_restart_prints_a_pending_digest_once(tmp_path: Path) -> None:
    """A run that died mid-send left the console's digest pending: the next start sends it
    once (its own tick and the scheduler's both find it pending)."""
    console_subscriber(tmp_path / "data")
    app = open_app(tmp_path, FakeClock(datetime.now(UTC)))
    app.add_sender(FakeSender(platform="console", crash_at=1))
    with pytest.raises(Crash):
        await app.tick(app.now())
    [pending] = files(app).deliveries(state="pending")
    app.close()
    printed = []
    for _ in range(3):  # the restart sends it, the two after it have nothing to send
        proc = run_bot(tmp_path / "data", "/settings\n/latest 1\n")
        assert proc.returncode == 0, proc.stderr
        printed.append(proc.stdout.count("Daily digest, "))
    assert printed == [1, 0, 0]
    with Store.open(tmp_path / "data") as store:
        assert store.get_delivery(pending.id).state == "sent"  # type: ignore[union-attr]


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()  # Monday 23 November 2026, 06:00 UTC


@pytest.fixture
def app(tmp_path: Path, fake_telegram: FakeTelegram, clock: FakeClock) -> Iterator[App]:
    opened = open_app(tmp_path, clock, base_url=fake_telegram.base_url)
    yield opened
    opened.close()


def digests(tg: FakeTelegram, chat: int) -> list[str]:
    return [c.text or "" for c in tg.sent(chat) if (c.text or "").startswith("<b>Daily digest")]


@pytest.mark.parametrize("chat", [CHAT, GROUP])
async def test_slow_digest_command_racing_the_minute_tick_arrives_once(
    fake_telegram: FakeTelegram, app: App, clock: FakeClock, chat: int
) -> None:
    """/digest's first message takes 1.5 s to be answered (it reached the chat at once); the
    minute tick comes meanwhile and finds the delivery pending."""
    fake_telegram.set_admins(GROUP, [CHAT])
    async with running(fake_telegram, app) as runner:
        fake_telegram.inject_message(
            "/subscribe 20:00 Europe/London", chat_id=chat if chat < 0 else None, user_id=CHAT
        )
        await fake_telegram.wait_for("sendMessage", 1, chat_id=chat)
        fake_telegram.delay_response(1.5, chat_id=chat)
        fake_telegram.inject_message("/digest", chat_id=chat if chat < 0 else None, user_id=CHAT)
        await fake_telegram.wait_until(lambda: len(digests(fake_telegram, chat)) == 1)
        [pending] = files(app).deliveries(state="pending")
        await runner.tick(clock.advance(minutes=1))  # while the first answer is awaited
        await fake_telegram.wait_until(
            lambda: files(app).get_delivery(pending.id).state == "sent",  # type: ignore[union-attr]
            timeout=10,
        )
        await runner.tick(clock.advance(minutes=1))
    assert len(digests(fake_telegram, chat)) == 1
    assert fake_telegram.duplicates() == {}
