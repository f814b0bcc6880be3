"""Loading the corpus for the application and resolving the post ids people type."""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TextIO

from bot.errors import NotFound
from bot.progress import progress
from summariser import LoadResult, Post, load_folder

log = logging.getLogger(__name__)


def load_corpus(folder: Path, *, stderr: TextIO | None = None) -> dict[str, Post]:
    """Posts of the corpus folder by id; each bad file is reported on stderr and skipped."""
    err = stderr or sys.stderr

    def bar(files: Iterable[Path]) -> Iterable[Path]:
        return progress(list(files), "loading corpus", stream=err)

    result: LoadResult = load_folder(folder, progress=bar)
    for error in result.errors:
        print(f"digestbot: skipped {error}", file=err)
        log.info("corpus file skipped: %s", error)
    return {post.id: post for post in result.posts}


def short_id(post_id: str) -> str:
    """The alias chats show: the number before the first underscore ('000'), else the id."""
    head = post_id.split("_", 1)[0]
    return head if head and head != post_id else post_id


def resolve_post(posts: Mapping[str, Post], given: str) -> Post:
    """An exact id, its short alias ('000' or '0') or a unique prefix -> the Post."""
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
    raise NotFound(f"unknown post id '{shown}' (list them with: digestbot corpus)")
