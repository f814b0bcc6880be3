"""The real python-telegram-bot Application against the loopback Bot API server.

Proves the fake speaks the Bot API well enough for PTB in polling mode, delivers what users do
as Telegram does, and answers with Telegram's errors as PTB's exceptions. Webhook mode, the
token and the standalone process: test_fake_telegram_wire.py.
"""

from __future__ import annotations

import pytest
from telegram import (
    ChatMemberAdministrator,
    ChatMemberMember,
    ChatMemberOwner,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InlineQueryResultArticle,
    InputTextMessageContent,
    Update,
)
from telegram.error import BadRequest, ChatMigrated, Forbidden, RetryAfter, TimedOut
from telegram.ext import (
    CallbackQueryHandler,
    ChatMemberHandler,
    CommandHandler,
    ContextTypes,
    InlineQueryHandler,
    MessageHandler,
    filters,
)

from bot.chat.render import render_telegram_html, utf16_len
from bot.chat.reply import Heading, Paragraph, Quote, Reply, bold
from tests.fakes.ptb import Seen, build, polling, recorder, seconds
from tests.fakes.telegram_server import ApiError, FakeTelegram
from tests.fakes.telegram_updates import (
    ANONYMOUS_ADMIN_ID,
    BOT_USERNAME,
    chat,
    member_update,
    user,
)

pytestmark = pytest.mark.filterwarnings("ignore:.*retry_after.*:DeprecationWarning")


# ------------------------------------------------------------------ polling and updates


async def test_initialize_calls_get_me(fake_telegram: FakeTelegram) -> None:
    app = build(fake_telegram)
    async with app:
        assert app.bot.username == BOT_USERNAME
    assert [c.method for c in fake_telegram.calls] == ["getMe"]


async def test_start_command_reaches_handler_and_reply_is_recorded(
    fake_telegram: FakeTelegram,
) -> None:
    seen: Seen = []
    async with polling(fake_telegram, CommandHandler("start", recorder(seen, "Hi <b>you</b>"))):
        fake_telegram.inject_message("/start", user_id=42)
        [call] = await fake_telegram.wait_for("sendMessage")
    assert call.chat_id == 42 and call.text == "Hi <b>you</b>"
    assert call.params["parse_mode"] == "HTML"
    assert fake_telegram.delivered[42][0]["text"] == "Hi <b>you</b>"
    assert seen[0].effective_user is not None and seen[0].effective_user.id == 42
    assert fake_telegram.pending == []


async def test_group_commands_addressed_to_another_bot_are_ignored(
    fake_telegram: FakeTelegram,
) -> None:
    seen: Seen = []
    async with polling(fake_telegram, CommandHandler("digest", recorder(seen, "ok"))):
        fake_telegram.inject_message("/digest@other_bot", user_id=7, chat_id=-100500)
        fake_telegram.inject_message(f"/digest@{BOT_USERNAME} now", user_id=7, chat_id=-100500)
        await fake_telegram.wait_for("sendMessage")
    assert [u.effective_message.text for u in seen if u.effective_message] == [
        f"/digest@{BOT_USERNAME} now"
    ]
    assert seen[0].effective_chat is not None and seen[0].effective_chat.type == "supergroup"


async def test_anonymous_admin_channel_post_and_forward_arrive_as_telegram_sends_them(
    fake_telegram: FakeTelegram,
) -> None:
    seen: Seen = []
    async with polling(fake_telegram, MessageHandler(filters.ALL, recorder(seen))):
        fake_telegram.inject_message("/subscribe", chat_id=-100777, anonymous_admin=True)
        fake_telegram.inject_channel_post(-100888, "channel news")
        fake_telegram.inject_message("fwd", user_id=9, forwarded_from=10)
        await fake_telegram.wait_until(lambda: len(seen) == 3)
    anonymous, channel, forwarded = (u.effective_message for u in seen)
    assert anonymous is not None and anonymous.from_user is not None
    assert anonymous.from_user.id == ANONYMOUS_ADMIN_ID
    assert anonymous.sender_chat is not None and anonymous.sender_chat.id == -100777
    assert channel is not None and channel.chat.type == "channel" and channel.from_user is None
    assert forwarded is not None and forwarded.forward_origin is not None


async def test_removal_and_migration_updates(fake_telegram: FakeTelegram) -> None:
    seen: Seen = []
    handlers = (
        ChatMemberHandler(recorder(seen), ChatMemberHandler.MY_CHAT_MEMBER),
        MessageHandler(filters.StatusUpdate.MIGRATE, recorder(seen)),
    )
    async with polling(fake_telegram, *handlers) as app:
        fake_telegram.inject_my_chat_member(-300, new_status="kicked")
        fake_telegram.inject_migration(-555, -100555)
        await fake_telegram.wait_until(lambda: len(seen) == 3)
        with pytest.raises(ChatMigrated) as migrated:
            await app.bot.send_message(-555, "still there?")
        with pytest.raises(Forbidden, match="bot was kicked from the group chat"):
            await app.bot.send_message(-300, "still there?")
        fake_telegram.inject_my_chat_member(-300, old_status="left", new_status="member")
        await fake_telegram.wait_until(lambda: len(seen) == 4)
        await app.bot.send_message(-300, "back again")
    kicked = seen[0].my_chat_member
    assert kicked is not None and kicked.new_chat_member.status == "kicked"
    assert kicked.chat.id == -300
    assert [u.effective_message.migrate_to_chat_id for u in seen[1:2] if u.effective_message] == [
        -100555
    ]
    assert seen[2].effective_message is not None
    assert seen[2].effective_message.migrate_from_chat_id == -555
    assert migrated.value.new_chat_id == -100555


