"""Telegram's HTML parse mode, as the Bot API server applies it to sendMessage text.

:func:`parse_telegram_html` turns message HTML into the plain text and entities a chat shows, or
raises :class:`HtmlParseError` with a message worded like Telegram's (the server prefixes it with
``Bad Request: can't parse entities:``). It accepts only the tags Telegram documents, requires
them balanced and properly nested, and (strict by default) requires every ``&``, ``<`` and ``>``
that is not markup to be escaped, which is what our renderer promises.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field

ENTITY_TYPES = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "code": "code",
    "pre": "pre",
    "a": "text_link",
    "tg-spoiler": "spoiler",
    "span": "spoiler",
    "blockquote": "blockquote",
    "tg-emoji": "custom_emoji",
}
_ENTITY = re.compile(r"&(?:#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|lt|gt|amp|quot);")
_NAME = re.compile(r"[a-zA-Z][a-zA-Z0-9-]*")
_ATTR = re.compile(r"""\s*([a-zA-Z-]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>"']+)))?""")


class HtmlParseError(ValueError):
    """The HTML would be refused by Telegram; the message says where and why."""


@dataclass(frozen=True)
class Entity:
    type: str
    offset: int  # UTF-16 code units, like Telegram
    length: int
    url: str | None = None


@dataclass(frozen=True)
class ParsedHtml:
    text: str
    entities: tuple[Entity, ...] = field(default=())


@dataclass
class _Open:
    tag: str
    start: int
    attrs: dict[str, str]
    order: int


def _u16(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


class _Parser:
    def __init__(self, source: str, strict: bool) -> None:
        self.src = source
        self.strict = strict
        self.pos = 0
        self.out: list[str] = []
        self.offset = 0
        self.stack: list[_Open] = []
        self.entities: list[tuple[int, Entity]] = []
        self.opened = 0

    def byte_offset(self, index: int) -> int:
        return len(self.src[:index].encode("utf-8"))

    def fail(self, what: str, index: int) -> HtmlParseError:
        return HtmlParseError(f"{what} at byte offset {self.byte_offset(index)}")

    def emit(self, text: str) -> None:
        self.out.append(text)
        self.offset += _u16(text)

    def run(self) -> ParsedHtml:
        src = self.src
        while self.pos < len(src):
            ch = src[self.pos]
            if ch == "<":
                self.tag()
            elif ch == "&":
                self.entity()
            elif ch == ">" and self.strict:
                raise self.fail('Character ">" is reserved and must be escaped', self.pos)
            else:
                nxt = min((i for i in (src.find(c, self.pos) for c in "<&>") if i >= 0), default=-1)
                end = len(src) if nxt < 0 else nxt
                if end == self.pos:  # a lenient ">"
                    end += 1
                self.emit(src[self.pos : end])
                self.pos = end
        if self.stack:
            raise HtmlParseError(
                f'Can\'t find end tag corresponding to start tag "{self.stack[-1].tag}"'
            )
        ordered = sorted(self.entities, key=lambda pair: (pair[1].offset, pair[0]))
        return ParsedHtml("".join(self.out), tuple(entity for _, entity in ordered))

    def entity(self) -> None:
        match = _ENTITY.match(self.src, self.pos)
        if match is None:
            if self.strict:
                raise self.fail('Character "&" must be escaped as "&amp;"', self.pos)
            self.emit("&")
            self.pos += 1
            return
        self.emit(html.unescape(match.group(0)))
        self.pos = match.end()

    def tag(self) -> None:
        start = self.pos
        close = self.src.find(">", start)
        if close < 0:
            raise self.fail("Unclosed start tag", start)
        if self.src.startswith("</", start):
            self.end_tag(start, self.src[start + 2 : close].strip().lower())
        else:
            self.start_tag(start, self.src[start + 1 : close])
        self.pos = close + 1

    def start_tag(self, index: int, inner: str) -> None:
        match = _NAME.match(inner)
        name = match.group(0).lower() if match else ""
        if name not in ENTITY_TYPES:
            raise self.fail(f'Unsupported start tag "{name or inner[:10]}"', index)
        attrs = self._attrs(inner[len(name) :], index)
        if name == "span" and attrs.get("class") != "tg-spoiler":
            raise self.fail('Tag "span" must have class "tg-spoiler"', index)
        if name == "a" and "href" not in attrs:
            raise self.fail('Tag "a" must have attribute "href"', index)
        self._check_nesting(name, attrs, index)
        self.opened += 1
        self.stack.append(_Open(name, self.offset, attrs, self.opened))

    def _attrs(self, rest: str, index: int) -> dict[str, str]:
        attrs: dict[str, str] = {}
        rest = rest.rstrip().removesuffix("/")
        pos = 0
        while pos < len(rest):
            match = _ATTR.match(rest, pos)
            if match is None or match.end() == pos:
                raise self.fail("Expected equal sign in declaration of an attribute", index)
            value = next((g for g in match.groups()[1:] if g is not None), "")
            attrs[match.group(1).lower()] = html.unescape(value)
            pos = match.end()
        return attrs

    def _check_nesting(self, name: str, attrs: dict[str, str], index: int) -> None:
        open_tags = [o.tag for o in self.stack]
        if open_tags and open_tags[-1] == "code":
            raise self.fail(f'Tag "{name}" is not allowed inside "code"', index)
        if "pre" in open_tags and not (name == "code" and open_tags[-1] == "pre"):
            raise self.fail(f'Tag "{name}" is not allowed inside "pre"', index)
        if name == "a" and "a" in open_tags:
            raise self.fail('Tag "a" can\'t be nested', index)
        if name == "blockquote" and "blockquote" in open_tags:
            raise self.fail('Tag "blockquote" can\'t be nested', index)

    def end_tag(self, index: int, name: str) -> None:
        if not self.stack:
            raise self.fail(f'Unexpected end tag "{name}"', index)
        top = self.stack[-1]
        if top.tag != name:
            raise self.fail(f'Unmatched end tag, expected "</{top.tag}>", found "</{name}>"', index)
        self.stack.pop()
        length = self.offset - top.start
        if length > 0:
            kind = ENTITY_TYPES[name]
            if name == "blockquote" and "expandable" in top.attrs:
                kind = "expandable_blockquote"
            entity = Entity(kind, top.start, length, top.attrs.get("href"))
            self.entities.append((top.order, entity))


def parse_telegram_html(source: str, *, strict: bool = True) -> ParsedHtml:
    """Parse message HTML as Telegram does; HtmlParseError if Telegram would refuse it."""
    return _Parser(source, strict).run()


def html_to_text(source: str) -> str:
    """The text a chat shows for valid message HTML."""
    return parse_telegram_html(source).text
