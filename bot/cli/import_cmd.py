"""`digestbot import FILE`: a Blogger export or a WordPress WXR file into the corpus, once."""

from __future__ import annotations

import argparse
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bot.config import Config
from bot.corpus.archive import Archive
from bot.corpus.imports import import_into, read_export
from bot.errors import UsageError


def register(sub: argparse._SubParsersAction[Any]) -> None:
    p = sub.add_parser(
        "import", help="read a Blogger export (.atom) or a WordPress export (WXR) into the corpus"
    )
    p.add_argument("file", metavar="FILE", help="the export file (Blogger Takeout .atom, WXR .xml)")
    p.add_argument("--name", help="what `digestbot corpus` calls it (default: the file's name)")
    p.set_defaults(handler=cmd_import, needs_corpus=False)


def cmd_import(config: Config, args: argparse.Namespace) -> int:
    path = Path(args.file)
    name = _slug(args.name or path.stem)
    if not name:
        raise UsageError(f"--name {args.name!r}: use letters, digits, '-' or '_'")
    found = read_export(path)
    target = config.data_dir / "imports" / f"{name}.json"
    try:
        archive = Archive.read(target)
    except ValueError as exc:
        raise UsageError(f"{exc}; remove it to import again") from None
    posts, comments = import_into(archive, found, datetime.now(UTC))
    archive.save()
    total = len(archive.entries)
    print(
        f"imported {found.kind} export {path}: {posts} new posts, {comments} new comments "
        f"({total} posts in import '{name}', {target})"
    )
    return 0


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_-]+", "-", text).strip("-")[:60]
