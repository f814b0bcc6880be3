"""Read seed files (one blog post with its comment thread each) into :class:`Post` values.

The format is the blog's own export (README, "Your own posts: the corpus"): a date line, the
title, body paragraphs, an optional "N comments:" count, then comments as "N. " lines indented
2 (replies 4, continuations 2 more), with the blog's Reply/Delete markers dropped and an author
glued to a timestamp split off. Without a declared count, the comments begin at the first
"  N. " line (indent 2).
"""

from __future__ import annotations

import codecs
import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from .models import Comment, Post

log = logging.getLogger(__name__)

MAX_FILE_BYTES = 16 * 1024 * 1024
"""Larger seed files are refused (with a CorpusError) instead of being read into memory."""

MARKERS = frozenset(
    {
        "Reply",
        "Replies",
        "Delete",
        "ReplyDelete",
        "Load more...",
        "Add comment",
        "Post a Comment",
        "Newer Post",
        "Older Post",
        "Newer Post Older Post Home",
        "Home",
        "Subscribe to: Post Comments (Atom)",
    }
)

_MONTHS = {
    name.lower(): number
    for number, names in enumerate(
        [
            ("January", "Jan"),
            ("February", "Feb"),
            ("March", "Mar"),
            ("April", "Apr"),
            ("May",),
            ("June", "Jun"),
            ("July", "Jul"),
            ("August", "Aug"),
            ("September", "Sep", "Sept"),
            ("October", "Oct"),
            ("November", "Nov"),
            ("December", "Dec"),
        ],
        start=1,
    )
    for name in names
}
_MONTH = "|".join(sorted(_MONTHS, key=len, reverse=True))
_WEEKDAY = r"(?:Mon|Tues|Wednes|Thurs|Fri|Satur|Sun)day"
_DATE_RE = re.compile(
    rf"^(?:{_WEEKDAY}\s*,?\s+)?"
    rf"(?:(?P<d1>\d{{1,2}})(?:st|nd|rd|th)?\s+(?P<m1>{_MONTH})\.?|(?P<m2>{_MONTH})\.?\s+(?P<d2>\d{{1,2}})"
    rf"(?:st|nd|rd|th)?,?)\s+(?P<year>\d{{4}})$",
    re.IGNORECASE,
)
_COUNT_RE = re.compile(r"^(\d+) comments?:$", re.IGNORECASE)
_ITEM_RE = re.compile(r"^(\d{1,6})\.(?:\s+(.*))?$")
_AUTHOR_RE = re.compile(
    rf"^(?P<author>.*?)(?P<day>\d{{1,2}}) (?P<month>{_MONTH}) (?P<year>\d{{4}}) at "
    r"(?P<hour>\d{1,2}):(?P<minute>\d{2})(?:\s*(?P<ampm>[ap]\.?m\.?))?$",
    re.IGNORECASE,
)


class CorpusError(ValueError):
    """A seed file that cannot be read. ``str()`` gives ``file:line: what is wrong``."""

    def __init__(self, file: str | Path, line: int | None, message: str) -> None:
        self.file = str(file)
        self.line = line
        self.message = message
        where = f"{self.file}:{line}" if line else self.file
        super().__init__(f"{where}: {message}")


@dataclass(frozen=True)
class LoadResult:
    """What a folder of seed files gave: the good posts and one error per bad file."""

    posts: tuple[Post, ...]
    errors: tuple[CorpusError, ...] = field(default=())


def _cp1252_fallback(error: UnicodeError) -> tuple[str, int]:
    """Decode a byte that is not valid UTF-8 as Windows-1252 (U+FFFD if undefined there)."""
    assert isinstance(error, UnicodeDecodeError)
    raw = error.object[error.start : error.start + 1]
    return raw.decode("cp1252", errors="replace"), error.start + 1


codecs.register_error("digestbot-cp1252", _cp1252_fallback)


