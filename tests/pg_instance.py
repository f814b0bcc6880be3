"""One bot instance's send loop on the PostgreSQL store, as its own process.

    python -m tests.pg_instance --base-url URL --owner NAME [--lease 3] [--in-flight 8]
        [--plan N] [--parts 2] [--stop-after M] [--local-pacing]

The database URL is read from DIGESTBOT_DATABASE_URL, the bot token from
DIGESTBOT_TELEGRAM_TOKEN. What each instance does is what the outbox does with a shared store,
step by step: plan the broadcast (``--plan N``: N chats, all instances plan the same ones, so
each digest is planned once), then claim pending deliveries with a lease, send each digest's
``--parts`` messages through the real python-telegram-bot with the shared rate limiter
(:class:`bot.platforms.telegram.pacing.SharedPacer` in the database), record each message as
it goes out, and finish. A delivery whose lease ran out (its instance was killed) is claimed
by another instance and resumed after its last recorded message. It exits 0 when nothing is
left pending; it prints ``sent N`` (digests it finished) and ``dropped N`` (shared turns it
woke too late for and left unused) on stdout.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
from datetime import UTC, datetime, timedelta

from telegram.ext import ExtBot

from bot import redact
from bot.domain.records import Delivery, DeliveryItem, Run
from bot.platforms.telegram.frontend import rate_limiter
from bot.store.postgres.store import PostgresStore

NOW = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
SLOT = "2026-11-23"


def broadcast(chats: int) -> list[Delivery]:
    items = (DeliveryItem("000_post", "new", ("1",)),)
    return [
        Delivery(
            Delivery.make_id("telegram", str(n), SLOT),
            "telegram",
            str(n),
            SLOT,
            "Digest",
            items,
            "pending",
            NOW,
            NOW,
            "broadcast",
        )
        for n in range(1, chats + 1)
    ]


class Instance:
    def __init__(self, store: PostgresStore, bot: ExtBot[None], args: argparse.Namespace):
        self.store, self.bot, self.args = store, bot, args
        self.lease = timedelta(seconds=args.lease)
        self.sent = 0

    def now(self) -> datetime:
        return datetime.now(UTC)

    async def deliver(self, delivery: Delivery) -> None:
        done = list(delivery.message_ids)
        for part in range(len(done), self.args.parts):
            message = await self.bot.send_message(int(delivery.chat_id), f"{delivery.id} #{part}")
            done.append(str(message.message_id))
            await self.store.record_progress(delivery.id, owner=self.args.owner,
                                             message_ids=done, now=self.now(),
                                             lease=self.lease)  # fmt: skip
        await self.store.finish(delivery.id, owner=self.args.owner, state="sent",
                                now=self.now(), message_ids=done, attempts=1)  # fmt: skip
        self.sent += 1
        if self.args.stop_after and self.sent >= self.args.stop_after:
            os.kill(os.getpid(), 9)  # a crash at a chosen point: requests may be in flight

    async def run(self) -> None:
        if self.args.plan:
            await self.store.plan(Run(f"plan-{self.args.owner}", NOW), broadcast(self.args.plan))
        queue: asyncio.Queue[Delivery] = asyncio.Queue()

        async def worker() -> None:
            while True:
                await self.deliver(await queue.get())
                queue.task_done()

        workers = [asyncio.create_task(worker()) for _ in range(self.args.in_flight)]
        try:
            while await self._pending():
                claimed = await self.store.claim(owner=self.args.owner, now=self.now(),
                                                 lease=self.lease, platforms=["telegram"],
                                                 limit=self.args.in_flight)  # fmt: skip
                for delivery in claimed:
                    queue.put_nowait(delivery)
                await queue.join() if claimed else await asyncio.sleep(0.2)
        finally:
            for task in workers:
                task.cancel()

    async def _pending(self) -> bool:
        return bool((await self.store.stats()).deliveries.get("pending"))


async def main_async(args: argparse.Namespace) -> int:
    token = os.environ["DIGESTBOT_TELEGRAM_TOKEN"]
    redact.add_secret(token)
    store = await PostgresStore.open(os.environ["DIGESTBOT_DATABASE_URL"], max_size=4)
    shared = None if args.local_pacing else store  # --local-pacing: each paces alone (a peer)
    limiter = rate_limiter(shared, f"telegram:{token.partition(':')[0]}")
    bot: ExtBot[None] = ExtBot(token, base_url=args.base_url, rate_limiter=limiter)
    await bot.initialize()
    instance = Instance(store, bot, args)
    try:
        await instance.run()
    finally:
        dropped = getattr(getattr(limiter, "_overall", None), "dropped", 0)
        print(f"sent {instance.sent}\ndropped {dropped}", flush=True)
        await bot.shutdown()
        await store.close()
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base-url", required=True)
    parser.add_argument("--owner", required=True)
    parser.add_argument("--lease", type=float, default=3.0)
    parser.add_argument("--in-flight", type=int, default=8)
    parser.add_argument("--plan", type=int, default=0)
    parser.add_argument("--parts", type=int, default=2)
    parser.add_argument("--stop-after", type=int, default=0)
    parser.add_argument("--local-pacing", action="store_true")
    args = parser.parse_args(argv)
    redact.install()
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)
    return asyncio.run(main_async(args))


if __name__ == "__main__":
    sys.exit(main())
