"""The delivery outbox: plan -> claim -> send -> mark, on any :class:`~bot.store.base.Store`.

Each minute's :meth:`Outbox.tick` records who is due as ``pending`` before anything is sent
(idempotent, so every instance plans), claims pending deliveries with a lease (one sender per
delivery, renewed as messages are recorded), sends up to the sender's ``max_in_flight`` chats
side by side and marks each outcome by the state table in :mod:`bot.delivery.states`. A full
device pauses new sends (:mod:`.recorder`). The why, step by step: docs/digests.md.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

from bot.delivery.recorder import Recorder
from bot.delivery.sender import Failed, Outcome, Progress, Sender, Sent, Unknown
from bot.delivery.states import DiskFullPaused, Elsewhere, marked
from bot.domain.digest import Digest, PostIndex, Summaries, plan, rebuild
from bot.domain.records import Delivery, Run, Subscriber, ts
from bot.domain.schedule import Due, due_digests
from bot.errors import OutOfSpace
from bot.store.base import LostClaim, Store
from bot.store.reserve import Reserve

log = logging.getLogger(__name__)

PLAN_BATCH = 1000  # candidates read and planned at a time (a large store never sits in memory)
CLAIM_BATCH = 200  # deliveries claimed at a time
LEASE = timedelta(minutes=5)  # renewed by every message recorded


def utc_now() -> datetime:
    return datetime.now(UTC)


def new_owner() -> str:
    """This outbox's name on its claims: host, process and a random part (a restart is new)."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


@dataclass(frozen=True)
class Planned:
    delivery: Delivery
    digest: Digest | None


