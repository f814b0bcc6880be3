"""Post summaries cached on disk, so a restart with a large corpus recomputes nothing.

One JSON file per (post content, settings, algorithm version) in the cache folder, named by a
hash of all three: an edited post, other settings or a new algorithm simply miss. Writes are
atomic (temporary file in the same folder, fsync, ``os.replace``), so a crash leaves either the
old file or the new one, never half of one. A file that cannot be read or does not hold a
summary of the asked post is ignored and rewritten, never an error.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable, Iterable, Sequence
from datetime import date
from pathlib import Path
from typing import Any

from .files import write_atomic
from .models import Post, Quote, Summary
from .threads import summarise_post

log = logging.getLogger(__name__)

ALGORITHM_VERSION = "3"
"""Bump when summaries would come out differently for the same post and settings."""

Progress = Callable[[int, int], None]
"""Called as ``progress(done, total)`` after each post of :meth:`SummaryCache.warm`."""


class SummaryCache:
    """``get`` a post's summary from ``folder``, computing and storing it on a miss."""

    def __init__(self, folder: Path | str) -> None:
        self.folder = Path(folder)
        self.hits = 0
        self.misses = 0

    def key(self, post: Post, *, sentences: int, comments: int, method: str) -> str:
        settings = f"{ALGORITHM_VERSION}\x00{sentences}\x00{comments}\x00{method}"
        digest = hashlib.sha256(f"{post.content_hash()}\x00{settings}".encode())
        return digest.hexdigest()

    def path(self, post: Post, *, sentences: int, comments: int, method: str) -> Path:
        key = self.key(post, sentences=sentences, comments=comments, method=method)
        return self.folder / key[:2] / f"{key}.json"

    def get(
        self, post: Post, *, sentences: int = 3, comments: int = 3, method: str = "lexrank"
    ) -> Summary:
        """The summary of ``post`` with these settings: from disk, or computed and stored."""
        path = self.path(post, sentences=sentences, comments=comments, method=method)
        cached = self._read(path, post)
        if cached is not None:
            self.hits += 1
            return cached
        self.misses += 1
        summary = summarise_post(post, sentences=sentences, comments=comments, method=method)
        self._write(path, summary)
        return summary

    def warm(
        self,
        posts: Iterable[Post],
        *,
        sentences: int = 3,
        comments: int = 3,
        method: str = "lexrank",
        progress: Progress | None = None,
    ) -> int:
        """Make sure every post's summary is on disk; returns how many were computed."""
        items: Sequence[Post] = list(posts)
        before = self.misses
        for done, post in enumerate(items, start=1):
            self.get(post, sentences=sentences, comments=comments, method=method)
            if progress is not None:
                progress(done, len(items))
        return self.misses - before

    def _read(self, path: Path, post: Post) -> Summary | None:
        try:
            raw = path.read_bytes()
        except FileNotFoundError:
            return None
        except OSError as error:
            log.warning("summary cache: cannot read %s (%s); recomputing", path, error)
            return None
        try:
            summary = summary_from_json(json.loads(raw.decode("utf-8")))
        except (ValueError, KeyError, TypeError) as error:  # UnicodeDecodeError is a ValueError
            log.warning("summary cache: %s is damaged (%s); recomputing", path, error)
            return None
        if summary.post_id != post.id:
            log.warning("summary cache: %s holds post %s; recomputing", path, summary.post_id)
            return None
        return summary

    def _write(self, path: Path, summary: Summary) -> None:
        try:
            write_atomic(path, json.dumps(summary_to_json(summary), ensure_ascii=False))
        except OSError as error:  # a full or read-only disk costs speed, not the answer
            log.warning("summary cache: cannot write %s (%s)", path, error)


def summary_to_json(summary: Summary) -> dict[str, Any]:
    return {
        "post_id": summary.post_id,
        "title": summary.title,
        "date": summary.date.isoformat(),
        "body": list(summary.body),
        "comments": [q.to_json() for q in summary.comments],
    }


def summary_from_json(data: Any) -> Summary:
    """The inverse of :func:`summary_to_json`; ValueError/KeyError/TypeError on bad data."""
    if not isinstance(data, dict):
        raise TypeError("not a JSON object")
    quotes = tuple(
        Quote(
            _text(q["ref"]), None if q["author"] is None else _text(q["author"]), _text(q["text"])
        )
        for q in data["comments"]
    )
    body = tuple(_text(s) for s in data["body"])
    return Summary(
        _text(data["post_id"]), _text(data["title"]), date.fromisoformat(data["date"]), body, quotes
    )


def _text(value: Any) -> str:
    if not isinstance(value, str):
        raise TypeError(f"expected a string, got {type(value).__name__}")
    return value
