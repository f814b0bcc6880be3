"""Slack installations and OAuth states in the PostgreSQL store's database, on a real server:
the installation store's contract (slack_sdk's semantics), states shared by two instances and
used once, and the OAuth round trip through two bot instances on one database (the install
link on one, Slack's callback on the other, digests sent by either with each workspace's own
token), against the loopback Slack server."""

from __future__ import annotations

import asyncio
import subprocess
from collections.abc import AsyncIterator, Iterator
from contextlib import AsyncExitStack
from pathlib import Path

import pytest
from slack_sdk.oauth.installation_store import Bot, Installation

from bot.config import StoreConfig
from bot.platforms.slack.install import PrivateInstallationStore
from bot.platforms.slack.install_copy import read_folder
from bot.platforms.slack.install_postgres import (
    PostgresInstallationStore,
    PostgresStateStore,
    shared_stores,
)
from bot.store.memory import MemoryStore
from bot.store.postgres.schema import MIGRATIONS, SCHEMA_VERSION
from bot.store.postgres.store import PostgresStore
from tests.app_fixtures import FakeClock
from tests.bot_process import run_cli
from tests.fakes.postgres import Cluster, cluster_or_skip
from tests.fakes.slack_oauth import CLIENT_ID
from tests.fakes.slack_server import FakeSlack
from tests.fakes.slack_state import DEFAULT_CHANNEL, TEAM_ID
from tests.slack_install_fixtures import CHANNEL_B, TEAM_B, oauth_bot, subscribe, two_workspaces

_numbers = iter(range(10_000))
SEEDS = Path(__file__).resolve().parents[3] / "seeds"
T0 = 1_780_000_000.0  # an installed_at, in seconds


@pytest.fixture(scope="module")
def cluster() -> Iterator[Cluster]:
    yield from cluster_or_skip()


@pytest.fixture
def db_url(cluster: Cluster) -> str:
    return cluster.create_database(f"slack{next(_numbers)}")


@pytest.fixture
async def two(db_url: str) -> AsyncIterator[tuple[PostgresStore, PostgresStore]]:
    """Two store objects on one database: what two instances hold."""
    first = await PostgresStore.open(db_url, retry_for=20)
    second = await PostgresStore.open(db_url, retry_for=20)
    yield first, second
    await first.close()
    await second.close()


def stores(store: PostgresStore) -> tuple[PostgresInstallationStore, PostgresStateStore]:
    found = shared_stores(store, CLIENT_ID)
    assert found is not None
    return found


def installation(team: str, user: str, token: str, at: float, **more: object) -> Installation:
    return Installation(app_id="A0APP00001", team_id=team, team_name=f"{team} Inc.",
                        user_id=user, bot_token=token, bot_id="B0BOT00001",
                        bot_user_id="U0BOT00001", bot_scopes=["chat:write", "commands"],
                        installed_at=at, **more)  # type: ignore[arg-type]  # fmt: skip


async def test_the_latest_installation_and_bot_per_workspace_are_found_by_any_instance(
    two: tuple[PostgresStore, PostgresStore],
) -> None:
    (one, _), (other, _) = stores(two[0]), stores(two[1])
    await one.async_save(installation("T1", "U1", "xoxb-first-0000000001", T0))
    await one.async_save(installation("T2", "U1", "xoxb-other-0000000002", T0))
    bot = await other.async_find_bot(enterprise_id=None, team_id="T1")
    assert bot is not None and bot.bot_token == "xoxb-first-0000000001"
    assert bot.bot_scopes == ["chat:write", "commands"] and bot.installed_at == T0
    await other.async_save(installation("T1", "U2", "xoxb-again-0000000003", T0 + 60))
    await one.async_save_bot(Bot(bot_token="xoxb-stale-0000000004", bot_id="B0", bot_user_id="U0",
                                 team_id="T1", installed_at=T0 - 60))  # fmt: skip
    bot = await one.async_find_bot(enterprise_id=None, team_id="T1")
    assert bot is not None and bot.bot_token == "xoxb-again-0000000003"  # the latest wins
    latest = await one.async_find_installation(enterprise_id=None, team_id="T1")
    assert latest is not None and latest.user_id == "U2" and latest.team_name == "T1 Inc."
    first = await one.async_find_installation(enterprise_id=None, team_id="T1", user_id="U1")
    assert first is not None and first.user_id == "U1" and first.installed_at == T0
    assert first.bot_token == "xoxb-again-0000000003"  # the workspace's latest bot, as slack_sdk
    assert await one.async_find_installation(enterprise_id=None, team_id="T1", user_id="U9") is None
    assert await one.async_find_bot(enterprise_id=None, team_id="T3") is None
    other_team = await one.async_find_bot(enterprise_id=None, team_id="T2")
    assert other_team is not None and other_team.bot_token == "xoxb-other-0000000002"


