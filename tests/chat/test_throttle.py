"""Per-chat command limits: a burst, then a steady rate; told once; other chats unaffected."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from bot.chat.throttle import KEPT, CommandThrottle
from tests.app_fixtures import FakeClock, open_app, running, telegram
from tests.fakes.telegram_server import FakeTelegram


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_burst_then_one_every_three_seconds(caplog: pytest.LogCaptureFixture) -> None:
    clock = Clock()
    throttle = CommandThrottle(per_minute=20, burst=10, clock=clock)
    verdicts = [throttle.check("42") for _ in range(13)]
    assert [v.allowed for v in verdicts] == [True] * 10 + [False] * 3
    assert [v.notify for v in verdicts[10:]] == [True, False, False]  # told once
    assert verdicts[10].retry_in == pytest.approx(3.0)
    assert throttle.check("7").allowed  # another chat is not affected
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert warnings == ["chat 42 is over 20 commands a minute: ignoring it for now"]

    clock.now += 2.9
    assert not throttle.check("42").allowed
    clock.now += 0.1
    assert throttle.check("42").allowed  # one slot every 3 s
    clock.now += 3.0
    assert throttle.check("42").allowed
    assert not throttle.check("42").notify  # over again within the minute: not told again
    clock.now += 60.0
    for _ in range(10):
        throttle.check("42")
    flood = throttle.check("42")
    assert not flood.allowed and flood.notify  # a flood a minute later is told again
    assert len([r for r in caplog.records if r.levelno == logging.WARNING]) == 2


def test_a_quiet_chat_gets_its_whole_burst_back() -> None:
    clock = Clock()
    throttle = CommandThrottle(per_minute=20, burst=10, clock=clock)
    for _ in range(10):
        throttle.check("42")
    clock.now += 30.0  # 10 slots of 3 s
    assert all(throttle.check("42").allowed for _ in range(10))
    assert not throttle.check("42").allowed


def test_idle_chats_are_forgotten() -> None:
    clock = Clock()
    throttle = CommandThrottle(clock=clock)
    for _ in range(11):
        throttle.check("flooder")
    assert throttle._told
    for chat in range(KEPT):
        throttle.check(str(chat))
    clock.now += 3600
    throttle.check("new")
    throttle.check("newer")
    assert len(throttle._tat) == 2
    assert not throttle._told


def test_notice_says_when_to_try_again() -> None:
    throttle = CommandThrottle(per_minute=20, burst=10, clock=Clock())
    for _ in range(10):
        throttle.check("42")
    assert throttle.notice(throttle.check("42")) == (
        "That is more commands than I answer in one chat (10 at once, then 20 a minute). "
        "I'll answer again in 3 s."
    )
    with pytest.raises(ValueError, match="per_minute"):
        CommandThrottle(per_minute=0)


async def test_a_chat_flooding_the_bot_is_told_once_and_others_are_answered(
    fake_telegram: FakeTelegram, tmp_path: Path
) -> None:
    flooder, other = 42, 43
    app = open_app(tmp_path, FakeClock(), base_url=fake_telegram.base_url)
    try:
        async with running(fake_telegram, app) as runner:
            telegram(runner).throttle = CommandThrottle(per_minute=20, burst=10, clock=Clock())
            for _ in range(25):
                fake_telegram.inject_message("/latest 1", user_id=flooder)
            fake_telegram.inject_message("/ask probation", user_id=other)
            await fake_telegram.wait_for("sendMessage", chat_id=other, timeout=5)
            await fake_telegram.wait_for("sendMessage", 11, chat_id=flooder, timeout=5)
    finally:
        app.close()
    texts = [call.text or "" for call in fake_telegram.sent(flooder)]
    assert len(texts) == 11  # nothing more came after the notice
    assert len(set(texts[:10])) == 1 and "/post" in texts[0]  # ten answers
    assert texts[10].startswith("That is more commands than I answer in one chat")


async def test_button_presses_count_and_the_one_over_gets_a_toast(
    fake_telegram: FakeTelegram, tmp_path: Path
) -> None:
    app = open_app(tmp_path, FakeClock(), base_url=fake_telegram.base_url)
    try:
        async with running(fake_telegram, app) as runner:
            telegram(runner).throttle = CommandThrottle(per_minute=20, burst=2, clock=Clock())
            for _ in range(3):
                fake_telegram.inject_callback_query("more:004:3", user_id=42)
            toasts = await fake_telegram.wait_for("answerCallbackQuery", 3)
            await fake_telegram.wait_for("sendMessage", 2, chat_id=42)
    finally:
        app.close()
    assert [t.params.get("text") for t in toasts[:2]] == [None, None]
    assert str(toasts[2].params["text"]).startswith("That is more commands than I answer")
    assert len(fake_telegram.sent(42)) == 2  # the third press sent nothing
