"""A throwaway PostgreSQL cluster for tests: initdb + pg_ctl into a temporary folder.

The server listens on 127.0.0.1 at a free port and on a private Unix socket, with fsync off, and
password (scram-sha-256) authentication, so tests see the same URLs users give the bot,
password included. ``initdb`` refuses to run as root: as root the cluster is made and run by the
``postgres`` system user (Debian's package creates it), otherwise by the current user.

``DIGESTBOT_TEST_DATABASE_URL`` points the tests at an existing server instead. Where neither is
available the tests are skipped with a line saying how to install PostgreSQL, unless
``DIGESTBOT_REQUIRE_POSTGRES=1`` (set by .ci/run), which turns the skip into a failure.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

BIN_DIRS = (
    "/usr/lib/postgresql/15/bin",
    "/usr/lib/postgresql/16/bin",
    "/usr/lib/postgresql/17/bin",
)
INSTALL_HINT = (
    "PostgreSQL server binaries not found (looked in /usr/lib/postgresql/*/bin and PATH); "
    "install them with `apt-get install -y postgresql` or set DIGESTBOT_TEST_DATABASE_URL"
)


class PostgresUnavailable(RuntimeError):
    """No server binaries and no DIGESTBOT_TEST_DATABASE_URL."""


def find_bin_dir() -> Path | None:
    for folder in BIN_DIRS:
        if (Path(folder) / "initdb").exists():
            return Path(folder)
    found = shutil.which("initdb")
    return Path(found).parent if found else None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Cluster:
    """A running cluster. ``url(db)`` is a libpq URL with the password in it."""

    bin_dir: Path
    root: Path
    port: int
    user: str
    password: str
    run_as: str | None  # the system user that owns the cluster when we are root

    @property
    def data_dir(self) -> Path:
        return self.root / "data"

    @property
    def socket_dir(self) -> Path:
        return self.root / "socket"

    def url(self, database: str = "postgres") -> str:
        return (
            f"postgresql://{self.user}:{quote(self.password, safe='')}@127.0.0.1:{self.port}/"
            f"{database}"
        )

    def _run(self, *argv: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        cmd = [str(self.bin_dir / argv[0]), *argv[1:]]
        if self.run_as:
            cmd = ["runuser", "-u", self.run_as, "--", *cmd]
        return subprocess.run(cmd, check=check, capture_output=True, text=True, timeout=60)

    def start(self) -> None:
        options = (
            f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.socket_dir} -c fsync=off "
            "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
        )
        log = self.root / "server.log"
        self._run("pg_ctl", "-D", str(self.data_dir), "-l", str(log), "-o", options, "-w", "start")

    def stop(self, mode: str = "fast") -> None:
        self._run("pg_ctl", "-D", str(self.data_dir), "-m", mode, "-w", "stop", check=False)

    def restart(self) -> None:
        self.stop()
        self.start()

    def psql(self, sql: str, database: str = "postgres") -> str:
        env_cmd = [
            "psql",
            "-X",
            "-q",
            "-At",
            "-v",
            "ON_ERROR_STOP=1",
            "-h",
            str(self.socket_dir),
            "-p",
            str(self.port),
            "-U",
            self.user,
            "-d",
            database,
            "-c",
            sql,
        ]
        cmd = [str(self.bin_dir / env_cmd[0]), *env_cmd[1:]]
        if self.run_as:
            cmd = ["runuser", "-u", self.run_as, "--", *cmd]
        env = {**os.environ, "PGPASSWORD": self.password}
        done = subprocess.run(cmd, check=True, capture_output=True, text=True, env=env, timeout=60)
        return done.stdout.strip()

    def create_database(self, name: str) -> str:
        self.psql(f'CREATE DATABASE "{name}"')
        return self.url(name)


def _prepare_root(run_as: str | None) -> Path:
    root = Path(tempfile.mkdtemp(prefix="digestbot-pg-"))
    (root / "socket").mkdir()
    if run_as:
        shutil.chown(root, run_as)
        shutil.chown(root / "socket", run_as)
        root.chmod(0o700)
    return root


@contextlib.contextmanager
def running_cluster() -> Iterator[Cluster]:
    """initdb + start; stop and delete the folder at the end."""
    bin_dir = find_bin_dir()
    if bin_dir is None:
        raise PostgresUnavailable(INSTALL_HINT)
    run_as = "postgres" if os.geteuid() == 0 else None
    root = _prepare_root(run_as)
    password = secrets.token_urlsafe(18)
    cluster = Cluster(bin_dir, root, free_port(), "digestbot", password, run_as)
    pwfile = root / "pwfile"
    pwfile.write_text(password + "\n")
    if run_as:
        shutil.chown(pwfile, run_as)
    try:
        cluster._run(
            "initdb",
            "-D",
            str(cluster.data_dir),
            "-U",
            cluster.user,
            "--pwfile",
            str(pwfile),
            "--auth=scram-sha-256",
            "-E",
            "UTF8",
            "--locale=C",
        )
        pwfile.unlink()
        cluster.start()
        yield cluster
    finally:
        cluster.stop("immediate")
        shutil.rmtree(root, ignore_errors=True)


def cluster_or_skip() -> Iterator[Cluster]:
    """For a fixture: the cluster, or a skip (a failure with DIGESTBOT_REQUIRE_POSTGRES=1)."""
    import pytest

    try:
        with running_cluster() as cluster:
            yield cluster
    except PostgresUnavailable as exc:
        if os.environ.get("DIGESTBOT_REQUIRE_POSTGRES") == "1":
            pytest.fail(f"{exc} (DIGESTBOT_REQUIRE_POSTGRES=1: PostgreSQL tests must run)")
        pytest.skip(str(exc))
