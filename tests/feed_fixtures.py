"""Feed fixtures served by the loopback FeedServer: the files in tests/data/feeds, with BASE
replaced by the server's address, at the paths a Blogger or WordPress blog serves them."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from bot.config import Config, FeedConfig
from tests.fakes.feed_server import FeedServer

DATA = Path(__file__).resolve().parent / "data" / "feeds"
BLOGGER_POST = "3141592653589793238"


def fixture(name: str, server: FeedServer) -> bytes:
    return (DATA / name).read_bytes().replace(b"BASE", server.url("").encode())


def serve_blogger(server: FeedServer) -> str:
    """A Blogger blog: the posts feed and each post's comments feed. Returns the feed URL."""
    server.serve("/feeds/posts/default", fixture("blogger_posts.atom", server), ATOM)
    server.serve(
        f"/feeds/{BLOGGER_POST}/comments/default", fixture("blogger_comments.atom", server), ATOM
    )
    server.serve("/feeds/2718281828459045235/comments/default", EMPTY_ATOM, ATOM)
    return server.url("/feeds/posts/default")


def serve_wordpress(server: FeedServer) -> str:
    server.serve("/feed/", fixture("wordpress.rss", server), RSS)
    server.serve(
        "/2024/01/15/why-the-broad-beans-failed/feed/",
        fixture("wordpress_comments.rss", server),
        RSS,
    )
    server.serve("/2024/01/10/seed-catalogues/feed/", EMPTY_RSS, RSS)
    return server.url("/feed/")


def feed_config(tmp_path: Path, *feeds: FeedConfig) -> Config:
    return replace(Config(), data_dir=tmp_path / "data", feeds=feeds, use_folder=False)


ATOM = "application/atom+xml; charset=UTF-8"
RSS = "application/rss+xml; charset=UTF-8"
EMPTY_ATOM = (
    "<?xml version='1.0' encoding='UTF-8'?><feed xmlns='http://www.w3.org/2005/Atom'>"
    "<id>tag:x</id><title>Comments</title></feed>"
)
EMPTY_RSS = (
    '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>Comments</title>'
    "</channel></rss>"
)