def decode(data: bytes, file: str | Path = "<bytes>") -> str:
    """Bytes of a seed file -> text: UTF-8 (BOM allowed), stray bytes read as Windows-1252, or
    UTF-16 with its BOM; either way a file full of control characters is refused as binary."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            text = data.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise CorpusError(file, None, f"invalid UTF-16 text ({exc.reason})") from None
    else:
        data = data.removeprefix(codecs.BOM_UTF8)
        text = data.decode("utf-8", errors="digestbot-cp1252")
    _reject_binary(text, file)
    return text


def _reject_binary(text: str, file: str | Path) -> None:
    controls = [i for i, ch in enumerate(text) if ch < " " and ch not in "\t\n\r\f"]
    if "\x00" in text or len(controls) > max(8, len(text) // 200):
        first = controls[0] if controls else text.index("\x00")
        line = text.count("\n", 0, first) + 1
        raise CorpusError(
            file, line, "looks like a binary file, not text (control characters); skipped"
        )


def parse_file(path: str | Path, *, max_bytes: int = MAX_FILE_BYTES) -> Post:
    """Read and parse one seed file. Raises CorpusError naming the file and line."""
    path = Path(path)
    try:
        size = path.stat().st_size
        if size > max_bytes:
            raise CorpusError(
                path,
                None,
                f"file is {size / 1e6:.1f} MB; "
                f"seed files over {max_bytes / 1e6:.1f} MB are refused",
            )
        data = path.read_bytes()
    except OSError as exc:
        raise CorpusError(path, None, f"cannot read: {exc.strerror or exc}") from None
    return parse_text(decode(data, path), post_id=path.stem, file=path)


def _normalise_lines(text: str) -> list[str]:
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\f", "\n")
    text = text.replace("\ufeff", "").replace("\xa0", " ").replace("\u202f", " ")
    return [line.expandtabs(4).rstrip() for line in text.split("\n")]


def parse_date(line: str) -> date | None:
    """'Tuesday, 14 June 2016', 'Sunday 15 July 2018', 'June 14, 2016' -> date, else None."""
    match = _DATE_RE.match(line.strip())
    if not match:
        return None
    day = match["d1"] or match["d2"]
    month = _MONTHS[(match["m1"] or match["m2"]).lower()]
    try:
        return date(int(match["year"]), month, int(day))
    except ValueError:
        return None


def parse_text(text: str, *, post_id: str, file: str | Path = "<text>") -> Post:
    """Parse the text of one seed file into a Post. Raises CorpusError(file, line)."""
    lines = _normalise_lines(text)
    idx = _next_nonblank(lines, 0)
    if idx is None:
        raise CorpusError(file, None, "empty file (no date line, no title)")
    when = parse_date(lines[idx])
    if when is None:
        raise CorpusError(
            file,
            idx + 1,
            f"expected a date line like 'Tuesday, 14 June 2016', found {_clip(lines[idx])!r}",
        )
    title_idx = _next_nonblank(lines, idx + 1)
    if title_idx is None or not _is_title(lines[title_idx]):
        raise CorpusError(file, (title_idx or idx) + 1, "no title line after the date line")
    title = lines[title_idx].strip()
    start, declared, first_item = _find_comments(lines, title_idx + 1)
    body = _paragraphs(lines[title_idx + 1 : start])
    comments = _CommentParser(file).parse(lines, first_item) if first_item is not None else ()
    return Post(
        id=post_id,
        date=when,
        title=title,
        body=tuple(body),
        comments=comments,
        declared_comments=declared,
        source=str(file),
    )


def _clip(line: str, width: int = 60) -> str:
    line = line.strip()
    return line if len(line) <= width else line[: width - 1] + "…"


def _next_nonblank(lines: list[str], start: int) -> int | None:
    return next((i for i in range(start, len(lines)) if lines[i].strip()), None)


def _is_title(line: str) -> bool:
    stripped = line.strip()
    return (
        line == line.lstrip()
        and any(ch.isalnum() for ch in stripped)
        and not _COUNT_RE.match(stripped)
        and parse_date(stripped) is None
    )


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def _is_top_item(line: str) -> bool:
    return _indent(line) in (2, 3) and _ITEM_RE.match(line.strip()) is not None


def _find_comments(lines: list[str], start: int) -> tuple[int, int | None, int | None]:
    """-> (end of body, declared count, index of the first comment line or None)."""
    for i in range(start, len(lines)):
        match = _COUNT_RE.match(lines[i])
        if match:
            return i, int(match[1]), i + 1
    for i in range(start, len(lines)):
        if _is_top_item(lines[i]) and (i == start or not lines[i - 1].strip()):
            return i, None, i
    return len(lines), None, None


def _paragraphs(lines: Iterable[str | None]) -> list[str]:
    """Group lines into paragraphs at blank lines (None or empty); lines are stripped."""
    paragraphs: list[str] = []
    current: list[str] = []
    for line in lines:
        if line is None or not line.strip():
            if current:
                paragraphs.append("\n".join(current))
                current = []
        else:
            current.append(line.strip())
    if current:
        paragraphs.append("\n".join(current))
    return paragraphs


@dataclass
class _Draft:
    number: int
    ref: str
    line: int
    lines: list[str | None] = field(default_factory=list)
    replies: list[_Draft] = field(default_factory=list)

    def build(self) -> Comment:
        paragraphs = _paragraphs(self.lines)
        author, posted_at = None, None
        if paragraphs:
            first, _, rest = paragraphs[0].partition("\n")
            found = _author_stamp(first)
            if found is not None:
                author, posted_at = found
                paragraphs[0] = rest
                paragraphs = [p for p in paragraphs if p]
        return Comment(
            ref=self.ref,
            text="\n\n".join(paragraphs),
            author=author,
            posted_at=posted_at,
            replies=tuple(reply.build() for reply in self.replies),
            line=self.line,
        )


def _author_stamp(line: str) -> tuple[str | None, datetime] | None:
    match = _AUTHOR_RE.match(line.strip())
    if not match:
        return None
    hour = int(match["hour"])
    ampm = (match["ampm"] or "").lower().replace(".", "")
    if ampm == "pm" and hour < 12:
        hour += 12
    elif ampm == "am" and hour == 12:
        hour = 0
    try:
        posted = datetime(
            int(match["year"]),
            _MONTHS[match["month"].lower()],
            int(match["day"]),
            hour,
            int(match["minute"]),
        )
    except ValueError:
        return None
    return (match["author"].strip() or None), posted


class _CommentParser:
    """Turns the comment section's lines into a tree of comments, one line at a time."""

    def __init__(self, file: str | Path) -> None:
        self.file = file
        self.top: list[_Draft] = []
        self.reply: _Draft | None = None

    def parse(self, lines: list[str], start: int) -> tuple[Comment, ...]:
        for i in range(start, len(lines)):
            self._feed(lines[i], i + 1)
        return tuple(draft.build() for draft in self.top)

    def _feed(self, line: str, lineno: int) -> None:
        stripped = line.strip()
        if not stripped:
            self._target_lines().append(None)
            return
        if stripped in MARKERS:
            return
        indent = _indent(line)
        item = _ITEM_RE.match(stripped)
        if indent < 2:
            raise CorpusError(
                self.file,
                lineno,
                f"unindented text inside the comments: {_clip(line)!r} "
                "(comments are '  N. text' lines indented by two spaces)",
            )
        if indent < 4 and item:
            self._start_top(int(item[1]), item[2] or "", lineno)
        elif not self.top:
            raise CorpusError(
                self.file,
                lineno,
                f"text before the first comment: {_clip(line)!r} (expected '  1. text')",
            )
        elif indent < 6 and item:
            self._start_reply(int(item[1]), item[2] or "", lineno)
        elif indent >= 6 and self.reply is not None:
            self.reply.lines.append(stripped)
        else:
            self.reply = None
            self.top[-1].lines.append(stripped)

    def _target_lines(self) -> list[str | None]:
        if self.reply is not None:
            return self.reply.lines
        return self.top[-1].lines if self.top else []

    def _last_reply_number(self) -> int:
        replies = self.top[-1].replies
        return replies[-1].number if replies else 0

    def _start_top(self, number: int, text: str, lineno: int) -> None:
        if self.top and number <= self.top[-1].number:
            raise CorpusError(
                self.file,
                lineno,
                f"comment {number} follows comment {self.top[-1].number}: "
                "top-level comment numbers must increase",
            )
        self.top.append(_Draft(number, str(number), lineno, [text] if text else []))
        self.reply = None

    def _start_reply(self, number: int, text: str, lineno: int) -> None:
        parent = self.top[-1]
        last = self._last_reply_number()
        if parent.replies and number <= last:
            raise CorpusError(
                self.file,
                lineno,
                f"reply {number} follows reply {last} of comment {parent.ref}: "
                "reply numbers must increase",
            )
        self.reply = _Draft(number, f"{parent.ref}.{number}", lineno, [text] if text else [])
        parent.replies.append(self.reply)
