"""How fast the fake Slack server answers, and how exactly it enforces its rate limits.

    python -m tests.fakes.slack_capacity [--channels 2000] [--concurrency 50] [--seconds 5]

Prints one table: chat.postMessage calls per second the fake serves to slack_sdk's
AsyncWebClient with no limits (the ceiling for any benchmark run through it), then a greedy
client against ``--workspace`` messages/s (1/s per channel, burst 3): accepted messages per
second against the allowed rate, and 429s. A benchmark's measured rate is only meaningful
well below the first number.
"""

from __future__ import annotations

import argparse
import asyncio
import time

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from tests.fakes.slack_server import FakeSlack


async def _post_all(client: AsyncWebClient, channels: list[str], concurrency: int) -> None:
    queue: asyncio.Queue[str] = asyncio.Queue()
    for channel in channels:
        queue.put_nowait(channel)

    async def worker() -> None:
        while not queue.empty():
            channel = queue.get_nowait()
            try:
                await client.chat_postMessage(channel=channel, text=f"digest for {channel}")
            except SlackApiError as error:
                if error.response.status_code != 429:
                    raise

    await asyncio.gather(*(worker() for _ in range(concurrency)))


def _seed(slack: FakeSlack, count: int) -> list[str]:
    channels = [f"C{i:09d}" for i in range(count)]
    for channel in channels:
        slack.add_channel(channel, channel.lower())
    return channels


async def unlimited(channels: int, concurrency: int) -> float:
    async with FakeSlack() as slack:
        ids = _seed(slack, channels)
        client = AsyncWebClient(token=slack.bot_token, base_url=slack.base_url)
        started = time.perf_counter()
        await _post_all(client, ids, concurrency)
        elapsed = time.perf_counter() - started
        assert len(slack.messages) == channels
        return channels / elapsed


async def greedy(channels: int, concurrency: int, seconds: float, rate: float) -> tuple[float, int]:
    async with FakeSlack() as slack:
        ids = _seed(slack, channels)
        limits = slack.limit_rate(per_channel=1.0, channel_burst=3, workspace_per_second=rate)
        client = AsyncWebClient(token=slack.bot_token, base_url=slack.base_url)
        started = time.perf_counter()
        while time.perf_counter() - started < seconds:
            await _post_all(client, ids, concurrency)
        elapsed = time.perf_counter() - started
        return (len(slack.messages) - limits.workspace_burst) / elapsed, limits.total_refused


async def run(args: argparse.Namespace) -> None:
    served = await unlimited(args.channels, args.concurrency)
    accepted, refused = await greedy(args.channels, args.concurrency, args.seconds, args.workspace)
    print(f"{'measure':<44} {'value':>10}")
    print(f"{'unlimited chat.postMessage/s served':<44} {served:>10.0f}")
    print(f"{'greedy client: accepted/s after the burst':<44} {accepted:>10.1f}")
    print(f"{'allowed workspace rate/s':<44} {args.workspace:>10.1f}")
    print(f"{'429 answers':<44} {refused:>10d}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--channels", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--workspace", type=float, default=100.0, help="messages/s allowed")
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
