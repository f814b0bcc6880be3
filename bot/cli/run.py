"""`digestbot run`: start the bot on the console, or on Telegram and/or Slack when their tokens
are set (both side by side in one process, sharing the App, its outbox and one scheduler)."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
from collections.abc import AsyncIterator
from typing import Any

from bot.app import App
from bot.config import Config
from bot.errors import UsageError


def register(sub: argparse._SubParsersAction[Any]) -> None:
    p = sub.add_parser(
        "run",
        help="start the bot (console prompt, or Telegram when the token variable is set)",
        description="Start the bot. The console front end reads commands from stdin (a prompt "
        "on a terminal; line by line until EOF otherwise) and prints digests when due.",
    )
    p.add_argument(
        "--frontend",
        choices=("auto", "console", "telegram", "slack", "telegram+slack"),
        help="front end (default from config: auto = telegram and/or slack when their tokens "
        "are set, else console)",
    )
    p.set_defaults(handler=cmd_run)


def choose_frontend(config: Config, requested: str | None) -> str:
    choice = requested or config.frontend
    if choice == "auto":
        found = [
            name
            for name, ready in (
                ("telegram", config.telegram_token()),
                ("slack", config.slack_secrets()),
            )
            if ready
        ]
        return "+".join(found) or "console"
    if "telegram" in choice and not config.telegram_token():
        raise UsageError(
            f"the Telegram front end needs a bot token in the environment variable "
            f"{config.telegram.token_env} (see README, 'Run it on Telegram')"
        )
    if "slack" in choice and not config.slack_secrets():
        raise UsageError(
            f"the Slack front end needs a bot token (xoxb-...) in the environment variable "
            f"{config.slack.bot_token_env} (see docs/slack.md)"
        )
    return choice


def cmd_run(config: Config, args: argparse.Namespace) -> int:
    frontend = choose_frontend(config, args.frontend)
    app = App.open(config)
    try:
        if frontend == "telegram":
            from bot.platforms.telegram.frontend import run_telegram

            return run_telegram(app)
        if "slack" in frontend:
            return asyncio.run(run_with_slack(app, telegram="telegram" in frontend))
        from bot.platforms.console.frontend import run_console

        return asyncio.run(run_console(app))
    finally:
        app.close()


async def run_with_slack(app: App, *, telegram: bool) -> int:
    """Slack (and Telegram when ``telegram``) until SIGINT/SIGTERM."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    with contextlib.suppress(NotImplementedError):
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
    async with serving_with_slack(app, telegram=telegram):
        await stop.wait()
    return 0


@contextlib.asynccontextmanager
async def serving_with_slack(
    app: App, *, telegram: bool, polling: dict[str, Any] | None = None, scheduled: bool = True
) -> AsyncIterator[list[Any]]:
    """Slack and, when ``telegram``, Telegram on one App (its outbox gets both Senders). One
    scheduler: Telegram's when it runs (its tick sends every platform's due digests), else
    Slack's (none when not ``scheduled``: tests call ``app.tick``). Yields the running front
    ends; stops them in reverse order."""
    from bot.platforms.slack.serve import SlackService, build

    secrets = app.config.slack_secrets()
    assert secrets is not None, "checked by choose_frontend"
    running: list[Any] = []
    async with contextlib.AsyncExitStack() as stack:
        if telegram:
            from bot.platforms.telegram.frontend import POLLING, TelegramFrontend, webhook_options

            token = app.config.telegram_token()
            assert token, "checked by choose_frontend"
            tg = TelegramFrontend(app, token, scheduled=scheduled)
            webhook = webhook_options(app) if app.config.telegram.mode == "webhook" else None
            await stack.enter_async_context(tg.serving(webhook=webhook, polling=polling or POLLING))
            running.append(tg)
        slack = SlackService(
            build(app, secrets, scheduled=not telegram and polling is None), secrets
        )
        await stack.enter_async_context(slack.serving())
        running.append(slack)
        yield running
