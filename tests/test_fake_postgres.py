"""The throwaway PostgreSQL cluster the store tests run on: password auth, restart, cleanup."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator

import pytest

from tests.fakes.postgres import Cluster, cluster_or_skip


@pytest.fixture(scope="module")
def cluster() -> Iterator[Cluster]:
    yield from cluster_or_skip()


def test_the_cluster_answers_on_loopback_with_a_password(cluster: Cluster) -> None:
    url = cluster.create_database("fixture_check")
    assert url.startswith("postgresql://digestbot:")
    assert f"@127.0.0.1:{cluster.port}/fixture_check" in url
    assert cluster.psql("SELECT current_database()", "fixture_check") == "fixture_check"


def test_a_wrong_password_is_refused(cluster: Cluster) -> None:
    wrong = Cluster(
        cluster.bin_dir, cluster.root, cluster.port, cluster.user, "wrong", cluster.run_as
    )
    with pytest.raises(subprocess.CalledProcessError) as err:
        wrong.psql("SELECT 1")
    assert "password authentication failed" in err.value.stderr


def test_data_survives_a_restart(cluster: Cluster) -> None:
    cluster.psql("CREATE TABLE IF NOT EXISTS kept (n int); INSERT INTO kept VALUES (7)")
    cluster.restart()
    assert cluster.psql("SELECT sum(n) FROM kept") == "7"
