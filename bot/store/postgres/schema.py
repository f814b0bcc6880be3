"""The PostgreSQL schema: versioned migrations, applied at start under an advisory lock.

``digestbot_migrations`` holds one row per applied migration (its version, name and when).
Several instances starting at once take ``pg_advisory_xact_lock(MIGRATION_LOCK)`` first, so the
migrations run once; the others wait and then find nothing to do. A database whose highest
version is above :data:`SCHEMA_VERSION` was written by a newer digestbot: it is refused with one
line, as a TinyDB folder written by a newer digestbot is, and nothing is changed.

Tables (schema 1)::

    subscribers   one row per chat (platform, chat_id), its settings and ``last_slot`` (the
                  latest scheduled slot planned for it, kept with the row so a tick needs no join)
    deliveries    one row per digest (id = "platform:chat@slot"), its items (JSON), outcome and
                  per-message progress (message_ids), and the claim: ``owner`` + ``lease_until``;
                  scheduled ones are unique per (platform, chat_id, slot); archived history is
                  one row per chat with state 'archived' (id "platform:chat@archive")
    runs          one row per scheduler run that had work (counts by outcome)
    rate_limits   shared send schedules (one row per limit key) for rate limits across instances

Schema 2 (Slack's OAuth install flow, shared by every instance; the platform code that reads
them is bot/platforms/slack/install_postgres.py, this package knows only their shape)::

    slack_installations  the latest installation per app, workspace and installing user
                         (slack_sdk's Installation as jsonb), keyed with '' for "none"
    slack_bots           the latest bot (token) per app and workspace
    slack_oauth_states   OAuth states issued and not yet used, until ``expires_at``
"""

from __future__ import annotations

from dataclasses import dataclass

from psycopg import AsyncConnection, Connection

MIGRATION_LOCK = 0x64696765  # "dige": the advisory lock key migrations take
HOUSEKEEPING_LOCK = 0x64696766  # the once-only housekeeping (folding history)


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    sql: str


MIGRATIONS: tuple[Migration, ...] = (
    Migration(
        1,
        "subscribers, deliveries, runs, rate limits",
        """
        CREATE TABLE subscribers (
            platform  text NOT NULL,
            chat_id   text NOT NULL,
            kind      text NOT NULL,
            timezone  text NOT NULL,
            time      text NOT NULL,
            frequency text NOT NULL,
            weekday   text NOT NULL,
            topics    text[] NOT NULL DEFAULT '{}',
            posts     integer NOT NULL,
            active    boolean NOT NULL,
            created   timestamptz NOT NULL,
            updated   timestamptz NOT NULL,
            last_slot text,
            PRIMARY KEY (platform, chat_id)
        );
        CREATE INDEX subscribers_active ON subscribers (platform, chat_id) WHERE active;
        CREATE TABLE deliveries (
            id          text PRIMARY KEY,
            platform    text NOT NULL,
            chat_id     text NOT NULL,
            slot        text NOT NULL,
            title       text NOT NULL,
            items       jsonb NOT NULL,
            state       text NOT NULL,
            created     timestamptz NOT NULL,
            updated     timestamptz NOT NULL,
            run_id      text NOT NULL DEFAULT '',
            message_ids jsonb NOT NULL DEFAULT '[]',
            attempts    integer NOT NULL DEFAULT 0,
            error       text,
            owner       text,
            lease_until timestamptz
        );
        CREATE UNIQUE INDEX deliveries_chat_slot ON deliveries (platform, chat_id, slot)
            WHERE slot <> '' AND state <> 'archived';
        CREATE INDEX deliveries_chat ON deliveries (platform, chat_id);
        CREATE INDEX deliveries_pending ON deliveries (created, id) WHERE state = 'pending';
        CREATE INDEX deliveries_final ON deliveries (updated) WHERE state <> 'pending'
            AND state <> 'archived';
        CREATE TABLE runs (
            id       text PRIMARY KEY,
            started  timestamptz NOT NULL,
            finished timestamptz,
            counts   jsonb NOT NULL
        );
        CREATE INDEX runs_started ON runs (started);
        CREATE TABLE rate_limits (
            key  text PRIMARY KEY,
            next timestamptz NOT NULL
        );
        """,
    ),
    Migration(
        2,
        "slack installations, bots and OAuth states",
        """
        CREATE TABLE slack_installations (
            client_id     text NOT NULL,
            enterprise_id text NOT NULL,
            team_id       text NOT NULL,
            user_id       text NOT NULL,
            installed_at  timestamptz NOT NULL,
            data          jsonb NOT NULL,
            PRIMARY KEY (client_id, enterprise_id, team_id, user_id)
        );
        CREATE INDEX slack_installations_latest
            ON slack_installations (client_id, enterprise_id, team_id, installed_at);
        CREATE TABLE slack_bots (
            client_id     text NOT NULL,
            enterprise_id text NOT NULL,
            team_id       text NOT NULL,
            installed_at  timestamptz NOT NULL,
            data          jsonb NOT NULL,
            PRIMARY KEY (client_id, enterprise_id, team_id)
        );
        CREATE TABLE slack_oauth_states (
            state      text PRIMARY KEY,
            expires_at timestamptz NOT NULL
        );
        CREATE INDEX slack_oauth_states_expiry ON slack_oauth_states (expires_at);
        """,
    ),
)
SCHEMA_VERSION = MIGRATIONS[-1].version

