"""Picking posts for a subscriber and building a platform-neutral digest.

- Candidates are the posts not yet given to that chat, filtered by the subscriber's topics
  (keywords, case-insensitive, matched at the start of a word in the title, body or comments),
  best first: newest, then most discussed. At most ``posts`` per digest.
- A post already sent whose thread has grown since comes back as "new in the discussion", with
  only the new comments summarised (after the new posts, most new comments first).
- Nothing new gives ``None``: there is never an empty digest.

Rendering for a platform (HTML, splitting) lives in the front ends; :func:`render_text` is the
plain-text form used by the console and ``digestbot digest``.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

from bot.corpus.folder import short_id
from bot.domain.records import Delivery, DeliveryItem, History, Subscriber
from bot.domain.schedule import Slot
from summariser import Post, Quote, Summary, SummaryCache, summarise_post, top_comments

_SPACE = re.compile(r"\s+")


class PostIndex:
    """The corpus prepared once for planning: best-first order, comment refs, searchable text."""

    def __init__(self, posts: Mapping[str, Post] | Iterable[Post]) -> None:
        values = list(posts.values()) if isinstance(posts, Mapping) else list(posts)
        self.posts: dict[str, Post] = {p.id: p for p in values}
        self.ranked: list[Post] = sorted(
            values, key=lambda p: (-p.date.toordinal(), -p.comment_count, p.id)
        )
        self.refs: dict[str, tuple[str, ...]] = {
            p.id: tuple(sys.intern(c.ref) for c in p.walk_comments()) for p in values
        }
        self._text: dict[str, str] = {}
        self._topics: dict[tuple[str, str], bool] = {}
        self._patterns: dict[str, re.Pattern[str]] = {}

    def __len__(self) -> int:
        return len(self.posts)

    def matching_topic(self, post: Post, topics: Iterable[str]) -> str | None:
        """The first of ``topics`` found in the post (title, body or comments), else None."""
        for topic in topics:
            key = (post.id, topic)
            hit = self._topics.get(key)
            if hit is None:
                hit = bool(self._pattern(topic).search(self._searchable(post)))
                self._topics[key] = hit
            if hit:
                return topic
        return None

    def _pattern(self, topic: str) -> re.Pattern[str]:
        pattern = self._patterns.get(topic)
        if pattern is None:
            words = _SPACE.sub(" ", topic.strip().lower())
            pattern = re.compile(r"(?<!\w)" + re.escape(words))
            self._patterns[topic] = pattern
        return pattern

    def _searchable(self, post: Post) -> str:
        text = self._text.get(post.id)
        if text is None:
            parts = [post.title, post.body_text, *(c.text for c in post.walk_comments())]
            text = _SPACE.sub(" ", "\n".join(parts).lower())
            self._text[post.id] = text
        return text


class Summaries:
    """Post summaries for digests, computed once per post (and per set of new comments).

    With a ``cache_dir`` the summaries come from ``summariser.SummaryCache`` (on disk, keyed by
    content hash); "new in the discussion" quotes come from ``summariser.top_comments``
    restricted to the new refs. Both are remembered in memory for as long as the post object is
    the same (a reloaded corpus gives new objects).
    """

    def __init__(
        self,
        *,
        sentences: int = 3,
        comments: int = 3,
        method: str = "lexrank",
        cache_dir: Path | str | None = None,
    ) -> None:
        self.sentences, self.comments, self.method = sentences, comments, method
        self._disk = SummaryCache(cache_dir) if cache_dir else None
        self._summaries: dict[str, tuple[Post, Summary]] = {}
        self._new: dict[tuple[str, tuple[str, ...]], tuple[Post, tuple[Quote, ...]]] = {}

    def summary(self, post: Post) -> Summary:
        hit = self._summaries.get(post.id)
        if hit is not None and hit[0] is post:
            return hit[1]
        n, k, method = self.sentences, self.comments, self.method
        if self._disk is not None:
            made = self._disk.get(post, sentences=n, comments=k, method=method)
        else:
            made = summarise_post(post, sentences=n, comments=k, method=method)
        self._summaries[post.id] = (post, made)
        return made

    def custom(self, post: Post, *, sentences: int, comments: int) -> Summary:
        """A summary of other lengths (``/post``, "more comments"), from the same disk cache."""
        n, k, method = sentences, comments, self.method
        if self._disk is not None:
            return self._disk.get(post, sentences=n, comments=k, method=method)
        return summarise_post(post, sentences=n, comments=k, method=method)

    def warm(self, posts: Iterable[Post], progress: Callable[[int, int], None] | None) -> None:
        """Compute (and keep on disk) every post's digest summary now, not at the first send."""
        if self._disk is not None:
            n, k, method = self.sentences, self.comments, self.method
            self._disk.warm(posts, sentences=n, comments=k, method=method, progress=progress)

    def new_comments(self, post: Post, refs: Collection[str]) -> tuple[Quote, ...]:
        key = (post.id, tuple(sorted(refs)))
        hit = self._new.get(key)
        if hit is not None and hit[0] is post:
            return hit[1]
        quotes = top_comments(post, self.comments, method=self.method, refs=set(refs))
        self._new[key] = (post, quotes)
        return quotes


