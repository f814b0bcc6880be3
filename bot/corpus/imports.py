"""`digestbot import FILE`: a Blogger export (Takeout .atom, or the older Blogger export) or a
WordPress WXR file, read once into an archive under the data folder that the corpus loads.

Both are read with ElementTree, by element names (the export namespaces changed over the years:
``blogger/2018``, the ``g/2005#kind`` categories, WXR 1.0 to 1.2). Drafts, pages, deleted and
unapproved items and pingbacks are left out. Posts and comments go through the same archive
merge as feeds: importing a file again adds only what is new, and post ids are the same short
hash of the entry id, so a post also in the blog's live feed is the same post.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from pathlib import Path

from bot.corpus.archive import Archive
from bot.corpus.entries import CommentEntry, Entry
from bot.corpus.html import paragraphs, plain
from bot.corpus.source import Loaded, Problem, Progress, SourceStatus
from bot.errors import UsageError

MAX_IMPORT_BYTES = 512 * 1024 * 1024
KIND = "http://schemas.google.com/g/2005#kind"


@dataclass(frozen=True)
class Imported:
    kind: str  # "Blogger" | "WordPress"
    posts: list[Entry]
    comments: dict[str, list[CommentEntry]]  # post entry id -> its comments


def read_export(path: Path) -> Imported:
    """Parse an export file; UsageError (naming the file, and the line if XML) when unreadable."""
    try:
        size = path.stat().st_size
        if size > MAX_IMPORT_BYTES:
            raise UsageError(f"{path}: {size / 1e6:.0f} MB; exports over 512 MB are refused")
        root = ET.parse(path).getroot()
    except FileNotFoundError:
        raise UsageError(f"{path}: no such file") from None
    except OSError as exc:
        raise UsageError(f"{path}: cannot read: {exc.strerror or exc}") from None
    except ET.ParseError as exc:
        line = exc.position[0]
        raise UsageError(f"{path}:{line}: not well-formed XML ({exc.msg}); truncated?") from None
    if _local(root.tag) == "feed":
        return _blogger(root)
    if _local(root.tag) == "rss" and root.find("channel") is not None:
        return _wordpress(root)
    raise UsageError(
        f"{path}: not a Blogger export (.atom) or a WordPress export (WXR .xml): "
        f"its root element is <{_local(root.tag)}>"
    )


def import_into(archive: Archive, found: Imported, now: datetime) -> tuple[int, int]:
    """Merge into ``archive``; returns (new posts, new comments)."""
    before_posts = len(archive.entries)
    before_comments = sum(len(r.get("comments", [])) for r in archive.entries.values())
    archive.merge_entries(found.posts, now)
    for entry_id, comments in found.comments.items():
        archive.merge_comments(entry_id, comments)
    after_comments = sum(len(r.get("comments", [])) for r in archive.entries.values())
    return len(archive.entries) - before_posts, after_comments - before_comments


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _child(element: ET.Element, name: str) -> ET.Element | None:
    return next((c for c in element if _local(c.tag) == name), None)


def _text(element: ET.Element, name: str) -> str:
    child = _child(element, name)
    return (child.text or "").strip() if child is not None else ""


def _iso(text: str) -> datetime | None:
    try:
        when = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def _blogger(root: ET.Element) -> Imported:
    posts: list[Entry] = []
    comments: dict[str, list[CommentEntry]] = {}
    for entry in (e for e in root if _local(e.tag) == "entry"):
        kind, live = _blogger_kind(entry)
        if not live:
            continue
        if kind == "POST":
            posts.append(_blogger_post(entry))
        elif kind == "COMMENT":
            post, comment = _blogger_comment(entry)
            if post:
                comments.setdefault(post, []).append(comment)
    return Imported("Blogger", posts, comments)


def _blogger_kind(entry: ET.Element) -> tuple[str, bool]:
    """('POST' | 'COMMENT' | other, live?) from the Takeout or the older export's markers."""
    kind = _text(entry, "type").upper()
    status = _text(entry, "status").upper()
    for category in (c for c in entry if _local(c.tag) == "category"):
        if category.get("scheme") == KIND:
            kind = (category.get("term") or "").rsplit("#", 1)[-1].upper()
    control = _child(entry, "control")
    draft = control is not None and _text(control, "draft") == "yes"
    return kind, not draft and status in ("", "LIVE")


