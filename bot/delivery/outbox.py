"""The delivery outbox: record what will be sent, send it, record how it went.

One :meth:`Outbox.tick` (woken every minute by :mod:`bot.domain.schedule`):

1. resumes deliveries still ``pending`` from earlier runs (a crash, a retryable failure);
2. asks :func:`bot.domain.schedule.due_digests` who is due at ``now`` and plans each digest;
3. records the run and every planned delivery as ``pending`` (or ``empty`` when nothing is new)
   *before* anything is sent;
4. sends them and marks each ``sent``, ``failed``, ``unknown`` or ``blocked``: up to the
   sender's ``max_in_flight`` chats side by side (Telegram: 8, so a digest waiting for a busy
   group's limit or a slow answer does not hold up everyone else), one chat's in order.

One delivery has one sender at a time (:mod:`.claims`): a delivery is claimed before it is
sent and released once its outcome is marked, and ticks run one after the other. So the
console's own tick at start and the scheduler's first wake-up, or ``/digest`` (:meth:`send_now`)
and the minute tick, never send one delivery twice: a tick leaves a delivery that someone is
sending to its owner.

A crash between 3 and 4 leaves pending records that the next start resumes, so nothing is
missed and nothing already marked sent is sent again. Each message of a digest is recorded as it
goes out (:class:`~.sender.Progress`), so a resumed digest starts after the last recorded
one: only a message whose request was out at the crash can arrive twice, at most
``max_in_flight`` of them per crash. A send that timed
out after the request went out is ``unknown``: reported (logged, counted, listed by
:meth:`Outbox.unknown`), never resent blindly. A blocked chat deactivates its subscriber. One
chat's failure never stops the others.

A full disk (:class:`DiskFull`): what a chat service confirmed is still recorded,
in the space of :class:`~bot.store.reserve.Reserve` (freed for it), so neither the next tick nor a
restart sends it again; if even that space is not enough the record is kept in memory (the
delivery stays claimed) and written at a later tick (:mod:`.recorder`). From the first full
write on, no new send starts until the reserve can be written again with as much room beside
it; every tick tries. :meth:`send_now` then answers :class:`DiskFullPaused`.
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from collections.abc import Awaitable, Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from bot.delivery.claims import Claims
from bot.delivery.recorder import Recorder
from bot.delivery.sender import Blocked, Failed, Outcome, Progress, Sender, Sent, Unknown
from bot.domain.digest import Digest, PostIndex, Summaries, plan, rebuild
from bot.domain.records import Delivery, Run, Subscriber, ts
from bot.domain.schedule import Due, due_digests
from bot.store.reserve import RESERVE_NAME, Reserve
from bot.store.tinydb.atomic import DiskFull
from bot.store.tinydb.store import Store

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Planned:
    delivery: Delivery
    digest: Digest | None


@dataclass(frozen=True)
class DiskFullPaused:
    """:meth:`Outbox.send_now` on a full disk: digests wait until space is freed.

    ``delivered``: the chat service confirmed this digest (its record was written in the
    reserve's space, or is held until it can be); False: nothing was sent.
    """

    delivered: bool

    @property
    def message(self) -> str:
        """What the chat is told (in its terms: the bot ran out of space, someone must act)."""
        wait = (
            "the bot has run out of disk space, so digests wait until its administrator frees some"
        )
        if self.delivered:
            return f"Your digest was delivered, but {wait}."
        return f"Nothing was sent: {wait}."


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
        compact_every: timedelta = timedelta(hours=1),
        reserve: Reserve | None = None,
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
        self.compact_every = compact_every
        self._compacted: datetime | None = None
        self.claims = Claims(store)
        self.recorder = Recorder(reserve or Reserve(store.data_dir / RESERVE_NAME), self.claims)
        self._write = self.recorder.write
        self._ticking = asyncio.Lock()

    def set_posts(self, posts: PostIndex) -> None:
        """Use a reloaded corpus from the next run on."""
        self.posts = posts

    @property
    def paused(self) -> bool:
        """True while the disk is full: no new send starts."""
        return self.recorder.paused

    async def tick(self, now: datetime) -> Run:
        """One run at ``now``: resume pending deliveries, then plan, record and send due ones.

        Ticks run one after the other (a second one waits for the first to finish)."""
        async with self._ticking:
            if not self.recorder.room():
                return Run(id=ts(now), started=now)
            try:
                return await self._run(now)
            except DiskFull as full:
                self.recorder.disk_full(full)
                return Run(id=ts(now), started=now)

    async def _run(self, now: datetime) -> Run:
        if self._compacted is None or now - self._compacted >= self.compact_every:
            self.store.compact(now)  # keeps the files written per delivery small
            self._compacted = now
        counts: Counter[str] = Counter()
        pending = [
            d
            for d in self.store.deliveries(state="pending")
            if d.platform in self.senders and not self.claims.owned(d.id)
        ]
        due = [
            d
            for d in due_digests(self.store.list_active(), now, self.store.last_slots())
            if d.subscriber.platform in self.senders
        ]
        run = Run(id=ts(now), started=now, due=len(due), resumed=len(pending))
        if not pending and not due:
            return run
        self.store.record_run(run)
        await self._each_chat(pending, lambda d: self._resume(d, now, counts))
        planned = [self._plan(d, now, run.id) for d in due]
        self.store.add_deliveries([p.delivery for p in planned])
        counts["empty"] += sum(1 for p in planned if p.digest is None)
        digests = {p.delivery.id: p.digest for p in planned if p.digest is not None}
        await self._each_chat(
            [p.delivery for p in planned if p.digest is not None],
            lambda d: self._deliver(d, digests[d.id], now, counts),
        )
        return self.store.record_run(_finished(run, now, counts))

    def preview(self, sub: Subscriber, now: datetime) -> Digest | None:
        """What ``sub`` would get at ``now`` (nothing is recorded)."""
        history = self.store.history(sub.platform, sub.chat_id)
        return plan(sub, self.posts, now, history, summaries=self.summaries)

    async def send_now(self, sub: Subscriber, now: datetime) -> Outcome | DiskFullPaused | None:
        """An on-demand digest (``/digest``): recorded and sent like a scheduled one.

        Returns None when nothing is new, DiskFullPaused on a full disk. Its posts count as
        given to the chat, but it does not replace the next scheduled digest.
        """
        if not self.recorder.room():
            return DiskFullPaused(delivered=False)
        digest = self.preview(sub, now)
        if digest is None:
            return None
        delivery = digest.to_delivery(self._manual_id(sub, now), now)
        try:
            self.store.add_deliveries([delivery])
        except DiskFull as full:
            self.recorder.disk_full(full)
            return DiskFullPaused(delivered=False)
        outcome = await self._deliver(delivery, digest, now, Counter())
        if outcome is None or (self.paused and isinstance(outcome, Sent)):
            return DiskFullPaused(delivered=outcome is not None)
        return outcome

    def _manual_id(self, sub: Subscriber, now: datetime) -> str:
        """A new delivery id for an on-demand digest (two at one clock reading: two ids)."""
        base = candidate = f"{sub.key}@manual-{ts(now)}"
        number = 1
        while self.store.get_delivery(candidate) is not None:
            number += 1
            candidate = f"{base}-{number}"
        return candidate

    def can_send(self, platform: str) -> bool:
        """True when a Sender for ``platform`` is registered (its front end is running)."""
        return platform in self.senders

    def unknown(self) -> list[Delivery]:
        """Deliveries whose outcome is unknown (sent, but no answer): for /stats and the log."""
        return self.store.deliveries(state="unknown")

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

    def _plan(self, due: Due, now: datetime, run_id: str) -> Planned:
        sub, slot = due.subscriber, due.slot
        delivery_id = Delivery.make_id(sub.platform, sub.chat_id, slot.id)
        try:
            history = self.store.history(sub.platform, sub.chat_id)
            digest = plan(sub, self.posts, now, history, summaries=self.summaries, slot=slot)
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

    async def _resume(self, delivery: Delivery, now: datetime, counts: Counter[str]) -> None:
        with self._claimed(delivery.id) as claimed:
            if claimed is None:
                return  # its owner is sending it, or it is no longer pending
            sub = self.store.get_subscriber(claimed.platform, claimed.chat_id)
            digest = None
            if sub is not None and sub.active:
                digest = rebuild(sub, claimed, self.posts, summaries=self.summaries)
            if digest is not None:
                await self._send_and_mark(claimed, digest, now, counts)
                return
            gone = (
                "its posts left the corpus" if sub and sub.active else "unsubscribed before sending"
            )
            self._write(
                claimed.id, lambda: self.store.mark(claimed.id, "failed", now=now, error=gone)
            )
            counts["failed"] += 1

    async def _deliver(
        self, delivery: Delivery, digest: Digest, now: datetime, counts: Counter[str]
    ) -> Outcome | None:
        """Claim, send, mark and release one delivery; None when it could not be claimed."""
        with self._claimed(delivery.id) as claimed:
            if claimed is None:
                return None
            return await self._send_and_mark(claimed, digest, now, counts)

    @contextmanager
    def _claimed(self, delivery_id: str) -> Iterator[Delivery | None]:
        """The claim of one delivery; refused while the disk is full (no new send starts)."""
        if self.paused:
            yield None
            return
        with self.claims.holding(delivery_id) as claimed:
            yield claimed

    async def _send_and_mark(
        self, delivery: Delivery, digest: Digest, now: datetime, counts: Counter[str]
    ) -> Outcome:
        outcome = await self._send(delivery, digest, now)
        attempts = delivery.attempts + 1
        did = delivery.id

        def mark(state: str, error: str | None = None, ids: tuple[str, ...] = ()) -> None:
            self._write(did, lambda: self.store.mark(did, state, now=now, attempts=attempts,
                                                     message_ids=ids, error=error))  # fmt: skip

        if isinstance(outcome, Sent):
            mark("sent", ids=outcome.message_ids)
            counts["sent"] += 1
        elif isinstance(outcome, Blocked):
            mark("blocked", outcome.reason)
            chat = (delivery.platform, delivery.chat_id)
            self._write(f"{did}/paused", lambda: self.store.set_active(*chat, False, now=now))
            log.info(
                "%s is blocked or gone (%s); subscription paused", delivery.key, outcome.reason
            )
            counts["blocked"] += 1
        elif isinstance(outcome, Unknown):
            mark("unknown", outcome.reason)
            log.warning("%s: outcome unknown (%s); not resent, check the chat", did, outcome.reason)
            counts["unknown"] += 1
        elif outcome.retryable and attempts < self.max_attempts:
            mark("pending", outcome.reason)
            counts["retried"] += 1
        else:
            mark("failed", outcome.reason)
            counts["failed"] += 1
        return outcome

    async def _send(self, delivery: Delivery, digest: Digest, now: datetime) -> Outcome:
        sender, did = self.senders[delivery.platform], delivery.id

        def record(message_ids: tuple[str, ...]) -> None:  # after each message of the digest
            self._write(did, lambda: self.store.mark(did, "pending", now=now,
                                                     message_ids=message_ids))  # fmt: skip

        progress = Progress(done=delivery.message_ids, record=record)
        try:
            return await asyncio.wait_for(
                sender.send(delivery.chat_id, digest, progress), timeout=self.send_timeout
            )
        except TimeoutError:
            return Unknown(f"no answer within {self.send_timeout:g} s")
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
