"""HTML of a feed entry or comment -> paragraphs of plain text (BeautifulSoup, stdlib parser).

Blocks (``p``, ``div``, headings, list items, quotes...) and a blank line made of two ``<br>``
end a paragraph; one ``<br>`` is a space inside it (blog editors put one at every visual line).
Scripts, styles and embedded media give no text. Whitespace inside a paragraph is folded.
"""

from __future__ import annotations

import re
import warnings

from bs4 import BeautifulSoup, MarkupResemblesLocatorWarning, NavigableString, Tag
from bs4.element import Comment as HtmlComment

_BLOCKS = (
    "p div h1 h2 h3 h4 h5 h6 li ul ol blockquote pre table tr section article header footer "
    "figure figcaption dl dt dd hr address aside"
)
BLOCKS = frozenset(_BLOCKS.split())
SILENT = frozenset(
    [
        "script",
        "style",
        "noscript",
        "iframe",
        "object",
        "embed",
        "svg",
        "video",
        "audio",
        "head",
        "template",
    ]
)
_SPACE = re.compile(r"\s+")
_BREAK = "\x00"  # a paragraph break while walking


def paragraphs(html: str) -> list[str]:
    """The paragraphs of an HTML fragment (or of plain text with blank lines), in order."""
    if "<" not in html and "&" not in html:
        return _split(html.replace("\n\n", _BREAK))
    return _paragraphs(_soup(html))


def _soup(html: str) -> BeautifulSoup:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MarkupResemblesLocatorWarning)
        return BeautifulSoup(html, "html.parser")


def _paragraphs(soup: BeautifulSoup) -> list[str]:
    parts: list[str] = []
    _walk(soup, parts)
    return _split("".join(parts))


def _walk(node: Tag, parts: list[str]) -> None:
    pending_br = False
    for child in node.children:
        if isinstance(child, HtmlComment):
            continue
        if isinstance(child, NavigableString):
            text = str(child)
            if text.strip():
                pending_br = False
            parts.append(text)
            continue
        if not isinstance(child, Tag) or child.name in SILENT:
            continue
        if child.name == "br":
            parts.append(_BREAK if pending_br else " ")
            pending_br = True
            continue
        block = child.name in BLOCKS
        if block:
            parts.append(_BREAK)
        _walk(child, parts)
        if block:
            parts.append(_BREAK)
        pending_br = False


def _split(text: str) -> list[str]:
    chunks = (_SPACE.sub(" ", chunk).strip() for chunk in text.split(_BREAK))
    return [chunk for chunk in chunks if chunk]


def plain(html: str) -> str:
    """One line of text (titles, author names): tags dropped, entities decoded, spaces folded."""
    return " ".join(paragraphs(html))


def comment_paragraphs(html: str) -> tuple[str | None, list[str]]:
    """A comment's paragraphs, and the link of its "In reply to" line when it opens with one.

    WordPress opens a threaded reply in its comment feed with "In reply to <a href=...>X</a>.":
    that link names the comment answered, and the line is not part of the text. One parse.
    """
    if "In reply to" not in html:
        return None, paragraphs(html)
    soup = _soup(html)
    first = soup.find("p")
    link = first.find("a", href=True) if isinstance(first, Tag) else None
    if not isinstance(first, Tag) or not isinstance(link, Tag):
        return None, _paragraphs(soup)
    if not first.get_text(" ", strip=True).startswith("In reply to"):
        return None, _paragraphs(soup)
    href = str(link["href"])
    first.decompose()
    return href, _paragraphs(soup)