async def test_deleting_a_bot_an_installer_or_everything_of_one_workspace(
    two: tuple[PostgresStore, PostgresStore],
) -> None:
    (one, _), (other, _) = stores(two[0]), stores(two[1])
    await one.async_save(installation("T1", "U1", "xoxb-first-0000000001", T0))
    await one.async_save(installation("T1", "U2", "xoxb-again-0000000003", T0 + 60))
    await one.async_save(installation("T2", "U1", "xoxb-other-0000000002", T0))
    await other.async_delete_bot(enterprise_id=None, team_id="T1")
    assert await one.async_find_bot(enterprise_id=None, team_id="T1") is None
    kept = await one.async_find_installation(enterprise_id=None, team_id="T1")
    assert kept is not None and kept.user_id == "U2"  # tokens_revoked for the bot: bot only
    await other.async_delete_installation(enterprise_id=None, team_id="T1", user_id="U2")
    kept = await one.async_find_installation(enterprise_id=None, team_id="T1")
    assert kept is not None and kept.user_id == "U1"
    await one.async_save(installation("T1", "U2", "xoxb-third-0000000005", T0 + 120))
    await other.async_delete_all(enterprise_id=None, team_id="T1")
    assert await one.async_find_installation(enterprise_id=None, team_id="T1") is None
    assert await one.async_find_bot(enterprise_id=None, team_id="T1") is None
    assert await one.async_find_bot(enterprise_id=None, team_id="T2") is not None  # untouched


async def test_an_org_wide_install_is_found_by_its_enterprise_without_a_team(
    two: tuple[PostgresStore, PostgresStore],
) -> None:
    one, _ = stores(two[0])
    org = installation("", "U1", "xoxb-org-00000000000006", T0, enterprise_id="E1",
                       is_enterprise_install=True)  # fmt: skip
    org.team_id = None
    await one.async_save(org)
    found = await one.async_find_bot(enterprise_id="E1", team_id="T7", is_enterprise_install=True)
    assert found is not None and found.bot_token == "xoxb-org-00000000000006"
    assert await one.async_find_bot(enterprise_id="E1", team_id="T7") is None
    assert await one.async_find_bot(enterprise_id=None, team_id=None) is None


async def test_a_state_issued_by_one_instance_is_used_once_by_another(
    cluster: Cluster, db_url: str, two: tuple[PostgresStore, PostgresStore]
) -> None:
    (_, issuer), (_, other) = stores(two[0]), stores(two[1])
    state = await issuer.async_issue()
    assert await other.async_consume(state) is True
    assert await issuer.async_consume(state) is False  # used up, on every instance
    assert await other.async_consume("../../etc/passwd") is False  # not a state we issue
    stale, swept = await issuer.async_issue(), await issuer.async_issue()
    name = db_url.rsplit("/", 1)[1]
    cluster.psql(f"UPDATE slack_oauth_states SET expires_at = now() - interval '1 second' "
                 f"WHERE state IN ('{stale}', '{swept}')", name)  # fmt: skip
    assert await other.async_consume(stale) is False  # ten minutes went by
    await other.async_issue()  # sweeps the expired ones
    assert cluster.psql(f"SELECT count(*) FROM slack_oauth_states WHERE state = '{swept}'",
                        name) == "0"  # fmt: skip
    assert cluster.psql("SELECT count(*) FROM slack_oauth_states", name) == "1"


def test_a_store_of_one_instance_gets_no_shared_stores() -> None:
    assert shared_stores(MemoryStore(), CLIENT_ID) is None


