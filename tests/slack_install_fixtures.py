"""The bot in Slack OAuth mode against the loopback Slack server, for the install tests (the
file stores: tests/platforms/slack/test_slack_install.py; the PostgreSQL ones and several instances:
tests/platforms/slack/test_slack_install_postgres.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace
from pathlib import Path

import aiohttp

from bot.app import App
from bot.config import SlackConfig, SlackSecrets, StoreConfig
from bot.platforms.slack.serve import EVENTS_PATH, SlackService, build
from bot.runner import Runner
from tests.app_fixtures import FakeClock, make_config
from tests.fakes.slack_oauth import CLIENT_ID, CLIENT_SECRET
from tests.fakes.slack_server import FakeSlack
from tests.fakes.slack_state import TEAM_ID

ADMIN = "U0ADMIN001"
TEAM_B, CHANNEL_B = "T0SECOND01", "C0BETA0001"


@asynccontextmanager
async def two_workspaces() -> AsyncIterator[FakeSlack]:
    """The fake Slack with an admin, and a second workspace with its channel."""
    async with FakeSlack() as server:
        server.add_user(ADMIN, "ada", is_admin=True)
        server.add_team(TEAM_B, "Second Workspace")
        server.add_channel(CHANNEL_B, "beta", creator=ADMIN, team=TEAM_B)
        yield server


class Bot:
    """The bot in OAuth mode, served over HTTP on 127.0.0.1."""

    def __init__(self, service: SlackService, root: str, data: Path) -> None:
        self.service, self.root, self.data = service, root, data
        self.events = root + EVENTS_PATH
        self.last: tuple[str, dict[str, str]] = ("", {})  # the last way back from Slack

    @property
    def app(self) -> App:
        return self.service.frontend.app

    @property
    def redirect_url(self) -> str:
        return self.root + self.app.config.slack.redirect_path

    def installation(self, team: str) -> Path:
        return self.data / "slack" / "installations" / f"none-{team}"

    async def install(self, team: str = TEAM_ID, *, cookie: str | None = None) -> tuple[int, str]:
        """An installer's browser: the install link, Slack's authorize page, back to the bot
        (with the state cookie the install link set, unless ``cookie`` replaces it)."""
        async with aiohttp.ClientSession(cookie_jar=aiohttp.DummyCookieJar()) as browser:
            start = await browser.get(
                f"{self.root}/slack/install?team={team}", allow_redirects=False
            )
            assert start.status == 302
            given = start.headers["Set-Cookie"].split(";")[0]
            slack = await browser.get(start.headers["Location"], allow_redirects=False)
            assert slack.status == 302
            back = slack.headers["Location"]
            headers = {"Cookie": given if cookie is None else cookie}
            self.last = (back, headers)
            return await self.back_from_slack(back, headers)

    async def back_from_slack(self, url: str, headers: dict[str, str]) -> tuple[int, str]:
        jar = aiohttp.DummyCookieJar()
        async with (
            aiohttp.ClientSession(cookie_jar=jar) as browser,
            browser.get(url, headers=headers, allow_redirects=False) as answer,
        ):
            return answer.status, await answer.text()


@asynccontextmanager
async def oauth_bot(
    tmp_path: Path, slack: FakeSlack, bot_token: str = "", *, store: StoreConfig | None = None
) -> AsyncIterator[Bot]:
    """A runner serving the bot in OAuth mode (its corpus and data folder under ``tmp_path``;
    ``store``: another [store] than the TinyDB files), Slack's callback pointed at it."""
    config = make_config(tmp_path)
    sc = replace(
        SlackConfig(), mode="http", base_url=slack.base_url, http_port=0, oauth_base=slack.root_url
    )
    app = App.open(replace(config, slack=sc, store=store or config.store), clock=FakeClock())
    secrets = SlackSecrets(bot_token, "", slack.signing_secret, CLIENT_ID, CLIENT_SECRET)
    service = SlackService(build(app, secrets), secrets)
    try:
        async with Runner(app, [service]).serving(scheduled=False):
            bot = Bot(service, f"http://127.0.0.1:{service.port}", config.data_dir)
            slack.oauth.redirect_url = bot.redirect_url
            yield bot
    finally:
        await app.aclose()


async def subscribe(slack: FakeSlack, bot: Bot, team: str, channel: str) -> None:
    form = slack.slash_command("subscribe 07:00 Europe/London", user=ADMIN, channel=channel,
                               team=team)  # fmt: skip
    count = len(slack.responses)
    assert (await slack.http.slash_command(bot.events, form)).status == 200
    [answer] = (await slack.wait_for_responses(count + 1, timeout=20))[count:]
    assert "Subscribed" in answer.text or "subscribed" in str(answer.body), answer.body
