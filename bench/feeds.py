"""Feed ingestion benchmark: digestbot's feed sources next to feedparser + httpx, sequentially.

    .venv/bin/python bench/feeds.py                # 200 feeds x 50 entries x 3 comments each
    .venv/bin/python bench/feeds.py --feeds 20     # smaller (CI=true uses 20 x 10)

A loopback HTTP server (tests/fakes/feed_server.py, in its own process) serves N WordPress-shaped
RSS feeds of M entries each; every entry has a wfw:commentRss feed with C comments (one of
them a reply). Both sides fetch every feed and every comment feed and turn the HTML into text,
each in a fresh interpreter of its own:
- digestbot: ``Corpus.refresh`` over N ``[[corpus.feeds]]`` (concurrent aiohttp fetches, a big
  refresh parsed in worker processes, archives written atomically), then ``Corpus.load`` (the
  posts with comment trees), as the bot does;
- peer: one ``httpx.Client``, ``feedparser.parse`` on each body, BeautifulSoup ``get_text`` on
  each entry and comment, one feed after the other, results kept in memory (no archive).
Wall time is the whole ingest; CPU time the side's own threads and worker processes; memory
its resident set before and at the peak (and the parsing processes' peak, each).
Then a second refresh with nothing new: the requests it cost, counted by the server.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import multiprocessing as mp
import os
import resource
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any, cast

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import feedparser  # noqa: E402
import httpx  # noqa: E402
from aiohttp import web  # noqa: E402
from bs4 import BeautifulSoup  # noqa: E402

from tests.fakes.feed_server import FeedServer  # noqa: E402

NOW = datetime(2026, 11, 23, 6, 0, tzinfo=UTC)
PARA = (
    "<p>The allotment committee met on {day} and agreed, after some argument, that the water "
    "troughs would be cleaned before the spring sowing, and that plot {n} would be re-let.</p>"
)


def feed_xml(base: str, feed: int, entries: int, comments: int) -> str:
    items = []
    for e in range(entries):
        link = f"{base}/f{feed}/p{e}/"
        body = "".join(PARA.format(day=f"day {d}", n=e * 7 + d) for d in range(4))
        items.append(
            f"<item><title>Post {e} of feed {feed}</title><link>{link}</link>"
            f"<pubDate>Mon, {1 + e % 28:02d} Jan 2024 09:30:00 +0000</pubDate>"
            f'<guid isPermaLink="false">{base}/f{feed}/?p={e}</guid>'
            f"<content:encoded><![CDATA[{body}]]></content:encoded>"
            f"<wfw:commentRss>{link}feed/</wfw:commentRss>"
            f"<slash:comments>{comments}</slash:comments></item>"
        )
    return (
        '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0" '
        'xmlns:content="http://purl.org/rss/1.0/modules/content/" '
        'xmlns:wfw="http://wellformedweb.org/CommentAPI/" '
        'xmlns:slash="http://purl.org/rss/1.0/modules/slash/">'
        f"<channel><title>Feed {feed}</title><link>{base}/f{feed}/</link>{''.join(items)}"
        "</channel></rss>"
    )


def comments_xml(base: str, feed: int, entry: int, comments: int) -> str:
    items = []
    for c in range(comments):
        reply = (
            f'<p>In reply to <a href="{base}/f{feed}/p{entry}/#comment-0">A</a>.</p>' if c else ""
        )
        items.append(
            f"<item><title>By: reader {c}</title><link>{base}/f{feed}/p{entry}/#comment-{c}</link>"
            f"<dc:creator>reader {c}</dc:creator>"
            f"<pubDate>Tue, 02 Jan 2024 1{c % 10}:00:00 +0000</pubDate>"
            f'<guid isPermaLink="false">{base}/f{feed}/?p={entry}#comment-{c}</guid>'
            f"<content:encoded><![CDATA[{reply}<p>I agree about the troughs, "
            f"but plot {c} has been empty since the autumn.</p>]]></content:encoded></item>"
        )
    return (
        '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0" '
        'xmlns:content="http://purl.org/rss/1.0/modules/content/" '
        'xmlns:dc="http://purl.org/dc/elements/1.1/">'
        f"<channel><title>Comments</title>{''.join(items)}</channel></rss>"
    )


class StatsServer(FeedServer):
    """The fake feed server, plus ``/__stats`` (its request counts as JSON) and ``/__reset``."""

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        if request.path == "/__stats":
            counts = {"hits": self.hits, "conditional": self.conditional, "304": self.not_modified}
            return web.json_response({k: sum(v.values()) for k, v in counts.items()})
        if request.path == "/__reset":
            self.hits.clear()
            self.conditional.clear()
            self.not_modified.clear()
            return web.Response(text="ok")
        return await super()._handle(request)


def serve_forever(sizes: tuple[int, int, int], ready: Any) -> None:
    """The server process: publish the feeds, say the port, serve until killed."""

    async def run() -> None:
        async with StatsServer() as server:
            publish(server, *sizes)
            ready.put(server.port)
            await asyncio.Event().wait()

    asyncio.run(run())


class ServerProcess:
    """The loopback feed server in its own process: neither client shares a GIL with it."""

    def __init__(self, sizes: tuple[int, int, int]) -> None:
        self.ready: Any = mp.Queue()
        self.process = mp.Process(target=serve_forever, args=(sizes, self.ready), daemon=True)
        self.base = ""

    def __enter__(self) -> ServerProcess:
        self.process.start()
        self.base = f"http://127.0.0.1:{self.ready.get(timeout=300)}"
        return self

    def __exit__(self, *exc: object) -> None:
        self.process.terminate()
        self.process.join()

    def stats(self) -> dict[str, int]:
        return dict(httpx.get(self.base + "/__stats").json())

    def reset(self) -> None:
        httpx.get(self.base + "/__reset")


def publish(server: FeedServer, feeds: int, entries: int, comments: int) -> None:
    base = server.url("")
    for f in range(feeds):
        server.serve(f"/f{f}/feed/", feed_xml(base, f, entries, comments), "application/rss+xml")
        for e in range(entries):
            body = comments_xml(base, f, e, comments)
            server.serve(f"/f{f}/p{e}/feed/", body, "application/rss+xml")


class Measure:
    """Inside a side's own process: wall, CPU (its threads and its worker processes), peak RSS."""

    def __enter__(self) -> Measure:
        self.before = _rss()
        self.started, self.cpu = time.perf_counter(), _cpu()
        return self

    def __exit__(self, *exc: object) -> None:
        self.wall, self.cpu = time.perf_counter() - self.started, _cpu() - self.cpu
        self.rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KB on Linux
        self.workers_rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


