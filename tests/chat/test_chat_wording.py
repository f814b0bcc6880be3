"""What a chat user is told: in their terms, with the allowed range, never a shell command.

Through the real command layer, a real App (TinyDB store in tmp_path, the seed corpus) and, for
the full disk, a real full file system (a small tmpfs: root only, else the test skips).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from bot.app import App
from bot.chat.commands import PRIVATE, Chat, User, parse
from tests.app_fixtures import FakeClock, make_config, open_app
from tests.full_disk import Disk, small_disk

ME = Chat("console", "c1", PRIVATE)
ADMIN = User("console", "console")
OUT_OF_SPACE = (
    "Sorry, that was not saved: the bot has run out of disk space. Its administrator must "
    "free some; please try again later."
)


@pytest.fixture
def app(tmp_path: Path) -> Iterator[App]:
    opened = open_app(tmp_path, FakeClock())
    yield opened
    opened.close()


async def say(app: App, text: str) -> str:
    cmd = parse(text, ME, ADMIN)
    assert cmd is not None, text
    return (await app.dispatch(cmd)).plain_text()


@pytest.mark.parametrize("line", ["/post 999", "/why 999", "/read 999"])
async def test_an_unknown_post_id_in_chat_points_at_chat_commands(app: App, line: str) -> None:
    await say(app, "/subscribe 08:00 UTC")
    answer = await say(app, line)
    assert answer == (
        "unknown post id '999' (/latest shows the newest posts with their ids; /ask finds others)"
    )
    assert "digestbot" not in answer


async def test_an_unknown_command_is_not_echoed_whole(app: App) -> None:
    answer = await say(app, "/" + "x" * 5_000_000)
    assert answer.startswith("Unknown command /xxx")
    assert answer.endswith("…. Send /help for the list.")
    assert len(answer) < 100


async def test_topics_that_match_nothing_say_so(app: App) -> None:
    await say(app, "/subscribe 08:00 UTC")
    await say(app, "/topics set zebra, quagga")
    assert await say(app, "/digest") == (
        "No post matches your topics (zebra, quagga), so there is nothing to send. "
        "Change them with /topics set A, B or /topics clear."
    )
    await say(app, "/topics set probation")
    assert (await say(app, "/digest")).startswith("Daily digest")


@pytest.fixture
def disk(tmp_path: Path) -> Iterator[Disk]:
    with small_disk(tmp_path / "disk") as mounted:
        yield mounted


@pytest.mark.parametrize(
    "line", ["/subscribe 08:00 UTC", "/time 09:00", "/timezone Asia/Tokyo", "/posts 5",
             "/topics set prison", "/unsubscribe"]
)  # fmt: skip
async def test_a_setting_on_a_full_disk_says_the_disk_is_full(
    tmp_path: Path, disk: Disk, line: str
) -> None:
    config = replace(make_config(tmp_path), data_dir=disk.root / "data")
    app = App.open(config, clock=FakeClock())
    try:
        await say(app, "/subscribe 07:00 Europe/London")
        disk.fill()
        assert await say(app, line) == OUT_OF_SPACE
        disk.free()
        assert "at 07:00 (Europe/London)" in await say(app, "/settings")  # nothing half-saved
    finally:
        app.close()


async def test_stats_says_when_sending_is_paused_by_a_full_disk(tmp_path: Path, disk: Disk) -> None:
    config = replace(make_config(tmp_path), data_dir=disk.root / "data")
    clock = FakeClock()
    app = App.open(config, clock=clock)
    try:
        await say(app, "/subscribe 07:00 UTC")
        assert "Sending is paused" not in await say(app, "/stats")
        disk.fill()
        await app.outbox.tick(clock.advance(hours=2))  # 08:00 UTC: due, but nothing can be written
        stats = await say(app, "/stats")
        assert "Sending is paused: the disk holding the data folder is full." in stats
        disk.free()
        await app.outbox.tick(clock.advance(minutes=1))
        assert "Sending is paused" not in await say(app, "/stats")
    finally:
        app.close()


@pytest.mark.parametrize("gibberish", ["qwe", "wez", "wex"])
async def test_gibberish_is_never_offered_a_common_word(app: App, gibberish: str) -> None:
    answer = await say(app, f"/ask {gibberish}")
    assert answer.startswith(f"Nothing in the posts or comments matches “{gibberish}”.")
    assert "Did you mean: we" not in answer
    assert "Did you mean: worthington?" in await say(app, "/ask Worthingtn")
