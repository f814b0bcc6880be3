"""The one place the app opens its store: ``[store] backend`` picks TinyDB or PostgreSQL.

TinyDB lives in the data folder (one instance; its lock refuses a second). PostgreSQL is
reached through the URL in the environment variable named by ``[store] url_env``; its schema is
checked and migrated here, before anything else starts, so an unreachable database or one
written by a newer digestbot stops the start with one line (StoreError, exit status 2).
"""

from __future__ import annotations

from collections.abc import Mapping

from bot.config import Config
from bot.store.base import Store


def open_store(
    config: Config,
    *,
    backend: str | None = None,
    environ: Mapping[str, str] | None = None,
    readonly: bool = False,
) -> Store:
    """The configured store (or ``backend``), open and up to date. ``readonly``: TinyDB is
    read without its lock, while the bot runs (a database is always shared)."""
    chosen = backend or config.store.backend
    if chosen == "postgresql":
        from bot.store.postgres.store import PostgresStore

        return PostgresStore.connect(config.database_url(environ), env_name=config.store.url_env)
    from bot.store.tinydb.protocol import TinyDBStore

    return TinyDBStore.open(config.data_dir, readonly=readonly)
