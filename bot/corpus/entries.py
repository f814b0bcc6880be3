"""Feed documents -> entries and comments, read with feedparser (RSS 2.0, Atom, their dialects).

feedparser normalises the formats but keeps no attributes of ``thr:in-reply-to`` (Atom
threading, RFC 4685), so the reply links of an Atom comment feed are read from the same bytes
with ElementTree. A document feedparser cannot read as a feed (an HTML page served with 200,
truncated XML) is a :class:`ParseError`: nothing of it is used, so a half document never
overwrites what was read before. feedparser's HTML sanitiser and relative-URL pass are off:
they re-parse every entry's HTML only for html.py to keep its text (half of the parse time).
"""

from __future__ import annotations

import calendar
import importlib.util
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import feedparser

from bot.corpus.html import comment_paragraphs, paragraphs, plain

ATOM = "{http://www.w3.org/2005/Atom}"
THR = "{http://purl.org/syndication/thread/1.0}"
LENIENT = ("CharacterEncodingOverride", "CharacterEncodingUnknown", "NonXMLContentType")

# feedparser asks xml.sax for libxml2's driver first on every parse; where it is not installed
# that is a failing import, a sys.path scan each time (5% of parsing a comment feed): ask once.
if importlib.util.find_spec("drv_libxml2") is None:
    feedparser.api.PREFERRED_XML_PARSERS = []


class ParseError(ValueError):
    """A document that is not a readable feed; ``str()`` is one line."""


@dataclass(frozen=True)
class Entry:
    id: str
    title: str
    link: str | None
    published: datetime | None
    body: tuple[str, ...]
    comments_url: str | None
    comment_count: int | None


@dataclass(frozen=True)
class CommentEntry:
    id: str
    author: str | None
    posted_at: datetime | None
    text: str
    parent: str | None  # the id of the comment it answers, None for a top-level comment
    post: str | None  # the post's entry id or link, when the feed says (site-wide feeds)


def parse_feed(body: bytes, content_type: str = "") -> list[Entry]:
    parsed = _parse(body, content_type)
    return [_entry(e) for e in parsed.entries if _entry_id(e)]


def parse_comments(body: bytes, content_type: str = "") -> list[CommentEntry]:
    parsed = _parse(body, content_type)
    replies = _atom_replies(body)
    return [_comment(e, replies) for e in parsed.entries if _entry_id(e)]


def _parse(body: bytes, content_type: str) -> Any:
    headers = {"content-type": content_type} if content_type else {}
    parsed = feedparser.parse(  # no sanitising or URL rewriting: html.py keeps only the text
        body, response_headers=headers, sanitize_html=False, resolve_relative_uris=False
    )
    problem = parsed.get("bozo_exception")
    if parsed.get("bozo") and type(problem).__name__ not in LENIENT:
        raise ParseError(_bozo_line(body, problem))
    if not parsed.get("version") and not parsed.entries:
        raise ParseError(_not_a_feed(body))
    return parsed


def _bozo_line(body: bytes, problem: object) -> str:
    if body.lstrip()[:15].lower().startswith((b"<!doctype html", b"<html")):
        return _not_a_feed(body)
    line = getattr(problem, "getLineNumber", lambda: None)()
    where = f" at line {line}" if line else ""
    return (
        f"not well-formed XML{where} ({str(problem).split(':')[-1].strip() or problem}); truncated?"
    )


def _not_a_feed(body: bytes) -> str:
    head = body[:2048].decode("utf-8", "replace")
    if "<html" in head.lower():
        title = ""
        start = head.lower().find("<title>")
        if start >= 0:
            end = head.lower().find("</title>", start)
            title = plain(head[start + 7 : end if end > 0 else start + 100])[:80]
        return f"an HTML page, not a feed{f' ({title!r})' if title else ''}"
    return "not an RSS or Atom feed"


def _entry_id(e: Any) -> str:
    return str(e.get("id") or e.get("link") or "").strip()


def _when(e: Any) -> datetime | None:
    for key in ("published_parsed", "updated_parsed", "created_parsed"):
        value = e.get(key)
        if value:
            return datetime.fromtimestamp(calendar.timegm(value), UTC)
    return None


def _html(e: Any) -> str:
    contents = e.get("content") or []
    if contents:
        return "\n".join(str(c.get("value", "")) for c in contents)
    return str(e.get("summary", ""))


def _entry(e: Any) -> Entry:
    return Entry(
        id=_entry_id(e),
        title=plain(str(e.get("title", ""))) or "(untitled)",
        link=_link(e, "alternate") or e.get("link"),
        published=_when(e),
        body=tuple(paragraphs(_html(e))),
        comments_url=e.get("wfw_commentrss") or _link(e, "replies", "application/atom+xml"),
        comment_count=_count(e.get("slash_comments") or e.get("thr_total")),
    )


def _link(e: Any, rel: str, kind: str | None = None) -> str | None:
    for link in e.get("links", []):
        if link.get("rel") == rel and (kind is None or link.get("type") == kind):
            return str(link.get("href")) or None
    return None


def _count(value: object) -> int | None:
    text = str(value or "").strip()
    return int(text) if text.isascii() and text.isdigit() else None


def _comment(e: Any, replies: dict[str, str]) -> CommentEntry:
    entry_id = _entry_id(e)
    related = _link(e, "related")  # Blogger: the comment this one answers
    answered = replies.get(entry_id)  # a post's id (Blogger) or another comment's (RFC 4685)
    target, text = comment_paragraphs(_html(e))  # WordPress: "In reply to <a href=...>"
    parent = related.rsplit("/", 1)[-1] if related else target or answered
    author = e.get("author_detail", {}).get("name") or e.get("author")
    return CommentEntry(
        id=entry_id,
        author=plain(str(author)) if author else None,
        posted_at=_when(e),
        text="\n\n".join(text),
        parent=parent,
        post=answered,
    )


def _atom_replies(body: bytes) -> dict[str, str]:
    """entry id -> the ref of its thr:in-reply-to, for Atom documents ElementTree can read."""
    if b"in-reply-to" not in body:
        return {}
    try:
        root = ET.fromstring(body)
    except ET.ParseError:
        return {}
    found: dict[str, str] = {}
    for entry in root.iter(f"{ATOM}entry"):
        entry_id = (entry.findtext(f"{ATOM}id") or "").strip()
        target = entry.find(f"{THR}in-reply-to")
        if entry_id and target is not None and target.get("ref"):
            found[entry_id] = str(target.get("ref"))
    return found
