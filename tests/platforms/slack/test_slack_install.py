"""Many workspaces: the OAuth install flow, per-workspace tokens for events and digests, and
uninstalling, against the loopback Slack server (its authorize page and oauth.v2.access)."""

from __future__ import annotations

import inspect
import logging
import re
import stat
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.platforms.slack.install import BOT_SCOPES
from bot.platforms.slack.send import chat_id
from tests.app_fixtures import FakeClock
from tests.fakes.slack_oauth import CLIENT_ID, CLIENT_SECRET
from tests.fakes.slack_server import FakeSlack
from tests.fakes.slack_state import DEFAULT_CHANNEL, TEAM_ID
from tests.slack_install_fixtures import CHANNEL_B, TEAM_B, oauth_bot, subscribe, two_workspaces

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture
async def slack() -> AsyncIterator[FakeSlack]:
    async with two_workspaces() as server:
        yield server


def _private(path: Path) -> bool:
    return stat.S_IMODE(path.stat().st_mode) & 0o077 == 0


async def test_install_round_trip_saves_the_workspace_token_privately_and_logs_none(
    tmp_path: Path, slack: FakeSlack, caplog: pytest.LogCaptureFixture
) -> None:
    async with oauth_bot(tmp_path, slack) as bot:
        status, page = await bot.install()
        assert status == 200 and "digestbot is installed" in page
        assert "Digest Test Workspace" in page
        [asked] = slack.oauth.authorize_requests
        assert asked["client_id"] == CLIENT_ID and asked["scope"] == ",".join(BOT_SCOPES)
        token = slack.bot_token_of(TEAM_ID)
        saved = bot.installation(TEAM_ID)
        files = sorted(p.name for p in saved.iterdir())
        assert files == ["bot-latest", "installer-U0ALICE001-latest"]  # no history files
        assert token in (saved / "bot-latest").read_text()
        assert all(stat.S_IMODE(p.stat().st_mode) == 0o600 for p in saved.iterdir())
        assert stat.S_IMODE(saved.stat().st_mode) == 0o700
        assert _private(saved.parent)
        assert list((bot.data / "slack" / "oauth-state").iterdir()) == []  # the state used up
        form = slack.slash_command("latest 1", team=TEAM_ID)
        assert (await slack.http.slash_command(bot.events, form)).status == 200
        await slack.wait_for_responses(1, timeout=20)
        assert slack.calls_by(token, "auth.test")  # bolt authorised the command with it
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert token not in logged and CLIENT_SECRET not in logged
    assert f"installed in Slack workspace {TEAM_ID}" in logged
    assert CLIENT_SECRET not in str(slack.calls_to("oauth.v2.access")[0].params)


async def test_a_forged_state_or_one_from_another_browser_gets_a_400_page_and_installs_nothing(
    tmp_path: Path, slack: FakeSlack, caplog: pytest.LogCaptureFixture
) -> None:
    async with oauth_bot(tmp_path, slack) as bot:
        forged = "slack-app-oauth-state=00000000-0000-4000-8000-000000000000"
        assert (await bot.install(cookie=forged))[0] == 400  # not the state it was given
        assert (await bot.install(cookie=""))[0] == 400  # another browser: no cookie
        victim = bot.data / "slack" / "victim"  # a file a state naming a path could remove
        victim.write_text(str(time.time()))
        url = f"{bot.root}/slack/oauth_redirect?code=x&state=../victim"
        status, page = await bot.back_from_slack(url, {"Cookie": "slack-app-oauth-state=../victim"})
        assert status == 400 and "not installed" in page
        assert victim.exists()
        assert slack.calls_to("oauth.v2.access") == []
        assert not bot.installation(TEAM_ID).exists()
    refusals = [r for r in caplog.records if "Slack install refused" in r.getMessage()]
    assert len(refusals) == 3 and all(r.levelno == logging.WARNING for r in refusals)


