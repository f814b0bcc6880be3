"""Fixtures of the contract suite: every test here runs once per store in ``STORES``.

``backend`` is a fresh, empty backend of one implementation (see :mod:`.backends`), ``store``
the store open on it. The PostgreSQL cluster is started once per session, and only when a
PostgreSQL test runs; without PostgreSQL those tests skip (fail under
``DIGESTBOT_REQUIRE_POSTGRES=1``), as every PostgreSQL test does (tests/fakes/postgres.py).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest

from bot.store.base import Store
from tests.fakes.postgres import Cluster, cluster_or_skip
from tests.store.contract.backends import STORES, Backend


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "reopens: closes and reopens the store (skipped where nothing persists)"
    )


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[Cluster]:
    yield from cluster_or_skip()


@pytest.fixture(params=sorted(STORES))
async def backend(request: pytest.FixtureRequest) -> AsyncIterator[Backend]:
    async with STORES[request.param](request) as opened:
        if request.node.get_closest_marker("reopens") and not opened.persists:
            pytest.skip(f"the {opened.name} store keeps nothing across a restart")
        yield opened


@pytest.fixture
def store(backend: Backend) -> Store:
    return backend.store
