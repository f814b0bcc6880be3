"""The real python-telegram-bot Application against the loopback Bot API server."""

from __future__ import annotations

import logging
import re
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot import redact
from bot.app import App
from bot.chat.handlers import build_commands
from bot.platforms.telegram.frontend import TelegramFrontend, webhook_options
from tests.app_fixtures import FakeClock, files, open_app, running, serving
from tests.fakes.telegram_server import ApiError, FakeTelegram, post_webhook
from tests.fakes.telegram_updates import BOT_USERNAME

ADMIN, MEMBER, GROUP_ID = 501, 502, -4001
TOKEN_RE = re.compile(r"\d{6,}:[A-Za-z0-9_-]{30,}")


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def app(tmp_path: Path, fake_telegram: FakeTelegram, clock: FakeClock) -> Iterator[App]:
    opened = open_app(tmp_path, clock, base_url=fake_telegram.base_url, admins=(ADMIN,))
    yield opened
    opened.close()


async def reply_to(tg: FakeTelegram, text: str, chat_id: int, **kw: object) -> str:
    before = len(tg.sent(chat_id))
    tg.inject_message(text, chat_id=chat_id if chat_id < 0 else None, **kw)  # type: ignore[arg-type]
    calls = await tg.wait_for("sendMessage", before + 1, chat_id=chat_id)
    return calls[-1].text or ""


async def test_start_help_and_command_menu(fake_telegram: FakeTelegram, app: App) -> None:
    async with running(fake_telegram, app):
        [menu] = fake_telegram.calls_to("setMyCommands")
        names = [c["command"] for c in menu.params["commands"]]
        assert names == [spec.name for spec in build_commands()]
        assert "Hello!" in await reply_to(fake_telegram, "/start", 42, user_id=42)
        help_text = await reply_to(fake_telegram, "/help", 42, user_id=42)
        for spec in build_commands():
            assert spec.usage.replace("<", "&lt;").replace(">", "&gt;") in help_text


async def test_subscribe_states_next_send_in_local_time(
    fake_telegram: FakeTelegram, app: App
) -> None:
    async with running(fake_telegram, app):
        text = await reply_to(fake_telegram, "/subscribe 08:30 America/New_York", 42, user_id=42)
        assert "Next digest: Monday 23 November 2026 at 08:30 your time." in text
        sub = files(app).get_subscriber("telegram", "42")
        assert sub is not None and (sub.time, sub.timezone) == ("08:30", "America/New_York")
        bad = await reply_to(fake_telegram, "/subscribe 25:99", 42, user_id=42)
        assert bad == (
            "Usage: /subscribe [HH:MM] [Area/City] [daily|weekly DAY] "
            "(HH:MM is a 24-hour time from 00:00 to 23:59)."
        )


async def test_plain_private_text_is_a_question_but_ignored_in_groups(
    fake_telegram: FakeTelegram, app: App
) -> None:
    async with running(fake_telegram, app):
        answer = await reply_to(fake_telegram, "Worthington", 42, user_id=42)
        assert "Probation Masterclass" in answer and "<b>Worthington</b>" in answer
        fake_telegram.inject_message("Worthington", chat_id=GROUP_ID, user_id=42)
        await reply_to(fake_telegram, "/latest 1", GROUP_ID, user_id=42)
        assert len(fake_telegram.sent(GROUP_ID)) == 1


async def test_group_settings_only_for_admins(fake_telegram: FakeTelegram, app: App) -> None:
    fake_telegram.set_admins(GROUP_ID, [ADMIN])
    async with running(fake_telegram, app):
        refused = await reply_to(fake_telegram, "/subscribe", GROUP_ID, user_id=MEMBER)
        assert refused == "Only this group's admins can change its subscription."
        assert files(app).get_subscriber("telegram", str(GROUP_ID)) is None
        ok = await reply_to(
            fake_telegram, f"/subscribe@{BOT_USERNAME} 07:00", GROUP_ID, user_id=ADMIN
        )
        assert ok.startswith("Subscribed.")
        anon = await reply_to(fake_telegram, "/posts 5", GROUP_ID, anonymous_admin=True)
        assert "5 posts" in anon
        fake_telegram.inject_message("/unsubscribe@other_bot", chat_id=GROUP_ID, user_id=ADMIN)
        fake_telegram.inject_message(
            "/unsubscribe", chat_id=GROUP_ID, user_id=ADMIN, forwarded_from=9
        )
        await reply_to(fake_telegram, "/settings", GROUP_ID, user_id=MEMBER)
        sub = files(app).get_subscriber("telegram", str(GROUP_ID))
        assert sub is not None and sub.active and sub.kind == "group"