_CREATE_TABLE = """
CREATE TABLE IF NOT EXISTS digestbot_migrations (
    version integer PRIMARY KEY,
    name    text NOT NULL,
    applied timestamptz NOT NULL DEFAULT now()
)
"""


class NewerSchema(Exception):
    """The database holds a schema version this digestbot does not know."""

    def __init__(self, found: int) -> None:
        self.found = found
        super().__init__(
            f"schema version {found} was written by a newer digestbot (this one reads up to "
            f"{SCHEMA_VERSION}); upgrade digestbot"
        )


async def current_version(conn: AsyncConnection) -> int:
    """The highest applied version; 0 for a database digestbot never wrote."""
    cur = await conn.execute("SELECT to_regclass('digestbot_migrations') IS NOT NULL")
    row = await cur.fetchone()
    if not row or not row[0]:
        return 0
    cur = await conn.execute("SELECT coalesce(max(version), 0) FROM digestbot_migrations")
    row = await cur.fetchone()
    return int(row[0]) if row else 0


async def migrate(conn: AsyncConnection) -> list[Migration]:
    """Apply the missing migrations in one transaction; returns those applied (none: up to
    date). NewerSchema (nothing changed) when the database is newer than this digestbot."""
    async with conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock(%s)", (MIGRATION_LOCK,))
        await conn.execute(_CREATE_TABLE)
        found = await current_version(conn)
        if found > SCHEMA_VERSION:
            raise NewerSchema(found)
        applied = [m for m in MIGRATIONS if m.version > found]
        for migration in applied:
            await conn.execute(migration.sql.encode())
            await conn.execute(
                "INSERT INTO digestbot_migrations (version, name) VALUES (%s, %s)",
                (migration.version, migration.name),
            )
    return applied


def migrate_now(conn: Connection) -> list[Migration]:
    """:func:`migrate` on a blocking connection (at start, before any event loop runs)."""
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (MIGRATION_LOCK,))
        conn.execute(_CREATE_TABLE)
        found = _version_now(conn)
        if found > SCHEMA_VERSION:
            raise NewerSchema(found)
        applied = [m for m in MIGRATIONS if m.version > found]
        for migration in applied:
            conn.execute(migration.sql.encode())
            conn.execute(
                "INSERT INTO digestbot_migrations (version, name) VALUES (%s, %s)",
                (migration.version, migration.name),
            )
    return applied


def _version_now(conn: Connection) -> int:
    row = conn.execute("SELECT to_regclass('digestbot_migrations') IS NOT NULL").fetchone()
    if not row or not row[0]:
        return 0
    row = conn.execute("SELECT coalesce(max(version), 0) FROM digestbot_migrations").fetchone()
    return int(row[0]) if row else 0


def check_version_now(conn: Connection) -> int:
    found = _version_now(conn)
    if found > SCHEMA_VERSION:
        raise NewerSchema(found)
    return found


async def check_version(conn: AsyncConnection) -> int:
    """The version, for a reader that must not migrate; NewerSchema when too new."""
    found = await current_version(conn)
    if found > SCHEMA_VERSION:
        raise NewerSchema(found)
    return found
