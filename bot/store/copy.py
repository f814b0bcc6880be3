"""``digestbot store copy``: every record of one store into another, checked by counts.

Works on any two :class:`~bot.store.base.Store` implementations (TinyDB -> PostgreSQL, and
back): subscribers first (in batches), then deliveries with their outcomes, progress and the
archived history (planned as they are, so nothing is re-planned or resent), then the run log.
The target must be empty (a copy never merges two stores). At the end the counts of both
stores are compared (subscribers, active ones, deliveries by state, runs); any difference is an
error naming what differs, so nothing is lost silently.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from bot.domain.records import Subscriber
from bot.errors import StoreError
from bot.store.base import Store

BATCH = 1000
ALL_RUNS = 10**9


@dataclass(frozen=True)
class Copied:
    subscribers: int
    active: int
    deliveries: dict[str, int]
    runs: int

    def line(self, source: str, target: str) -> str:
        states = ", ".join(f"{n} {state}" for state, n in sorted(self.deliveries.items()))
        total = sum(self.deliveries.values())
        return (
            f"copied {source} -> {target}: {self.subscribers} subscribers ({self.active} "
            f"active), {total} deliveries ({states or 'none'}), {self.runs} runs; counts match"
        )


async def counts(store: Store) -> Copied:
    stats = await store.stats()
    runs = len(await store.runs(ALL_RUNS))
    deliveries = {state: n for state, n in stats.deliveries.items() if n}
    return Copied(stats.subscribers, stats.active, deliveries, runs)


async def copy_store(
    source: Store, target: Store, *, progress: Callable[[str], None] | None = None
) -> Copied:
    """Copy everything; StoreError when the target holds anything or the counts differ."""
    before = await counts(target)
    if before.subscribers or sum(before.deliveries.values()) or before.runs:
        raise StoreError(
            f"the target store is not empty ({before.subscribers} subscribers, "
            f"{sum(before.deliveries.values())} deliveries); copy only into an empty store"
        )
    say = progress or (lambda _line: None)
    batch: list[Subscriber] = []
    async for sub in source.subscribers():
        batch.append(sub)
        if len(batch) >= BATCH:
            await target.put_subscribers(batch)
            batch = []
    if batch:
        await target.put_subscribers(batch)
    say("subscribers copied")
    deliveries = await source.deliveries()
    for start in range(0, len(deliveries), BATCH):
        await target.plan(None, deliveries[start : start + BATCH])
    say("deliveries copied")
    for run in reversed(await source.runs(ALL_RUNS)):
        await target.record_run(run)
    want, got = await counts(source), await counts(target)
    if want != got:
        raise StoreError(f"the copy does not match: source has {want}, target has {got}")
    return got
