"""``digestbot store copy`` for Slack's OAuth installs: the workspaces installed in the data
folder's files (``DATA/slack/installations``) into the PostgreSQL store's tables, and back, so
a bot moved to PostgreSQL goes on serving every workspace without anyone reinstalling it.

It runs beside :mod:`bot.store.copy` (which knows nothing of Slack) with the same rules: it is
checked before any record is copied (the target holds no installation of the app, the rows in
the database are the app's by ``$DIGESTBOT_SLACK_CLIENT_ID``), and the two sides are compared
after (installations by workspace, installer and time; bots by workspace and token). OAuth
states are not copied: they live ten minutes, and an install under way starts again.
"""

from __future__ import annotations

import json
import os
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from slack_sdk.oauth.installation_store import Bot, Installation

from bot import redact
from bot.config import Config
from bot.errors import StoreError, UsageError
from bot.platforms.slack.install import InstallationStore, PrivateInstallationStore
from bot.platforms.slack.install_postgres import TOKENS, PostgresInstallationStore
from bot.store.base import Store
from bot.store.postgres.store import PostgresStore

INSTALLER = "installer-"
LATEST = "-latest"
BOT = "bot-latest"


@dataclass(frozen=True)
class Installs:
    """What one side holds: each installer's latest installation, each workspace's bot."""

    installations: list[Installation]
    bots: list[Bot]

    def __bool__(self) -> bool:
        return bool(self.installations or self.bots)

    def shape(self) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
        """What must be equal on both sides after a copy."""
        installs = sorted(
            (i.enterprise_id or "", i.team_id or "", i.user_id or "", i.installed_at)
            for i in self.installations
        )
        bots = sorted((b.enterprise_id or "", b.team_id or "", b.bot_token) for b in self.bots)
        return installs, bots

    def line(self) -> str:
        teams = {(b.enterprise_id, b.team_id) for b in self.bots}
        teams |= {(i.enterprise_id, i.team_id) for i in self.installations}
        return (
            f"copied Slack installs: {len(teams)} workspaces ({len(self.installations)} "
            f"installations, {len(self.bots)} bot tokens); counts match"
        )


def _secret(data: dict[str, Any]) -> dict[str, Any]:
    for name in TOKENS:
        if isinstance(data.get(name), str):
            redact.add_secret(data[name])
    return data


def _read_json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise StoreError(f"{path}: not a readable Slack installation file ({exc})") from None
    if not isinstance(data, dict):
        raise StoreError(f"{path}: not a Slack installation file (no JSON object)")
    return _secret(data)


def read_folder(folder: Path) -> Installs:
    """The installations and bots slack_sdk's file store keeps under ``folder`` (nothing when
    it does not exist)."""
    installations: list[Installation] = []
    bots: list[Bot] = []
    if not folder.is_dir():
        return Installs(installations, bots)
    for team in sorted(p for p in folder.iterdir() if p.is_dir()):
        for path in sorted(team.iterdir()):
            name = path.name
            try:
                if name == BOT:
                    bots.append(Bot(**_read_json(path)))
                elif name.startswith(INSTALLER) and name.endswith(LATEST):
                    installations.append(Installation(**_read_json(path)))
            except TypeError as exc:
                raise StoreError(f"{path}: not a Slack installation file ({exc})") from None
    return Installs(installations, bots)


async def read_database(store: PostgresStore, client_id: str | None) -> Installs:
    """The rows of ``client_id``'s app (every app's when None: only to count them)."""

    async def rows(conn: Any, table: bytes) -> list[dict[str, Any]]:
        where, params = (b" WHERE client_id = %s", (client_id,)) if client_id else (b"", ())
        cur = await conn.execute(b"SELECT data FROM " + table + where, params)
        return [_secret(row[0]) for row in await cur.fetchall()]

    async def work(conn: Any) -> Installs:
        found = await rows(conn, b"slack_installations")
        bots = await rows(conn, b"slack_bots")
        return Installs([Installation(**d) for d in found], [Bot(**d) for d in bots])

    result: Installs = await store.db.run(work)
    return result


async def write(target: InstallationStore, installs: Installs) -> None:
    """Oldest installation first, then the bots, so each workspace's latest bot wins."""
    for found in sorted(installs.installations, key=lambda i: i.installed_at):
        await target.async_save(found)
    for bot in sorted(installs.bots, key=lambda b: b.installed_at):
        await target.async_save_bot(bot)


@dataclass(frozen=True)
class Side:
    """One end of the copy: the data folder's files, or the app's rows in the database."""

    what: str
    read: Callable[[], Awaitable[Installs]]
    store: Callable[[], InstallationStore]


def _side(config: Config, store: Store, client_id: str) -> Side:
    if isinstance(store, PostgresStore):
        return Side(
            "the database",
            lambda: read_database(store, client_id or None),
            lambda: PostgresInstallationStore(store.db, client_id),
        )
    folder = config.data_dir / "slack" / "installations"

    async def files() -> Installs:
        return read_folder(folder)

    return Side(str(folder), files, lambda: PrivateInstallationStore(folder))


async def prepare(
    config: Config, source: Store, target: Store, environ: Mapping[str, str] | None = None
) -> Callable[[], Awaitable[str]] | None:
    """The copy of the Slack installs to run after the store's, checked now: None when the
    source has none; UsageError without the app's client id, StoreError when the target has
    installs already (nothing is copied then)."""
    env_name = config.slack.client_id_env
    client_id = ((os.environ if environ is None else environ).get(env_name) or "").strip()
    frm, to = _side(config, source, client_id), _side(config, target, client_id)
    found = await frm.read()
    if not found:
        return None
    if not client_id:
        raise UsageError(
            f"{frm.what} holds Slack installs; set ${env_name} to the Slack app's client id "
            "(as for `digestbot run`) so they are copied with it"
        )
    there = await to.read()
    if there:
        raise StoreError(
            f"{to.what} holds Slack installs already ({len(there.bots)} bot tokens); copy "
            "only into a store without any"
        )

    async def run() -> str:
        await write(to.store(), found)
        copied = await to.read()
        if copied.shape() != found.shape():
            raise StoreError(
                f"the Slack installs copied to {to.what} do not match {frm.what}: "
                f"{len(found.installations)} installations and {len(found.bots)} bots there, "
                f"{len(copied.installations)} and {len(copied.bots)} here"
            )
        return found.line()

    return run
