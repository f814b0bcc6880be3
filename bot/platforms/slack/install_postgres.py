"""Slack installations and OAuth states in the PostgreSQL store's database, for every instance.

With ``[store] backend = "postgresql"`` several instances behind one proxy serve one Slack app:
the install link may be opened on one and Slack's callback land on another, and every instance
sends digests with each workspace's own token. So the installations (slack_sdk's
AsyncInstallationStore, following its SQLAlchemy store: the latest installation per workspace
and installer, the latest bot per workspace, bot-only deletes) and the OAuth states (issued by
one instance, used up once by whichever gets the callback: a single ``DELETE ... RETURNING``,
timed by the database's clock) live in the store's database, in the tables of schema 2.

The seam: the SQL lives here, on the store's pool (:class:`bot.store.postgres.pool.Database`,
which rides out a server restart). The store package owns the tables' shape (one versioned
migration list for the whole database) and knows nothing of Slack; slack_sdk's semantics stay
in one module beside the file stores rather than split over a generic store API. Every
statement here is an upsert or a delete, so the pool running one again after a lost connection
changes nothing (a state whose delete was lost with its answer is refused: start again).
The tokens are in the database as in the files (who can read the database has them); they are
registered for redaction when read, and no statement or message here shows them.
"""

from __future__ import annotations

import logging
import uuid
from typing import Any

from psycopg import AsyncConnection
from psycopg.types.json import Jsonb
from slack_sdk.oauth.installation_store import Bot, Installation
from slack_sdk.oauth.installation_store.async_installation_store import AsyncInstallationStore
from slack_sdk.oauth.state_store.async_state_store import AsyncOAuthStateStore

from bot import redact
from bot.platforms.slack.install import STATE_RE, STATE_SECONDS
from bot.store.base import Store
from bot.store.postgres.pool import Database
from bot.store.postgres.store import PostgresStore

log = logging.getLogger(__name__)

_SAVE_INSTALLATION = b"""
INSERT INTO slack_installations AS i
    (client_id, enterprise_id, team_id, user_id, installed_at, data)
VALUES (%s, %s, %s, %s, to_timestamp(%s), %s)
ON CONFLICT (client_id, enterprise_id, team_id, user_id) DO UPDATE
    SET installed_at = EXCLUDED.installed_at, data = EXCLUDED.data
    WHERE i.installed_at <= EXCLUDED.installed_at
"""
_SAVE_BOT = b"""
INSERT INTO slack_bots AS b (client_id, enterprise_id, team_id, installed_at, data)
VALUES (%s, %s, %s, to_timestamp(%s), %s)
ON CONFLICT (client_id, enterprise_id, team_id) DO UPDATE
    SET installed_at = EXCLUDED.installed_at, data = EXCLUDED.data
    WHERE b.installed_at <= EXCLUDED.installed_at
"""
_KEY = b"client_id = %s AND enterprise_id = %s AND team_id = %s"
_FIND_BOT = b"SELECT data FROM slack_bots WHERE " + _KEY + b" AND data->>'bot_token' <> ''"
_FIND_INSTALLATION = b"SELECT data FROM slack_installations WHERE " + _KEY
_LATEST = b" ORDER BY installed_at DESC LIMIT 1"
_ISSUE = b"""
WITH swept AS (DELETE FROM slack_oauth_states WHERE expires_at < now())
INSERT INTO slack_oauth_states (state, expires_at)
VALUES (%s, now() + make_interval(secs => %s)) ON CONFLICT (state) DO NOTHING
"""
_CONSUME = b"DELETE FROM slack_oauth_states WHERE state = %s RETURNING expires_at > now()"
TOKENS = ("bot_token", "bot_refresh_token", "user_token", "user_refresh_token")


def _key(enterprise_id: str | None, team_id: str | None) -> tuple[str, str]:
    """The key columns: '' stands for "none" (an org-wide install has no team)."""
    return enterprise_id or "", team_id or ""


def _found(data: dict[str, Any]) -> dict[str, Any]:
    for name in TOKENS:
        if isinstance(data.get(name), str):
            redact.add_secret(data[name])
    return data


async def _one(conn: AsyncConnection, query: bytes, params: tuple[Any, ...]) -> Any:
    cur = await conn.execute(query, params)
    row = await cur.fetchone()
    return None if row is None else row[0]