async def test_inline_query_offers_shareable_summaries(
    fake_telegram: FakeTelegram, app: App
) -> None:
    async with running(fake_telegram, app):
        fake_telegram.inject_inline_query("Seetec")
        [call] = await fake_telegram.wait_for("answerInlineQuery")
        results = call.params["results"]
        assert 1 <= len(results) <= 50
        assert results[0]["title"] == "It's Definitely not Probation"
        content = results[0]["input_message_content"]
        assert content["parse_mode"] == "HTML" and "Top comments" in content["message_text"]
        fake_telegram.inject_inline_query("")
        [_, latest] = await fake_telegram.wait_for("answerInlineQuery", 2)
        assert [r["id"] for r in latest.params["results"]] == ["001", "000", "004", "003", "002"]


async def test_more_comments_button(fake_telegram: FakeTelegram, app: App) -> None:
    async with running(fake_telegram, app):
        fake_telegram.inject_callback_query("more:004:3", user_id=42)
        [answered] = await fake_telegram.wait_for("answerCallbackQuery")
        [message] = await fake_telegram.wait_for("sendMessage", chat_id=42)
        assert (message.text or "").count("<blockquote>") == 6
        fake_telegram.inject_callback_query("bogus:zzz", user_id=42)
        [_, expired] = await fake_telegram.wait_for("answerCallbackQuery", 2)
        assert expired.params["text"] == "That button has expired."
        assert answered.status == 200


async def test_removed_from_group_and_migration(fake_telegram: FakeTelegram, app: App) -> None:
    fake_telegram.set_admins(GROUP_ID, [ADMIN])
    async with running(fake_telegram, app):
        await reply_to(fake_telegram, "/subscribe", GROUP_ID, user_id=ADMIN)
        fake_telegram.inject_migration(GROUP_ID, -1009001)
        await reply_to(fake_telegram, "/latest 1", 42, user_id=42)
        moved = files(app).get_subscriber("telegram", "-1009001")
        assert moved is not None and moved.active
        assert files(app).get_subscriber("telegram", str(GROUP_ID)) is None
        fake_telegram.inject_my_chat_member(-1009001, new_status="kicked")
        await reply_to(fake_telegram, "/latest 1", 42, user_id=42)
        gone = files(app).get_subscriber("telegram", "-1009001")
        assert gone is not None and not gone.active


async def test_scheduled_digest_to_several_chats(
    fake_telegram: FakeTelegram, app: App, clock: FakeClock
) -> None:
    chats = [11, 12, 13, 14]
    async with running(fake_telegram, app) as runner:
        for chat in chats:
            await reply_to(fake_telegram, "/subscribe 07:00 Europe/London", chat, user_id=chat)
        fake_telegram.block(12)
        fake_telegram.fail("sendMessage", ApiError.flood(1), chat_id=13, times=1)
        clock.advance(hours=2)  # 08:00 London: everyone is due
        await runner.tick(clock())
        states = {d.chat_id: d.state for d in files(app).deliveries()}
        assert states == {"11": "sent", "12": "blocked", "13": "sent", "14": "sent"}
        blocked = files(app).get_subscriber("telegram", "12")
        assert blocked is not None and not blocked.active
        for chat in (11, 13, 14):
            first = fake_telegram.sent(chat)[1].text or ""  # [0] answered /subscribe
            assert first.startswith("<b>Daily digest, Monday 23 November 2026</b>")
        assert fake_telegram.errors(429) == 1 and fake_telegram.duplicates() == {}
        counts = {chat: len(fake_telegram.sent(chat)) for chat in chats}
        await runner.tick(clock.advance(minutes=5))  # nothing new is due: nothing is sent
        assert {chat: len(fake_telegram.sent(chat)) for chat in chats} == counts