async def test_an_expired_or_replayed_state_is_refused(
    tmp_path: Path, slack: FakeSlack, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with oauth_bot(tmp_path, slack) as bot:
        store = bot.service.frontend.bolt.oauth_flow.settings.state_store  # type: ignore[union-attr]
        monkeypatch.setattr(store, "expiration_seconds", -1)  # every state is already stale
        assert (await bot.install())[0] == 400
        assert slack.calls_to("oauth.v2.access") == []
        monkeypatch.setattr(store, "expiration_seconds", 600)
        assert (await bot.install())[0] == 200
        assert len(slack.calls_to("oauth.v2.access")) == 1
        status, page = await bot.back_from_slack(*bot.last)  # the same state and code again
        assert status == 400 and "not installed" in page
        assert len(slack.calls_to("oauth.v2.access")) == 1


async def test_two_workspaces_each_answered_and_sent_digests_with_its_own_token(
    tmp_path: Path, slack: FakeSlack
) -> None:
    async with oauth_bot(tmp_path, slack) as bot:
        assert (await bot.install(TEAM_ID))[0] == 200
        assert (await bot.install(TEAM_B))[0] == 200
        token_a, token_b = slack.bot_token_of(TEAM_ID), slack.bot_token_of(TEAM_B)
        assert token_a != token_b
        await subscribe(slack, bot, TEAM_ID, DEFAULT_CHANNEL)
        await subscribe(slack, bot, TEAM_B, CHANNEL_B)
        assert {c.channel for c in slack.calls_by(token_b, "conversations.info")} == {CHANNEL_B}
        assert {c.channel for c in slack.calls_by(token_a, "conversations.info")} == {
            DEFAULT_CHANNEL
        }
        for team, channel in ((TEAM_ID, DEFAULT_CHANNEL), (TEAM_B, CHANNEL_B)):
            await slack.http.event(bot.events, slack.app_mention("latest 1", channel=channel,
                                                                  team=team))  # fmt: skip
            await slack.wait_for_messages(1, channel=channel, timeout=20)
        clock = bot.app.clock
        assert isinstance(clock, FakeClock)
        await bot.app.tick(clock.advance(hours=2))  # 08:00 London: both channels are due
        [digest_b] = [m for m in slack.messages_in(CHANNEL_B) if "Daily digest" in str(m.blocks)]
        assert digest_b.via == "chat.postMessage"
        posted_a = {c.channel for c in slack.calls_by(token_a, "chat.postMessage") if c.ok}
        posted_b = {c.channel for c in slack.calls_by(token_b, "chat.postMessage") if c.ok}
        assert (posted_a, posted_b) == ({DEFAULT_CHANNEL}, {CHANNEL_B})
        assert all(c.ok for c in slack.calls_to("chat.postMessage"))


async def test_app_uninstalled_deletes_the_installation_and_pauses_its_digests(
    tmp_path: Path, slack: FakeSlack, caplog: pytest.LogCaptureFixture
) -> None:
    async with oauth_bot(tmp_path, slack) as bot:
        assert (await bot.install(TEAM_B))[0] == 200
        await subscribe(slack, bot, TEAM_B, CHANNEL_B)
        token_b = slack.bot_token_of(TEAM_B)
        assert (bot.installation(TEAM_B) / "bot-latest").exists()
        slack.revoke(token_b)  # Slack revokes the tokens, then sends the event
        assert (await slack.http.event(bot.events, slack.app_uninstalled(TEAM_B))).status == 200
        await slack.wait_until(lambda: not (bot.installation(TEAM_B) / "bot-latest").exists(), 20)
        assert list(bot.installation(TEAM_B).iterdir()) == []
        clock = bot.app.clock
        assert isinstance(clock, FakeClock)
        before = len(slack.calls_to("chat.postMessage"))
        await bot.app.tick(clock.advance(hours=2))
        assert len(slack.calls_to("chat.postMessage")) == before  # nothing sent with no token
        paused = bot.app.store.get_subscriber("slack", chat_id(TEAM_B, CHANNEL_B))
        paused = await paused if inspect.isawaitable(paused) else paused
        assert paused is not None and not paused.active
    assert any("app was uninstalled" in r.getMessage() for r in caplog.records)


async def test_tokens_revoked_for_the_bot_deletes_the_workspace_bot(
    tmp_path: Path, slack: FakeSlack
) -> None:
    async with oauth_bot(tmp_path, slack) as bot:
        assert (await bot.install(TEAM_B))[0] == 200
        await slack.http.event(bot.events, slack.tokens_revoked(TEAM_B, bot=False))
        assert (bot.installation(TEAM_B) / "bot-latest").exists()  # a user's token: kept
        await slack.http.event(bot.events, slack.tokens_revoked(TEAM_B))
        await slack.wait_until(lambda: not (bot.installation(TEAM_B) / "bot-latest").exists(), 20)
        assert await bot.service.frontend.client_for(TEAM_B) is None


async def test_a_bot_token_beside_oauth_keeps_serving_its_workspace_without_installing(
    tmp_path: Path, slack: FakeSlack
) -> None:
    async with oauth_bot(tmp_path, slack, bot_token=slack.bot_token) as bot:
        assert (bot.installation(TEAM_ID) / "bot-latest").exists()
        assert _private(bot.installation(TEAM_ID) / "bot-latest")
        await subscribe(slack, bot, TEAM_ID, DEFAULT_CHANNEL)
        assert await bot.service.frontend.client_for(TEAM_B) is None  # not installed there
        client = await bot.service.frontend.client_for(TEAM_ID)
        assert client is not None and client.token == slack.bot_token


def test_the_requested_scopes_are_the_manifests() -> None:
    manifest = (ROOT / "slack" / "manifest.yml").read_text(encoding="utf-8")
    bot_part = manifest.split("    bot:\n", 1)[1].split("settings:", 1)[0]
    assert tuple(re.findall(r"^\s+- (\S+)$", bot_part, re.M)) == BOT_SCOPES
    assert "- app_uninstalled" in manifest and "- tokens_revoked" in manifest
