"""Who may change a group's subscription, and every command answering over Telegram."""

from __future__ import annotations

import html
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.app import App
from bot.chat.handlers import build_commands
from tests.app_fixtures import FakeClock, files, open_app, running
from tests.fakes.telegram_server import FakeTelegram
from tests.fakes.telegram_updates import BOT_USERNAME

GROUP_ID, ADMIN, OWNER, MEMBER, BOT_ADMIN = -4100, 601, 602, 603, 604
CHANNEL_ID = -1007000


@pytest.fixture
def app(tmp_path: Path, fake_telegram: FakeTelegram) -> Iterator[App]:
    opened = open_app(tmp_path, FakeClock(), base_url=fake_telegram.base_url, admins=(BOT_ADMIN,))
    yield opened
    opened.close()


def subscribed(app: App, chat_id: int) -> bool:
    sub = files(app).get_subscriber("telegram", str(chat_id))
    return sub is not None and sub.active


# who sends "/subscribe" to the group, and whether the group ends up subscribed
MATRIX = [
    ("member", {"user_id": MEMBER}, False),
    ("admin", {"user_id": ADMIN}, True),
    ("owner", {"user_id": OWNER}, True),
    ("anonymous admin", {"anonymous_admin": True}, True),
    ("forwarded by an admin", {"user_id": ADMIN, "forwarded_from": MEMBER}, False),
    ("addressed to another bot", {"user_id": ADMIN, "text": "/subscribe@some_other_bot"}, False),
    ("addressed to this bot", {"user_id": ADMIN, "text": f"/subscribe@{BOT_USERNAME}"}, True),
]


@pytest.mark.parametrize(("who", "how", "allowed"), MATRIX, ids=[m[0] for m in MATRIX])
async def test_group_subscription_matrix(
    fake_telegram: FakeTelegram, app: App, who: str, how: dict[str, object], allowed: bool
) -> None:
    fake_telegram.set_admins(GROUP_ID, [ADMIN], creator=OWNER)
    kwargs = dict(how)
    text = str(kwargs.pop("text", "/subscribe"))
    async with running(fake_telegram, app):
        fake_telegram.inject_message(text, chat_id=GROUP_ID, **kwargs)  # type: ignore[arg-type]
        fake_telegram.inject_message("/latest 1", chat_id=GROUP_ID, user_id=MEMBER)
        await fake_telegram.wait_until(
            lambda: any("/post 001" in (c.text or "") for c in fake_telegram.sent(GROUP_ID))
        )
        assert subscribed(app, GROUP_ID) is allowed
        texts = [html.unescape(c.text or "") for c in fake_telegram.sent(GROUP_ID)]
        refused = "Only this group's admins can change its subscription."
        assert (refused in texts) is (who == "member")


async def test_channel_posts_count_as_admin(fake_telegram: FakeTelegram, app: App) -> None:
    async with running(fake_telegram, app):
        fake_telegram.inject_channel_post(CHANNEL_ID, "/subscribe 06:00 UTC")
        [reply] = await fake_telegram.wait_for("sendMessage", chat_id=CHANNEL_ID)
        assert (reply.text or "").startswith("Subscribed.")
        sub = files(app).get_subscriber("telegram", str(CHANNEL_ID))
        assert sub is not None and sub.kind == "channel"


async def test_button_press_by_a_non_admin_changes_nothing(
    fake_telegram: FakeTelegram, app: App
) -> None:
    fake_telegram.set_admins(GROUP_ID, [ADMIN])
    async with running(fake_telegram, app):
        fake_telegram.inject_message("/subscribe 07:00", chat_id=GROUP_ID, user_id=ADMIN)
        await fake_telegram.wait_for("sendMessage", chat_id=GROUP_ID)
        before = files(app).get_subscriber("telegram", str(GROUP_ID))
        on = fake_telegram.new_message(GROUP_ID, "digest", None)
        for data in ("more:001:3", "full:001", "subscribe:0:00", "unsubscribe"):
            fake_telegram.inject_callback_query(data, user_id=MEMBER, message_json=on)
        await fake_telegram.wait_for("answerCallbackQuery", 4)
        assert files(app).get_subscriber("telegram", str(GROUP_ID)) == before


async def test_stats_refused_to_strangers_and_logged(
    fake_telegram: FakeTelegram, app: App, caplog: pytest.LogCaptureFixture
) -> None:
    async with running(fake_telegram, app):
        fake_telegram.inject_message("/stats", user_id=MEMBER)
        [refused] = await fake_telegram.wait_for("sendMessage", chat_id=MEMBER)
        assert html.unescape(refused.text or "") == "Sorry, /stats is for the bot's administrators."
        fake_telegram.inject_message("/stats", user_id=BOT_ADMIN)
        [allowed] = await fake_telegram.wait_for("sendMessage", chat_id=BOT_ADMIN)
        assert (allowed.text or "").startswith("Posts: 5; indexed: 5.")
    assert f"refused /stats for telegram user {MEMBER}" in caplog.text


EXAMPLES = {
    "post": "/post 003",
    "ask": "/ask short sentences",
    "why": "/why 003",
    "time": "/time 09:00",
    "timezone": "/timezone Europe/Berlin",
    "topics": "/topics add prison",
    "posts": "/posts 2",
    "latest": "/latest 2",
}


@pytest.mark.parametrize("name", [spec.name for spec in build_commands()])
async def test_every_command_answers_over_telegram(
    fake_telegram: FakeTelegram, app: App, name: str
) -> None:
    user = BOT_ADMIN
    async with running(fake_telegram, app):
        fake_telegram.inject_message("/subscribe 08:00 Europe/London", user_id=user)
        await fake_telegram.wait_for("sendMessage", chat_id=user)
        fake_telegram.inject_message(EXAMPLES.get(name, f"/{name}"), user_id=user)
        await fake_telegram.wait_for("sendMessage", 2, chat_id=user)
        answers = fake_telegram.sent(user)[1:]
        assert answers and all(c.status == 200 for c in answers)
        assert "Sorry, something went wrong" not in (answers[0].text or "")
        assert not (answers[0].text or "").startswith("Usage:")
