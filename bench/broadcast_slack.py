"""A digest broadcast to Slack channels and DMs through a loopback Slack server that enforces
Slack's chat.postMessage limits.

    .venv/bin/python bench/broadcast.py --platform slack            # 2,000 conversations
    .venv/bin/python bench/broadcast.py --platform slack --quick    # 200
    .venv/bin/python bench/broadcast_slack.py --channels 500 --workspace 30

The server is ``tests.fakes.slack_server.FakeSlack`` on its own event loop in a thread: 1
message per second per channel (burst 3) and ``--workspace`` messages per second for the whole
workspace (burst = that rate); beyond them it answers 429 with Retry-After. One conversation in
ten gets a big digest (a header message plus one thread reply per post, 4 messages), the others
one message, so the per-channel limit binds too.

Rows (same digests, same concurrency of 50 sends at a time, as the outbox's max_in_flight):
- ``digestbot``: bot.platforms.slack.send.SlackSender with its per-channel and workspace pacers;
- ``slack_sdk retry``: AsyncWebClient with slack_sdk's AsyncRateLimitErrorRetryHandler (it
  sleeps Retry-After inside the call and tries again), no pacing.

429s after warm-up counts those after the first 2 s. The target: 0 of them, 0 duplicates,
0 misses, msg/s within 5 % of the allowed rate.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
import time
from dataclasses import dataclass
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from _util import table  # noqa: E402
from slack_sdk.http_retry.builtin_async_handlers import (  # noqa: E402
    AsyncRateLimitErrorRetryHandler,
)
from slack_sdk.web.async_client import AsyncWebClient  # noqa: E402

from bot.delivery.sender import Sent  # noqa: E402
from bot.domain.digest import Digest, DigestItem  # noqa: E402
from bot.platforms.slack.pacing import SlackPacing  # noqa: E402
from bot.platforms.slack.send import SlackSender, digest_messages  # noqa: E402
from summariser import Quote, load_folder, summarise_post  # noqa: E402
from tests.fakes.slack_server import FakeSlack  # noqa: E402
from tests.fakes.slack_standalone import FakeSlackThread  # noqa: E402
from tests.fakes.slack_state import TEAM_ID  # noqa: E402

WARM_UP = 2.0
IN_FLIGHT = 50
BIG_EVERY = 10


@dataclass
class Result:
    name: str
    conversations: int
    messages: int
    seconds: float
    refused: int
    refused_late: int
    duplicates: int
    misses: int
    allowed: float

    def row(self) -> tuple[object, ...]:
        rate = self.messages / self.seconds if self.seconds else 0.0
        return (self.name, self.conversations, self.messages, f"{self.seconds:.1f}",
                f"{rate:.1f}", f"{self.allowed:.1f}", f"{100 * rate / self.allowed:.1f}",
                self.refused, self.refused_late, self.duplicates, self.misses)  # fmt: skip


def digests(count: int) -> list[Digest]:
    posts = load_folder(ROOT / "seeds").posts
    items = []
    for post in posts[:3]:
        summary = summarise_post(post)
        long = tuple(Quote(f"{i}", "Ann", "The hearing was moved again. " * 30) for i in range(25))
        items.append((post, summary, long))
    out = []
    for n in range(count):
        big = n % BIG_EVERY == 0
        chosen = items if big else items[:1]
        digest_items = tuple(
            DigestItem(
                p.id,
                p.id[:3],
                p.title,
                p.date,
                "new",
                "new",
                s.body,
                long if big else s.comments,
                p.comment_count,
                (),
                (),
            )
            for p, s, long in chosen
        )
        channel = f"D{n:08d}" if n % 2 else f"C{n:08d}"
        out.append(Digest("slack", f"{TEAM_ID}:{channel}", "2026-11-23", "daily",
                          f"Daily digest {n}", date(2026, 11, 23), digest_items))  # fmt: skip
    return out


def make_server(count: int, workspace: float) -> FakeSlack:
    server = FakeSlack()
    for n in range(count):
        channel = f"D{n:08d}" if n % 2 else f"C{n:08d}"
        server.add_channel(channel, f"conv{n}")
    server.limit_rate(per_channel=1.0, channel_burst=3, workspace_per_second=workspace,
                      workspace_burst=int(workspace))  # fmt: skip
    return server


async def run_digestbot(base_url: str, token: str, items: list[Digest], workspace: float) -> None:
    client = AsyncWebClient(token=token, base_url=base_url, retry_handlers=[])

    async def client_for(team: str) -> AsyncWebClient:
        return client

    sender = SlackSender(client_for, SlackPacing(workspace_per_second=workspace))
    gate = asyncio.Semaphore(IN_FLIGHT)

    async def one(digest: Digest) -> None:
        async with gate:
            outcome = await sender.send(digest.chat_id, digest)
            if not isinstance(outcome, Sent):
                logging.warning("%s: %s", digest.chat_id, outcome)

    await asyncio.gather(*(one(d) for d in items))


async def run_peer(base_url: str, token: str, items: list[Digest]) -> None:
    handler = AsyncRateLimitErrorRetryHandler(max_retry_count=100)
    client = AsyncWebClient(token=token, base_url=base_url, retry_handlers=[handler])
    gate = asyncio.Semaphore(IN_FLIGHT)

    async def one(digest: Digest) -> None:
        channel = digest.chat_id.partition(":")[2]
        messages, threaded = digest_messages(digest)
        async with gate:
            first = None
            for message in messages:
                answer = await client.chat_postMessage(
                    channel=channel, text=message.text, blocks=message.blocks,
                    thread_ts=first if threaded else None,
                )  # fmt: skip
                first = first or str(answer["ts"])

    await asyncio.gather(*(one(d) for d in items))


def measure(name: str, count: int, workspace: float) -> Result:
    items = digests(count)
    expected = {d.chat_id.partition(":")[2]: len(digest_messages(d)[0]) for d in items}
    thread = FakeSlackThread(make_server(count, workspace))
    with thread as server:
        started = time.monotonic()
        if name == "digestbot":
            asyncio.run(run_digestbot(server.base_url, server.bot_token, items, workspace))
        else:
            asyncio.run(run_peer(server.base_url, server.bot_token, items))
        seconds = time.monotonic() - started

        def tally() -> tuple[int, int, int, int, int]:
            refused = [c for c in server.calls if c.error == "ratelimited"]
            first = server.calls[0].time if server.calls else 0.0
            late = sum(1 for c in refused if c.time - first > WARM_UP)
            got: dict[str, int] = {}
            for m in server.messages:
                got[m.channel] = got.get(m.channel, 0) + 1
            misses = sum(max(0, n - got.get(c, 0)) for c, n in expected.items())
            dups = sum(n - 1 for n in server.duplicates().values())
            return len(server.messages), len(refused), late, dups, misses

        messages, refused, late, dups, misses = thread.call(tally)
    allowed = min(workspace, float(count))
    return Result(name, count, messages, seconds, refused, late, dups, misses, allowed)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--channels", type=int, default=2000, help="conversations (default 2,000)")
    parser.add_argument("--quick", action="store_true", help="200 conversations")
    parser.add_argument("--workspace", type=float, default=50.0, help="messages/s (default 50)")
    parser.add_argument("--no-peer", action="store_true", help="skip slack_sdk's retry handler")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.ERROR)
    count = 200 if args.quick else args.channels
    names = ["digestbot"] + ([] if args.no_peer else ["slack_sdk retry"])
    results = [measure(name, count, args.workspace) for name in names]
    headers = ("sender", "convs", "msgs", "s", "msg/s", "allowed/s", "% of allowed",
               "429s", "429s after warm-up", "duplicates", "misses")  # fmt: skip
    print(table(headers, [r.row() for r in results]))
    print(f"\nserver: 1 msg/s per channel (burst 3), {args.workspace:g} msg/s per workspace;"
          f" {IN_FLIGHT} sends in flight; warm-up {WARM_UP:g} s")  # fmt: skip
    print("target: 0 429s after warm-up, 0 duplicates, 0 misses, within 5 % of allowed/s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
