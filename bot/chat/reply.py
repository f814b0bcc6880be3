"""What the bot says, independent of any chat platform.

A :class:`Reply` describes *what* to say: a sequence of blocks (headings, paragraphs of inline
spans, quotes of corpus text with their source, preformatted text), an optional keyboard of
buttons and a few flags. It says nothing about markup: :mod:`bot.chat.render` turns it into Telegram
HTML, Slack mrkdwn or plain console text. Every string in a Reply is plain text; corpus text is
never interpreted as markup by any renderer.

Buttons carry platform-neutral actions (:class:`Run` a command, :class:`Share` a post,
:class:`OpenUrl`); each platform renders them its own way, within its own limits.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from urllib.parse import urlsplit

SAFE_URL_SCHEMES = frozenset({"http", "https", "tg"})


def is_safe_url(url: str) -> bool:
    """True for http, https and tg URLs; anything else (javascript:, data:, ...) is unsafe."""
    if any(ch.isspace() or ord(ch) < 0x20 for ch in url):
        return False
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    if parts.scheme.lower() not in SAFE_URL_SCHEMES:
        return False
    return parts.scheme.lower() == "tg" or bool(parts.netloc)


class Style(enum.Enum):
    """How text looks: a Span's style, and (with PRE and QUOTE, which only blocks give) the
    marks the renderers put around a piece of text."""

    PLAIN = "plain"
    BOLD = "bold"
    ITALIC = "italic"
    CODE = "code"
    LINK = "link"
    PRE = "pre"  # a Preformatted block
    QUOTE = "quote"  # a Quote block


@dataclass(frozen=True)
class Span:
    """A run of inline text in one style; ``url`` is set for links only."""

    text: str
    style: Style = Style.PLAIN
    url: str | None = None

    def __post_init__(self) -> None:
        if (self.style is Style.LINK) != (self.url is not None):
            raise ValueError("a Span has a url exactly when its style is LINK")
        if self.style in (Style.PRE, Style.QUOTE):
            raise ValueError("PRE and QUOTE are block styles: use Preformatted or Quote")


def plain(text: str) -> Span:
    return Span(text)


def bold(text: str) -> Span:
    return Span(text, Style.BOLD)


def italic(text: str) -> Span:
    return Span(text, Style.ITALIC)


def code(text: str) -> Span:
    return Span(text, Style.CODE)


def link(text: str, url: str) -> Span:
    """A link; renderers show only ``text`` (no link) when ``url`` is not http/https/tg."""
    return Span(text, Style.LINK, url)


@dataclass(frozen=True)
class Heading:
    """A one-line title (shown bold)."""

    text: str

    def plain(self) -> str:
        return self.text


@dataclass(frozen=True)
class Paragraph:
    """A paragraph of inline spans."""

    spans: tuple[Span, ...]

    @classmethod
    def of(cls, *spans: Span | str) -> Paragraph:
        """``Paragraph.of("Hello ", bold("you"))``: strings become plain spans."""
        return cls(tuple(plain(s) if isinstance(s, str) else s for s in spans))

    def plain(self) -> str:
        return "".join(span.text for span in self.spans)


@dataclass(frozen=True)
class Quote:
    """Verbatim corpus text with where it came from, e.g. source ``"[5.1] Probation Officer"``."""

    text: str
    source: str = ""

    @property
    def source_line(self) -> str:
        """The attribution as shown under the quote ("" when there is no source)."""
        return f"\n— {self.source}" if self.source else ""

    def plain(self) -> str:
        return self.text + self.source_line


@dataclass(frozen=True)
class Preformatted:
    """Monospaced text kept line by line (tables, listings)."""

    text: str

    def plain(self) -> str:
        return self.text


Block = Heading | Paragraph | Quote | Preformatted


@dataclass(frozen=True)
class Run:
    """Pressing the button runs ``/command args...`` in the chat it was pressed in (through
    the CommandSet, like a typed command). How the press comes back is the platform's matter
    (Telegram: callback data within its 64 bytes, see bot.platforms.telegram.buttons)."""

    command: str
    args: tuple[str, ...] = ()


@dataclass(frozen=True)
class Share:
    """Offer to share the post ``post_id`` in another chat (Telegram: inline mode). A platform
    with no way to do that leaves the button out."""

    post_id: str


@dataclass(frozen=True)
class OpenUrl:
    """Pressing the button opens ``url`` (http, https or tg only)."""

    url: str

    def __post_init__(self) -> None:
        if not is_safe_url(self.url):
            raise ValueError(f"button URL must be http, https or tg: {self.url!r}")


Action = Run | Share | OpenUrl


@dataclass(frozen=True)
class Button:
    label: str
    action: Action


@dataclass(frozen=True)
class Reply:
    """Everything one answer says: blocks, a keyboard (rows of buttons) and flags."""

    blocks: tuple[Block, ...]
    buttons: tuple[tuple[Button, ...], ...] = ()
    link_previews: bool = False
    silent: bool = False

    @classmethod
    def text(cls, *paragraphs: str) -> Reply:
        """A reply of plain paragraphs, e.g. ``Reply.text("Usage: /posts N")``."""
        return cls(tuple(Paragraph((plain(p),)) for p in paragraphs))

    def plain_text(self) -> str:
        """The text a reader sees, blocks separated by blank lines (no markup, no URLs)."""
        return "\n\n".join(block.plain() for block in self.blocks if block.plain().strip())