async def test_get_updates_honours_allowed_updates(fake_telegram: FakeTelegram) -> None:
    member = member_update(chat(-100), user(5), "member", "administrator")
    async with build(fake_telegram) as app:
        fake_telegram.inject_inline_query("x")
        fake_telegram.inject_message("hi")
        only_messages = await app.bot.get_updates(allowed_updates=["message"])
        fake_telegram.inject_update({"chat_member": member})
        fake_telegram.inject_inline_query("y")
        default = await app.bot.get_updates(offset=only_messages[-1].update_id + 1)
    assert [u.message.text for u in only_messages if u.message] == ["hi"]
    assert [u.inline_query.query for u in default if u.inline_query] == ["y"]
    assert len(default) == 1 and fake_telegram.pending == [default[0].to_dict()]


async def test_inline_query_is_answered(fake_telegram: FakeTelegram) -> None:
    async def answer(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.inline_query is not None
        content = InputTextMessageContent("<b>Post</b> 0", parse_mode="HTML")
        keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("More", callback_data="m:0")]])
        result = InlineQueryResultArticle("000", "Post 0", content, reply_markup=keyboard)
        await update.inline_query.answer([result], cache_time=0)

    async with polling(fake_telegram, InlineQueryHandler(answer)):
        query_id = fake_telegram.inject_inline_query("prison", user_id=42)
        [call] = await fake_telegram.wait_for("answerInlineQuery")
    assert call.status == 200 and call.params["inline_query_id"] == query_id
    [result] = call.params["results"]
    assert result["id"] == "000"
    assert result["input_message_content"]["message_text"] == "<b>Post</b> 0"
    assert call.buttons == [] and result["reply_markup"]["inline_keyboard"][0][0] == {
        "text": "More",
        "callback_data": "m:0",
    }