def _link(entry: ET.Element, rel: str) -> str | None:
    for link in (c for c in entry if _local(c.tag) == "link"):
        if link.get("rel") == rel:
            return link.get("href")
    return None


def _blogger_post(entry: ET.Element) -> Entry:
    title = plain(_text(entry, "title")) or "(untitled)"
    return Entry(
        id=_text(entry, "id"),
        title=title,
        link=_link(entry, "alternate"),
        published=_iso(_text(entry, "published")),
        body=tuple(paragraphs(_text(entry, "content"))),
        comments_url=None,
        comment_count=None,
    )


def _blogger_comment(entry: ET.Element) -> tuple[str, CommentEntry]:
    reply_to = next((c for c in entry if _local(c.tag) == "in-reply-to"), None)
    post = _text(entry, "parent") or (reply_to.get("ref", "") if reply_to is not None else "")
    related = _link(entry, "related")
    parent = _text(entry, "inReplyTo") or (related.rsplit("/", 1)[-1] if related else None)
    author = _child(entry, "author")
    return post, CommentEntry(
        id=_text(entry, "id"),
        author=(plain(_text(author, "name")) or None) if author is not None else None,
        posted_at=_iso(_text(entry, "published")),
        text="\n\n".join(paragraphs(_text(entry, "content"))),
        parent=parent,
        post=post,
    )


def _wordpress(root: ET.Element) -> Imported:
    channel = root.find("channel")
    assert channel is not None
    posts: list[Entry] = []
    comments: dict[str, list[CommentEntry]] = {}
    for item in channel.iter("item"):
        if _text(item, "post_type") not in ("post", "") or _text(item, "status") != "publish":
            continue
        entry = _wordpress_post(item)
        posts.append(entry)
        comments[entry.id] = [
            _wordpress_comment(entry.id, c)
            for c in item
            if _local(c.tag) == "comment"
            and _text(c, "comment_approved") == "1"
            and _text(c, "comment_type") in ("", "comment")
        ]
    return Imported("WordPress", posts, comments)


def _wordpress_post(item: ET.Element) -> Entry:
    guid = _text(item, "guid") or _text(item, "link") or f"wp-post-{_text(item, 'post_id')}"
    return Entry(
        id=guid,
        title=plain(_text(item, "title")) or "(untitled)",
        link=_text(item, "link") or None,
        published=_wp_date(_text(item, "post_date_gmt")) or _rfc822(_text(item, "pubDate")),
        body=tuple(paragraphs(_text(item, "encoded"))),
        comments_url=None,
        comment_count=None,
    )


def _wordpress_comment(post: str, c: ET.Element) -> CommentEntry:
    parent = _text(c, "comment_parent")
    return CommentEntry(
        id=f"{post}#comment-{_text(c, 'comment_id')}",
        author=plain(_text(c, "comment_author")) or None,
        posted_at=_wp_date(_text(c, "comment_date_gmt")),
        text="\n\n".join(paragraphs(_text(c, "comment_content"))),
        parent=f"{post}#comment-{parent}" if parent not in ("", "0") else None,
        post=post,
    )


def _wp_date(text: str) -> datetime | None:
    if not text or text.startswith("0000"):
        return None
    return _iso(text.replace(" ", "T"))


def _rfc822(text: str) -> datetime | None:
    try:
        return parsedate_to_datetime(text) if text else None
    except (TypeError, ValueError):
        return None


@dataclass
class ImportSource:
    """One imported export: its archive, ``<data>/imports/NAME.json``, read like a feed's."""

    path: Path
    _posts: int = 0

    @property
    def name(self) -> str:
        return self.path.stem

    def signature(self) -> tuple[int, int]:
        try:
            stat = self.path.stat()
        except OSError:
            return (0, 0)
        return (stat.st_size, stat.st_mtime_ns)

    def load(self, *, progress: Progress | None = None) -> Loaded:
        where = f"import '{self.name}'"
        try:
            archive = Archive.read(self.path)
        except ValueError as exc:
            return Loaded((), (Problem(where, None, str(exc), key=(where, str(exc))),))
        posts = tuple(archive.posts(where))
        self._posts = len(posts)
        return Loaded(posts)

    def status(self) -> SourceStatus:
        return SourceStatus(self.name, "import", str(self.path), self._posts)


def import_sources(data_dir: Path) -> list[ImportSource]:
    return [ImportSource(p) for p in sorted((data_dir / "imports").glob("*.json"))]
