"""`digestbot run`: start the bot on the console, or on Telegram when its token is set."""

from __future__ import annotations

import argparse
import asyncio
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
        choices=("auto", "console", "telegram"),
        help="front end (default from config: auto = telegram when its token is set)",
    )
    p.set_defaults(handler=cmd_run)


def choose_frontend(config: Config, requested: str | None) -> str:
    choice = requested or config.frontend
    if choice == "auto":
        return "telegram" if config.telegram_token() else "console"
    if choice == "telegram" and not config.telegram_token():
        raise UsageError(
            f"the Telegram front end needs a bot token in the environment variable "
            f"{config.telegram.token_env} (see README, 'Run it on Telegram')"
        )
    return choice


def cmd_run(config: Config, args: argparse.Namespace) -> int:
    frontend = choose_frontend(config, args.frontend)
    app = App.open(config)
    try:
        if frontend == "telegram":
            from bot.platforms.telegram.frontend import run_telegram

            return run_telegram(app)
        from bot.platforms.console.frontend import run_console

        return asyncio.run(run_console(app))
    finally:
        app.close()
