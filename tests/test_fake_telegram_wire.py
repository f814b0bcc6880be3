"""The fake Bot API server on the wire: webhook mode, the token's secrecy, raw HTTP, and the
server as its own process."""

from __future__ import annotations

import asyncio
import logging
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from telegram.error import Conflict, Forbidden, RetryAfter
from telegram.ext import ApplicationBuilder, CommandHandler

from bot import redact
from tests.fakes.ptb import Seen, build, free_port, polling, recorder
from tests.fakes.telegram_server import ApiError, FakeTelegram, post_webhook
from tests.fakes.telegram_updates import TOKEN, chat, user

pytestmark = pytest.mark.filterwarnings("ignore:.*retry_after.*:DeprecationWarning")


# ------------------------------------------------------------------ webhook mode


async def test_webhook_mode_with_secret_token(fake_telegram: FakeTelegram) -> None:
    seen: Seen = []
    port = free_port()
    url = f"http://127.0.0.1:{port}/hook"
    app = build(fake_telegram)
    app.add_handler(CommandHandler("start", recorder(seen, "hooked")))
    async with app:
        await app.start()
        assert app.updater is not None
        await app.updater.start_webhook(
            listen="127.0.0.1", port=port, url_path="hook", webhook_url=url, secret_token="s3cr3t"
        )
        try:
            update = fake_telegram.inject_message("/start", user_id=42)
            await fake_telegram.wait_for("sendMessage")
            forged = {**update, "update_id": 999}
            assert await post_webhook(url, forged, "wrong") == 403
            assert await post_webhook(url, forged) == 403
            assert await post_webhook(url, {**update, "update_id": 1000}, "s3cr3t") == 200
            await fake_telegram.wait_for("sendMessage", 2)
            with pytest.raises(Conflict, match="webhook is active"):
                await app.bot.get_updates()
        finally:
            await app.updater.stop()
            await app.stop()
    [set_webhook] = fake_telegram.calls_to("setWebhook")
    assert set_webhook.params["url"] == url and set_webhook.params["secret_token"] == "s3cr3t"
    assert fake_telegram.webhook_deliveries == [(update["update_id"], 200)]
    assert [u.update_id for u in seen] == [update["update_id"], 1000]


async def test_webhook_updates_wait_until_the_bot_is_reachable(
    fake_telegram: FakeTelegram,
) -> None:
    seen: Seen = []
    port = free_port()
    url = f"http://127.0.0.1:{port}/hook"
    app = build(fake_telegram)
    app.add_handler(CommandHandler("start", recorder(seen, "late")))
    async with app:
        await app.bot.set_webhook(url, secret_token="s3cr3t")
        update = fake_telegram.inject_message("/start", user_id=42)
        await fake_telegram.wait_until(lambda: len(fake_telegram.webhook_deliveries) >= 2)
        await app.start()
        assert app.updater is not None
        await app.updater.start_webhook(
            listen="127.0.0.1", port=port, url_path="hook", webhook_url=url, secret_token="s3cr3t"
        )
        try:
            await fake_telegram.wait_for("sendMessage")
        finally:
            await app.updater.stop()
            await app.stop()
    statuses = [status for _, status in fake_telegram.webhook_deliveries]
    assert statuses[:2] == [0, 0] and statuses[-1] == 200 and statuses.count(200) == 1
    assert [u.update_id for u in seen] == [update["update_id"]]
    assert fake_telegram.pending == []


# ------------------------------------------------------------------ the token stays secret


@pytest.fixture
def plain_records(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    """DEBUG capture with no redaction installed (the product's is removed for the test), so
    :func:`tests.fakes.ptb.build` installs it afresh, or, with ``raw``, not at all."""
    redact.uninstall()
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="telegram")
    try:
        yield caplog
    finally:
        redact.uninstall()


async def test_token_never_in_logs_or_errors(
    fake_telegram: FakeTelegram, plain_records: pytest.LogCaptureFixture
) -> None:
    caplog = plain_records
    texts: list[str] = []
    async with polling(fake_telegram, CommandHandler("start", recorder([], "hi"))) as app:
        fake_telegram.inject_message("/start", user_id=42)
        await fake_telegram.wait_for("sendMessage")
        fake_telegram.fail("*", ApiError.blocked())
        with pytest.raises(Forbidden) as blocked:
            await app.bot.send_message(1, "x")
        texts.append(str(blocked.value))
    async with aiohttp.ClientSession() as session:
        wrong = f"{fake_telegram.base_url}123456:{'x' * 35}/getMe"
        async with session.post(wrong) as response:
            assert response.status == 401
            texts.append(await response.text())
    texts += [r.getMessage() for r in caplog.records]
    assert any("Calling Bot API endpoint `sendMessage`" in t for t in texts)  # DEBUG captured
    assert any("[redacted]" in t for t in texts)  # and the redaction worked
    assert not [t for t in texts if TOKEN in t or "x" * 35 in t]


