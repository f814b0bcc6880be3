"""Slack HTTP mode (Events API + interactivity at /slack/events) and scheduled digests through
the outbox, against the loopback Slack server."""

from __future__ import annotations

import inspect
import logging
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace
from pathlib import Path

import pytest

from bot.app import App
from bot.config import Config, SlackConfig, SlackSecrets
from bot.errors import UsageError
from bot.platforms.slack.send import chat_id
from bot.platforms.slack.serve import EVENTS_PATH, SlackService, build
from bot.platforms.telegram.frontend import TEST_POLLING, TelegramFrontend
from bot.runner import FRONTENDS, Runner, choose_frontends
from tests.app_fixtures import FakeClock, files, make_config
from tests.fakes.slack_server import FakeSlack, SlackError
from tests.fakes.slack_state import DEFAULT_CHANNEL, TEAM_ID
from tests.fakes.telegram_server import FakeTelegram

ADMIN = "U0ADMIN001"


@pytest.fixture
async def slack() -> AsyncIterator[FakeSlack]:
    async with FakeSlack() as server:
        server.add_user(ADMIN, "ada", is_admin=True)
        yield server


@asynccontextmanager
async def http_bot(tmp_path: Path, slack: FakeSlack) -> AsyncIterator[tuple[SlackService, str]]:
    config = make_config(tmp_path)
    sc = replace(SlackConfig(), mode="http", base_url=slack.base_url, http_port=0)
    app = App.open(replace(config, slack=sc), clock=FakeClock())
    secrets = SlackSecrets(slack.bot_token, "", slack.signing_secret)
    service = SlackService(build(app, secrets), secrets)
    try:
        async with Runner(app, [service]).serving(scheduled=False):
            yield service, f"http://127.0.0.1:{service.port}{EVENTS_PATH}"
    finally:
        app.close()


async def test_signed_requests_are_served_and_forged_or_stale_ones_get_401(
    tmp_path: Path, slack: FakeSlack, caplog: pytest.LogCaptureFixture
) -> None:
    async with http_bot(tmp_path, slack) as (_, url):
        answer = await slack.http.slash_command(url, slack.slash_command("ask prison"))
        assert answer.status == 200 and answer.seconds < 3.0
        [response] = await slack.wait_for_responses(1, timeout=20)
        assert "prison" in str(response.body.get("blocks"))
        challenge = await slack.http.url_verification(url, "abc123")
        assert challenge.status == 200 and "abc123" in challenge.text
        caplog.clear()
        forged = await slack.http.slash_command(url, slack.slash_command("help"), secret="wrong")
        stale = await slack.http.slash_command(
            url, slack.slash_command("help"), timestamp=int(time.time()) - 3600
        )
        assert (forged.status, stale.status) == (401, 401)
        refusals = [r for r in caplog.records if "bad or stale Slack signature" in r.getMessage()]
        assert len(refusals) == 2 and all(r.levelno == logging.WARNING for r in refusals)
        assert len(slack.responses) == 1  # neither was answered


async def test_an_event_redelivered_over_http_is_answered_once(
    tmp_path: Path, slack: FakeSlack
) -> None:
    async with http_bot(tmp_path, slack) as (_, url):
        event = slack.direct_message("latest 1")
        assert (await slack.http.event(url, event)).status == 200
        again = await slack.http.event(url, event, retry_num=1, retry_reason="http_timeout")
        assert again.status == 200
        await slack.wait_for_messages(1, timeout=20)
        await slack.http.event(url, slack.direct_message("latest 2"))
        await slack.wait_for_messages(2, timeout=20)
        assert len(slack.messages) == 2


def digests_in(slack: FakeSlack, channel: str) -> list[object]:
    """What the bot posted in ``channel`` by itself (not answers to /digestbot)."""
    return [m for m in slack.messages_in(channel) if m.via != "response_url"]


