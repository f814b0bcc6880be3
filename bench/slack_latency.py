"""/digestbot ask with 50 users at once: how fast Slack gets its ack, and the answer.

    .venv/bin/python bench/slack_latency.py            # 50 users x 5 rounds
    .venv/bin/python bench/slack_latency.py --users 20 --rounds 3

The bot is the real Slack front end (bolt AsyncApp over Socket Mode, the App with a copy of
seeds/ in a temporary folder) against the loopback Slack server in the same process. Each
round, every user sends ``/digestbot ask WORD`` at the same moment; "acked" is from the push
to the envelope's ack, "answered" to the answer's arrival (digestbot: its response_url post).

Peer (same run): a bolt listener that computes the same answer first and puts it in the ack
(bolt's answer-in-the-ack style): its ack is its answer, so Slack waits for the whole search.

Targets: acked p99 < 500 ms, answered p99 < 1 s.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import shutil
import statistics
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from _util import table  # noqa: E402
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler  # noqa: E402
from slack_bolt.async_app import AsyncApp  # noqa: E402

from bot.app import App  # noqa: E402
from bot.chat.commands import User  # noqa: E402
from bot.config import Config, SlackConfig, SlackSecrets  # noqa: E402
from bot.platforms.slack.blocks import render_blocks  # noqa: E402
from bot.platforms.slack.events import chat_of, command_from_text, team_of  # noqa: E402
from bot.platforms.slack.frontend import SlackFrontend, run_command  # noqa: E402
from bot.platforms.slack.serve import SlackService, build, web_client  # noqa: E402
from bot.runner import Runner  # noqa: E402
from tests.fakes.slack_server import FakeSlack  # noqa: E402

WORDS = ("prison", "probation", "court", "officer", "hearing", "training", "report", "staff")


def open_app(folder: Path, base_url: str) -> App:
    shutil.copytree(ROOT / "seeds", folder / "seeds")
    config = replace(Config(), corpus_dir=folder / "seeds", data_dir=folder / "data",
                     slack=replace(SlackConfig(), base_url=base_url))  # fmt: skip
    return App.open(config)


def peer_app(frontend: SlackFrontend, slack: FakeSlack) -> AsyncApp:
    bolt = AsyncApp(client=web_client(slack.base_url, slack.bot_token), signing_secret="x" * 8,
                    request_verification_enabled=False)  # fmt: skip

    @bolt.command("/digestbot")
    async def answer_in_ack(ack: Any, command: dict[str, Any], client: Any) -> None:
        chat = chat_of(team_of(command), command["channel_id"], command.get("channel_name", ""))
        user = User(command["user_id"])
        cmd = command_from_text(frontend.app.commands, command["text"], chat, user, slash=True)
        assert cmd is not None
        reply = await run_command(frontend, client, cmd)
        first = render_blocks(reply)[0]
        await ack(text=first.text, blocks=first.blocks)

    return bolt


async def one(slack: FakeSlack, user: str, word: str, peer: bool) -> tuple[float, float]:
    started = time.perf_counter()
    payload = slack.slash_command(f"ask {word}", user=user, channel=user)
    envelope = await slack.socket.push("slash_commands", payload)
    await slack.socket.wait_ack(envelope, timeout=30)
    acked = time.perf_counter() - started
    if peer:
        return acked, acked
    url = payload["response_url"]
    await slack.wait_until(lambda: any(post.url == url for post in slack.responses), 30)
    return acked, time.perf_counter() - started


async def measure(users: int, rounds: int, peer: bool) -> tuple[list[float], list[float]]:
    async with FakeSlack() as slack:
        ids = [f"U0BENCH{n:04d}" for n in range(users)]
        for uid in ids:
            slack.add_user(uid, uid.lower())
        with tempfile.TemporaryDirectory() as folder:
            app = open_app(Path(folder), slack.base_url)
            secrets = SlackSecrets(slack.bot_token, slack.app_token, "")
            service = SlackService(build(app, secrets), secrets)
            acks: list[float] = []
            answers: list[float] = []
            try:
                async with Runner(app, [service]).serving(scheduled=False):
                    handler = None
                    if peer:
                        await service.socket.close_async()  # type: ignore[union-attr]
                        service.socket = None
                        handler = AsyncSocketModeHandler(peer_app(service.frontend, slack),
                                                         slack.app_token)  # fmt: skip
                        await handler.connect_async()
                    await slack.socket.wait_connected()
                    for r in range(rounds):
                        results = await asyncio.gather(*(
                            one(slack, uid, WORDS[(r + i) % len(WORDS)], peer)
                            for i, uid in enumerate(ids)
                        ))  # fmt: skip
                        acks += [a for a, _ in results]
                        answers += [b for _, b in results]
                    if handler is not None:
                        await handler.close_async()
            finally:
                app.close()
    return acks, answers


def p(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return 1000 * ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--users", type=int, default=50, help="users at once (default 50)")
    parser.add_argument("--rounds", type=int, default=5, help="rounds (default 5)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.ERROR)
    rows = []
    for name, peer in (("digestbot (ack, then respond)", False), ("answer in the ack", True)):
        acks, answers = asyncio.run(measure(args.users, args.rounds, peer))
        rows.append((name, len(acks), f"{p(acks, 0.5):.0f}", f"{p(acks, 0.99):.0f}",
                     f"{p(answers, 0.5):.0f}", f"{p(answers, 0.99):.0f}",
                     f"{1000 * statistics.fmean(answers):.0f}"))  # fmt: skip
    headers = ("listener", "asks", "acked p50 ms", "acked p99 ms", "answered p50 ms",
               "answered p99 ms", "answered mean ms")  # fmt: skip
    print(table(headers, rows))
    print(f"\n{args.users} users at once, {args.rounds} rounds; targets: acked p99 < 500 ms,"
          " answered p99 < 1000 ms")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
