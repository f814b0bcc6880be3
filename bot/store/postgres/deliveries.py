"""Deliveries in PostgreSQL: planning once, claiming with a lease, progress, outcome, history.

- :func:`plan` inserts with ON CONFLICT DO NOTHING: a delivery whose id (chat + slot) is there
  already is skipped, so every instance may plan the same minute and each digest is planned
  once. The run record and the chat's ``last_slot`` are written in the same transaction.
- :func:`claim` takes pending deliveries nobody holds (or whose lease ran out) with
  ``SELECT ... FOR UPDATE SKIP LOCKED`` (leaving out the ids the caller skips): two instances
  claiming at once get different rows and
  neither waits for the other.
- :func:`progress` and :func:`finish` change a row only while ``owner`` is the caller
  (LostClaim otherwise); the per-message progress is the row's ``message_ids``, so the next
  owner of a delivery whose lease ran out resumes after the last recorded message.
- :func:`fold_history` folds old final deliveries into one archived row per chat under
  ``pg_try_advisory_xact_lock``: one instance does it, the others skip; a dead instance's lock
  goes with its connection.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from psycopg import AsyncConnection
from psycopg.types.json import Jsonb

from bot.domain.records import STATES, Delivery, Run, Subscriber
from bot.store.base import LostClaim
from bot.store.postgres.rows import (
    DEL_COLUMNS,
    DEL_SELECT,
    SUB_SELECT,
    delivery_from_row,
    delivery_params,
    run_params,
    subscriber_from_row,
)
from bot.store.postgres.schema import HOUSEKEEPING_LOCK

RUN_UPSERT = """
INSERT INTO runs (id, started, finished, counts) VALUES (%s, %s, %s, %s)
ON CONFLICT (id) DO UPDATE SET started = EXCLUDED.started, finished = EXCLUDED.finished,
    counts = EXCLUDED.counts
"""
_TYPES = ("text", "text", "text", "text", "text", "jsonb", "text", "timestamptz", "timestamptz",
          "text", "jsonb", "integer", "text")  # fmt: skip
_INSERT = f"""
INSERT INTO deliveries ({DEL_SELECT})
SELECT * FROM unnest({", ".join(f"%s::{t}[]" for t in _TYPES)})
ON CONFLICT DO NOTHING
RETURNING id
"""
_LAST_SLOTS = """
UPDATE subscribers s SET last_slot = m.slot
FROM (SELECT platform, chat_id, max(slot) AS slot FROM deliveries
      WHERE slot <> '' AND (platform, chat_id) IN (SELECT * FROM unnest(%s::text[], %s::text[]))
      GROUP BY platform, chat_id) m
WHERE s.platform = m.platform AND s.chat_id = m.chat_id
  AND (s.last_slot IS NULL OR s.last_slot < m.slot)
"""
_CLAIM = f"""
UPDATE deliveries d SET owner = %s, lease_until = %s
FROM (SELECT id FROM deliveries
      WHERE state = 'pending' AND platform = ANY(%s) AND (owner IS NULL OR lease_until <= %s)
        AND NOT (id = ANY(%s))
      ORDER BY created, id LIMIT %s FOR UPDATE SKIP LOCKED) c
