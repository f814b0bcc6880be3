"""Blog feeds as the corpus, fetched from a real HTTP server on 127.0.0.1 (tests/fakes/feed_server).

A post arrives with its comment tree; a refresh with nothing new is one conditional request per
feed; edits update a post, re-publishing is not news, an entry gone from the feed stays, and new
comments get the next refs so "new in the discussion" works.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.config import FeedConfig
from bot.corpus.archive import post_id
from bot.corpus.sources import Corpus
from summariser import Post
from tests.fakes.feed_server import FeedServer
from tests.feed_fixtures import (
    ATOM,
    BLOGGER_POST,
    RSS,
    feed_config,
    fixture,
    serve_blogger,
    serve_wordpress,
)

NOW = datetime(2026, 11, 23, 6, 0, tzinfo=UTC)
GATE = post_id(f"tag:blogger.com,1999:blog-7106574466046227734.post-{BLOGGER_POST}")


@pytest.fixture
async def server() -> AsyncIterator[FeedServer]:
    async with FeedServer() as s:
        yield s


def both(tmp_path: Path, server: FeedServer) -> Corpus:
    blogger = FeedConfig(serve_blogger(server), name="onprobation")
    wordpress = FeedConfig(serve_wordpress(server), name="garden")
    return Corpus.from_config(feed_config(tmp_path, blogger, wordpress))


def posts(corpus: Corpus) -> dict[str, Post]:
    return {p.id: p for p in corpus.load().posts}


async def test_blogger_and_wordpress_posts_arrive_with_their_comment_trees(
    tmp_path: Path, server: FeedServer
) -> None:
    corpus = both(tmp_path, server)
    await corpus.refresh(NOW)
    got = posts(corpus)
    assert sorted(p.title for p in got.values()) == [
        "News from the Institute",
        "Seed catalogues are here",
        "Through the Gate, Again",
        "Why the broad beans failed",
    ]
    gate = got[GATE]
    assert gate.url == server.url("/2016/06/through-gate-again.html")  # "read the post"
    assert gate.body[0].startswith("The resettlement promise was that every prisoner")
    assert len(gate.body) == 3  # <br /><br /> ends a paragraph
    tree = [(c.ref, c.author, [(r.ref, r.author) for r in c.replies]) for c in gate.comments]
    assert tree == [
        ("1", "Probation Officer", [("1.1", "Jim Brown")]),  # Blogger's related link: a reply
        ("2", "Anonymous", []),
    ]
    assert gate.comment("2") is not None
    assert gate.comment("2").text.split("\n\n") == [  # type: ignore[union-attr]
        "Our caseloads went from 40 to 70 in a year.",
        "Nobody asked how many hours a supervision takes.",
    ]
    institute = next(p for p in got.values() if p.title == "News from the Institute")
    assert "track()" not in institute.body_text  # scripts give no text
    assert "register & a code" in institute.body_text  # entities decoded
    beans = next(p for p in got.values() if p.title == "Why the broad beans failed")
    assert [(c.author, [r.author for r in c.replies]) for c in beans.comments] == [
        ("Bob", ["Alice"])  # WordPress "In reply to" nests the reply
    ]
    assert not beans.comment("1.1").text.startswith("In reply to")  # type: ignore[union-attr]
    [agent] = server.user_agents  # one polite User-Agent on every request
    assert agent.startswith("digestbot/")


async def test_a_refresh_with_nothing_new_is_one_conditional_request_per_feed(
    tmp_path: Path, server: FeedServer
) -> None:
    corpus = both(tmp_path, server)
    await corpus.refresh(NOW)
    signature = corpus.signature()
    server.hits.clear()
    await corpus.refresh(NOW + timedelta(minutes=10))  # not due yet (interval 30 min)
    assert sum(server.hits.values()) == 0
    await corpus.refresh(NOW + timedelta(minutes=31))
    assert dict(server.hits) == {"/feeds/posts/default": 1, "/feed/": 1}
    assert dict(server.not_modified) == {"/feeds/posts/default": 1, "/feed/": 1}
    assert corpus.signature() == signature  # nothing to reload


async def test_edits_republishing_removal_and_new_comments(
    tmp_path: Path, server: FeedServer
) -> None:
    feed = FeedConfig(serve_blogger(server), name="onprobation", interval=5)
    corpus = Corpus.from_config(feed_config(tmp_path, feed))
    await corpus.refresh(NOW)
    before = posts(corpus)
    posts_xml = fixture("blogger_posts.atom", server).decode()
    edited = (
        posts_xml.replace(
            "a leaflet and a phone number", "a leaflet, a phone number and a bus fare"
        )
        .replace("2016-06-14T08:05:00.000+01:00", "2026-11-20T08:05:00.000+00:00")  # re-published
        .replace("<thr:total>3</thr:total>", "<thr:total>4</thr:total>")
    )
    institute = edited.index("<entry><id>tag:blogger.com,1999:blog-7106574466046227734.post-27")
    server.serve("/feeds/posts/default", edited, ATOM)
    comments = fixture("blogger_comments.atom", server).decode()
    new = comments[comments.index("<entry>") : comments.index("</entry>") + 8]
    new = new.replace("6000000000000000003", "6000000000000000004").replace(
        "Leaflets are cheaper than people.", "A fourth voice, a day later."
    )
    server.serve(
        f"/feeds/{BLOGGER_POST}/comments/default",
        comments.replace("<entry>", new + "<entry>", 1),
        ATOM,
    )
    await corpus.refresh(NOW + timedelta(minutes=6))
    after = posts(corpus)
    assert set(after) == set(before)  # same ids: an edit is not a new post
    assert "a bus fare" in after[GATE].body_text  # the edit is in
    old_institute = next(p for p in before.values() if p.title == "News from the Institute")
    assert after[old_institute.id].date == old_institute.date  # re-published: same date
    assert [c.ref for c in after[GATE].walk_comments()] == ["1", "1.1", "1.2", "2"]
    reply = after[GATE].comment("1.2")
    assert reply is not None and reply.text.startswith("A fourth voice, a day later.")

    server.serve("/feeds/posts/default", edited[:institute] + "</feed>", ATOM)  # entry gone
    await corpus.refresh(NOW + timedelta(minutes=12))
    assert set(posts(corpus)) == set(before)  # still in the archive


async def test_a_feed_that_moved_is_followed_within_the_redirect_limit(
    tmp_path: Path, server: FeedServer
) -> None:
    serve_wordpress(server)
    server.redirect("/old-feed", "/feed/")
    corpus = Corpus.from_config(feed_config(tmp_path, FeedConfig(server.url("/old-feed"))))
    await corpus.refresh(NOW)
    assert len(posts(corpus)) == 2
    assert corpus.statuses()[0].name == "127.0.0.1"  # no name given: the host


async def test_gzip_is_asked_for_and_undone(tmp_path: Path, server: FeedServer) -> None:
    body = fixture("wordpress.rss", server)
    server.serve("/feed/", body, RSS)
    corpus = Corpus.from_config(feed_config(tmp_path, FeedConfig(server.url("/feed/"))))
    await corpus.refresh(NOW)
    assert len(posts(corpus)) == 2  # the fake server gzips when asked (it is asked)
