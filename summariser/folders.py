"""A folder of seed files: which entries are seed files, and loading them all.

An entry named like a seed file (``*.txt`` in any case) that is not a regular text file inside
the folder is never opened; it gets a :class:`CorpusError` saying why, so the user sees one
"skipped" line for it: a folder, a named pipe (opening one would wait forever), a symbolic link
that loops, leads nowhere or leads out of the folder (its target is not read, so nothing of it
is shown), a name ending in ``.TXT`` (seed files end in lower-case ``.txt``).
"""

from __future__ import annotations

import errno
import logging
import os
import stat
from collections.abc import Callable, Iterable
from pathlib import Path

from .corpus import CorpusError, LoadResult, parse_file
from .models import Post

log = logging.getLogger(__name__)


def seed_files(folder: str | Path) -> list[Path]:
    """The seed files of a folder (``*.txt``, regular files or links to one inside it), in
    name order; :func:`scan_folder` also says why any other ``*.txt`` entry is not one."""
    return scan_folder(folder)[0]


def scan_folder(folder: str | Path) -> tuple[list[Path], list[CorpusError]]:
    """(seed files, refused entries) of ``folder``, both in name order."""
    folder = Path(folder)
    try:
        names = sorted(e.name for e in os.scandir(folder) if e.name.lower().endswith(".txt"))
    except OSError:
        return [], []
    files: list[Path] = []
    refused: list[CorpusError] = []
    for name in names:
        problem = _entry_problem(folder, name, names)
        if problem is None:
            files.append(folder / name)
        else:
            refused.append(CorpusError(folder / name, None, problem))
    return files, refused


def _entry_problem(folder: Path, name: str, names: list[str]) -> str | None:
    """Why ``folder/name`` is not read as a seed file (None: it is one). Never reads it."""
    path = folder / name
    if not name.endswith(".txt"):
        twin = name[:-4] + ".txt"
        if twin in names:
            return f"same post id as {twin} (names differ only in case); rename or remove one"
        return f"seed file names end in lower-case .txt; rename it to {twin}"
    try:
        mode = path.stat().st_mode  # follows links
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return "a symbolic link that loops (it leads back to itself); fix or remove it"
        if path.is_symlink():
            return "a symbolic link to nothing (its target does not exist); fix or remove it"
        return f"cannot read: {exc.strerror or exc}"
    if path.is_symlink() and not _inside(path, folder):
        return "a symbolic link to a file outside the corpus folder; copy the file in instead"
    if stat.S_ISDIR(mode):
        return "a folder, not a seed file"
    if not stat.S_ISREG(mode):
        return "not a regular file (a named pipe, socket or device); seed files are text"
    return None


def _inside(path: Path, folder: Path) -> bool:
    try:
        return path.resolve().is_relative_to(folder.resolve())
    except (OSError, RuntimeError):
        return False


def load_folder(
    folder: str | Path,
    *,
    progress: Callable[[Iterable[Path]], Iterable[Path]] | None = None,
) -> LoadResult:
    """Parse every seed file of a folder. Bad files are collected as errors, never raised."""
    if not Path(folder).is_dir():
        return LoadResult((), (CorpusError(folder, None, "corpus folder does not exist"),))
    files, refused = scan_folder(folder)
    posts: list[Post] = []
    errors: list[CorpusError] = list(refused)
    for path in progress(files) if progress else files:
        try:
            posts.append(parse_file(path))
        except CorpusError as exc:
            errors.append(exc)
        except Exception as exc:  # a parser bug must not stop the other files
            log.exception("internal error while parsing %s", path)
            errors.append(CorpusError(path, None, f"internal error while parsing: {exc!r}"))
    return LoadResult(tuple(posts), tuple(errors))
