"""The `digestbot` command: a thin argparse layer over the library.

Each sub-command lives in its own module with a ``register(subparsers)`` function. Errors a user
can fix (bad arguments, unknown ids, bad config, no corpus, output that cannot be written) print
one line on stderr and exit with 2; bugs are logged with a traceback and exit with 1.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import sys
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import NoReturn

from bot import redact
from bot.cli import ask, corpus, digest_cmd, import_cmd, run, store_cmd
from bot.cli.args import add_global_options, package_version, verbosity
from bot.cli.locate import locate_corpus
from bot.cli.output import OutputFailed, guarded_stdout, silence_stdout, terminal_safe
from bot.config import Config, ConfigError, load_config
from bot.errors import StoreError, UsageError
from summariser import CorpusError

log = logging.getLogger("digestbot")

MODULES = [corpus, ask, digest_cmd, import_cmd, run, store_cmd]


class Parser(argparse.ArgumentParser):
    """An ArgumentParser whose errors are one line on stderr and exit code 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: {message} (see {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(
        prog="digestbot",
        description="Digests, summaries and answers over blog posts and their comment threads.",
    )
    parser.add_argument("--version", action="version", version=f"digestbot {package_version()}")
    add_global_options(parser, after_command=False)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)
    sub.required = True
    for module in MODULES:
        module.register(sub)
    for sub_parser in {id(p): p for p in sub.choices.values()}.values():  # aliases share one
        add_global_options(sub_parser, after_command=True)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    _setup_logging(verbosity(args))
    try:
        with guarded_stdout(safe=args.command != "run"):  # run: the console defuses text
            return int(args.handler(_config(args), args) or 0)
    except (UsageError, ConfigError, CorpusError, StoreError) as exc:
        _say(redact.redact(str(exc)))
        return 2
    except KeyboardInterrupt:
        _say("interrupted")
        return 130
    except OutputFailed as exc:
        silence_stdout()
        if exc.reader_gone:  # the reader went away (| head): not an error
            return 0
        _say(exc.message())
        return 2


def _config(args: argparse.Namespace) -> Config:
    config = load_config(args.config)
    if args.corpus:
        config = replace(config, corpus_dir=Path(args.corpus), use_folder=True)
    if args.data:
        config = replace(config, data_dir=Path(args.data))
    if not getattr(args, "needs_corpus", True):
        return config  # e.g. import: it fills the corpus, it does not read it
    return locate_corpus(config, from_option=bool(args.corpus), stderr=sys.stderr)


def _say(message: str) -> None:
    """One line on stderr (which may be as broken as stdout: then say nothing)."""
    with contextlib.suppress(OSError):
        print(f"digestbot: {terminal_safe(message)}", file=sys.stderr, flush=True)


def _setup_logging(verbosity: int) -> None:
    redact.install()
    level = logging.WARNING if verbosity == 0 else logging.INFO if verbosity == 1 else logging.DEBUG
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # httpx logs request URLs, which contain the bot token, at INFO.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("httpcore").setLevel(logging.WARNING)
