"""Broken feeds: each one a clear message naming the feed, nothing lost, the others still load.

Served by a real HTTP server on 127.0.0.1: truncated XML, a wrong encoding, an HTML error page
with 200, 404, 500, a 50 MB body (streamed by the server, never stored), a redirect loop and a
server too slow to answer. Then the back-off, and the report after a day of failures.
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.config import FeedConfig
from bot.corpus.feeds import FeedSource
from bot.corpus.source import failing_lines
from bot.corpus.sources import Corpus
from tests.fakes.feed_server import FeedServer
from tests.feed_fixtures import RSS, feed_config, fixture, serve_blogger, serve_wordpress

NOW = datetime(2026, 11, 23, 6, 0, tzinfo=UTC)
HTML_PAGE = b"<!DOCTYPE html><html><head><title>Site under maintenance</title></head><body>x</body>"


@pytest.fixture
async def server() -> AsyncIterator[FeedServer]:
    async with FeedServer() as s:
        yield s


async def two_feeds(tmp_path: Path, server: FeedServer) -> Corpus:
    """'onprobation' (always fine) and 'garden', fetched once while it still works."""
    blogger = FeedConfig(serve_blogger(server), name="onprobation")
    garden = FeedConfig(serve_wordpress(server), name="garden", interval=5)
    corpus = Corpus.from_config(feed_config(tmp_path, blogger, garden))
    await corpus.refresh(NOW)
    assert len(corpus.load().posts) == 4
    return corpus


def truncated(server: FeedServer) -> None:
    server.serve("/feed/", fixture("wordpress.rss", server)[:1500], RSS)


def html_200(server: FeedServer) -> None:
    server.serve("/feed/", HTML_PAGE, "text/html")


BREAKAGES: dict[str, tuple[Callable[[FeedServer], None], str]] = {
    "truncated XML": (truncated, "not well-formed XML at line"),
    "HTML page with 200": (html_200, "an HTML page, not a feed ('Site under maintenance')"),
    "404": (lambda s: s.status("/feed/", 404, HTML_PAGE), "HTTP 404 (not found)"),
    "500": (lambda s: s.status("/feed/", 500), "HTTP 500 (internal server error)"),
    "50 MB body": (
        lambda s: s.huge("/feed/", 50 * 1024 * 1024),
        "more than 10 MB; stopped reading",
    ),
    "redirect loop": (lambda s: s.redirect("/feed/", "/feed/"), "redirected more than 5 times"),
    "slow server": (lambda s: s.slow("/feed/", 30), "no complete answer within 1 s"),
}


@pytest.mark.parametrize("case", list(BREAKAGES))
async def test_a_broken_feed_is_named_its_posts_kept_and_the_others_load(
    tmp_path: Path, server: FeedServer, case: str
) -> None:
    corpus = await two_feeds(tmp_path, server)
    break_it, expected = BREAKAGES[case]
    break_it(server)
    garden = corpus.sources[1]
    assert isinstance(garden, FeedSource)
    garden.deadline = 1.0  # the slow server answers after 30 s
    blogger_before = server.hits["/feeds/posts/default"]
    await corpus.refresh(NOW + timedelta(minutes=40))
    loaded = corpus.load()
    assert len(loaded.posts) == 4  # nothing lost, the other feed still there
    assert server.hits["/feeds/posts/default"] == blogger_before + 1  # and still fetched
    [problem] = loaded.problems
    assert problem.file == "feed 'garden'"
    assert expected in problem.message, problem.message
    assert problem.message.endswith("(its 2 posts read before are kept)")
    status = {s.name: s for s in corpus.statuses()}
    assert status["garden"].last_error is not None and expected in status["garden"].last_error
    assert status["onprobation"].last_error is None


async def test_a_wrongly_declared_encoding_still_reads_the_text(
    tmp_path: Path, server: FeedServer
) -> None:
    text = fixture("wordpress.rss", server).decode().replace("Seed catalogues", "Café catalogues")
    server.serve("/feed/", text.encode("latin-1"), RSS)  # says UTF-8, is Latin-1
    corpus = Corpus.from_config(feed_config(tmp_path, FeedConfig(server.url("/feed/"))))
    await corpus.refresh(NOW)
    loaded = corpus.load()
    assert "Café catalogues are here" in [p.title for p in loaded.posts]
    assert loaded.problems == ()


async def test_a_failing_feed_backs_off_then_is_reported_once_after_a_day(
    tmp_path: Path, server: FeedServer, caplog: pytest.LogCaptureFixture
) -> None:
    server.status("/feed/", 500)
    corpus = Corpus.from_config(feed_config(tmp_path, FeedConfig(server.url("/feed/"), "g")))
    tries = []
    minute = 0
    while minute <= 36 * 60:  # a day and a half, a tick every 10 minutes
        before = server.hits["/feed/"]
        await corpus.refresh(NOW + timedelta(minutes=minute))
        if server.hits["/feed/"] > before:
            tries.append(minute)
        minute += 10
    gaps = [b - a for a, b in itertools.pairwise(tries)]
    assert gaps[:5] == [30, 60, 120, 240, 480]  # exponential back-off from the interval
    assert max(gaps) == 720  # capped at 12 hours
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert warnings[0].startswith("feed 'g' (http://127.0.0.1:")
    assert "has failed for a day: HTTP 500 (internal server error)" in warnings[0]
    lines = failing_lines(corpus.statuses(), NOW + timedelta(hours=36))
    assert lines == ["Feed 'g' failing for 1 day: HTTP 500 (internal server error) "
                     "(retrying; its posts are kept)."]  # fmt: skip
    assert failing_lines(corpus.statuses(), NOW + timedelta(hours=1)) == []  # not a day yet