class PostgresInstallationStore(AsyncInstallationStore):
    """slack_sdk's installation store on the store's database, for one Slack app (its client
    id): bolt finds each workspace's bot here, :class:`~bot.platforms.slack.install
    .Installations` each workspace's client for digests."""

    def __init__(self, db: Database, client_id: str) -> None:
        self.db = db
        self.client_id = client_id

    @property
    def logger(self) -> logging.Logger:
        return log

    async def async_save(self, installation: Installation) -> None:
        """The installation (latest per workspace and installer) and its bot, at once."""
        bot = installation.to_bot()
        key = (self.client_id, *_key(installation.enterprise_id, installation.team_id))
        row = (*key, installation.user_id or "", installation.installed_at)

        async def work(conn: AsyncConnection) -> None:
            async with conn.transaction():
                await conn.execute(_SAVE_INSTALLATION, (*row, Jsonb(installation.__dict__)))
                if bot.bot_token:
                    await conn.execute(_SAVE_BOT, (*key, bot.installed_at, Jsonb(bot.__dict__)))

        await self.db.run(work)

    async def async_save_bot(self, bot: Bot) -> None:
        """The workspace's bot, unless a later one is saved already (none without a token,
        as slack_sdk's file store)."""
        if not bot.bot_token:
            return
        params = (self.client_id, *_key(bot.enterprise_id, bot.team_id), bot.installed_at)
        await self.db.run(lambda conn: conn.execute(_SAVE_BOT, (*params, Jsonb(bot.__dict__))))

    async def async_find_bot(
        self,
        *,
        enterprise_id: str | None,
        team_id: str | None,
        is_enterprise_install: bool | None = False,
    ) -> Bot | None:
        team = None if is_enterprise_install else team_id
        params = (self.client_id, *_key(enterprise_id, team))
        data = await self.db.run(lambda conn: _one(conn, _FIND_BOT, params))
        return None if data is None else Bot(**_found(data))

    async def async_find_installation(
        self,
        *,
        enterprise_id: str | None,
        team_id: str | None,
        user_id: str | None = None,
        is_enterprise_install: bool | None = False,
    ) -> Installation | None:
        """The installer's installation (``user_id``), else the workspace's latest; its bot
        token the workspace's latest bot's (bolt-python issue 664), as slack_sdk's stores do."""
        team = None if is_enterprise_install else team_id
        params: tuple[str, ...] = (self.client_id, *_key(enterprise_id, team))
        query = _FIND_INSTALLATION
        if user_id is not None:
            query, params = query + b" AND user_id = %s", (*params, user_id)
        data = await self.db.run(lambda conn: _one(conn, query + _LATEST, params))
        if data is None:
            return None
        found = Installation(**_found(data))
        if user_id is not None or found.bot_token is None:
            bot = await self.async_find_bot(enterprise_id=enterprise_id, team_id=team)
            if bot is not None and bot.bot_token != found.bot_token:
                found.bot_id, found.bot_user_id = bot.bot_id, bot.bot_user_id
                found.bot_token, found.bot_scopes = bot.bot_token, bot.bot_scopes
                found.bot_refresh_token = bot.bot_refresh_token
                found.bot_token_expires_at = bot.bot_token_expires_at
        return found

    async def async_delete_bot(self, *, enterprise_id: str | None, team_id: str | None) -> None:
        params = (self.client_id, *_key(enterprise_id, team_id))
        await self.db.run(
            lambda conn: conn.execute(b"DELETE FROM slack_bots WHERE " + _KEY, params)
        )

    async def async_delete_installation(
        self, *, enterprise_id: str | None, team_id: str | None, user_id: str | None = None
    ) -> None:
        """The workspace's installations (only ``user_id``'s when given)."""
        params: tuple[str, ...] = (self.client_id, *_key(enterprise_id, team_id))
        query = b"DELETE FROM slack_installations WHERE " + _KEY
        if user_id is not None:
            query, params = query + b" AND user_id = %s", (*params, user_id)
        await self.db.run(lambda conn: conn.execute(query, params))

    async def async_delete_all(self, *, enterprise_id: str | None, team_id: str | None) -> None:
        """The workspace's bot and installations, in one transaction."""
        params = (self.client_id, *_key(enterprise_id, team_id))

        async def work(conn: AsyncConnection) -> None:
            async with conn.transaction():
                await conn.execute(b"DELETE FROM slack_bots WHERE " + _KEY, params)
                await conn.execute(b"DELETE FROM slack_installations WHERE " + _KEY, params)

        await self.db.run(work)


class PostgresStateStore(AsyncOAuthStateStore):
    """OAuth states in the database: issued by any instance, used up once by any instance,
    refused after ``expiration_seconds`` by the database's clock; expired ones are swept as
    new ones are issued."""

    def __init__(self, db: Database, expiration_seconds: int = STATE_SECONDS) -> None:
        self.db = db
        self.expiration_seconds = expiration_seconds

    @property
    def logger(self) -> logging.Logger:
        return log

    async def async_issue(self, *args: Any, **kwargs: Any) -> str:
        state = str(uuid.uuid4())
        params = (state, self.expiration_seconds)
        await self.db.run(lambda conn: conn.execute(_ISSUE, params))
        return state

    async def async_consume(self, state: str) -> bool:
        """True once for a state issued and not expired; an expired one is deleted too."""
        if not isinstance(state, str) or not STATE_RE.fullmatch(state):
            return False
        fresh = await self.db.run(lambda conn: _one(conn, _CONSUME, (state,)))
        return bool(fresh)


def shared_stores(
    store: Store, client_id: str
) -> tuple[PostgresInstallationStore, PostgresStateStore] | None:
    """The installation and state stores in ``store``'s database when it is PostgreSQL (shared
    by every instance); None for a store of one instance (the files under DATA/slack)."""
    if not isinstance(store, PostgresStore):
        return None
    return PostgresInstallationStore(store.db, client_id), PostgresStateStore(store.db)