WHERE d.id = c.id
RETURNING {", ".join(f"d.{c}" for c in DEL_COLUMNS)}
"""
FOLD_CHATS = 500  # chats folded per transaction


async def plan(
    conn: AsyncConnection, run: Run | None, deliveries: Sequence[Delivery]
) -> list[Delivery]:
    async with conn.transaction():
        if run is not None:  # None: an on-demand digest
            await conn.execute(RUN_UPSERT, run_params(run))
        added = await insert(conn, deliveries)
    return [d for d in deliveries if d.id in added]


async def insert(conn: AsyncConnection, deliveries: Sequence[Delivery]) -> set[str]:
    """Insert the deliveries not there yet (one statement); the ids added."""
    if not deliveries:
        return set()
    columns: list[list[Any]] = [[] for _ in DEL_COLUMNS]
    for delivery in deliveries:
        for column, value in zip(columns, delivery_params(delivery), strict=True):
            column.append(value)
    cur = await conn.execute(_INSERT, columns)
    added = {row[0] for row in await cur.fetchall()}
    await refresh_last_slots(conn, [(d.platform, d.chat_id) for d in deliveries if d.slot])
    return added


async def refresh_last_slots(conn: AsyncConnection, chats: Sequence[tuple[str, str]]) -> None:
    """Bring ``subscribers.last_slot`` of these chats up to their latest planned slot."""
    if chats:
        unique = sorted(set(chats))
        await conn.execute(_LAST_SLOTS, ([p for p, _ in unique], [c for _, c in unique]))


async def claim(
    conn: AsyncConnection,
    owner: str,
    now: datetime,
    until: datetime,
    platforms: list[str],
    limit: int,
    skip: list[str],
) -> list[Delivery]:
    cur = await conn.execute(_CLAIM, (owner, until, platforms, now, skip, limit))
    found = [delivery_from_row(row) for row in await cur.fetchall()]
    return sorted(found, key=lambda d: (d.created, d.id))


async def claim_one(
    conn: AsyncConnection, delivery_id: str, owner: str, now: datetime, until: datetime
) -> Delivery | None:
    cur = await conn.execute(
        f"""UPDATE deliveries SET owner = %s, lease_until = %s
        WHERE id = %s AND state = 'pending' AND (owner IS NULL OR lease_until <= %s)
        RETURNING {DEL_SELECT}""",
        (owner, until, delivery_id, now),
    )
    row = await cur.fetchone()
    return delivery_from_row(row) if row else None


async def progress(
    conn: AsyncConnection,
    delivery_id: str,
    owner: str,
    message_ids: tuple[str, ...],
    now: datetime,
    lease: timedelta,
) -> Delivery:
    cur = await conn.execute(
        f"""UPDATE deliveries SET message_ids = %s, updated = %s, lease_until = %s
        WHERE id = %s AND owner = %s AND state = 'pending' RETURNING {DEL_SELECT}""",
        (Jsonb(list(message_ids)), now, now + lease, delivery_id, owner),
    )
    row = await cur.fetchone()
    if row is None:
        raise LostClaim(f"{delivery_id} is no longer held by {owner}")
    return delivery_from_row(row)


@dataclass(frozen=True)
class Outcome:
    state: str
    now: datetime
    message_ids: tuple[str, ...]
    error: str | None
    attempts: int | None


async def finish(conn: AsyncConnection, delivery_id: str, owner: str, outcome: Outcome) -> Delivery:
    """Record the outcome and release the claim. Run twice (the answer to the first was lost
    with the connection), the second finds the outcome recorded and returns it."""
    if outcome.state not in STATES:
        raise ValueError(f"unknown delivery state {outcome.state!r}")
    ids = Jsonb(list(outcome.message_ids)) if outcome.message_ids else None
    cur = await conn.execute(
        f"""UPDATE deliveries SET state = %s, updated = %s,
            message_ids = coalesce(%s, message_ids), error = %s,
            attempts = coalesce(%s, attempts), owner = NULL, lease_until = NULL
        WHERE id = %s AND owner = %s RETURNING {DEL_SELECT}""",
        (outcome.state, outcome.now, ids, outcome.error, outcome.attempts, delivery_id, owner),
    )
    row = await cur.fetchone()
    if row is not None:
        return delivery_from_row(row)
    cur = await conn.execute(
        f"SELECT {DEL_SELECT}, owner FROM deliveries WHERE id = %s", (delivery_id,)
    )
    found = await cur.fetchone()
    if found is not None and found[-1] is None:
        done = delivery_from_row(found[:-1])
        if done.state == outcome.state and done.updated == outcome.now:
            return done  # recorded by the first try
    raise LostClaim(f"{delivery_id} is no longer held by {owner}")


async def release(conn: AsyncConnection, delivery_id: str, owner: str) -> None:
    await conn.execute(
        "UPDATE deliveries SET owner = NULL, lease_until = NULL WHERE id = %s AND owner = %s",
        (delivery_id, owner),
    )


async def move_chat(
    conn: AsyncConnection, platform: str, old_id: str, new_id: str, now: datetime
) -> Subscriber | None:
    """The subscriber, its deliveries and history to ``new_id`` in one transaction."""
    old_prefix, new_prefix = f"{platform}:{old_id}@", f"{platform}:{new_id}@"
    async with conn.transaction():
        cur = await conn.execute(
            f"SELECT {SUB_SELECT} FROM subscribers WHERE platform = %s AND chat_id = %s FOR UPDATE",
            (platform, old_id),
        )
        if await cur.fetchone() is None:
            return None
        await conn.execute(
            "DELETE FROM subscribers WHERE platform = %s AND chat_id = %s", (platform, new_id)
        )
        await conn.execute(
            """DELETE FROM deliveries d WHERE d.platform = %s AND d.chat_id = %s
            AND EXISTS (SELECT 1 FROM deliveries n WHERE n.id = %s || substr(d.id, %s))""",
            (platform, old_id, new_prefix, len(old_prefix) + 1),
        )
        await conn.execute(
            "UPDATE deliveries SET chat_id = %s, id = %s || substr(id, %s) "
            "WHERE platform = %s AND chat_id = %s",
            (new_id, new_prefix, len(old_prefix) + 1, platform, old_id),
        )
        cur = await conn.execute(
            f"""UPDATE subscribers SET chat_id = %s, updated = %s
            WHERE platform = %s AND chat_id = %s RETURNING {SUB_SELECT}""",
            (new_id, now, platform, old_id),
        )
        row = await cur.fetchone()
    return subscriber_from_row(row) if row else None


async def fold_history(conn: AsyncConnection, cutoff: datetime, now: datetime) -> int:
    """Fold final deliveries last changed before ``cutoff`` into each chat's archived row, a
    batch of chats per transaction; drop runs started before it. 0 when another instance holds
    the housekeeping lock."""
    folded = 0
    while True:
        async with conn.transaction():
            cur = await conn.execute("SELECT pg_try_advisory_xact_lock(%s)", (HOUSEKEEPING_LOCK,))
            row = await cur.fetchone()
            if not row or not row[0]:
                return folded
            done = await _fold_batch(conn, cutoff, now)
            if not done:
                await conn.execute("DELETE FROM runs WHERE started < %s", (cutoff,))
                return folded
            folded += done


async def _fold_batch(conn: AsyncConnection, cutoff: datetime, now: datetime) -> int:
    cur = await conn.execute(
        """SELECT DISTINCT platform, chat_id FROM deliveries
        WHERE state <> 'pending' AND state <> 'archived' AND updated < %s LIMIT %s""",
        (cutoff, FOLD_CHATS),
    )
    chats = await cur.fetchall()
    if not chats:
        return 0
    cur = await conn.execute(
        f"""SELECT {DEL_SELECT} FROM deliveries
        WHERE (platform, chat_id) IN (SELECT * FROM unnest(%s::text[], %s::text[]))
          AND (state = 'archived' OR (state <> 'pending' AND updated < %s))""",
        ([p for p, _ in chats], [c for _, c in chats], cutoff),
    )
    by_chat: dict[tuple[str, str], list[Delivery]] = {}
    for found in await cur.fetchall():
        delivery = delivery_from_row(found)
        by_chat.setdefault((delivery.platform, delivery.chat_id), []).append(delivery)
    archives = [Delivery.archive_of(group, now) for group in by_chat.values()]
    old = [d.id for group in by_chat.values() for d in group]
    await conn.execute("DELETE FROM deliveries WHERE id = ANY(%s)", (old,))
    await insert(conn, archives)
    return sum(1 for group in by_chat.values() for d in group if not d.archived)