@dataclass(frozen=True)
class Pick:
    """A post chosen for a digest, before summarising."""

    post: Post
    kind: str  # "new" | "discussion"
    refs: tuple[str, ...]
    new: tuple[str, ...]
    reason: str


@dataclass(frozen=True)
class DigestItem:
    post_id: str
    short_id: str
    title: str
    date: date
    kind: str  # "new" | "discussion"
    reason: str
    sentences: tuple[str, ...]  # body sentences, verbatim ("discussion": none)
    comments: tuple[Quote, ...]  # top comments ("discussion": among the new ones only)
    comment_count: int
    refs: tuple[str, ...]
    new: tuple[str, ...]
    url: str | None = None  # the post on the web (feed posts), for "read the post"


@dataclass(frozen=True)
class Digest:
    """One chat's digest, independent of any platform."""

    platform: str
    chat_id: str
    slot: str  # local date of the scheduled send, "" for an on-demand digest
    frequency: str
    title: str
    date: date
    items: tuple[DigestItem, ...]

    def to_delivery(self, delivery_id: str, now: datetime, run_id: str = "") -> Delivery:
        items = tuple(DeliveryItem(i.post_id, i.kind, i.refs, i.new, i.reason) for i in self.items)
        return Delivery(
            id=delivery_id,
            platform=self.platform,
            chat_id=self.chat_id,
            slot=self.slot,
            title=self.title,
            items=items,
            state="pending",
            created=now,
            updated=now,
            run_id=run_id,
        )


def pick(sub: Subscriber, index: PostIndex, history: History) -> list[Pick]:
    """The posts this subscriber should get next, best first (pure)."""
    fresh: list[Pick] = []
    grown: list[Pick] = []
    for post in index.ranked:
        topic = index.matching_topic(post, sub.topics) if sub.topics else ""
        if topic is None:
            continue
        why = f", matches topic '{topic}'" if topic else ""
        refs = index.refs[post.id]
        seen = history.get(post.id)
        if seen == refs:  # the common case: sent when the thread looked as it does now
            continue
        if seen is None:
            fresh.append(Pick(post, "new", refs, (), f"new post{why}"))
            if len(fresh) >= sub.posts:
                break
            continue
        seen_set = seen if isinstance(seen, (set, frozenset)) else frozenset(seen)
        if seen_set.issuperset(refs):
            continue
        new = tuple(r for r in refs if r not in seen_set)
        if new:
            grown.append(Pick(post, "discussion", refs, new, f"{len(new)} new comments{why}"))
    grown.sort(key=lambda p: -len(p.new))  # stable: ties keep newest-first order
    return (fresh + grown)[: sub.posts]


