"""Many workspaces: the OAuth install flow's stores, its pages, and one Web API client per
workspace.

OAuth mode (``[slack] mode = "http"`` with the client id and secret set): bolt serves
``install_path`` (a 302 to Slack's authorize URL with a fresh state, also set as a cookie) and
``redirect_path`` (the state checked and used up, the code exchanged with oauth.v2.access, the
installation saved). Installations are slack_sdk's FileInstallationStore under
``DATA/slack/installations`` (a folder per workspace; files 0600, folders 0700, no history
files), states its FileOAuthStateStore under ``DATA/slack/oauth-state``; with the PostgreSQL
store both are in its database instead, shared by every instance (:mod:`.install_postgres`).
Events are authorised by bolt with the installing workspace's bot token; digests use
:meth:`Installations.client_for`.
"""

from __future__ import annotations

import html
import logging
import os
import re
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from slack_bolt.async_app import AsyncApp, AsyncBoltContext
from slack_bolt.oauth.async_callback_options import (
    AsyncCallbackOptions,
    AsyncFailureArgs,
    AsyncSuccessArgs,
)
from slack_bolt.oauth.async_oauth_settings import AsyncOAuthSettings
from slack_bolt.response import BoltResponse
from slack_sdk.oauth.installation_store import Bot, FileInstallationStore, Installation
from slack_sdk.oauth.installation_store.async_installation_store import AsyncInstallationStore
from slack_sdk.oauth.state_store import FileOAuthStateStore
from slack_sdk.oauth.state_store.async_state_store import AsyncOAuthStateStore
from slack_sdk.web.async_client import AsyncWebClient

from bot import redact
from bot.config import SlackConfig, SlackSecrets

log = logging.getLogger(__name__)

# The bot scopes of slack/manifest.yml (tests/platforms/slack/test_slack_install.py compares them)
BOT_SCOPES = (
    *("app_mentions:read", "channels:read", "groups:read", "im:history", "im:read"),
    *("im:write", "mpim:read", "chat:write", "commands", "users:read"),
)
AUTHORIZE_PATH = "/oauth/v2/authorize"
STATE_SECONDS = 600  # an installer has ten minutes between "install" and "allow"
STATE_RE = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
CONTENT_TYPE = "text/html; charset=utf-8"
# slack_sdk's file stores offer the async methods bolt calls without subclassing the async bases
InstallationStore = FileInstallationStore | AsyncInstallationStore
StateStore = FileOAuthStateStore | AsyncOAuthStateStore


def private_dir(path: str | Path) -> None:
    """``path`` and its missing parents, the last one readable by this user only (0700)."""
    folder = Path(path)
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.chmod(folder, 0o700)


def _private_files(folder: str | Path) -> None:
    for entry in Path(folder).iterdir():
        if entry.is_file():
            os.chmod(entry, 0o600)


class PrivateInstallationStore(FileInstallationStore):
    """slack_sdk's file store with the bot tokens' files 0600 in 0700 folders (their folder is
    0700 before anything is written, so no other user can read them in between)."""

    def __init__(self, base_dir: Path) -> None:
        private_dir(base_dir)
        super().__init__(base_dir=str(base_dir), historical_data_enabled=False)

    @staticmethod
    def _mkdir(path: str | Path) -> None:
        private_dir(path)

    def save(self, installation: Installation) -> None:
        super().save(installation)
        _private_files(self._folder(installation.enterprise_id, installation.team_id))

    def save_bot(self, bot: Bot) -> None:
        super().save_bot(bot)
        folder = self._folder(bot.enterprise_id, bot.team_id)
        if os.path.isdir(folder):
            _private_files(folder)

    def _folder(self, enterprise_id: str | None, team_id: str | None) -> str:
        return f"{self.base_dir}/{enterprise_id or 'none'}-{team_id or 'none'}"


class PrivateStateStore(FileOAuthStateStore):
    """slack_sdk's state store in a 0700 folder; a state that is not one it issued (its uuid4
    shape) is refused before it names a file; states older than twice their life are swept."""

    def __init__(self, base_dir: Path, expiration_seconds: int = STATE_SECONDS) -> None:
        private_dir(base_dir)
        super().__init__(expiration_seconds=expiration_seconds, base_dir=str(base_dir))

    @staticmethod
    def _mkdir(path: str | Path) -> None:
        private_dir(path)

    def issue(self, *args: Any, **kwargs: Any) -> str:
        cutoff = time.time() - 2 * self.expiration_seconds
        for entry in Path(self.base_dir).iterdir():
            if STATE_RE.fullmatch(entry.name) and entry.stat().st_mtime < cutoff:
                entry.unlink(missing_ok=True)
        state = super().issue(*args, **kwargs)
        os.chmod(Path(self.base_dir) / state, 0o600)
        return state

    def consume(self, state: str) -> bool:
        if not isinstance(state, str) or not STATE_RE.fullmatch(state):
            return False
        return bool(super().consume(state))


def _page(title: str, text: str) -> str:
    return (
        f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
        f"</head><body><h1>{html.escape(title)}</h1><p>{html.escape(text)}</p></body></html>"
    )


