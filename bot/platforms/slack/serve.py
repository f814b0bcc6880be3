"""Starting and stopping the Slack front end: Socket Mode or HTTP mode, from the config.

:func:`build` makes the SlackFrontend from ``[slack]`` and the secrets read from the
environment variables it names (never from the file). :class:`SlackService` is the front end
the runner starts (``slack`` in ``[bot] frontends``): it connects the SlackFrontend (Socket
Mode: apps.connections.open with the app-level token; HTTP mode: an aiohttp server on
``http_listen:http_port`` serving /slack/events, with one log line per refused signature) and
stops it in reverse order. The runner's scheduler sends Slack's digests with everyone else's.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

from aiohttp import web
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_sdk.web.async_client import AsyncWebClient

from bot import redact
from bot.app import App
from bot.config import SlackSecrets
from bot.errors import UsageError
from bot.platforms.base import Host
from bot.platforms.slack.frontend import SlackFrontend
from bot.platforms.slack.install import Installations, file_stores, oauth_settings
from bot.platforms.slack.install_postgres import shared_stores
from bot.platforms.slack.pacing import SlackPacing

log = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"
CLIENT_TIMEOUT = 15  # seconds for one Web API call


def web_client(base_url: str, token: str | None) -> AsyncWebClient:
    """A Web API client with no retries of its own: a 429 is the pacer's business (bot.platforms
    .slack.send), and resending after a lost answer could post a message twice."""
    if base_url:
        return AsyncWebClient(
            token=token, base_url=base_url, timeout=CLIENT_TIMEOUT, retry_handlers=[]
        )
    return AsyncWebClient(token=token, timeout=CLIENT_TIMEOUT, retry_handlers=[])


def build(app: App, secrets: SlackSecrets) -> SlackFrontend:
    """The front end for one workspace (the bot token), or with OAuth for every workspace that
    installs the app (its installations under DATA/slack/installations, or in the database
    with the PostgreSQL store)."""
    for secret in (secrets.bot_token, secrets.app_token, secrets.signing_secret):
        redact.add_secret(secret)
    redact.add_secret(secrets.client_secret)
    redact.install()
    cfg = app.config.slack
    oauth, installations = None, None
    if secrets.oauth:
        store, states = shared_stores(app.store, secrets.client_id) or file_stores(
            app.config.data_dir
        )
        oauth = oauth_settings(cfg, secrets, store, states)
        installations = Installations(store, lambda token: web_client(cfg.base_url, token))
    return SlackFrontend(
        app,
        web_client(cfg.base_url, secrets.bot_token or None),
        signing_secret=secrets.signing_secret if cfg.mode == "http" else "",
        admins=cfg.admins,
        pacing=SlackPacing(workspace_per_second=cfg.workspace_per_second),
        oauth=oauth,
        installations=installations,
    )


def _log_refusals() -> Callable[..., Awaitable[web.StreamResponse]]:
    @web.middleware
    async def refusals(
        request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
    ) -> web.StreamResponse:
        response = await handler(request)
        if response.status == 401:
            log.warning(
                "refused a request to %s from %s: bad or stale Slack signature",
                request.path,
                request.remote,
            )
        return response

    return refusals


class SlackService:
    """The Slack front end inside the runner: connects a SlackFrontend (socket or http) and
    stops it again."""

    name = "slack"

    def __init__(self, frontend: SlackFrontend, secrets: SlackSecrets) -> None:
        self.frontend = frontend
        self.secrets = secrets
        self.host: Host | None = None
        self.socket: AsyncSocketModeHandler | None = None
        self.runner: web.AppRunner | None = None
        self.port = 0

    @classmethod
    def from_config(cls, app: App) -> SlackService:
        secrets = app.config.slack_secrets()
        assert secrets is not None, "checked by bot.runner.choose_frontends"
        return cls(build(app, secrets), secrets)

    async def after_tick(self) -> None:
        """Nothing to do after a digest run (archived channels are the outbox's outcomes)."""

    async def serve(self) -> None:
        """Events are handled by bolt's own tasks: wait until the runner stops."""
        await asyncio.Event().wait()

    async def start(self, host: Host) -> None:
        self.host = host
        cfg = self.frontend.app.config.slack
        await self.frontend.start()
        if cfg.mode == "socket":
            if not self.secrets.app_token:
                raise UsageError(
                    f"Slack Socket Mode needs the app-level token in ${cfg.app_token_env}"
                )
            self.socket = AsyncSocketModeHandler(self.frontend.bolt, self.secrets.app_token)
            await self.socket.connect_async()
        else:
            await self._start_http(cfg.http_listen, cfg.http_port)

    async def _start_http(self, listen: str, port: int) -> None:
        web_app = self.frontend.bolt.web_app(path=EVENTS_PATH, port=port)
        web_app.middlewares.append(_log_refusals())
        self.runner = web.AppRunner(web_app, access_log=None, handle_signals=False)
        await self.runner.setup()
        site = web.TCPSite(self.runner, listen, port)
        try:
            await site.start()
        except OSError as exc:
            raise UsageError(
                f"[slack] http_listen/http_port: cannot listen on {listen}:{port} ({exc.strerror})"
            ) from None
        server = site._server
        assert server is not None
        self.port = server.sockets[0].getsockname()[1]  # type: ignore[attr-defined]
        log.info("Slack HTTP mode: listening on %s:%s%s", listen, self.port, EVENTS_PATH)
        if self.secrets.oauth:
            cfg = self.frontend.app.config.slack
            log.info("Slack OAuth: installs start at %s, Slack returns to %s",
                     cfg.install_path, cfg.redirect_path)  # fmt: skip

    async def stop(self) -> None:
        if self.socket is not None:
            with contextlib.suppress(Exception):
                await self.socket.close_async()
            self.socket = None
        if self.runner is not None:
            await self.runner.cleanup()
            self.runner = None
