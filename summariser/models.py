"""Frozen value types shared by the whole text core.

A :class:`Post` is one blog post with its comment thread, as read from one seed file. Comments
form a tree: top-level comments have refs ``"1"``, ``"2"``...; replies have refs like ``"5.1"``.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime

_BIDI_CONTROLS = re.compile("[\u202a-\u202e\u2066-\u2069]")


def neutral_title(title: str) -> str:
    """A title without bidi embeddings, overrides and isolates (U+202A-202E, U+2066-2069).

    An override in a title (``\u202e``) would turn round everything shown after it on the same
    line: the date and id beside it, in a chat, a terminal or a digest. Marks (U+200E/U+200F)
    stay: they only place neutral characters and cannot flip text that follows.
    """
    return _BIDI_CONTROLS.sub("", title)


@dataclass(frozen=True)
class Comment:
    """One comment (or reply) of a post's thread."""

    ref: str
    text: str
    author: str | None = None
    posted_at: datetime | None = None
    replies: tuple[Comment, ...] = ()
    line: int = 0

    @property
    def paragraphs(self) -> list[str]:
        return [p for p in self.text.split("\n\n") if p]

    @property
    def depth(self) -> int:
        return self.ref.count(".")

    def walk(self) -> Iterator[Comment]:
        """This comment, then its replies (depth first)."""
        yield self
        for reply in self.replies:
            yield from reply.walk()

    def thread_size(self) -> int:
        """Number of comments in this sub-thread, this one excluded."""
        return sum(1 for _ in self.walk()) - 1


@dataclass(frozen=True)
class Post:
    """One blog post: date, title, body paragraphs and the comment tree."""

    id: str
    date: date
    title: str
    body: tuple[str, ...]
    comments: tuple[Comment, ...] = ()
    declared_comments: int | None = None
    source: str | None = field(default=None, compare=False)
    url: str | None = field(default=None, compare=False)  # the post on the web, if known

    def __post_init__(self) -> None:
        object.__setattr__(self, "title", neutral_title(self.title))  # from any source

    def walk_comments(self) -> Iterator[Comment]:
        for comment in self.comments:
            yield from comment.walk()

    def comment(self, ref: str) -> Comment | None:
        return next((c for c in self.walk_comments() if c.ref == ref), None)

    @property
    def top_level_count(self) -> int:
        return len(self.comments)

    @property
    def reply_count(self) -> int:
        return sum(c.thread_size() for c in self.comments)

    @property
    def comment_count(self) -> int:
        return self.top_level_count + self.reply_count

    @property
    def body_text(self) -> str:
        return "\n\n".join(self.body)

    def content_hash(self) -> str:
        """A stable hash of everything a summary depends on (not the source path)."""
        digest = hashlib.sha256()
        for part in (self.id, self.date.isoformat(), self.title, self.body_text):
            digest.update(part.encode("utf-8"))
            digest.update(b"\x00")
        for comment in self.walk_comments():
            for part in (comment.ref, comment.author or "", comment.text):
                digest.update(part.encode("utf-8"))
                digest.update(b"\x00")
        return digest.hexdigest()


@dataclass(frozen=True)
class Quote:
    """A sentence (or a few) quoted verbatim from a comment, with where it came from."""

    ref: str
    author: str | None
    text: str

    def to_json(self) -> dict[str, str | None]:
        """The quote as JSON writes it everywhere (``--json`` output, the summary cache)."""
        return {"ref": self.ref, "author": self.author, "text": self.text}


@dataclass(frozen=True)
class Summary:
    """A post condensed: body sentences in source order, then the top comments' best sentences."""

    post_id: str
    title: str
    date: date
    body: tuple[str, ...]
    comments: tuple[Quote, ...]


@dataclass(frozen=True)
class Match:
    """One passage that matched a query: a body sentence or a comment sentence."""

    where: str  # "body" | "comment" | "title"
    ref: str | None
    author: str | None
    text: str
    highlights: tuple[tuple[int, int], ...]


@dataclass(frozen=True)
class SearchHit:
    """A post that answers a query, with its best matching passages."""

    post_id: str
    title: str
    date: date
    score: float
    matches: tuple[Match, ...]
    # Query words this post lacks (only when no post had them all and any-word hits are shown).
    missing: tuple[str, ...] = ()
