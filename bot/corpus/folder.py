"""The folder source (a folder of seed files) and resolving the post ids people type."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from bot.corpus.source import Loaded, Problem, Progress, SourceStatus
from bot.errors import NotFound
from summariser import Post, load_folder, seed_files

log = logging.getLogger(__name__)

Signature = tuple[tuple[str, int, int], ...]  # (name, size, mtime) of every seed file


@dataclass
class FolderSource:
    """Seed files (``*.txt``) in one folder; a post's id is its file's stem."""

    folder: Path
    name: str = "folder"
    _posts: int = field(default=0, repr=False)

    def signature(self) -> Signature:
        return folder_signature(self.folder)

    def load(self, *, progress: Progress | None = None) -> Loaded:
        stats = {entry[0]: entry for entry in self.signature()}
        result = load_folder(self.folder, progress=progress)
        problems = tuple(
            Problem(e.file, e.line, e.message, key=stats.get(Path(e.file).name, (str(e), 0, 0)))
            for e in result.errors
        )
        self._posts = len(result.posts)
        return Loaded(result.posts, problems)

    def status(self) -> SourceStatus:
        return SourceStatus(self.name, "folder", str(self.folder), self._posts)


def folder_signature(folder: Path) -> Signature:
    """(name, size, mtime) of every seed file: changes when one is added, edited or removed."""
    signature = []
    for path in seed_files(folder):
        try:
            stat = path.stat()
        except OSError:
            continue
        signature.append((path.name, stat.st_size, stat.st_mtime_ns))
    return tuple(signature)


def short_id(post_id: str) -> str:
    """The alias chats show: the number before the first underscore ('000'), else the id."""
    head = post_id.split("_", 1)[0]
    return head if head and head != post_id else post_id


CLI_HINT = "list them with: digestbot corpus"


def resolve_post(posts: Mapping[str, Post], given: str, *, hint: str = CLI_HINT) -> Post:
    """An exact id, its short alias ('000' or '0') or a unique prefix -> the Post. ``hint``
    ends the "unknown post id" message: how to see the ids, in the asker's terms."""
    key = given.strip()
    if key in posts:
        return posts[key]
    candidates = [p for pid, p in posts.items() if short_id(pid) == key]
    if not candidates and key.isdigit():
        candidates = [p for pid, p in posts.items() if short_id(pid).lstrip("0") == key.lstrip("0")]
    if not candidates and key:
        candidates = [p for pid, p in posts.items() if pid.startswith(key)]
    if len(candidates) == 1:
        return candidates[0]
    shown = key if len(key) <= 40 else key[:39] + "…"
    if len(candidates) > 1:
        raise NotFound(
            f"post id '{shown}' is ambiguous: " + ", ".join(sorted(p.id for p in candidates))
        )
    raise NotFound(f"unknown post id '{shown}' ({hint})")
