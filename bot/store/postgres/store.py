"""The PostgreSQL store: the :class:`bot.store.base.Store` protocol on one shared database.

Several bot instances may open the same database. Nothing is cached in an instance: every
answer comes from the database, so what one instance changes the others see at their next
call. Planning is idempotent (deliveries are unique per chat and slot, inserted with ON
CONFLICT DO NOTHING), sending is claim -> progress -> finish with a lease held in the row
(:mod:`.deliveries`), and housekeeping runs under a transaction-level advisory lock, so
whichever instance gets there does it once. Open it with :meth:`PostgresStore.open`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Collection, Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from psycopg import AsyncConnection

from bot.config import DigestDefaults
from bot.domain.records import (
    CLAIMING,
    Delivery,
    Run,
    StoreStats,
    Subscriber,
    check_changes,
)
from bot.errors import NotFound
from bot.store.base import Candidate, History
from bot.store.postgres import deliveries as dq
from bot.store.postgres.connect import parse_url
from bot.store.postgres.limits import SharedSchedules
from bot.store.postgres.pool import Database, prepare, prepare_now
from bot.store.postgres.rows import (
    DEL_SELECT,
    SUB_SELECT,
    delivery_from_row,
    run_from_row,
    run_params,
    subscriber_from_row,
    subscriber_params,
)

_SUB_UPSERT = f"""
INSERT INTO subscribers ({SUB_SELECT}) VALUES ({", ".join(["%s"] * 12)})
ON CONFLICT (platform, chat_id) DO UPDATE SET
    kind = EXCLUDED.kind, timezone = EXCLUDED.timezone, time = EXCLUDED.time,
    frequency = EXCLUDED.frequency, weekday = EXCLUDED.weekday, topics = EXCLUDED.topics,
    posts = EXCLUDED.posts, active = EXCLUDED.active, created = EXCLUDED.created,
    updated = EXCLUDED.updated
"""
AHEAD = "3 hours"  # more than any daylight-saving shift: a time this far ahead today is not due
# Candidates: active chats whose latest slot may not be planned yet. Left out: those whose
# latest slot before today is planned and whose slot today is more than AHEAD away on the wall
# clock (or, weekly, not today), so a tick streams the chats near their time, not all of them.
_CANDIDATES = f"""
WITH zones AS MATERIALIZED (SELECT name FROM pg_timezone_names)
SELECT {SUB_SELECT}, last_slot FROM (
    SELECT *, wall::date AS today, wall::date - 1 AS yesterday,
        array_position(ARRAY['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'], weekday) AS dow
    FROM (SELECT s.*, CASE WHEN z.name IS NOT NULL
                      THEN %(now)s::timestamptz AT TIME ZONE s.timezone END AS wall
          FROM subscribers s LEFT JOIN zones z ON z.name = s.timezone WHERE s.active) AS a
) AS here
WHERE last_slot IS NULL OR wall IS NULL OR (
    last_slot < today::text
    AND NOT coalesce(
        -- the latest slot before today is planned, and today's is hours away (or none)
        last_slot >= (CASE WHEN frequency = 'daily' THEN yesterday
            ELSE yesterday - (extract(isodow FROM yesterday)::int - dow + 7) %% 7 END)::text
        AND ((frequency <> 'daily' AND extract(isodow FROM today)::int <> dow)
             OR ((wall + interval '{AHEAD}')::date = today
                 AND to_char(wall + interval '{AHEAD}', 'HH24:MI') < time)),
        false))
