"""The platform-free command layer: every command, its usage line, and the group rules."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.app import App
from bot.chat.commands import (
    GROUP,
    PRIVATE,
    Chat,
    Command,
    CommandSet,
    User,
    parse,
)
from bot.chat.handlers import build_commands
from bot.chat.reply import Run
from bot.platforms.console.frontend import to_command
from tests.app_fixtures import FakeClock, open_app

ROOT = Path(__file__).resolve().parents[2]
ME = Chat("console", "c1", PRIVATE)
GROUP_CHAT = Chat("telegram", "-500", GROUP)
USER = User("u1", "Ann")


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def app(tmp_path: Path, clock: FakeClock) -> Iterator[App]:
    opened = open_app(tmp_path, clock, admins=(7,))
    yield opened
    opened.close()


async def say(app: App, text: str, chat: Chat = ME, user: User = USER) -> str:
    cmd = parse(text, chat, user, bot_username="digest_bot")
    assert cmd is not None, text
    return (await app.dispatch(cmd)).plain_text()


def test_parse_addresses_and_plain_text() -> None:
    assert parse("/Subscribe@digest_bot 08:00", ME, USER, bot_username="digest_bot") == Command(
        "subscribe", "08:00", ME, USER
    )
    assert parse("/subscribe@other_bot", GROUP_CHAT, USER, bot_username="digest_bot") is None
    assert parse("what about prisons?", ME, USER) == Command("ask", "what about prisons?", ME, USER)
    assert parse("what about prisons?", GROUP_CHAT, USER) is None
    typed = to_command("subscribe 08:00", build_commands())
    assert typed is not None and (typed.name, typed.args) == ("subscribe", "08:00")
    assert to_command("   ", build_commands()) is None


def test_help_lists_every_command_and_readme_agrees() -> None:
    commands = build_commands()
    text = commands.help_reply().plain_text()
    readme = (ROOT / "README.md").read_text(encoding="utf-8").replace("\\|", "|")
    for spec in commands:
        assert spec.usage in text
        assert f"`{spec.usage}`" in readme, f"README does not document {spec.usage}"


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("/subscribe 25:99", "Usage: /subscribe [HH:MM] [Area/City] [daily|weekly DAY]"),
        ("/subscribe 08:00 Mars/Olympus", "Unknown time zone 'Mars/Olympus'"),
        ("/subscribe tomorrow", "Usage: /subscribe"),
        ("/post", "Usage: /post ID"),
        ("/post 1 2", "Usage: /post ID"),
        ("/post 999", "unknown post id '999'"),
        ("/why", "Usage: /why ID"),
        ("/latest x", "Usage: /latest [N]"),
        ("/latest 99", "Usage: /latest [N]"),
        ("/ask", "Usage: /ask QUERY"),
        ("/frobnicate", "Unknown command /frobnicate. Send /help for the list."),
        ("/settings", "This chat has no subscription yet; send /subscribe first."),
        ("/time 08:00", "This chat has no subscription yet"),
        ("/digest", "This chat has no subscription yet"),
    ],
)
async def test_bad_arguments_get_one_line(app: App, line: str, expected: str) -> None:
    answer = await say(app, line)
    assert expected in answer
    assert "\n" not in answer


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("/time 7:05", "at 07:05 (Europe/London)"),
        ("/time 24:00", "Usage: /time HH:MM"),
        ("/timezone Asia/Kolkata", "(Asia/Kolkata)"),
        ("/timezone Nowhere/City", "Unknown time zone"),
        ("/posts 7", ", 7 posts,"),
        ("/posts 0", "Usage: /posts N"),
        ("/posts 21", "Usage: /posts N"),
        ("/topics set prison, short sentences", "topics: prison, short sentences."),
        ("/topics frob", "Usage: /topics [set A, B | add A | clear]"),
        ("/topics clear", "topics: all posts."),
        ("/subscribe weekly fri 18:00 UTC", "every Fri at 18:00 (UTC)"),
    ],
)
async def test_settings_commands(app: App, line: str, expected: str) -> None:
    await say(app, "/subscribe 08:00 Europe/London")
    assert expected in await say(app, line)


async def test_subscribe_reply_states_the_next_local_send(app: App, clock: FakeClock) -> None:
    answer = await say(app, "/subscribe 05:30 Australia/Sydney")
    # 06:00 UTC on 23 Nov 2026 is 17:00 in Sydney (AEDT): the next 05:30 is on the 24th
    assert "Next digest: Tuesday 24 November 2026 at 05:30 your time." in answer
    assert "topics: all posts" in answer


async def test_topics_add_keeps_order_and_dedups(app: App) -> None:
    await say(app, "/subscribe")
    await say(app, "/topics set prison")
    await say(app, "/topics add vetting, prison")
    assert await say(app, "/topics") == "Topics: prison, vetting."


async def test_unsubscribe_then_subscribe_again(app: App) -> None:
    assert await say(app, "/unsubscribe") == "This chat was not subscribed."
    await say(app, "/subscribe")
    assert (await say(app, "/unsubscribe")).startswith("Unsubscribed")
    assert "no subscription" in await say(app, "/settings")
    assert (await say(app, "/subscribe")).startswith("Subscribed.")


async def test_digest_without_sender_previews_then_why_explains(app: App) -> None:
    await say(app, "/subscribe 08:00 Europe/London")
    await say(app, "/posts 1")
    preview = await say(app, "/digest")
    assert preview.startswith("Daily digest, Monday 23 November 2026")
    assert "News From Probation Institute 6" in preview
    why_next = await say(app, "/why 001")
    assert why_next.startswith("“News From Probation Institute 6” (001) will be in the next digest")
    why_not = await say(app, "/why 002")
    assert "is not in the next digest: 1 newer or more discussed posts come first" in why_not
    await say(app, "/topics set seetec")
    assert "matches none of your topics (seetec)" in await say(app, "/why 002")


async def test_ask_answers_with_quotes_and_suggestions(app: App) -> None:
    answer = await say(app, "/ask Worthington")
    assert "Probation Masterclass" in answer and "Worthington" in answer
    nothing = await say(app, "/ask Worthingtn")
    assert nothing.startswith("Nothing in the posts or comments matches “Worthingtn”.")
    assert "Did you mean: worthington?" in nothing
    assert "characters long" in await say(app, "/ask " + "x" * 600)
    stop_words = await say(app, "/ask the and of")  # a helpful line, not a crash
    assert stop_words.startswith("Only common words (the, and, of)") and "\n" not in stop_words


async def test_post_and_latest(app: App) -> None:
    full = await say(app, "/post 004")
    assert full.startswith(
        "It's Definitely not Probation\n\n5 March 2016 · /post 004 · 49 comments"
    )
    assert full.count("\n— [") == 6
    latest = await say(app, "/latest 2")
    assert re.findall(r"/post (\d{3})", latest) == ["001", "000"]


async def test_group_changes_need_a_group_admin(app: App) -> None:
    member, admin = User("9", "Bob"), User("10", "Al", is_chat_admin=True)
    refused = await say(app, "/subscribe", GROUP_CHAT, member)
    assert refused == "Only this group's admins can change its subscription."
    assert (await say(app, "/subscribe", GROUP_CHAT, admin)).startswith("Subscribed.")
    for line in ("/time 09:00", "/timezone UTC", "/topics set x", "/posts 2", "/unsubscribe"):
        assert await say(app, line, GROUP_CHAT, member) == refused
    assert "every day at 08:00" in await say(app, "/settings", GROUP_CHAT, member)


async def test_stats_only_for_bot_admins(app: App, caplog: pytest.LogCaptureFixture) -> None:
    telegram_chat = Chat("telegram", "7", PRIVATE)
    refused = await say(app, "/stats", telegram_chat, User("8"))
    assert refused == "Sorry, /stats is for the bot's administrators."
    assert "refused /stats for telegram user 8" in caplog.text
    allowed = await say(app, "/stats", telegram_chat, User("7"))
    assert allowed.startswith("Posts: 5; indexed: 5.")


async def test_a_bug_in_a_handler_gets_an_apology_and_a_log(
    app: App, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(*args: object, **kw: object) -> object:
        raise RuntimeError("boom")

    monkeypatch.setattr(app, "latest", broken)
    answer = await say(app, "/latest")
    assert answer == "Sorry, something went wrong on our side. Please try again later."
    assert "command /latest failed" in caplog.text and "RuntimeError: boom" in caplog.text


async def test_a_post_dropped_into_seeds_is_picked_up_at_the_next_tick(
    app: App, tmp_path: Path, clock: FakeClock
) -> None:
    await say(app, "/subscribe 08:00 Europe/London")
    await say(app, "/posts 20")
    (tmp_path / "seeds" / "005_fresh.txt").write_text(
        "Monday, 23 November 2026\n\nZebra crossings and probation\n\n"
        "The zebra question came up again today.\n\n1 comments:\n\n  1. Zebras are great.\n",
        encoding="utf-8",
    )
    assert "Zebra" not in await say(app, "/latest 1")
    await app.tick(clock())
    assert "Zebra crossings and probation" in await say(app, "/latest 1")
    assert "Zebra crossings and probation" in await say(app, "/ask zebra")
    assert "Zebra crossings and probation" in await say(app, "/digest")
    (tmp_path / "seeds" / "005_fresh.txt").unlink()
    await app.tick(clock())
    assert "Zebra" not in await say(app, "/latest 1")
    assert "Nothing in the posts or comments matches" in await say(app, "/ask zebra")


async def test_buttons_run_commands_of_the_same_set(app: App) -> None:
    more = app.commands.press(Run("more", ("004", "3")), ME, USER)
    assert more is not None and (more.name, more.args, more.pressed) == ("more", "004 3", True)
    assert (await app.dispatch(more)).plain_text().count("\n— [") == 6
    full = app.commands.press(Run("post", ("004",)), ME, USER)
    assert full is not None
    assert await app.dispatch(full) == await app.dispatch(Command("post", "004", ME, USER))
    assert app.commands.press(Run("bogus", ("zzz",)), ME, USER) is None
    typed = await say(app, "/more 004 3")  # a button's command is not one a user can type
    assert typed == "Unknown command /more. Send /help for the list."
    assert "/more" not in app.commands.help_reply().plain_text()


@pytest.mark.parametrize("shown", ["²", "①", "٣", "x", ""])
async def test_a_forged_more_button_says_it_expired(app: App, shown: str) -> None:
    """A "More comments" press whose count is not ASCII digits (callback data can be forged)."""
    press = app.commands.press(Run("more", ("004", shown)), ME, USER)
    assert press is not None
    assert (await app.dispatch(press)).plain_text() == "That button has expired."


def test_a_command_name_declared_twice_is_refused() -> None:
    [spec, *_] = build_commands()
    with pytest.raises(ValueError, match="command /start is declared twice"):
        CommandSet([spec, spec])
