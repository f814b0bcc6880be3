"""Where feed documents are parsed (bot/corpus/parsing.py): threads for a small refresh, worker
processes once a refresh has many documents, the same entries either way; a parse error comes
back as itself, and a worker that dies leaves the rest of the refresh to threads."""

from __future__ import annotations

import multiprocessing
import os

import pytest

from bot.corpus.entries import ParseError, parse_comments, parse_feed
from bot.corpus.parsing import Parsing
from tests.feed_fixtures import DATA

DOCS = [
    (parse_feed, "wordpress.rss"),
    (parse_comments, "wordpress_comments.rss"),
    (parse_feed, "blogger_posts.atom"),
    (parse_comments, "blogger_comments.atom"),
]


async def test_worker_processes_give_the_entries_a_thread_gives() -> None:
    async with Parsing(after=len(DOCS), workers=2) as parsing:
        in_threads = [await parsing.run(f, (DATA / n).read_bytes(), "") for f, n in DOCS]
        assert not parsing.in_processes
        in_processes = [await parsing.run(f, (DATA / n).read_bytes(), "") for f, n in DOCS]
        assert parsing.in_processes
    assert not parsing.in_processes  # the pool lives for one refresh
    assert in_processes == in_threads
    assert sum(len(entries) for entries in in_threads) >= 8


async def test_one_worker_means_threads_however_many_documents() -> None:
    async with Parsing(after=0, workers=1) as parsing:
        await parsing.run(parse_feed, (DATA / "wordpress.rss").read_bytes(), "")
        assert not parsing.in_processes


async def test_a_parse_error_in_a_worker_comes_back_as_itself() -> None:
    html = b"<!DOCTYPE html><html><head><title>Down</title></head><body>x</body></html>"
    async with Parsing(after=0, workers=2) as parsing:
        with pytest.raises(ParseError, match=r"an HTML page, not a feed \('Down'\)"):
            await parsing.run(parse_feed, html, "text/html")
        assert parsing.in_processes


def die_in_a_worker(body: bytes, content_type: str) -> str:
    """Kills the worker process it runs in; in the test's own process it answers."""
    if multiprocessing.parent_process() is not None:
        os._exit(1)
    return "parsed in a thread"


async def test_a_worker_that_dies_leaves_the_rest_to_threads(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async with Parsing(after=0, workers=2) as parsing:
        assert await parsing.run(die_in_a_worker, b"", "") == "parsed in a thread"
        assert not parsing.in_processes
        assert await parsing.run(die_in_a_worker, b"", "") == "parsed in a thread"
    assert "a worker process died; parsing in threads from here on" in caplog.text