"""
STREAM_ROWS = 2000  # rows fetched at a time by a streaming read


async def _nothing(conn: AsyncConnection) -> None:
    return None


class PostgresStore(SharedSchedules):
    """Subscribers, deliveries, history and runs in PostgreSQL (see the module docstring)."""

    def __init__(self, db: Database, *, keep_days: float = 2.0) -> None:
        self.db = db
        self.keep_days = keep_days

    @classmethod
    async def open(
        cls,
        url: str,
        *,
        env_name: str = "DIGESTBOT_DATABASE_URL",
        migrate: bool = True,
        max_size: int = 8,
        retry_for: float = 60.0,
        keep_days: float = 2.0,
    ) -> PostgresStore:
        """Connect, apply missing migrations, open the pool. StoreError in one line (the
        password never in it) when the URL is wrong, the server is unreachable or the database
        was written by a newer digestbot."""
        target = parse_url(url, env_name)
        await prepare(target, migrate=migrate)
        db = Database(target, max_size=max_size, retry_for=retry_for)
        await db.open()
        return cls(db, keep_days=keep_days)

    @classmethod
    def connect(
        cls,
        url: str,
        *,
        env_name: str = "DIGESTBOT_DATABASE_URL",
        max_size: int = 8,
        keep_days: float = 2.0,
    ) -> PostgresStore:
        """:meth:`open` before any event loop runs (the app at start): the schema is checked
        and migrated now, the pool opens at the first call."""
        target = parse_url(url, env_name)
        prepare_now(target)
        return cls(Database(target, max_size=max_size), keep_days=keep_days)

    @property
    def shown(self) -> str:
        """The database as ``user@host:port/db`` (for messages)."""
        return self.db.target.shown

    async def close(self) -> None:
        await self.db.close()

    # ---------------------------------------------------------------- subscribers
    async def get_subscriber(self, platform: str, chat_id: str) -> Subscriber | None:
        async def work(conn: AsyncConnection) -> Subscriber | None:
            cur = await conn.execute(
                f"SELECT {SUB_SELECT} FROM subscribers WHERE platform = %s AND chat_id = %s",
                (platform, str(chat_id)),
            )
            row = await cur.fetchone()
            return subscriber_from_row(row) if row else None

        return await self.db.run(work)

    async def subscribe(
        self, platform: str, chat_id: str, *, kind: str, defaults: DigestDefaults, now: datetime
    ) -> Subscriber:
        sub = Subscriber.new(platform, str(chat_id), kind=kind, defaults=defaults, now=now)
        check_changes(sub.as_doc())

        async def work(conn: AsyncConnection) -> Subscriber:
            cur = await conn.execute(
                f"""INSERT INTO subscribers ({SUB_SELECT}) VALUES ({", ".join(["%s"] * 12)})
                ON CONFLICT (platform, chat_id) DO UPDATE SET active = true,
                updated = CASE WHEN subscribers.active THEN subscribers.updated
                          ELSE EXCLUDED.updated END
                RETURNING {SUB_SELECT}""",
                subscriber_params(sub),
            )
            row = await cur.fetchone()
            assert row is not None
            return subscriber_from_row(row)

        return await self.db.run(work)

    async def update_subscriber(
        self, platform: str, chat_id: str, *, now: datetime, **changes: Any
    ) -> Subscriber:
        check_changes(changes)

        async def work(conn: AsyncConnection) -> Subscriber:
            async with conn.transaction():
                cur = await conn.execute(
                    f"SELECT {SUB_SELECT} FROM subscribers WHERE platform = %s AND chat_id = %s "
                    "FOR UPDATE",
                    (platform, str(chat_id)),
                )
                row = await cur.fetchone()
                if row is None:
                    raise NotFound("this chat has no subscription; send /subscribe first")
                new = replace(subscriber_from_row(row), **changes, updated=now)
                new = replace(new, topics=tuple(new.topics))
                check_changes(new.as_doc())
                await conn.execute(_SUB_UPSERT, subscriber_params(new))
                return new

        return await self.db.run(work)

    async def set_active(
        self, platform: str, chat_id: str, active: bool, *, now: datetime
    ) -> Subscriber | None:
        async def work(conn: AsyncConnection) -> Subscriber | None:
            cur = await conn.execute(
                f"""UPDATE subscribers SET active = %s, updated = %s
                WHERE platform = %s AND chat_id = %s AND active <> %s RETURNING {SUB_SELECT}""",
                (active, now, platform, str(chat_id), active),
            )
            row = await cur.fetchone()
            return subscriber_from_row(row) if row else None

        changed = await self.db.run(work)
        return changed or await self.get_subscriber(platform, chat_id)

    async def move_chat(
        self, platform: str, old_id: str, new_id: str, *, now: datetime
    ) -> Subscriber | None:
        old_id, new_id = str(old_id), str(new_id)
        if old_id == new_id:
            return await self.get_subscriber(platform, old_id)
        return await self.db.run(lambda conn: dq.move_chat(conn, platform, old_id, new_id, now))

    async def put_subscribers(self, subs: Sequence[Subscriber]) -> None:
        for sub in subs:
            check_changes(sub.as_doc())

        async def work(conn: AsyncConnection) -> None:
            async with conn.transaction(), conn.cursor() as cur:
                await cur.executemany(_SUB_UPSERT, [subscriber_params(s) for s in subs])
                await dq.refresh_last_slots(conn, [(s.platform, s.chat_id) for s in subs])

        if subs:
            await self.db.run(work)

    async def subscribers(self, *, active: bool | None = None) -> AsyncIterator[Subscriber]:
        where = "" if active is None else f"WHERE active = {'true' if active else 'false'}"
        query = f"SELECT {SUB_SELECT} FROM subscribers {where} ORDER BY platform, chat_id"
        async for row in self._stream(query.encode(), ()):
            yield subscriber_from_row(row)

    async def candidates(self, now: datetime) -> AsyncIterator[Candidate]:
        async for row in self._stream(_CANDIDATES.encode(), {"now": now}):
            yield Candidate(subscriber_from_row(row[:12]), row[12])

    async def _stream(self, query: bytes, params: Any) -> AsyncIterator[Any]:
        """Rows of a server-side cursor, a batch at a time (a large table never sits in memory)."""
        await self.db.run(_nothing)  # opens the pool (and waits out a restart) first
        async with self.db.pool.connection() as conn, conn.transaction():
            cur = conn.cursor(name="digestbot_stream")
            cur.itersize = STREAM_ROWS
            await cur.execute(query, params)
            async for row in cur:
                yield row
            await cur.close()

    # ---------------------------------------------------------------- history
    async def history(self, platform: str, chat_id: str) -> History:
        async def work(conn: AsyncConnection) -> list[Delivery]:
            cur = await conn.execute(
                f"SELECT {DEL_SELECT} FROM deliveries WHERE platform = %s AND chat_id = %s "
                "AND state = ANY(%s)",
                (platform, str(chat_id), sorted(CLAIMING)),
            )
            return [delivery_from_row(row) for row in await cur.fetchall()]

        parts: dict[str, list[tuple[str, ...]]] = {}
        for delivery in await self.db.run(work):
            for item in delivery.items:
                parts.setdefault(item.post_id, []).append(item.refs)
        return {
            post_id: refs[0] if len(refs) == 1 else frozenset().union(*refs)
            for post_id, refs in parts.items()
        }

    # ---------------------------------------------------------------- deliveries
    async def plan(self, run: Run | None, deliveries: Sequence[Delivery]) -> list[Delivery]:
        return await self.db.run(lambda conn: dq.plan(conn, run, deliveries))

    async def claim(
        self,
        *,
        owner: str,
        now: datetime,
        lease: timedelta,
        platforms: Collection[str],
        limit: int = 1000,
        skip: Collection[str] = (),
    ) -> list[Delivery]:
        wanted, skipped = sorted(platforms), sorted(skip)
        return await self.db.run(
            lambda conn: dq.claim(conn, owner, now, now + lease, wanted, limit, skipped)
        )

    async def claim_delivery(
        self, delivery_id: str, *, owner: str, now: datetime, lease: timedelta
    ) -> Delivery | None:
        return await self.db.run(
            lambda conn: dq.claim_one(conn, delivery_id, owner, now, now + lease)
        )

    async def record_progress(
        self,
        delivery_id: str,
        *,
        owner: str,
        message_ids: Sequence[str],
        now: datetime,
        lease: timedelta,
    ) -> Delivery:
        return await self.db.run(
            lambda conn: dq.progress(conn, delivery_id, owner, tuple(message_ids), now, lease)
        )

    async def finish(
        self,
        delivery_id: str,
        *,
        owner: str,
        state: str,
        now: datetime,
        message_ids: Sequence[str] = (),
        error: str | None = None,
        attempts: int | None = None,
    ) -> Delivery:
        outcome = dq.Outcome(state, now, tuple(message_ids), error, attempts)
        return await self.db.run(lambda conn: dq.finish(conn, delivery_id, owner, outcome))

    async def release(self, delivery_id: str, *, owner: str) -> None:
        await self.db.run(lambda conn: dq.release(conn, delivery_id, owner))

    async def get_delivery(self, delivery_id: str) -> Delivery | None:
        found = await self._deliveries("WHERE id = %s", (delivery_id,))
        return found[0] if found else None

    async def deliveries(
        self,
        *,
        state: str | None = None,
        platform: str | None = None,
        chat_id: str | None = None,
    ) -> list[Delivery]:
        terms, params = [], []
        for column, value in (("state", state), ("platform", platform), ("chat_id", chat_id)):
            if value is not None:
                terms.append(f"{column} = %s")
                params.append(str(value))
        where = f"WHERE {' AND '.join(terms)}" if terms else ""
        return await self._deliveries(where, tuple(params))

    async def _deliveries(self, where: str, params: tuple[Any, ...]) -> list[Delivery]:
        query = f"SELECT {DEL_SELECT} FROM deliveries {where} ORDER BY created, id"

        async def work(conn: AsyncConnection) -> list[Delivery]:
            cur = await conn.execute(query.encode(), params)
            return [delivery_from_row(row) for row in await cur.fetchall()]

        return await self.db.run(work)

    # ---------------------------------------------------------------- runs and housekeeping
    async def record_run(self, run: Run) -> Run:
        async def work(conn: AsyncConnection) -> Run:
            await conn.execute(dq.RUN_UPSERT, run_params(run))
            return run

        return await self.db.run(work)

    async def runs(self, limit: int = 20) -> list[Run]:
        async def work(conn: AsyncConnection) -> list[Run]:
            cur = await conn.execute(
                "SELECT id, started, finished, counts FROM runs ORDER BY started DESC, id DESC "
                "LIMIT %s",
                (limit,),
            )
            return [run_from_row(row) for row in await cur.fetchall()]

        return await self.db.run(work)

    async def housekeeping(self, now: datetime) -> int:
        cutoff = now - timedelta(days=self.keep_days)
        return await self.db.run(lambda conn: dq.fold_history(conn, cutoff, now))

    async def stats(self) -> StoreStats:
        async def work(conn: AsyncConnection) -> tuple[int, int, dict[str, int]]:
            cur = await conn.execute(
                "SELECT count(*), count(*) FILTER (WHERE active) FROM subscribers"
            )
            row = await cur.fetchone()
            total, active = (int(row[0]), int(row[1])) if row else (0, 0)
            cur = await conn.execute("SELECT state, count(*) FROM deliveries GROUP BY state")
            return total, active, {state: int(n) for state, n in await cur.fetchall()}

        total, active, states = await self.db.run(work)
        last = await self.runs(1)
        return StoreStats(total, active, states, last[0] if last else None)