def _rss() -> float:
    """This process's resident set now, MB."""
    with open("/proc/self/status", encoding="ascii") as status:
        line = next(x for x in status if x.startswith("VmRSS:"))
    return int(line.split()[1]) / 1024


def _cpu() -> float:
    me = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def peer(urls: list[str]) -> tuple[int, int]:
    """feedparser + httpx, one request after the other; HTML to text with BeautifulSoup."""
    kept: list[Any] = []
    comments = 0
    with httpx.Client(timeout=30) as client:
        for url in urls:
            parsed = feedparser.parse(client.get(url).content)
            for entry in parsed.entries:
                text = BeautifulSoup(entry.content[0].value, "html.parser").get_text(" ")
                thread = feedparser.parse(client.get(entry.wfw_commentrss).content)
                said = [
                    BeautifulSoup(c.content[0].value, "html.parser").get_text(" ")
                    for c in thread.entries
                ]
                comments += len(said)
                kept.append((entry.id, entry.title, text, said))
    return len(kept), comments


def ours(urls: list[str], data: Path, now: datetime, workers: int | None) -> tuple[int, int]:
    """digestbot's Corpus over one [[corpus.feeds]] per URL: refresh (fetch, parse, archive),
    then load (the posts with their comment trees), as the bot does."""
    from bot.config import Config, FeedConfig  # imported by side() before measuring
    from bot.corpus.sources import Corpus

    feeds = tuple(FeedConfig(url, name=f"feed{n}") for n, url in enumerate(urls))
    config = replace(Config(), data_dir=data, feeds=feeds, use_folder=False)
    corpus = replace(Corpus.from_config(config), workers=workers)
    asyncio.run(corpus.refresh(now))
    posts = corpus.load().posts
    return len(posts), sum(p.comment_count for p in posts)


