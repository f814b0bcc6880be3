"""Argument types and the global options shared by every sub-command.

The global options (``--config``, ``--corpus``, ``--data``, ``-v``) are accepted before and after
the sub-command name (``digestbot --config x.toml corpus`` and ``digestbot corpus --config
x.toml``): the top-level parser holds their defaults and each sub-command's parser adds the same
options with ``SUPPRESS`` defaults, so a value given after the name overrides one given before and
an option left out after the name keeps the one before.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from importlib.metadata import PackageNotFoundError, version

from bot.domain.inputs import whole_number

VERBOSE_AFTER = "verbose_after"


def int_range(low: int, high: int) -> Callable[[str], int]:
    """An argparse type: a whole number from ``low`` to ``high``, else a one-line error."""

    def parse(text: str) -> int:
        value = whole_number(text)
        if value is None:  # int() would take '٣', ' 5 ' and '1_0' too
            raise argparse.ArgumentTypeError(f"'{text}' is not a whole number") from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"{value} is out of range {low}..{high}")
        return value

    return parse


def package_version() -> str:
    """The installed distribution's version (pyproject's ``version``)."""
    try:
        return version("digestbot")
    except PackageNotFoundError:
        return "(version unknown: not installed; run make run or pip install -e .)"


def add_global_options(parser: argparse.ArgumentParser, *, after_command: bool) -> None:
    """--config, --corpus, --data and -v on the top-level parser or on a sub-command's parser."""
    keep = argparse.SUPPRESS if after_command else None
    group = parser.add_argument_group("global options (before or after the command name)")
    group.add_argument(
        "--config",
        metavar="FILE",
        default=keep,
        help="TOML configuration (see config.example.toml; default: the embedded default: "
        "./seeds, ./data, console)",
    )
    group.add_argument(
        "--corpus",
        metavar="DIR",
        default=keep,
        help="folder of seed .txt files (overrides [corpus] folder)",
    )
    group.add_argument(
        "--data",
        metavar="DIR",
        default=keep,
        help="data folder for store, cache, index (overrides [data] folder)",
    )
    group.add_argument(
        "-v",
        "--verbose",
        dest=VERBOSE_AFTER if after_command else "verbose",
        action="count",
        default=argparse.SUPPRESS if after_command else 0,
        help="more logging (-vv: debug)",
    )


def verbosity(args: argparse.Namespace) -> int:
    """How many -v were given, before and after the command name together."""
    return int(args.verbose) + int(getattr(args, VERBOSE_AFTER, 0))
