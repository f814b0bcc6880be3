"""The `digestbot` command: a thin argparse layer over the library.

Each sub-command lives in its own module with a ``register(subparsers)`` function. Errors a user
can fix (bad arguments, unknown ids, bad config) print one line on stderr and exit with 2; bugs
are logged with a traceback and exit with 1.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import NoReturn

from bot import redact
from bot.cli import ask, corpus, digest_cmd, run
from bot.config import ConfigError, load_config
from bot.errors import UsageError
from bot.store.tinydb.atomic import StoreError
from summariser import CorpusError

log = logging.getLogger("digestbot")

MODULES = [corpus, ask, digest_cmd, run]


class Parser(argparse.ArgumentParser):
    """An ArgumentParser whose errors are one line on stderr and exit code 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: {message} (see {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(
        prog="digestbot",
        description="Digests, summaries and answers over blog posts and their comment threads.",
    )
    parser.add_argument(
        "--config",
        metavar="FILE",
        help="TOML configuration (default: the embedded default: ./seeds, ./data, console)",
    )
    parser.add_argument(
        "--corpus", metavar="DIR", help="folder of seed .txt files (overrides [corpus] folder)"
    )
    parser.add_argument(
        "--data",
        metavar="DIR",
        help="data folder for store, cache, index (overrides [data] folder)",
    )
    parser.add_argument(
        "-v", "--verbose", action="count", default=0, help="more logging (-vv: debug)"
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)
    sub.required = True
    for module in MODULES:
        module.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    _setup_logging(args.verbose)
    try:
        config = load_config(args.config)
        if args.corpus:
            config = replace(config, corpus_dir=Path(args.corpus))
        if args.data:
            config = replace(config, data_dir=Path(args.data))
        return int(args.handler(config, args) or 0)
    except (UsageError, ConfigError, CorpusError, StoreError) as exc:
        print(f"digestbot: {redact.redact(str(exc))}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("digestbot: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0


def _setup_logging(verbosity: int) -> None:
    redact.install()
    level = logging.WARNING if verbosity == 0 else logging.INFO if verbosity == 1 else logging.DEBUG
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # httpx logs request URLs, which contain the bot token, at INFO.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("httpcore").setLevel(logging.WARNING)