async def test_button_press_is_answered_and_message_edited(fake_telegram: FakeTelegram) -> None:
    async def pressed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        assert query is not None
        await query.answer("Loading")
        await query.edit_message_text(f"pressed {query.data}")

    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("More", callback_data="more:000:2")]])
    async with polling(fake_telegram, CallbackQueryHandler(pressed)) as app:
        await app.bot.send_message(42, "Digest", reply_markup=keyboard)
        [sent] = fake_telegram.delivered[42]
        assert sent["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == "more:000:2"
        query_id = fake_telegram.inject_callback_query("more:000:2", user_id=42, message_json=sent)
        await fake_telegram.wait_for("editMessageText")
    [answer] = fake_telegram.calls_to("answerCallbackQuery")
    assert answer.params == {"callback_query_id": query_id, "text": "Loading"}
    assert fake_telegram.delivered[42][0]["text"] == "pressed more:000:2"
    assert "reply_markup" not in fake_telegram.delivered[42][0]


# ------------------------------------------------------------------ errors as PTB sees them


async def test_scripted_errors_become_ptb_exceptions(fake_telegram: FakeTelegram) -> None:
    async with polling(fake_telegram) as app:
        fake_telegram.fail("sendMessage", ApiError.flood(7), chat_id=1)
        with pytest.raises(RetryAfter) as flood:
            await app.bot.send_message(1, "x")
        assert seconds(flood.value.retry_after) == 7
        await app.bot.send_message(1, "x")  # times=1: the next send goes through
        fake_telegram.block(2)
        for _ in range(2):
            with pytest.raises(Forbidden, match="bot was blocked by the user"):
                await app.bot.send_message(2, "x")
        fake_telegram.fail("*", ApiError.chat_not_found(), chat_id=3)
        with pytest.raises(BadRequest, match="Chat not found"):
            await app.bot.send_message(3, "x")
        fake_telegram.fail("sendMessage", ApiError.migrated(-1009), chat_id=-9)
        with pytest.raises(ChatMigrated) as migrated:
            await app.bot.send_message(-9, "x")
        assert migrated.value.new_chat_id == -1009
    assert fake_telegram.errors(429) == 1 and fake_telegram.errors(403) == 2
    assert [c.chat_id for c in fake_telegram.sent()] == [1]


async def test_sends_are_validated_like_telegram(fake_telegram: FakeTelegram) -> None:
    async with polling(fake_telegram) as app:
        await app.bot.send_message(1, "a" * 4096)
        with pytest.raises(BadRequest, match="Message is too long"):
            await app.bot.send_message(1, "a" * 4097)
        with pytest.raises(BadRequest, match="Message is too long"):
            await app.bot.send_message(1, "😀" * 2049)  # 2,049 characters, 4,098 UTF-16 units
        await app.bot.send_message(1, "<b>" + "&amp;" * 4096 + "</b>", parse_mode="HTML")
        with pytest.raises(BadRequest, match=r"(?i)can't parse entities: can't find end tag"):
            await app.bot.send_message(1, "<b>x", parse_mode="HTML")
        with pytest.raises(BadRequest, match=r'(?i)unsupported start tag "script"'):
            await app.bot.send_message(1, "<script>x</script>", parse_mode="HTML")
        await app.bot.send_message(1, "<script> is fine without parse mode")
        too_long = InlineKeyboardButton("x", callback_data="d" * 65)
        with pytest.raises(BadRequest, match=r"(?i)button_data_invalid"):
            await app.bot.send_message(1, "x", reply_markup=InlineKeyboardMarkup([[too_long]]))
        with pytest.raises(BadRequest, match=r"(?i)message text is empty"):
            await app.bot.send_message(1, "<b> </b>", parse_mode="HTML")
    assert [len(c.text or "") for c in fake_telegram.sent()] == [4096, 20487, 35]


async def test_rendered_replies_are_accepted(fake_telegram: FakeTelegram) -> None:
    hostile = "<b>&amp; javascript:alert(1) </i> 😀\u200f " * 600
    reply = Reply((Heading("<T>"), Paragraph.of(bold(hostile)), Quote(hostile, "[5.1] <x>")))
    messages = render_telegram_html(reply)
    async with polling(fake_telegram) as app:
        for message in messages:
            await app.bot.send_message(42, message.text, parse_mode=message.parse_mode)
    assert len(messages) >= utf16_len(reply.plain_text()) / 4096 > 8
    assert [c.status for c in fake_telegram.calls_to("sendMessage")] == [200] * len(messages)


async def test_rate_limit_mode_answers_429_beyond_telegram_limits(
    fake_telegram: FakeTelegram,
) -> None:
    now = [1000.0]
    fake_telegram.rate_limit = True
    fake_telegram.clock = lambda: now[0]
    async with polling(fake_telegram) as app:
        for chat_id in range(100, 130):
            await app.bot.send_message(chat_id, "hello")
        with pytest.raises(RetryAfter) as flood:
            await app.bot.send_message(200, "hello")
        assert seconds(flood.value.retry_after) == 1
        for _ in range(20):
            now[0] += 1.5
            await app.bot.send_message(-100999, "group")
        with pytest.raises(RetryAfter) as group_flood:
            await app.bot.send_message(-100999, "group")
        assert seconds(group_flood.value.retry_after) == 60 - 19 * 1.5 // 1
        await app.bot.send_message(-100998, "another group is fine")
    assert fake_telegram.errors(429) == 2
    assert fake_telegram.duplicates() == {(-100999, "group"): 20}


async def test_timeout_after_delivery(fake_telegram: FakeTelegram) -> None:
    fake_telegram.delay_response(2.0, chat_id=42)
    async with polling(fake_telegram) as app:
        with pytest.raises(TimedOut):
            await app.bot.send_message(42, "did it arrive?", read_timeout=0.2)
        await app.bot.send_message(42, "second")
    assert [m["text"] for m in fake_telegram.delivered[42]] == ["did it arrive?", "second"]


async def test_commands_menu_round_trip(fake_telegram: FakeTelegram) -> None:
    async with polling(fake_telegram) as app:
        await app.bot.set_my_commands([("start", "Start"), ("ask", "Ask a question")])
        assert [c.command for c in await app.bot.get_my_commands()] == ["start", "ask"]
        with pytest.raises(BadRequest, match=r"(?i)bot_command_invalid"):
            await app.bot.set_my_commands([("Bad-Name", "x")])
        await app.bot.delete_my_commands()
        assert await app.bot.get_my_commands() == ()


async def test_admin_model(fake_telegram: FakeTelegram) -> None:
    fake_telegram.set_admins(-100777, [5, 8], creator=4, anonymous=(8,))
    async with polling(fake_telegram) as app:
        admins = await app.bot.get_chat_administrators(-100777)
        member = await app.bot.get_chat_member(-100777, 6)
        admin = await app.bot.get_chat_member(-100777, 5)
        chat = await app.bot.get_chat(-100777)
        with pytest.raises(BadRequest, match=r"(?i)no administrators in the private chat"):
            await app.bot.get_chat_administrators(42)
    assert [(type(a), a.user.id, a.is_anonymous) for a in admins] == [
        (ChatMemberOwner, 4, False),
        (ChatMemberAdministrator, 5, False),
        (ChatMemberAdministrator, 8, True),
    ]
    assert isinstance(member, ChatMemberMember) and isinstance(admin, ChatMemberAdministrator)
    assert chat.type == "supergroup"
