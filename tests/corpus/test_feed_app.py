"""End to end on a feed corpus: the running app fetches the blog from a loopback server, its
posts go into digests and /ask answers, and a new entry is in the next digest."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from html import escape
from pathlib import Path

import pytest

from bot.app import App
from bot.chat.commands import parse
from bot.chat.render import render_telegram_html
from bot.chat.views import digest_reply
from bot.config import FeedConfig
from tests.app_fixtures import FakeClock
from tests.chat.test_commands import ME, USER
from tests.fakes.feed_server import FeedServer
from tests.fakes.sender import FakeSender
from tests.feed_fixtures import RSS, feed_config, fixture, serve_wordpress

NEW_ITEM = """<item><title>Leeks in the snow</title>
<link>BASE/2026/11/23/leeks/</link><pubDate>Mon, 23 Nov 2026 07:00:00 +0000</pubDate>
<guid isPermaLink="false">BASE/?p=50</guid>
<content:encoded><![CDATA[<p>The leeks stood through the snow; the parsnips did not.</p>]]>
</content:encoded>
<slash:comments>0</slash:comments></item>"""


@pytest.fixture
async def server() -> AsyncIterator[FeedServer]:
    async with FeedServer() as s:
        yield s


async def say(app: App, text: str) -> str:
    cmd = parse(text, ME, USER, bot_username="digest_bot")
    assert cmd is not None
    return (await app.dispatch(cmd)).plain_text()


async def test_feed_posts_in_digests_and_answers_and_a_new_entry_is_in_the_next_digest(
    tmp_path: Path, server: FeedServer
) -> None:
    clock = FakeClock()  # Monday 06:00 UTC
    config = feed_config(tmp_path, FeedConfig(serve_wordpress(server), name="garden"))
    app = App.open(config, clock=clock)
    sender = FakeSender(platform="console")
    app.add_sender(sender)
    try:
        assert app.posts == {}  # nothing fetched yet: the first tick fetches
        fetching = app.fetch_feeds(clock.now)
        assert fetching is not None
        await fetching
        change = app.refresh_if_changed()
        assert change is not None and len(change.added) == 2
        assert "Why the broad beans failed" in await say(app, "broad beans frost")
        await say(app, "/subscribe 08:00")
        await app.tick(clock.advance(hours=2))  # 08:00 London
        [(_, first)] = sender.arrived
        assert [item.title for item in first.items] == [
            "Why the broad beans failed",
            "Seed catalogues are here",
        ]
        html = "".join(m.text for m in render_telegram_html(digest_reply(first)))
        for item in first.items:  # each post links to the blog: "read the post"
            assert item.url and item.url.startswith(server.url(""))
            assert f'<a href="{escape(item.url)}">read the post</a>' in html

        body = fixture("wordpress.rss", server).decode()
        new_item = NEW_ITEM.replace("BASE", server.url(""))
        server.serve("/feed/", body.replace("<item>", new_item + "<item>", 1), RSS)
        fetching = app.fetch_feeds(clock.advance(hours=1))  # due again after 30 minutes
        assert fetching is not None
        await fetching
        await app.tick(clock.advance(minutes=1))  # loads the new post
        assert "Leeks in the snow" in await say(app, "leeks parsnips")
        await app.tick(clock.advance(days=1, hours=-1, minutes=-1))  # Tuesday 08:00
        assert [item.title for _, d in sender.arrived[1:] for item in d.items] == [
            "Leeks in the snow"
        ]
    finally:
        app.close()


async def test_stats_tells_admins_about_a_feed_failing_for_a_day(
    tmp_path: Path, server: FeedServer
) -> None:
    clock = FakeClock()
    server.status("/feed/", 500)
    config = feed_config(tmp_path, FeedConfig(server.url("/feed/"), name="garden"))
    app = App.open(replace(config, console_admins=(USER.id,)), clock=clock)
    try:
        await app.corpus.refresh(clock.now)  # fails: 06:00 Monday
        await app.corpus.refresh(clock.advance(hours=23))  # fails again, not a day yet
        assert "Feed 'garden'" not in await say(app, "/stats")
        await app.corpus.refresh(clock.advance(hours=2))  # 25 hours of failures
        stats = await say(app, "/stats")
        assert "Feed 'garden' failing for 1 day: HTTP 500 (internal server error)" in stats
    finally:
        app.close()