async def _success(args: AsyncSuccessArgs) -> BoltResponse:
    found = args.installation
    log.info("digestbot installed in Slack workspace %s (%s)", found.team_id, found.team_name)
    where = found.team_name or found.team_id or "your workspace"
    text = (
        f"digestbot is now in {where}. Invite it where digests should go "
        "(/invite @digestbot), then type /digestbot subscribe 08:00 there."
    )
    forget = args.settings.state_utils.build_set_cookie_for_deletion()
    headers: dict[str, str | Sequence[str]] = {"Content-Type": CONTENT_TYPE, "Set-Cookie": forget}
    return BoltResponse(status=200, body=_page("digestbot is installed", text), headers=headers)


async def _failure(args: AsyncFailureArgs) -> BoltResponse:
    """Slack's "error=access_denied" (the installer said no) is a 200 page; a bad or used-up
    state, a missing or refused code: 400; the store failing: 500."""
    status = 400 if args.suggested_status_code in (400, 401) else args.suggested_status_code
    if args.error is not None:
        log.error("Slack install failed (%s)", args.reason, exc_info=args.error)
    else:
        log.warning("Slack install refused (%s): answered %s", args.reason, status)
    text = (
        "The installation was not completed: the link was stale, used already, or opened in "
        "another browser. Start again from the install link."
    )
    if status == 200:
        text = "The installation was cancelled. Nothing was changed."
    page = _page("digestbot was not installed", text)
    return BoltResponse(status=status, body=page, headers={"Content-Type": CONTENT_TYPE})


def file_stores(data_dir: Path) -> tuple[PrivateInstallationStore, PrivateStateStore]:
    """The installation and state stores of one instance, under ``data_dir``/slack."""
    folder = data_dir / "slack"
    return PrivateInstallationStore(folder / "installations"), PrivateStateStore(
        folder / "oauth-state"
    )


def oauth_settings(
    cfg: SlackConfig, secrets: SlackSecrets, store: InstallationStore, states: StateStore
) -> AsyncOAuthSettings:
    """bolt's OAuth settings from ``[slack]``, on these installation and state stores."""
    base = (cfg.oauth_base or "https://slack.com").rstrip("/")
    settings = AsyncOAuthSettings(
        client_id=secrets.client_id,
        client_secret=secrets.client_secret,
        scopes=list(BOT_SCOPES),
        user_scopes=[],
        install_path=cfg.install_path,
        install_page_rendering_enabled=False,
        redirect_uri_path=cfg.redirect_path,
        callback_options=AsyncCallbackOptions(success=_success, failure=_failure),
        authorization_url=base + AUTHORIZE_PATH,
        installation_store=store,
        installation_store_bot_only=True,
        state_store=states,
        state_expiration_seconds=STATE_SECONDS,
    )
    return settings


class Installations:
    """The installed workspaces' bot tokens, as Web API clients (one per workspace, made again
    when its token changed, e.g. after a reinstall)."""

    def __init__(
        self, store: InstallationStore, make_client: Callable[[str], AsyncWebClient]
    ) -> None:
        self.store = store
        self.make_client = make_client
        self._clients: dict[str, AsyncWebClient] = {}

    async def client_for(self, team: str) -> AsyncWebClient | None:
        """The client of workspace ``team``, or None when the app is not installed there."""
        bot = await self.store.async_find_bot(enterprise_id=None, team_id=team)
        if bot is None or not bot.bot_token:
            self._clients.pop(team, None)
            return None
        client = self._clients.get(team)
        if client is None or client.token != bot.bot_token:
            redact.add_secret(bot.bot_token)
            client = self._clients[team] = self.make_client(bot.bot_token)
        return client

    async def adopt(self, client: AsyncWebClient) -> str:
        """Save the workspace of ``client``'s bot token (``$DIGESTBOT_SLACK_BOT_TOKEN``) as an
        installation unless it has one, so a bot that served one workspace with a token keeps
        serving it after switching to OAuth. Its team id."""
        answer = await client.auth_test()
        team = str(answer["team_id"])
        if await self.store.async_find_bot(enterprise_id=None, team_id=team) is None:
            bot = Bot(
                app_id=answer.get("app_id"),
                team_id=team,
                team_name=answer.get("team"),
                bot_token=str(client.token),
                bot_id=str(answer["bot_id"]),
                bot_user_id=str(answer["user_id"]),
                installed_at=time.time(),
            )
            await self.store.async_save_bot(bot)
            log.info("Slack workspace %s: its bot token saved as an installation", team)
        return team

    async def uninstalled(self, team: str, *, bot_only: bool) -> None:
        """Slack says the app left ``team`` (app_uninstalled) or its bot token was revoked
        (tokens_revoked): its installation goes; its digests are paused at their next run."""
        if bot_only:
            await self.store.async_delete_bot(enterprise_id=None, team_id=team)
        else:
            await self.store.async_delete_all(enterprise_id=None, team_id=team)
        self._clients.pop(team, None)
        log.info("Slack workspace %s: the app was uninstalled; its installation is deleted", team)


def register_uninstall(bolt: AsyncApp, installations: Installations) -> None:
    """app_uninstalled and tokens_revoked (bolt calls no auth.test for them: the token is
    gone already) delete the workspace's installation."""

    @bolt.event("app_uninstalled")
    async def on_uninstalled(context: AsyncBoltContext) -> None:
        await installations.uninstalled(context.team_id or "", bot_only=False)

    @bolt.event("tokens_revoked")
    async def on_revoked(event: dict[str, Any], context: AsyncBoltContext) -> None:
        if (event.get("tokens") or {}).get("bot"):
            await installations.uninstalled(context.team_id or "", bot_only=True)