async def test_timeout_after_sending_marks_unknown(
    fake_telegram: FakeTelegram, app: App, clock: FakeClock
) -> None:
    async with running(fake_telegram, app) as runner:
        await reply_to(fake_telegram, "/subscribe 07:00 Europe/London", 21, user_id=21)
        app.outbox.send_timeout = 0.3
        fake_telegram.delay_response(2.0, chat_id=21)
        await runner.tick(clock.advance(hours=2))
        [delivery] = files(app).deliveries(platform="telegram", chat_id="21")
        assert delivery.state == "unknown"
        await runner.tick(clock.advance(minutes=1))
        assert len(fake_telegram.calls_to("sendMessage")) == 2  # reported, never resent


async def test_a_digest_cut_short_by_429s_resumes_after_the_messages_that_arrived(
    fake_telegram: FakeTelegram, app: App, clock: FakeClock
) -> None:
    """The second message of a two-message digest meets 429s beyond the limiter's 3 retries:
    the first is recorded as delivered, the next run sends only the second."""
    async with running(fake_telegram, app) as runner:
        await reply_to(fake_telegram, "/subscribe 07:00 Europe/London", 21, user_id=21)
        await reply_to(fake_telegram, "/posts 5", 21, user_id=21)
        answers = len(fake_telegram.sent(21))
        fake_telegram.fail("sendMessage", ApiError.flood(1), chat_id=21, times=4, after=1)
        await runner.tick(clock.advance(hours=2))
        [delivery] = files(app).deliveries(platform="telegram", chat_id="21")
        assert (delivery.state, len(delivery.message_ids)) == ("pending", 1)
        await runner.tick(clock.advance(minutes=1))
        [delivery] = files(app).deliveries(platform="telegram", chat_id="21")
        assert (delivery.state, len(delivery.message_ids)) == ("sent", 2)
    digest = [c.text or "" for c in fake_telegram.sent(21)[answers:]]
    assert len(digest) == 2 and digest[0].startswith("<b>Daily digest")
    assert not fake_telegram.duplicates()
    delivered = fake_telegram.delivered[21][answers:]
    assert tuple(str(m["message_id"]) for m in delivered) == delivery.message_ids


async def test_token_never_logged(
    fake_telegram: FakeTelegram, app: App, caplog: pytest.LogCaptureFixture
) -> None:
    redact.uninstall()  # the front end must install the redaction itself
    caplog.set_level(logging.DEBUG)
    async with running(fake_telegram, app):
        fake_telegram.fail("sendMessage", ApiError.flood(1), times=1)
        await reply_to(fake_telegram, "/start", 42, user_id=42)
    logged = "\n".join(r.getMessage() + str(r.exc_info or "") for r in caplog.records)
    assert fake_telegram.token not in logged
    assert not TOKEN_RE.search(logged)


async def test_webhook_mode_with_secret(
    fake_telegram: FakeTelegram, tmp_path: Path, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"http://127.0.0.1:{port}/telegram"
    monkeypatch.setenv("DIGESTBOT_WEBHOOK_SECRET", "s3cret-Value_1")
    app = open_app(
        tmp_path, clock, base_url=fake_telegram.base_url, mode="webhook",
        webhook_port=port, webhook_url=url,
    )  # fmt: skip
    options = webhook_options(app)
    del options["allowed_updates"]
    frontend = TelegramFrontend(app, fake_telegram.token, webhook=options)
    try:
        async with serving(frontend):
            assert fake_telegram.webhook["secret"] == "s3cret-Value_1"
            fake_telegram.inject_message("/start", user_id=42)
            [reply] = await fake_telegram.wait_for("sendMessage", chat_id=42)
            assert (reply.text or "").startswith("Hello!")
            forged = {"update_id": 999, "message": fake_telegram.new_message(42, "/stats", None)}
            assert await post_webhook(url, forged, "wrong-secret") == 403
    finally:
        app.close()
