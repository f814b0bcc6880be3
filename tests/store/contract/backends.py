"""The stores the contract suite runs on: one factory per implementation, in :data:`STORES`.

A factory is an async context manager taking the pytest request (for the fixtures it needs:
a PostgreSQL cluster, a temporary folder) and yielding a :class:`Backend`: a fresh, empty
backend with a store open on it. Adding an implementation to the suite is one line in
:data:`STORES` and, where its backend can do more than hold one store object, a Backend
subclass saying so:

- :meth:`Backend.peer` opens another store object on the same data, as a second bot instance
  would (PostgreSQL). A backend made for one instance (memory, a TinyDB folder) answers with its
  one store, so tests of concurrent calls run there as concurrent tasks on one object.
- :meth:`Backend.reopen` closes the store and opens the data again, as a restart would.
  Backends that keep nothing (memory) skip the tests marked ``reopens``.
"""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path

import pytest

from bot.store.base import Store
from bot.store.memory import MemoryStore
from bot.store.postgres.store import PostgresStore
from bot.store.tinydb.protocol import TinyDBStore


class Backend:
    """A fresh, empty backend and ``store``, a store open on it."""

    persists = False  # reopen() finds what was written before
    shared = False  # several processes share the data: claims outlive one store object

    def __init__(self, name: str, store: Store) -> None:
        self.name = name
        self.store = store

    async def peer(self) -> Store:
        """Another store on the same data (here: the one store, shared)."""
        return self.store

    async def reopen(self) -> Store:
        """Close the store and open the data again; the new store is ``self.store``."""
        pytest.skip(f"the {self.name} store keeps nothing across a restart")

    async def close(self) -> None:
        await self.store.close()


class PostgresBackend(Backend):
    """One throwaway database; each peer and each reopening is a new pool on it."""

    persists = True
    shared = True

    def __init__(self, url: str, store: Store) -> None:
        super().__init__("postgresql", store)
        self.url = url
        self.peers: list[Store] = []

    async def peer(self) -> Store:
        store = await PostgresStore.open(self.url, retry_for=20)
        self.peers.append(store)
        return store

    async def reopen(self) -> Store:
        await self.store.close()
        self.store = await PostgresStore.open(self.url, retry_for=20)
        return self.store

    async def close(self) -> None:
        for store in self.peers:
            await store.close()
        await super().close()


class TinyDBBackend(Backend):
    """A data folder: one store object at a time (the folder lock); reopening reads the files."""

    persists = True

    def __init__(self, folder: Path) -> None:
        super().__init__("tinydb", TinyDBStore.open(folder))
        self.folder = folder

    async def reopen(self) -> Store:
        await self.store.close()
        self.store = TinyDBStore.open(self.folder)
        return self.store


BackendFactory = Callable[[pytest.FixtureRequest], AbstractAsyncContextManager[Backend]]
_databases = itertools.count()


@asynccontextmanager
async def memory(request: pytest.FixtureRequest) -> AsyncIterator[Backend]:
    backend = Backend("memory", MemoryStore())
    try:
        yield backend
    finally:
        await backend.close()


@asynccontextmanager
async def postgresql(request: pytest.FixtureRequest) -> AsyncIterator[Backend]:
    """A new database on the session's cluster (skipped, with the install line, without one)."""
    cluster = request.getfixturevalue("pg_cluster")
    url = cluster.create_database(f"contract{next(_databases)}")
    backend = PostgresBackend(url, await PostgresStore.open(url, retry_for=20))
    try:
        yield backend
    finally:
        await backend.close()


@asynccontextmanager
async def tinydb(request: pytest.FixtureRequest) -> AsyncIterator[Backend]:
    folder: Path = request.getfixturevalue("tmp_path") / "data"
    backend = TinyDBBackend(folder)
    try:
        yield backend
    finally:
        await backend.close()


STORES: dict[str, BackendFactory] = {
    "memory": memory,
    "tinydb": tinydb,
    "postgresql": postgresql,
}
