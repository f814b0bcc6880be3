"""The connection pool, and riding out a database restart.

Every store call runs :meth:`Database.run` with one pooled connection (autocommit, UTC). A
connection lost under it (the server restarted, the network dropped) is not an error the caller
sees at once: the call is tried again on a fresh connection, with growing pauses, for up to
``retry_for`` seconds, and only then raised as one line (:class:`DatabaseUnreachable`). The
calls are written so that running one twice does what running it once does (see
:meth:`bot.store.postgres.store.PostgresStore.finish`).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

import psycopg
from psycopg import AsyncConnection
from psycopg_pool import AsyncConnectionPool, PoolTimeout

from bot import redact
from bot.errors import StoreError
from bot.store.postgres import schema
from bot.store.postgres.connect import Target, unreachable

log = logging.getLogger(__name__)
T = TypeVar("T")
CONNECT_TIMEOUT = 5  # seconds, for each connection attempt
RETRY_ERRORS = (psycopg.OperationalError, PoolTimeout)


async def _configure(conn: AsyncConnection) -> None:
    await conn.execute("SET TIME ZONE 'UTC'")


async def connect_once(target: Target) -> AsyncConnection:
    """One connection now, or DatabaseUnreachable saying why in one line."""
    try:
        conn = await psycopg.AsyncConnection.connect(
            target.url, autocommit=True, connect_timeout=CONNECT_TIMEOUT
        )
    except psycopg.Error as exc:
        raise unreachable(target, exc) from None
    await _configure(conn)
    return conn


async def prepare(target: Target, *, migrate: bool = True) -> int:
    """Check (and unless ``migrate`` is False, bring up to date) the schema; the version."""
    conn = await connect_once(target)
    try:
        if migrate:
            await schema.migrate(conn)
        return await schema.check_version(conn)
    except schema.NewerSchema as exc:
        raise StoreError(f"database {target.shown}: {exc}") from None
    except psycopg.OperationalError as exc:
        raise unreachable(target, exc) from None
    finally:
        await conn.close()


def prepare_now(target: Target, *, migrate: bool = True) -> tuple[int, list[schema.Migration]]:
    """:func:`prepare` on a blocking connection, before any event loop runs (the version,
    and the migrations applied)."""
    try:
        conn = psycopg.connect(target.url, autocommit=True, connect_timeout=CONNECT_TIMEOUT)
    except psycopg.Error as exc:
        raise unreachable(target, exc) from None
    try:
        applied = schema.migrate_now(conn) if migrate else []
        return schema.check_version_now(conn), applied
    except schema.NewerSchema as exc:
        raise StoreError(f"database {target.shown}: {exc}") from None
    except psycopg.OperationalError as exc:
        raise unreachable(target, exc) from None
    finally:
        conn.close()


class Database:
    """A pool of connections to one database, and retries across a lost connection."""

    def __init__(self, target: Target, *, max_size: int = 8, retry_for: float = 60.0) -> None:
        self.target = target
        self.retry_for = retry_for
        self.pool = AsyncConnectionPool(
            target.url,
            min_size=1,
            max_size=max_size,
            open=False,
            kwargs={"autocommit": True, "connect_timeout": CONNECT_TIMEOUT},
            configure=_configure,
            check=AsyncConnectionPool.check_connection,
            timeout=CONNECT_TIMEOUT * 2,
            name="digestbot",
        )

        self._opened = False

    async def open(self) -> None:
        try:
            await self.pool.open(wait=True, timeout=CONNECT_TIMEOUT * 2)
        except PoolTimeout as exc:
            await self.pool.close()
            raise unreachable(self.target, exc) from None
        self._opened = True

    async def _ensure_open(self) -> None:
        """Open the pool at first use (a store opened before the event loop started)."""
        if not self._opened:
            self._opened = True
            await self.pool.open(wait=False)

    async def close(self) -> None:
        if self._opened:
            await self.pool.close()

    async def run(self, work: Callable[[AsyncConnection], Awaitable[T]]) -> T:
        """``work(conn)`` on a pooled connection, again on a fresh one if the connection was
        lost, for up to ``retry_for`` seconds."""
        await self._ensure_open()
        deadline = time.monotonic() + self.retry_for
        pause = 0.05
        while True:
            try:
                async with self.pool.connection() as conn:
                    return await work(conn)
            except RETRY_ERRORS as exc:
                if not _connection_lost(exc) or time.monotonic() + pause > deadline:
                    if _connection_lost(exc):
                        raise unreachable(self.target, exc) from None
                    raise
                log.warning(
                    "database %s: %s; trying again in %.2f s",
                    self.target.shown,
                    redact.redact(str(exc).strip().splitlines()[0] if str(exc) else "lost"),
                    pause,
                )
                await asyncio.sleep(pause)
                pause = min(pause * 2, 2.0)


def _connection_lost(exc: BaseException) -> bool:
    """A lost or refused connection (worth trying again), not a bad statement."""
    if isinstance(exc, PoolTimeout):
        return True
    sqlstate = getattr(exc, "sqlstate", None)
    if sqlstate is None:  # raised by the client: the socket closed, no server answer
        return True
    # connection exception, operator intervention (a restart), serialization failure or deadlock
    return bool(sqlstate.startswith(("08", "57P", "40")))