async def test_a_schema_1_database_gains_the_slack_tables_and_keeps_its_rows(
    cluster: Cluster, db_url: str
) -> None:
    name = db_url.rsplit("/", 1)[1]
    cluster.psql(MIGRATIONS[0].sql, name)
    cluster.psql(
        "CREATE TABLE digestbot_migrations (version integer PRIMARY KEY, name text NOT NULL, "
        "applied timestamptz NOT NULL DEFAULT now()); INSERT INTO digestbot_migrations "
        "(version, name) VALUES (1, 'old'); INSERT INTO rate_limits VALUES ('k', now())",
        name,
    )
    store = await PostgresStore.open(db_url)
    try:
        one, _ = stores(store)
        await one.async_save(installation("T1", "U1", "xoxb-first-0000000001", T0))
        assert await one.async_find_bot(enterprise_id=None, team_id="T1") is not None
    finally:
        await store.close()
    assert SCHEMA_VERSION == 2
    assert cluster.psql("SELECT max(version) FROM digestbot_migrations", name) == "2"
    assert cluster.psql("SELECT key FROM rate_limits", name) == "k"


@pytest.fixture
async def slack() -> AsyncIterator[FakeSlack]:
    async with two_workspaces() as server:
        yield server


async def test_installed_through_two_instances_each_workspace_gets_digests_from_either(
    tmp_path: Path,
    slack: FakeSlack,
    db_url: str,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.setenv("DIGESTBOT_DATABASE_URL", db_url)
    shared = StoreConfig(backend="postgresql")
    async with AsyncExitStack() as stack:
        a = await stack.enter_async_context(oauth_bot(tmp_path / "a", slack, store=shared))
        b = await stack.enter_async_context(oauth_bot(tmp_path / "b", slack, store=shared))
        slack.oauth.redirect_url = b.redirect_url  # the proxy gives Slack's callback to b
        assert (await a.install(TEAM_B))[0] == 200  # the state a issued, used up by b
        back, cookie = a.last
        assert (await a.back_from_slack(back.replace(b.root, a.root), cookie))[0] == 400
        slack.oauth.redirect_url = a.redirect_url
        status, page = await b.install(TEAM_ID)
        assert status == 200 and "digestbot is installed" in page
        assert not (a.data / "slack").exists() and not (b.data / "slack").exists()
        token_a, token_b = slack.bot_token_of(TEAM_ID), slack.bot_token_of(TEAM_B)
        await subscribe(slack, a, TEAM_B, CHANNEL_B)  # a authorises with the token b saved
        await subscribe(slack, b, TEAM_ID, DEFAULT_CHANNEL)
        clock = b.app.clock
        assert isinstance(clock, FakeClock)
        await b.app.tick(clock.advance(hours=2))  # 08:00 London: b sends both digests
        [digest] = [m for m in slack.messages_in(CHANNEL_B) if "Daily digest" in str(m.blocks)]
        assert digest.via == "chat.postMessage"
        posted_a = {c.channel for c in slack.calls_by(token_a, "chat.postMessage") if c.ok}
        posted_b = {c.channel for c in slack.calls_by(token_b, "chat.postMessage") if c.ok}
        assert (posted_a, posted_b) == ({DEFAULT_CHANNEL}, {CHANNEL_B})
        slack.revoke(token_b)
        assert (await slack.http.event(a.events, slack.app_uninstalled(TEAM_B))).status == 200
        gone = "app was uninstalled; its installation is deleted"
        await slack.wait_until(lambda: any(gone in r.getMessage() for r in caplog.records), 20)
        assert await b.service.frontend.client_for(TEAM_B) is None  # deleted through a
        assert await b.service.frontend.client_for(TEAM_ID) is not None


async def test_a_bot_token_beside_oauth_is_one_installation_for_every_instance(
    tmp_path: Path, slack: FakeSlack, cluster: Cluster, db_url: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    monkeypatch.setenv("DIGESTBOT_DATABASE_URL", db_url)
    shared = StoreConfig(backend="postgresql")
    token = slack.bot_token
    async with AsyncExitStack() as stack:
        a = await stack.enter_async_context(oauth_bot(tmp_path / "a", slack, token, store=shared))
        b = await stack.enter_async_context(oauth_bot(tmp_path / "b", slack, token, store=shared))
        for bot in (a, b):
            client = await bot.service.frontend.client_for(TEAM_ID)
            assert client is not None and client.token == token
        assert await b.service.frontend.client_for(TEAM_B) is None
    name = db_url.rsplit("/", 1)[1]
    assert cluster.psql("SELECT team_id FROM slack_bots", name) == TEAM_ID  # one row
    assert cluster.psql("SELECT count(*) FROM slack_installations", name) == "0"


def _copy(cfg: Path, frm: str, to: str, url: str, **env: str) -> subprocess.CompletedProcess[str]:
    args = ["--config", str(cfg), "store", "copy", "--from", frm, "--to", to]
    return run_cli(args, None, 120, TEST_DB_URL=url, **env)


def _config(folder: Path) -> Path:
    folder.mkdir(exist_ok=True)
    path = folder / "config.toml"
    path.write_text(f'[corpus]\nfolder = "{SEEDS}"\n[data]\nfolder = "data"\n'
                    '[store]\nbackend = "tinydb"\nurl_env = "TEST_DB_URL"\n')  # fmt: skip
    return path


async def _found_in(url: str) -> tuple[str | None, str | None, str | None]:
    store = await PostgresStore.open(url)
    try:
        found = PostgresInstallationStore(store.db, CLIENT_ID)
        t1 = await found.async_find_bot(enterprise_id=None, team_id="T1")
        t2 = await found.async_find_bot(enterprise_id=None, team_id="T2")
        first = await found.async_find_installation(enterprise_id=None, team_id="T1", user_id="U1")
        return tuple(b and b.bot_token for b in (t1, t2, first))  # type: ignore[return-value]
    finally:
        await store.close()


def test_store_copy_takes_the_slack_installs_to_postgresql_and_back(
    cluster: Cluster, tmp_path: Path
) -> None:
    """Moving to PostgreSQL keeps every installed workspace (no one reinstalls the app); the
    copy is refused, before anything is copied, without the app's client id or into a database
    that holds installs, and the tokens are never printed."""
    url = cluster.create_database(f"slackcopy{next(_numbers)}")
    cfg = _config(tmp_path / "one")
    folder = tmp_path / "one" / "data" / "slack" / "installations"
    files = PrivateInstallationStore(folder)
    tokens = ("xoxb-first-0000000001", "xoxb-again-0000000003", "xoxb-other-0000000002")
    files.save(installation("T1", "U1", tokens[0], T0))
    files.save(installation("T1", "U2", tokens[1], T0 + 60))
    files.save(installation("T2", "U1", tokens[2], T0))

    refused = _copy(cfg, "tinydb", "postgresql", url)
    assert refused.returncode == 2 and "$DIGESTBOT_SLACK_CLIENT_ID" in refused.stderr
    assert asyncio.run(_found_in(url)) == (None, None, None)
    assert "0 subscribers" in _copy(cfg, "postgresql", "tinydb", url).stdout  # still empty

    done = _copy(cfg, "tinydb", "postgresql", url, DIGESTBOT_SLACK_CLIENT_ID=CLIENT_ID)
    assert done.returncode == 0, done.stderr
    assert "copied Slack installs: 2 workspaces (3 installations, 2 bot tokens); counts match" in (
        done.stdout
    )
    # the workspace's latest bot, for its first installer too (as the files answered)
    assert asyncio.run(_found_in(url)) == (tokens[1], tokens[2], tokens[1])
    again = _copy(cfg, "tinydb", "postgresql", url, DIGESTBOT_SLACK_CLIENT_ID=CLIENT_ID)
    assert again.returncode == 2 and "holds Slack installs already" in again.stderr

    back_cfg = _config(tmp_path / "back")
    back = _copy(back_cfg, "postgresql", "tinydb", url, DIGESTBOT_SLACK_CLIENT_ID=CLIENT_ID)
    assert back.returncode == 0, back.stderr
    returned = tmp_path / "back" / "data" / "slack" / "installations"
    assert read_folder(returned).shape() == read_folder(folder).shape()
    assert {oct(p.stat().st_mode & 0o777) for p in returned.rglob("*-latest")} == {"0o600"}
    for run in (refused, done, again, back):
        assert not any(token in run.stdout + run.stderr for token in tokens)