def plan(
    sub: Subscriber,
    posts: PostIndex | Mapping[str, Post],
    now: datetime,
    history: History,
    *,
    summaries: Summaries,
    slot: Slot | None = None,
) -> Digest | None:
    """The digest ``sub`` gets at ``now`` (for ``slot``), or None when nothing is new."""
    index = posts if isinstance(posts, PostIndex) else PostIndex(posts)
    picks = pick(sub, index, history)
    if not picks:
        return None
    return build(sub, picks, now, summaries=summaries, slot=slot)


def build(
    sub: Subscriber,
    picks: Iterable[Pick],
    now: datetime,
    *,
    summaries: Summaries,
    slot: Slot | None = None,
) -> Digest:
    day = slot.day if slot else now.astimezone(sub.zone).date()
    items = tuple(_item(p, summaries) for p in picks)
    return Digest(sub.platform, sub.chat_id, slot.id if slot else "", sub.frequency,
                  digest_title(sub.frequency, day), day, items)  # fmt: skip


def rebuild(
    sub: Subscriber, delivery: Delivery, index: PostIndex, *, summaries: Summaries
) -> Digest | None:
    """The digest of a recorded (pending) delivery, e.g. to resume it after a restart."""
    picks = [
        Pick(index.posts[i.post_id], i.kind, i.refs, i.new, i.reason)
        for i in delivery.items
        if i.post_id in index.posts
    ]
    if not picks:
        return None
    day = date.fromisoformat(delivery.slot) if delivery.slot else delivery.created.date()
    items = tuple(_item(p, summaries) for p in picks)
    return Digest(sub.platform, sub.chat_id, delivery.slot, sub.frequency, delivery.title, day,
                  items)  # fmt: skip


@lru_cache(maxsize=64)
def digest_title(frequency: str, day: date) -> str:
    if frequency == "weekly":
        return f"Weekly digest, week to {day:%A} {day.day} {day:%B %Y}"
    return f"Daily digest, {day:%A} {day.day} {day:%B %Y}"


def _item(p: Pick, summaries: Summaries) -> DigestItem:
    if p.kind == "discussion":
        sentences: tuple[str, ...] = ()
        comments = summaries.new_comments(p.post, p.new)
    else:
        summary = summaries.summary(p.post)
        sentences, comments = summary.body, summary.comments
    return DigestItem(
        post_id=p.post.id,
        short_id=short_id(p.post.id),
        title=p.post.title,
        date=p.post.date,
        kind=p.kind,
        reason=p.reason,
        sentences=sentences,
        comments=comments,
        comment_count=len(p.refs),
        refs=p.refs,
        new=p.new,
        url=p.post.url,
    )


def digest_json(digest: Digest) -> dict[str, Any]:
    """The stable JSON form (``digestbot digest --json``)."""
    return {
        "title": digest.title,
        "date": digest.date.isoformat(),
        "frequency": digest.frequency,
        "slot": digest.slot or None,
        "items": [
            {
                "id": i.post_id,
                "short_id": i.short_id,
                "title": i.title,
                "date": i.date.isoformat(),
                "kind": i.kind,
                "reason": i.reason,
                "sentences": list(i.sentences),
                "comments": [q.to_json() for q in i.comments],
                "comments_total": i.comment_count,
                "new_comments": len(i.new),
            }
            for i in digest.items
        ],
    }


def render_text(digest: Digest) -> str:
    """Plain text: the console front end and ``digestbot digest`` print this."""
    lines = [digest.title]
    for item in digest.items:
        lines.append("")
        head = "New in the discussion: " if item.kind == "discussion" else ""
        lines.append(
            f"{head}{item.title} ({item.date.day} {item.date:%B %Y}, post {item.short_id})"
        )
        lines.extend(f"  {sentence}" for sentence in item.sentences)
        if item.kind == "discussion":
            lines.append(f"  {len(item.new)} new comments; the best of them:")
        for quote in item.comments:
            lines.append(f"  [{quote.ref}] {quote.author or 'Anonymous'}: {quote.text}")
    return "\n".join(lines)