@pytest.mark.leaks_token_on_purpose
@pytest.mark.parametrize(
    ("logger", "level"), [("httpx", logging.INFO), ("telegram.ext.ExtBot", logging.DEBUG)]
)
async def test_these_loggers_would_leak_the_token(
    fake_telegram: FakeTelegram, plain_records: pytest.LogCaptureFixture, logger: str, level: int
) -> None:
    """Why the fixture tames them: httpx logs every URL at INFO and PTB's Bot logs its base
    URLs at DEBUG, token included; a front end must do the same."""
    caplog = plain_records
    redact.install()  # keeps build() from installing it: nothing is redacted in this test
    logging.setLogRecordFactory(logging.LogRecord)
    before = logging.getLogger(logger).level
    logging.getLogger(logger).setLevel(level)
    filters = logging.getLogger(logger).filters
    logging.getLogger(logger).filters = []
    try:
        async with build(fake_telegram):
            pass
    finally:
        logging.getLogger(logger).setLevel(before)
        logging.getLogger(logger).filters = filters
    assert any(r.name == logger for r in caplog.records if TOKEN in r.getMessage())


# ------------------------------------------------------------------ the server without PTB


async def test_json_bodies_wrong_tokens_and_unknown_methods(fake_telegram: FakeTelegram) -> None:
    base = f"{fake_telegram.base_url}{fake_telegram.token}"
    async with aiohttp.ClientSession() as session:
        body = {"chat_id": 5, "text": "hi", "reply_markup": {"inline_keyboard": []}}
        async with session.post(f"{base}/sendMessage", json=body) as response:
            sent = await response.json()
        async with session.post(f"{base}/noSuchMethod") as response:
            unknown = (response.status, await response.json())
    assert sent["ok"] is True and sent["result"]["chat"]["id"] == 5
    assert fake_telegram.calls[0].params == {
        "chat_id": "5",
        "text": "hi",
        "reply_markup": {"inline_keyboard": []},
    }
    assert unknown == (404, {"ok": False, "error_code": 404, "description": "Not Found"})


async def test_standalone_server_process() -> None:
    root = Path(__file__).resolve().parent.parent
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "tests.fakes.telegram_standalone", cwd=root,
        stdout=asyncio.subprocess.PIPE,
    )  # fmt: skip
    try:
        assert process.stdout is not None
        line = await asyncio.wait_for(process.stdout.readline(), 30)
        base_url = line.decode().split()[1]
        control = base_url.removesuffix("/bot") + "/_fake"
        redact.add_secret(TOKEN)
        redact.install()
        app = ApplicationBuilder().token(TOKEN).base_url(base_url).build()
        async with app, aiohttp.ClientSession() as session:
            await app.bot.send_message(42, "over the wire")
            async with session.post(f"{control}/updates", json={"message": message_json()}):
                pass
            [update] = await app.bot.get_updates()
            fail = {"method": "sendMessage", "status": 429, "description": "Too Many Requests: "
                    "retry after 3", "parameters": {"retry_after": 3}}  # fmt: skip
            async with session.post(f"{control}/fail", json=fail):
                pass
            with pytest.raises(RetryAfter):
                await app.bot.send_message(42, "again")
            async with session.get(f"{control}/calls?method=sendMessage") as response:
                calls = await response.json()
            async with session.get(f"{control}/delivered") as response:
                delivered = await response.json()
    finally:
        process.kill()
        await process.wait()
    assert update.message is not None and update.message.text == "from outside"
    assert [(c["params"]["text"], c["status"]) for c in calls] == [
        ("over the wire", 200),
        ("again", 429),
    ]
    assert [m["text"] for m in delivered["42"]] == ["over the wire"]


def message_json() -> dict[str, Any]:
    return {"message_id": 1, "date": 0, "chat": chat(7), "from": user(7), "text": "from outside"}
