"""Slack's side of the OAuth install flow, for the fake Slack server.

``GET /oauth/v2/authorize`` is where an app's install link sends the installer's browser; here
the installer approves at once and gets Slack's 302 to the app's redirect URL with ``code`` and
``state``. The workspace is the ``team`` query (bolt passes its install URL's ``team`` on;
default the first team); it must exist (:meth:`Workspace.add_team`). ``oauth.v2.access`` (the
client id and secret as HTTP Basic auth, as slack_sdk sends them, or as form fields) exchanges
a code once, within 10 minutes, for that workspace's bot token, in Slack's answer shape.
Errors as Slack gives them: invalid_client_id, bad_client_secret, invalid_code,
bad_redirect_uri.
"""

from __future__ import annotations

import base64
import secrets
import urllib.parse
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from aiohttp import web

from tests.fakes.slack_state import APP_ID, BOT_USER_ID, DEFAULT_USER, TEAM_ID
from tests.fakes.slack_validate import SlackError

if TYPE_CHECKING:
    from tests.fakes.slack_server import FakeSlack

JSON = dict[str, Any]

CLIENT_ID = "1000000001.2000000002"
CLIENT_SECRET = "test-client-secret-loopback-0001"
CODE_SECONDS = 600.0
GRANTED_SCOPES = (
    "app_mentions:read,channels:read,groups:read,im:history,im:read,im:write,mpim:read,"
    "chat:write,commands,users:read"
)


@dataclass
class Grant:
    """A code handed to an installer's browser: for which team, by whom, when."""

    team: str
    user: str
    redirect_uri: str
    issued: float
    used: bool = False


class OAuth:
    """The authorize page and oauth.v2.access of one Slack app (``client_id``)."""

    def __init__(self, server: FakeSlack) -> None:
        self.server = server
        self.client_id = CLIENT_ID
        self.client_secret = CLIENT_SECRET
        self.redirect_url = ""  # the app's Redirect URL, used when a request names none
        self.grants: dict[str, Grant] = {}
        self.authorize_requests: list[dict[str, str]] = []
        self.installer = DEFAULT_USER

    def routes(self) -> list[web.RouteDef]:
        return [web.get("/oauth/v2/authorize", self.authorize)]

    async def authorize(self, request: web.Request) -> web.Response:
        """The installer's browser arrives; approved at once: 302 to the redirect URL."""
        query = dict(request.query)
        self.authorize_requests.append(query)
        if query.get("client_id") != self.client_id:
            return web.Response(status=400, text="invalid_client_id")
        team = query.get("team") or TEAM_ID
        redirect = query.get("redirect_uri") or self.redirect_url
        if team not in self.server.teams or not redirect:
            return web.Response(status=400, text="unknown team or no redirect URL")
        code = f"{secrets.token_hex(6)}.{secrets.token_hex(12)}"
        grant = Grant(team, self.installer, query.get("redirect_uri", ""), self.server.clock())
        self.grants[code] = grant
        answer = urllib.parse.urlencode({"code": code, "state": query.get("state", "")})
        raise web.HTTPFound(f"{redirect}?{answer}")

    def access(self, params: JSON, basic: str | None, form_secret: str | None) -> JSON:
        """oauth.v2.access: the code -> the team's bot token (Slack's answer fields)."""
        client_id, client_secret = params.get("client_id"), form_secret
        if basic:
            decoded = base64.b64decode(basic).decode()
            client_id, _, client_secret = decoded.partition(":")
        if client_id != self.client_id:
            raise SlackError("invalid_client_id")
        if client_secret != self.client_secret:
            raise SlackError("bad_client_secret")
        grant = self.grants.get(str(params.get("code") or ""))
        if grant is None or grant.used or self.server.clock() - grant.issued > CODE_SECONDS:
            raise SlackError("invalid_code")
        if grant.redirect_uri and params.get("redirect_uri") != grant.redirect_uri:
            raise SlackError("bad_redirect_uri")
        grant.used = True
        return {
            "access_token": self.server.bot_token_of(grant.team),
            "token_type": "bot",
            "scope": GRANTED_SCOPES,
            "bot_user_id": BOT_USER_ID,
            "app_id": APP_ID,
            "team": {"id": grant.team, "name": self.server.teams[grant.team]},
            "enterprise": None,
            "authed_user": {"id": grant.user},
            "is_enterprise_install": False,
        }
