"""A feed's archive: every entry ever read, with its comments, saved under the data folder.

The archive is what the feed source loads posts from; fetching only merges into it, so an entry
that leaves the feed stays, an edited entry replaces its text (the post keeps its id and date),
and a re-published entry (same id, new date) keeps the date it was first seen with: it is not
news again. Comment refs ("1", "1.2") are given once, in the order comments are first seen, so
the refs a chat has already seen keep meaning the same comments ("new in the discussion").
Written atomically (temp file, fsync, rename): a crash leaves the old or the new archive.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from bot.corpus.entries import CommentEntry, Entry
from bot.store.tinydb.atomic import write_atomic
from summariser import Comment, Post

ID_CHARS = 12  # hex digits of sha256(entry id): 48 bits, short enough for any button payload


def post_id(entry_id: str) -> str:
    """The stable short id of a feed entry: the first 12 hex digits of sha256 of its id."""
    return hashlib.sha256(entry_id.encode("utf-8")).hexdigest()[:ID_CHARS]


@dataclass
class Archive:
    """The entries of one feed (by entry id) and the feed's current error, if any."""

    path: Path
    entries: dict[str, dict[str, Any]] = field(default_factory=dict)
    error: dict[str, str] | None = None

    @classmethod
    def read(cls, path: Path) -> Archive:
        """The saved archive; an empty one when there is none yet. Raises ValueError if bad."""
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return cls(path)
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise ValueError(f"{path}: cannot read the feed archive ({exc})") from None
        if not isinstance(raw, dict) or not isinstance(raw.get("entries", {}), dict):
            raise ValueError(f"{path}: not a feed archive (expected an object with entries)")
        return cls(path, raw.get("entries", {}), raw.get("error"))

    def save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        data = {"entries": self.entries, "error": self.error}
        write_atomic(self.path, json.dumps(data, ensure_ascii=False, sort_keys=True))

    def merge_entries(self, entries: Iterable[Entry], now: datetime) -> list[str]:
        """Add new entries, update edited ones; the entry ids whose comments should be read."""
        stale: list[str] = []
        for entry in entries:
            old = self.entries.get(entry.id)
            record = _record(entry, old, now)
            if old is None and entry.comment_count == 0:
                pass  # a new post without comments: nothing to read yet
            elif (
                old is None
                or _content(old) != _content(record)
                or entry.comment_count is None
                or entry.comment_count != old.get("count")
            ):
                stale.append(entry.id)
            self.entries[entry.id] = record
        return [e for e in stale if self.entries[e].get("comments_url")]

    def merge_comments(self, entry_id: str, comments: Iterable[CommentEntry]) -> bool:
        """Add new comments (a ref each), update edited ones; True when anything changed."""
        record = self.entries.get(entry_id)
        if record is None:
            return False
        known: dict[str, dict[str, Any]] = {}
        for row in record.setdefault("comments", []):
            known[row["id"]] = known[_tail(row["id"])] = row
        changed = False
        for comment in sorted(comments, key=_comment_order):
            row = _comment_row(comment)
            old = known.get(comment.id)
            if old is None:
                parent = known.get(comment.parent or "") or known.get(_tail(comment.parent or ""))
                row["ref"] = _next_ref(record["comments"], parent)
                record["comments"].append(row)
                known[comment.id] = known[_tail(comment.id)] = row
                changed = True
            elif any(old.get(k) != row[k] for k in ("text", "author")):
                old.update(text=row["text"], author=row["author"])
                changed = True
        return changed

    def posts(self, source: str) -> list[Post]:
        return [to_post(record, source) for record in self.entries.values()]


def _tail(entry_id: str) -> str:
    """Blogger names a reply's parent by the number that ends its id ('...post-123' -> '123')."""
    return entry_id.rsplit("-", 1)[-1].rsplit("/", 1)[-1]


def _record(entry: Entry, old: dict[str, Any] | None, now: datetime) -> dict[str, Any]:
    first = old["date"] if old else (entry.published or now).astimezone(UTC).date().isoformat()
    record = dict(old or {})
    record.update(
        id=post_id(entry.id),
        title=entry.title,
        link=entry.link,
        date=first,
        body=list(entry.body) or [entry.title],
        comments_url=entry.comments_url or (old or {}).get("comments_url"),
        count=entry.comment_count,
    )
    record.setdefault("comments", [])
    return record


def _content(record: dict[str, Any]) -> tuple[Any, ...]:
    return (record.get("title"), tuple(record.get("body", ())), record.get("link"))


def _comment_order(comment: CommentEntry) -> tuple[str, str]:
    return (comment.posted_at.isoformat() if comment.posted_at else "", comment.id)


def _comment_row(comment: CommentEntry) -> dict[str, Any]:
    return {
        "id": comment.id,
        "parent": comment.parent,
        "author": comment.author,
        "at": comment.posted_at.isoformat() if comment.posted_at else None,
        "text": comment.text or "(no text)",
    }


def _next_ref(rows: list[dict[str, Any]], parent: dict[str, Any] | None) -> str:
    """The next free ref: after the last top-level comment, or under the parent's ref."""
    prefix = f"{parent['ref']}." if parent else ""
    depth = prefix.count(".")
    taken = [
        int(r["ref"][len(prefix) :])
        for r in rows
        if r["ref"].startswith(prefix) and r["ref"].count(".") == depth
    ]
    return f"{prefix}{max(taken, default=0) + 1}"


def to_post(record: dict[str, Any], source: str) -> Post:
    rows = sorted(record.get("comments", []), key=lambda r: _ref_key(r["ref"]))
    return Post(
        id=record["id"],
        date=date.fromisoformat(record["date"]),
        title=record["title"],
        body=tuple(record["body"]),
        comments=_tree(rows, ""),
        source=source,
        url=record.get("link"),
    )


def _ref_key(ref: str) -> tuple[int, ...]:
    return tuple(int(part) for part in ref.split("."))


def _tree(rows: list[dict[str, Any]], prefix: str) -> tuple[Comment, ...]:
    depth = prefix.count(".")
    children = [r for r in rows if r["ref"].startswith(prefix) and r["ref"].count(".") == depth]
    return tuple(
        Comment(
            ref=row["ref"],
            text=row["text"],
            author=row.get("author"),
            posted_at=datetime.fromisoformat(row["at"]) if row.get("at") else None,
            replies=_tree(rows, row["ref"] + "."),
        )
        for row in children
    )
