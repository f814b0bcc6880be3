"""`digestbot corpus` on a feeds-only config: every source with its post count, last fetch and
last error; no corpus folder needed; the feed URL shown without its query (a key may be there)."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path

from tests.fakes.feed_server import FeedServer
from tests.feed_fixtures import RSS, fixture, serve_wordpress

ROOT = Path(__file__).resolve().parents[2]


async def digestbot(*argv: str) -> tuple[int, str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DIGESTBOT")}
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", *argv, cwd=ROOT, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await asyncio.wait_for(proc.communicate(), timeout=120)
    return proc.returncode or 0, out.decode(), err.decode()


async def test_corpus_lists_each_feed_with_posts_last_fetch_and_last_error(tmp_path: Path) -> None:
    async with FeedServer() as server:
        url = serve_wordpress(server)
        server.serve("/feed/?key=s3cret", fixture("wordpress.rss", server), RSS)  # private feed
        server.status("/broken", 500)
        config = tmp_path / "config.toml"
        config.write_text(
            f'[data]\nfolder = "data"\n'
            f'[[corpus.feeds]]\nurl = "{url}?key=s3cret"\nname = "garden"\n'
            f'[[corpus.feeds]]\nurl = "{server.url("/broken")}"\nname = "broken"\n'
        )
        code, out, err = await digestbot("--config", str(config), "corpus", "--sources", "--json")
    assert code == 0, err
    rows = {row["name"]: row for row in json.loads(out)}
    assert rows["garden"]["posts"] == 2 and rows["garden"]["last_error"] is None
    assert rows["garden"]["location"] == url  # no ?key=...
    assert rows["garden"]["last_fetch"] is not None
    assert rows["broken"]["posts"] == 0
    assert rows["broken"]["last_error"] == "HTTP 500 (internal server error)"
    assert "s3cret" not in out + err
    assert "digestbot: skipped feed 'broken': HTTP 500 (internal server error)" in err
