"""Records the contract tests plan and compare: a fixed clock, deliveries, runs, a drain."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from bot.config import DigestDefaults
from bot.domain.records import Delivery, DeliveryItem
from bot.store.base import Store

NOW = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
LEASE = timedelta(minutes=5)
DEFAULTS = DigestDefaults()
ITEM = DeliveryItem("000_post", "new", ("1", "2", "2.1"))


def delivery(
    chat: str,
    slot: str = "2026-03-02",
    state: str = "pending",
    *,
    platform: str = "telegram",
    created: datetime = NOW,
    items: tuple[DeliveryItem, ...] = (ITEM,),
    updated: datetime | None = None,
) -> Delivery:
    return Delivery(
        Delivery.make_id(platform, chat, slot),
        platform,
        chat,
        slot,
        "Digest",
        items,
        state,
        created,
        updated or created,
        run_id="r1",
    )


async def drain(store: Store, owner: str, *, limit: int = 7) -> list[str]:
    """Claim batches for ``owner`` until nothing is left; the ids it got. Between batches it
    lets the other tasks run, as a sender does while it sends."""
    got: list[str] = []
    while batch := await store.claim(
        owner=owner, now=NOW, lease=LEASE, platforms=["telegram"], limit=limit
    ):
        again = set(got) & {d.id for d in batch}
        assert not again, f"{owner} was handed {sorted(again)} twice"  # (and would never stop)
        got += [d.id for d in batch]
        await asyncio.sleep(0)
    return got
