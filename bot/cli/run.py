"""`digestbot run`: start the bot's front ends (console, Telegram) side by side."""

from __future__ import annotations

import argparse
from typing import Any

from bot.app import App
from bot.config import Config
from bot.runner import AUTO, FRONTENDS, choose_frontends, run_bot


def register(sub: argparse._SubParsersAction[Any]) -> None:
    p = sub.add_parser(
        "run",
        help="start the bot (console prompt, or Telegram when the token variable is set)",
        description="Start the bot: every front end of [bot] frontends (or --frontend) side by "
        "side in one process. The console front end reads commands from stdin (a prompt on a "
        "terminal; line by line until EOF otherwise) and prints digests when due.",
    )
    p.add_argument(
        "--frontend",
        action="append",
        choices=(AUTO, *FRONTENDS),
        help="a front end to run; repeat for several (default from config: auto = every "
        "platform whose token variable is set, else the console)",
    )
    p.set_defaults(handler=cmd_run)


def cmd_run(config: Config, args: argparse.Namespace) -> int:
    names = choose_frontends(config, args.frontend or ())
    app = App.open(config)
    try:
        return run_bot(app, names)
    finally:
        app.close()