async def test_a_scheduled_digest_reaches_several_channels_one_archived_one_rate_limited(
    tmp_path: Path, slack: FakeSlack
) -> None:
    channels = [f"C0DIGEST{i:02d}" for i in range(4)]
    for channel in channels:
        slack.add_channel(channel, channel.lower(), creator=ADMIN)
    async with http_bot(tmp_path, slack) as (service, url):
        for channel in channels:
            form = slack.slash_command("subscribe 07:00 Europe/London", user=ADMIN, channel=channel)
            await slack.http.slash_command(url, form)
        await slack.wait_for_responses(len(channels), timeout=20)
        slack.archive(channels[1])
        slack.fail("chat.postMessage", SlackError.ratelimited(1), channel=channels[2])
        app = service.frontend.app
        clock = app.clock
        assert isinstance(clock, FakeClock)
        await app.tick(clock.advance(hours=2))  # 08:00 London: everyone is due
        got = {c: len(digests_in(slack, c)) for c in channels}
        assert got == {channels[0]: 1, channels[1]: 0, channels[2]: 1, channels[3]: 1}
        assert slack.errors("ratelimited") == 1 and slack.duplicates() == {}
        paused = files(app).get_subscriber("slack", chat_id(TEAM_ID, channels[1]))
        paused = await paused if inspect.isawaitable(paused) else paused
        assert paused is not None and not paused.active  # archived: subscription paused
        await app.tick(clock.advance(minutes=5))  # nothing new is due: nothing is sent again
        assert sum(len(digests_in(slack, c)) for c in channels) == 3
        assert DEFAULT_CHANNEL not in {m.channel for m in slack.messages}


async def test_telegram_and_slack_run_side_by_side_in_one_process(
    tmp_path: Path, slack: FakeSlack, fake_telegram: FakeTelegram, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DIGESTBOT_TELEGRAM_TOKEN", fake_telegram.token)
    monkeypatch.setenv("DIGESTBOT_SLACK_BOT_TOKEN", slack.bot_token)
    monkeypatch.setenv("DIGESTBOT_SLACK_APP_TOKEN", slack.app_token)
    config = make_config(tmp_path, base_url=fake_telegram.base_url)
    config = replace(config, slack=replace(SlackConfig(), base_url=slack.base_url))
    assert choose_frontends(config) == ["telegram", "slack"]
    clock = FakeClock()
    app = App.open(config, clock=clock)
    tg = TelegramFrontend(app, fake_telegram.token, polling=TEST_POLLING)
    try:
        async with Runner(app, [tg, FRONTENDS["slack"].make(app)]).serving(scheduled=False) as r:
            await slack.socket.wait_connected()
            fake_telegram.inject_message("/subscribe 07:00 Europe/London", user_id=42)
            await fake_telegram.wait_for("sendMessage", 1, chat_id=42)
            await slack.socket.push(
                "slash_commands", slack.slash_command("subscribe 07:00 Europe/London")
            )
            await slack.wait_for_responses(1, timeout=20)
            await r.tick(clock.advance(hours=2))  # one digest run sends both platforms' digests
            [tg_digest] = (await fake_telegram.wait_for("sendMessage", 2, chat_id=42))[1:]
            assert "Daily digest" in (tg_digest.text or "")
            [digest] = digests_in(slack, DEFAULT_CHANNEL)
            assert "Daily digest" in str(digest.blocks)  # type: ignore[attr-defined]
    finally:
        app.close()


def test_slack_named_without_its_token_stops_the_start_in_one_line() -> None:
    with pytest.raises(UsageError) as raised:
        choose_frontends(replace(Config(), frontends=("telegram", "slack")), environ={"X": "1"})
    assert "Telegram" in str(raised.value)  # the first missing one
    with pytest.raises(UsageError) as raised:
        choose_frontends(replace(Config(), frontends=("slack",)), environ={})
    message = str(raised.value)
    assert "DIGESTBOT_SLACK_BOT_TOKEN" in message and "\n" not in message
    assert choose_frontends(Config(), environ={}) == ["console"]  # auto: no token set