Result = tuple[int, int, float, float, float, float, float]  # posts, comments, wall, CPU, RSS x3
OURS = ("bot.config", "bot.corpus.sources", "bot.corpus.entries")


def side(run: Callable[[], tuple[int, int]], modules: tuple[str, ...], out: Any) -> None:
    """A side's process: import what it uses, then run it, measured; send the result back."""
    for module in modules:
        importlib.import_module(module)
    with Measure() as m:
        posts, comments = run()
    out.put((posts, comments, m.wall, m.cpu, m.before, m.rss, m.workers_rss))


def in_process(run: Callable[[], tuple[int, int]], modules: tuple[str, ...] = ()) -> Result:
    """Run one side in a fresh interpreter: its memory, imports and library settings its own."""
    spawn = mp.get_context("spawn")
    out: Any = spawn.Queue()
    process = spawn.Process(target=side, args=(run, modules, out))
    process.start()
    result = out.get()
    process.join()
    return cast(Result, result)


def main() -> None:
    small = os.environ.get("CI") == "true"
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        epilog="example: .venv/bin/python bench/feeds.py --feeds 40 --entries 25 "
        "(the full 200 x 50 x 3 takes about two minutes on 2 cores)",
    )
    feeds, entries = (20, 10) if small else (200, 50)
    add = parser.add_argument
    add("--feeds", type=int, default=feeds, help=f"blogs served (default {feeds})")
    add("--entries", type=int, default=entries, help=f"entries per feed (default {entries})")
    add("--comments", type=int, default=3, help="comments per entry, one a reply (default 3)")
    add("--workers", type=int, help="parsing processes (default: one per core, at most 4)")
    args = parser.parse_args()
    sizes = (args.feeds, args.entries, args.comments)
    with ServerProcess(sizes) as server, tempfile.TemporaryDirectory() as tmp:
        urls = [f"{server.base}/f{f}/feed/" for f in range(args.feeds)]
        server.reset()
        p = in_process(partial(peer, urls))
        p_requests = server.stats()["hits"]
        server.reset()
        o = in_process(partial(ours, urls, Path(tmp), NOW, args.workers), OURS)
        o_requests = server.stats()["hits"]
        server.reset()
        later = NOW + timedelta(minutes=31)
        again = in_process(partial(ours, urls, Path(tmp), later, args.workers), OURS)
        quiet = server.stats()
    print(f"{args.feeds} feeds x {args.entries} entries x {args.comments} comments, loopback, "
          f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")  # fmt: skip
    print()
    print("| ingest | posts | comments | requests | wall s | CPU s | RSS MB before | peak RSS MB |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    workers = f" + {o[6]:.0f} per parsing process" if o[6] > 0 else ""
    print(f"| digestbot Corpus.refresh + load | {o[0]} | {o[1]} | {o_requests} "
          f"| {o[2]:.2f} | {o[3]:.2f} | {o[4]:.0f} | {o[5]:.0f}{workers} |")  # fmt: skip
    print(f"| feedparser + httpx, sequential (peer) | {p[0]} | {p[1]} "
          f"| {p_requests} | {p[2]:.2f} | {p[3]:.2f} | {p[4]:.0f} | {p[5]:.0f} |")  # fmt: skip
    print()
    print(f"refresh with nothing new: {quiet['hits']} requests for {args.feeds} feeds "
          f"({quiet['conditional']} conditional, {quiet['304']} answered 304), "
          f"{again[2]:.2f} s; same posts and comments: {again[:2] == o[:2]}")  # fmt: skip


if __name__ == "__main__":
    main()