class Outbox:
    """Plans, records and sends digests through the senders of the running front ends."""

    def __init__(
        self,
        store: Store,
        senders: Iterable[Sender] | Mapping[str, Sender],
        posts: PostIndex,
        summaries: Summaries,
        *,
        send_timeout: float = 60.0,
        max_attempts: int = 5,
        housekeeping_every: timedelta = timedelta(hours=1),
        reserve: Reserve | None = None,
        owner: str | None = None,
        lease: timedelta = LEASE,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self.store = store
        if isinstance(senders, Mapping):
            self.senders = dict(senders)
        else:
            self.senders = {sender.platform: sender for sender in senders}
        self.posts = posts
        self.summaries = summaries
        self.send_timeout = send_timeout
        self.max_attempts = max_attempts
        self.housekeeping_every = housekeeping_every
        self.owner = owner or new_owner()
        self.lease = lease
        self.clock = clock  # lease times (a tick's ``now`` may be long past when it sends)
        self._housekept: datetime | None = None
        self.recorder = Recorder(reserve)
        self._write = self.recorder.write
        self._ticking = asyncio.Lock()
        self._holding: set[str] = set()  # claimed here, no outcome recorded yet
        self._claimed: dict[str, datetime] = {}  # when each held delivery was claimed

    def set_posts(self, posts: PostIndex) -> None:
        """Use a reloaded corpus from the next run on."""
        self.posts = posts

    @property
    def paused(self) -> bool:
        """True while the disk is full: no new send starts."""
        return self.recorder.paused

    async def tick(self, now: datetime) -> Run:
        """One run at ``now``: plan and record due digests, then claim and send pending ones.

        Ticks run one after the other (a second one waits for the first to finish)."""
        async with self._ticking:
            if not await self.recorder.room():
                return Run(id=ts(now), started=now)
            try:
                return await self._run(now)
            except OutOfSpace as full:
                self.recorder.disk_full(full)
                return Run(id=ts(now), started=now)

    async def _run(self, now: datetime) -> Run:
        if self._housekept is None or now - self._housekept >= self.housekeeping_every:
            await self.store.housekeeping(now)  # old final deliveries -> history, once
            self._housekept = now
        counts: Counter[str] = Counter()
        run = Run(id=ts(now), started=now)
        digests: dict[str, Digest] = {}
        async for due in self._due(now):
            if not due:
                continue  # a run with nothing due and nothing to resume is not recorded
            run = replace(run, due=run.due + len(due))
            planned = [await self._plan(d, now, run.id) for d in due]
            added = {d.id for d in await self.store.plan(run, [p.delivery for p in planned])}
            for p in planned:
                if p.delivery.id not in added:
                    continue  # another instance planned it first
                if p.digest is not None:
                    digests[p.delivery.id] = p.digest
                else:
                    counts[p.delivery.state] += 1
        tried: set[str] = set()
        while not self.paused:
            batch = await self.store.claim(owner=self.owner, now=self.clock(), lease=self.lease,
                                           platforms=sorted(self.senders), limit=CLAIM_BATCH,
                                           skip=tried)  # fmt: skip
            if not batch:
                break
            if not tried and not run.due:
                await self.store.record_run(run)  # a run that only resumes: on record first
            tried.update(d.id for d in batch)
            self._claimed.update(dict.fromkeys((d.id for d in batch), self.clock()))
            run = replace(run, resumed=run.resumed + sum(d.id not in digests for d in batch))
            await self._each_chat(batch, lambda d: self._send_claimed(d, digests, now, counts))
        if not run.due and not tried:
            return run
        return await self.store.record_run(_finished(run, now, counts))

    async def _due(self, now: datetime) -> AsyncIterator[list[Due]]:
        """Who is due at ``now``, a batch of the store's candidates at a time."""
        subs: list[Subscriber] = []
        last: dict[str, str] = {}

        def batch() -> list[Due]:
            return due_digests(subs, now, last)

        async for candidate in self.store.candidates(now):
            sub = candidate.subscriber
            if sub.platform not in self.senders:
                continue
            subs.append(sub)
            if candidate.last_slot:
                last[sub.key] = candidate.last_slot
            if len(subs) >= PLAN_BATCH:
                yield batch()
                subs, last = [], {}
        if subs:
            yield batch()

    async def preview(self, sub: Subscriber, now: datetime) -> Digest | None:
        """What ``sub`` would get at ``now`` (nothing is recorded)."""
        history = await self.store.history(sub.platform, sub.chat_id)
        return plan(sub, self.posts, now, history, summaries=self.summaries)

    async def send_now(
        self, sub: Subscriber, now: datetime
    ) -> Outcome | DiskFullPaused | Elsewhere | None:
        """An on-demand digest (``/digest``): recorded and sent like a scheduled one.

        Returns None when nothing is new, DiskFullPaused on a full disk. Its posts count as
        given to the chat, but it does not replace the next scheduled digest.
        """
        if not await self.recorder.room():
            return DiskFullPaused(delivered=False)
        digest = await self.preview(sub, now)
        if digest is None:
            return None
        delivery = digest.to_delivery(await self._manual_id(sub, now), now)
        try:
            await self.store.plan(None, [delivery])
        except OutOfSpace as full:
            self.recorder.disk_full(full)
            return DiskFullPaused(delivered=False)
        claimed = await self.store.claim_delivery(
            delivery.id, owner=self.owner, now=self.clock(), lease=self.lease
        )
        if claimed is None:
            return Elsewhere()
        outcome = await self._send_claimed(claimed, {claimed.id: digest}, now, Counter())
        if outcome is None or (self.paused and isinstance(outcome, Sent)):
            return DiskFullPaused(delivered=outcome is not None)
        return outcome

    async def _manual_id(self, sub: Subscriber, now: datetime) -> str:
        """A new delivery id for an on-demand digest (two at one clock reading: two ids)."""
        base = candidate = f"{sub.key}@manual-{ts(now)}"
        number = 1
        while await self.store.get_delivery(candidate) is not None:
            number += 1
            candidate = f"{base}-{number}"
        return candidate

    def can_send(self, platform: str) -> bool:
        """True when a Sender for ``platform`` is registered (its front end is running)."""
        return platform in self.senders

    async def unknown(self) -> list[Delivery]:
        """Deliveries whose outcome is unknown (sent, but no answer): for /stats and the log."""
        return await self.store.deliveries(state="unknown")

    async def _each_chat(
        self, deliveries: list[Delivery], work: Callable[[Delivery], Awaitable[object]]
    ) -> None:
        """``work`` on every delivery, started in the order given: one chat's deliveries in
        turn, and up to its sender's ``max_in_flight`` chats of a platform side by side.

        The first exception (a store that cannot be written, a crash) stops the others, which
        stay pending for the next run, and is raised as itself.
        """
        queues: dict[tuple[str, str], list[Delivery]] = {}
        for delivery in deliveries:
            queues.setdefault((delivery.platform, delivery.chat_id), []).append(delivery)
        by_platform: dict[str, list[list[Delivery]]] = {}
        for (platform, _), queue in queues.items():
            by_platform.setdefault(platform, []).append(queue)

        async def worker(chats: Iterator[list[Delivery]]) -> None:
            for queue in chats:  # the workers of a platform share one iterator
                for delivery in queue:
                    await work(delivery)

        try:
            async with asyncio.TaskGroup() as group:
                for platform, chats in by_platform.items():
                    shared = iter(chats)
                    width = max(1, self.senders[platform].max_in_flight)
                    for _ in range(min(width, len(chats))):
                        group.create_task(worker(shared))
        except BaseExceptionGroup as failed:
            raise failed.exceptions[0] from None
        finally:
            await self._release([d for d in deliveries if d.id in self._holding])

    async def _plan(self, due: Due, now: datetime, run_id: str) -> Planned:
        sub, slot = due.subscriber, due.slot
        delivery_id = Delivery.make_id(sub.platform, sub.chat_id, slot.id)
        try:
            history = await self.store.history(sub.platform, sub.chat_id)
            digest = plan(sub, self.posts, now, history, summaries=self.summaries, slot=slot)
        except OutOfSpace:
            raise
        except Exception as exc:
            log.exception("planning the digest for %s failed", sub.key)
            empty = Delivery(delivery_id, sub.platform, sub.chat_id, slot.id, "", (), "failed",
                             now, now, run_id, error=f"planning failed: {exc}")  # fmt: skip
            return Planned(empty, None)
        if digest is None:
            empty = Delivery(delivery_id, sub.platform, sub.chat_id, slot.id, "", (), "empty",
                             now, now, run_id)  # fmt: skip
            return Planned(empty, None)
        return Planned(digest.to_delivery(delivery_id, now, run_id), digest)

    async def _send_claimed(
        self, delivery: Delivery, digests: Mapping[str, Digest], now: datetime, c: Counter[str]
    ) -> Outcome | None:
        """Send one claimed delivery (its digest planned now, or rebuilt from the record) and
        mark it; None when nothing was sent (the disk is full, or it cannot be rebuilt)."""
        did = delivery.id
        self._holding.add(did)
        try:
            if self.paused:
                return None  # released below: no new send starts on a full disk
            digest = digests.get(did) or await self._rebuild(delivery)
            if digest is not None:
                await self._renew(delivery)
                return await self._send_and_mark(delivery, digest, now, c)
            sub = await self.store.get_subscriber(delivery.platform, delivery.chat_id)
            gone = (
                "its posts left the corpus" if sub and sub.active else "unsubscribed before sending"
            )
            await self._mark(delivery, "failed", now, error=gone)
            c["failed"] += 1
            return None
        except LostClaim:  # its lease ran out here and another instance holds it now
            self._holding.discard(did)
            log.warning("%s: its lease ran out before it was sent; another instance has it", did)
            return None
        finally:
            self._claimed.pop(did, None)
            await self._release([delivery])

    async def _renew(self, delivery: Delivery) -> None:
        """A claim older than half its lease (it waited behind the others of its batch) is
        renewed before its send starts: LostClaim when another instance took it meanwhile."""
        claimed = self._claimed.get(delivery.id)
        if claimed is not None and self.clock() - claimed >= self.lease / 2:
            await self.store.record_progress(delivery.id, owner=self.owner, now=self.clock(),
                                             message_ids=delivery.message_ids,
                                             lease=self.lease)  # fmt: skip

    async def _rebuild(self, delivery: Delivery) -> Digest | None:
        sub = await self.store.get_subscriber(delivery.platform, delivery.chat_id)
        if sub is None or not sub.active:
            return None
        return rebuild(sub, delivery, self.posts, summaries=self.summaries)

    async def _release(self, deliveries: Iterable[Delivery]) -> None:
        """Give up the claims still held on ``deliveries`` that have no outcome recorded (an
        exception, a full disk before sending): pending for the next run, nothing changed.
        A delivery whose records wait in memory (:mod:`.recorder`) stays claimed."""
        for delivery in deliveries:
            if delivery.id in self._holding and not self.recorder.holds(delivery.id):
                self._holding.discard(delivery.id)
                with contextlib.suppress(Exception):
                    await self.store.release(delivery.id, owner=self.owner)

    async def _mark(
        self,
        delivery: Delivery,
        state: str,
        now: datetime,
        *,
        error: str | None = None,
        ids: tuple[str, ...] = (),
        attempts: int | None = None,
    ) -> None:
        """Record the outcome (which releases the claim once it is written)."""
        did = delivery.id

        async def finish() -> None:
            await self.store.finish(did, owner=self.owner, state=state, now=now,
                                    message_ids=ids, error=error, attempts=attempts)  # fmt: skip
            self._holding.discard(did)

        await self._write(did, finish)

    async def _send_and_mark(
        self, delivery: Delivery, digest: Digest, now: datetime, counts: Counter[str]
    ) -> Outcome:
        outcome = await self._send(delivery, digest, now)
        attempts = delivery.attempts + 1
        state, error, ids = marked(outcome)
        if state == "pending" and attempts >= self.max_attempts:
            state = "failed"
        await self._mark(delivery, state, now, error=error, ids=ids, attempts=attempts)
        counts["retried" if state == "pending" else state] += 1
        if state == "blocked":
            chat = (delivery.platform, delivery.chat_id)

            async def pause() -> None:
                await self.store.set_active(*chat, False, now=now)

            await self._write(f"{delivery.id}/paused", pause)
            log.info("%s is blocked or gone (%s); subscription paused", delivery.key, error)
        elif state == "unknown":
            log.warning("%s: outcome unknown (%s); not resent, check the chat", delivery.id, error)
        return outcome

    async def _send(self, delivery: Delivery, digest: Digest, now: datetime) -> Outcome:
        sender, did = self.senders[delivery.platform], delivery.id

        async def record(message_ids: tuple[str, ...]) -> None:  # after each message
            async def progress() -> None:
                await self.store.record_progress(did, owner=self.owner, message_ids=message_ids,
                                                 now=self.clock(), lease=self.lease)  # fmt: skip

            await self._write(did, progress)

        progress = Progress(done=delivery.message_ids, record=record)
        try:
            return await asyncio.wait_for(
                sender.send(delivery.chat_id, digest, progress), timeout=self.send_timeout
            )
        except TimeoutError:
            return Unknown(f"no answer within {self.send_timeout:g} s")
        except LostClaim:
            raise  # another instance holds it now: nothing more is sent or marked here
        except Exception as exc:
            log.exception("sending %s failed", delivery.id)
            return Failed(retryable=False, reason=f"{type(exc).__name__}: {exc}")


def _finished(run: Run, now: datetime, counts: Counter[str]) -> Run:
    return replace(
        run,
        finished=now,
        sent=counts["sent"],
        empty=counts["empty"],
        failed=counts["failed"],
        unknown=counts["unknown"],
        blocked=counts["blocked"],
        retried=counts["retried"],
    )
