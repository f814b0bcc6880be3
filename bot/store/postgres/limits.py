"""Shared send schedules in the database (:class:`bot.delivery.shared_limits.SharedLimits`).

One row per limit key holds its theoretical arrival time (``next``), read and advanced in one
statement against the server's clock (``clock_timestamp()``), so instances on machines whose
clocks differ still share one schedule. A turn costs one round trip. ``book`` also hands back
the schedule's new ``next``, so a request that wakes late for its turn can ask ``go_late``
to send now if nobody has booked a turn after it (then nothing is crowded).
:class:`SharedSchedules` offers them as the store's methods.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from psycopg import AsyncConnection

if TYPE_CHECKING:
    from bot.store.postgres.pool import Database

_RESERVE = """
WITH t AS (SELECT clock_timestamp() AS now)
INSERT INTO rate_limits AS r (key, next)
SELECT %(key)s, t.now + make_interval(secs => %(period)s) FROM t
ON CONFLICT (key) DO UPDATE
    SET next = greatest(r.next, (SELECT now FROM t)) + make_interval(secs => %(period)s)
RETURNING extract(epoch FROM r.next - (SELECT now FROM t))::float8
"""
_BOOK = """
WITH t AS (SELECT clock_timestamp() AS now)
INSERT INTO rate_limits AS r (key, next)
SELECT %(key)s, t.now + make_interval(secs => %(period)s) FROM t
ON CONFLICT (key) DO UPDATE
    SET next = greatest(r.next, (SELECT now FROM t)) + make_interval(secs => %(period)s)
RETURNING extract(epoch FROM r.next - (SELECT now FROM t))::float8, r.next
"""
_GO_LATE = """
UPDATE rate_limits SET next = greatest(next, clock_timestamp() + make_interval(secs => %(period)s))
WHERE key = %(key)s AND next = %(booked)s
RETURNING true
"""
_TRY = """
WITH t AS (SELECT clock_timestamp() AS now)
INSERT INTO rate_limits AS r (key, next)
SELECT %(key)s, t.now + make_interval(secs => %(period)s) FROM t
ON CONFLICT (key) DO UPDATE
    SET next = greatest(r.next, (SELECT now FROM t)) + make_interval(secs => %(period)s)
    WHERE r.next - make_interval(secs => %(tolerance)s + %(lead)s) <= (SELECT now FROM t)
RETURNING -greatest(extract(epoch FROM r.next - (SELECT now FROM t))::float8
                    - %(period)s - %(tolerance)s, 0)
"""
_WAIT = """
SELECT greatest(extract(epoch FROM next - clock_timestamp())::float8 - %(tolerance)s
                - %(lead)s, 0.001)
FROM rate_limits WHERE key = %(key)s
"""


async def reserve(conn: AsyncConnection, key: str, period: float, burst: int) -> float:
    """The wait before this turn: (new next - period - tolerance) - now, never negative."""
    cur = await conn.execute(_RESERVE, {"key": key, "period": period})
    row = await cur.fetchone()
    ahead = float(row[0]) if row else 0.0  # seconds from now to the new ``next``
    return max(0.0, ahead - period - (burst - 1) * period)


async def book(conn: AsyncConnection, key: str, period: float, burst: int) -> tuple[float, object]:
    """:func:`reserve`, and the schedule's ``next`` after this turn (for :func:`go_late`)."""
    cur = await conn.execute(_BOOK, {"key": key, "period": period})
    row = await cur.fetchone()
    assert row is not None  # INSERT ... ON CONFLICT DO UPDATE always returns the row
    return max(0.0, float(row[0]) - period - (burst - 1) * period), row[1]


async def go_late(conn: AsyncConnection, key: str, period: float, booked: object) -> bool:
    """True when no turn was booked after the one that set ``next`` to ``booked``: the late
    request is sent now, and the schedule goes on as if it had been booked now (the next turn
    a period later, a burst's room kept). False: others booked after it; the turn is left
    unused."""
    cur = await conn.execute(_GO_LATE, {"key": key, "period": period, "booked": booked})
    return await cur.fetchone() is not None


async def take_turn(
    conn: AsyncConnection, key: str, period: float, burst: int, lead: float = 0.0
) -> tuple[bool, float]:
    """Take the turn if it is free now or within ``lead`` seconds: (True, seconds to wait
    before sending it). Otherwise nothing is taken: (False, seconds until it is worth asking
    again, the turn's time less ``lead``, always > 0)."""
    params = {"key": key, "period": period, "tolerance": (burst - 1) * period, "lead": lead}
    async with conn.transaction():
        cur = await conn.execute(_TRY, params)
        taken = await cur.fetchone()
        if taken is not None:
            return True, max(-float(taken[0]), 0.0)
        cur = await conn.execute(_WAIT, params)
        row = await cur.fetchone()
    return False, max(float(row[0]) if row else 0.0, 0.001)


class SharedSchedules:
    """The :class:`~bot.delivery.shared_limits.SharedLimits` methods of the PostgreSQL store,
    each one statement on a pooled connection of ``db``."""

    db: Database

    async def reserve(self, key: str, period: float, burst: int = 1) -> float:
        """The next turn under limit ``key`` for every instance (see :func:`reserve`)."""
        return await self.db.run(lambda conn: reserve(conn, key, period, burst))

    async def book(self, key: str, period: float, burst: int = 1) -> tuple[float, object]:
        return await self.db.run(lambda conn: book(conn, key, period, burst))

    async def go_late(self, key: str, period: float, booked: object) -> bool:
        return await self.db.run(lambda conn: go_late(conn, key, period, booked))

    async def take_turn(
        self, key: str, period: float, burst: int = 1, lead: float = 0.0
    ) -> tuple[bool, float]:
        return await self.db.run(lambda conn: take_turn(conn, key, period, burst, lead))

    async def try_take(self, key: str, period: float, burst: int = 1) -> float:
        """0 when a turn of ``key`` was free and is now taken, else the seconds until one is."""
        taken, wait = await self.take_turn(key, period, burst)
        return 0.0 if taken else wait
