"""Where the corpus is, and what to say when it is not there.

The embedded default reads ``./seeds``, so a ``digestbot`` started from another folder used to
find nothing and say only "no posts found in seeds". Now a folder named explicitly (``--corpus
DIR``, ``[corpus] folder``) that is not there stops the command with its absolute path and how to
point at another one, and the embedded default falls back to the example posts that sit beside
the package in a checkout (what ``make run`` and ``pip install -e .`` use), saying so in one line.
"""

from __future__ import annotations

import os
import stat
from dataclasses import replace
from pathlib import Path
from typing import TextIO

from bot.config import Config, ConfigError
from bot.errors import UsageError

CHECKOUT = Path(__file__).resolve().parents[2]
HOW = "--corpus DIR, or [corpus] folder in a --config file (see config.example.toml)"


def shipped_seeds(checkout: Path = CHECKOUT) -> Path | None:
    """The example corpus of the checkout this package runs from, if it runs from one."""
    seeds = checkout / "seeds"
    if (checkout / "pyproject.toml").is_file() and seeds.is_dir() and any(seeds.glob("*.txt")):
        return seeds
    return None


def locate_corpus(
    config: Config, *, from_option: bool, stderr: TextIO, checkout: Path = CHECKOUT
) -> Config:
    """``config`` with a corpus folder that exists, or a UsageError / ConfigError saying where."""
    if not config.use_folder:
        return config  # the file lists only feeds
    folder = config.corpus_dir
    problem = _problem(folder)
    if problem is None:
        return config
    where = Path(os.path.abspath(folder))
    if from_option:
        raise UsageError(
            f"--corpus {folder}: {problem} ({where}); give a folder of seed .txt files"
        )
    if config.source != Config().source:
        raise ConfigError(
            f"{config.source}: corpus.folder: {problem} ({where}); "
            "fix [corpus] folder there, or give --corpus DIR"
        )
    seeds = shipped_seeds(checkout)
    if seeds is None:
        raise UsageError(
            f"no corpus: looked for the default ./seeds at {where}: {problem}; "
            f"point at a folder of seed .txt files with {HOW}"
        )
    print(
        f"digestbot: no seeds folder here ({where}); using the example posts that come with "
        f"digestbot ({seeds}); point at your own with {HOW}",
        file=stderr,
    )
    return replace(config, corpus_dir=seeds)


def _problem(folder: Path) -> str | None:
    """None for a readable folder, else what is wrong with it in a few words."""
    try:
        mode = folder.stat().st_mode
    except FileNotFoundError:
        return "no such folder"
    except NotADirectoryError:
        return "no such folder (a part of the path is a file)"
    except PermissionError:
        return "no permission to look there"
    except OSError as exc:
        return f"cannot be read ({exc.strerror or exc})"
    if not stat.S_ISDIR(mode):
        return "a file, not a folder"
    return None
