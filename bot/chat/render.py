"""Reply -> messages for each platform, within each platform's limits.

The renderers share one layout (Telegram HTML and console text here; Slack's Block Kit in
bot/platforms/slack/blocks.py builds on the same layout and packing): a Reply becomes blocks of
*pieces* (plain text plus the marks around it: bold, italic, code, pre, quote, link). Long
replies are packed into messages on block boundaries; a block longer than one message is cut at
a paragraph, sentence or word boundary (a word is cut only when it alone is longer than a
message). Markup is produced per message from the pieces, so every tag is closed at the end of a
message and reopened in the next one, and escaping happens after cutting, so an entity is never
cut.

Telegram counts a message's length in UTF-16 code units of the text after parsing the HTML;
:func:`render_telegram_html` measures exactly that.
"""

from __future__ import annotations

import html
import unicodedata
from bisect import bisect_right
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from bot.chat.reply import (
    Block,
    Button,
    Heading,
    Paragraph,
    Preformatted,
    Quote,
    Reply,
    Style,
    is_safe_url,
)

TELEGRAM_LIMIT = 4096
BLOCK_SEPARATOR = "\n\n"
SENTENCE_ENDS = frozenset(".!?…。！？")
CLOSERS = frozenset("\"')]»”’")


Mark = Style  # the marks around a piece of text are the styles of bot.chat.reply
_TAGS = {
    Mark.BOLD: "b",
    Mark.ITALIC: "i",
    Mark.CODE: "code",
    Mark.PRE: "pre",
    Mark.QUOTE: "blockquote",
    Mark.LINK: "a",
}


@dataclass(frozen=True)
class Marked:
    """A mark with its argument (the URL of a link)."""

    mark: Mark
    url: str = ""


Piece = tuple[tuple[Marked, ...], str]
Cost = Callable[[str], int]


@dataclass(frozen=True)
class TelegramMessage:
    """One sendMessage: HTML text, and the keyboard (set on the last message of a reply only)."""

    text: str
    buttons: tuple[tuple[Button, ...], ...] = ()
    disable_link_preview: bool = True
    disable_notification: bool = False
    parse_mode: str = "HTML"


def utf16_len(text: str) -> int:
    """Length as Telegram counts it: UTF-16 code units."""
    return len(text.encode("utf-16-le")) // 2


# ---------------------------------------------------------------- layout


def _block_pieces(block: Block) -> list[Piece]:
    if isinstance(block, Heading):
        return [((Marked(Mark.BOLD),), block.text)]
    if isinstance(block, Quote):
        quote = Marked(Mark.QUOTE)
        pieces: list[Piece] = [((quote,), block.text)]
        if block.source_line:
            pieces.append(((quote, Marked(Mark.ITALIC)), block.source_line))
        return pieces
    if isinstance(block, Preformatted):
        return [((Marked(Mark.PRE),), block.text)]
    assert isinstance(block, Paragraph)
    result: list[Piece] = []
    for span in block.spans:
        if span.style is Style.LINK and span.url is not None and is_safe_url(span.url):
            result.append(((Marked(Mark.LINK, span.url),), span.text))
        elif span.style in (Style.BOLD, Style.ITALIC, Style.CODE):
            result.append(((Marked(span.style),), span.text))
        else:
            result.append(((), span.text))
    return result


def layout(reply: Reply) -> list[list[Piece]]:
    """The reply's blocks as pieces; blocks with no visible text are left out."""
    blocks = [_block_pieces(block) for block in reply.blocks if block.plain().strip()]
    return [[p for p in block if p[1]] for block in blocks]


# ---------------------------------------------------------------- cutting


def _is_joiner(ch: str) -> bool:
    """Characters that must stay glued to the one before them (combining marks, ZWJ, VS)."""
    return (
        unicodedata.combining(ch) != 0
        or ch in "\u200d\ufe0e\ufe0f"
        or 0x1F3FB <= ord(ch) <= 0x1F3FF
        or 0xE0020 <= ord(ch) <= 0xE007F
    )


def _best_cut(text: str, start: int, end: int) -> int:
    """Where to end a chunk of text[start:] that may reach at most index ``end`` (exclusive).

    Returns an index c in (start, end] such that the chunk is text[start:c]; text[c] is
    whitespace when a boundary was found.
    """
    half = start + (end - start) // 2
    best_sentence = best_word = -1
    for c in range(min(end, len(text) - 1), start, -1):
        if not text[c].isspace():
            continue
        if text[c] == "\n" and c > half:
            return c
        if best_sentence < 0 and _ends_sentence(text, c):
            best_sentence = c
        if best_word < 0:
            best_word = c
    if best_sentence > half:
        return best_sentence
    if best_word > start:
        return best_word
    return _hard_cut(text, start, end)


def _is_regional(ch: str) -> bool:
    return 0x1F1E6 <= ord(ch) <= 0x1F1FF


def _hard_cut(text: str, start: int, cut: int) -> int:
    """Move a cut inside an overlong word back so it splits no character sequence: not before
    a combining mark, variation selector or skin tone, not next to a ZWJ, not inside a flag."""
    while cut > start + 1:
        if _is_joiner(text[cut]) or text[cut - 1] == "\u200d":
            cut -= 1
            continue
        if _is_regional(text[cut]) and _is_regional(text[cut - 1]):
            run = cut
            while run > start and _is_regional(text[run - 1]):
                run -= 1
            if (cut - run) % 2 == 1:
                cut -= 1
                continue
        break
    return cut


def _ends_sentence(text: str, c: int) -> bool:
    before = text[c - 1]
    if before in CLOSERS and c >= 2:
        before = text[c - 2]
    return before in SENTENCE_ENDS


def cut_text(text: str, limit: int, cost: Cost) -> list[tuple[int, int]]:
    """Index ranges covering ``text`` in chunks costing at most ``limit`` each.

    Whitespace at a cut is dropped; a word is cut only when it alone exceeds ``limit``.
    """
    prefix = [0]
    for ch in text:
        prefix.append(prefix[-1] + cost(ch))
    ranges: list[tuple[int, int]] = []
    start = 0
    while start < len(text) and text[start].isspace():
        start += 1
    while start < len(text):
        if prefix[-1] - prefix[start] <= limit:
            ranges.append((start, len(text)))
            break
        reach = bisect_right(prefix, prefix[start] + limit) - 1
        cut = _best_cut(text, start, reach)
        end = cut
        while end > start + 1 and text[end - 1].isspace():
            end -= 1
        ranges.append((start, end))
        start = cut
        while start < len(text) and text[start].isspace():
            start += 1
    return ranges


def _slice(pieces: Sequence[Piece], lo: int, hi: int) -> list[Piece]:
    result: list[Piece] = []
    offset = 0
    for marks, text in pieces:
        a, b = max(lo, offset), min(hi, offset + len(text))
        if a < b:
            result.append((marks, text[a - offset : b - offset]))
        offset += len(text)
    return result


def _text(pieces: Sequence[Piece]) -> str:
    return "".join(text for _, text in pieces)


def pack(blocks: Sequence[list[Piece]], limit: int, cost: Cost) -> list[list[Piece]]:
    """Blocks packed into messages of at most ``limit`` (by ``cost`` of the visible text)."""
    messages: list[list[Piece]] = []
    current: list[Piece] = []
    used = 0
    sep_cost = cost(BLOCK_SEPARATOR)
    for block in blocks:
        text = _text(block)
        size = cost(text)
        if current and used + sep_cost + size <= limit:
            current += [((), BLOCK_SEPARATOR), *block]
            used += sep_cost + size
            continue
        if current:
            messages.append(current)
        if size <= limit:
            current, used = list(block), size
            continue
        parts = [_slice(block, lo, hi) for lo, hi in cut_text(text, limit, cost)]
        messages.extend(parts[:-1])
        current, used = parts[-1], cost(_text(parts[-1]))
    if current:
        messages.append(current)
    return messages


# ---------------------------------------------------------------- Telegram


def _open_tag(marked: Marked) -> str:
    if marked.mark is Mark.LINK:
        return f'<a href="{html.escape(marked.url, quote=True)}">'
    return f"<{_TAGS[marked.mark]}>"


def telegram_html(pieces: Sequence[Piece]) -> str:
    """One message's pieces as balanced Telegram HTML."""
    out: list[str] = []
    stack: list[Marked] = []
    for marks, text in pieces:
        common = 0
        while common < min(len(stack), len(marks)) and stack[common] == marks[common]:
            common += 1
        while len(stack) > common:
            out.append(f"</{_TAGS[stack.pop().mark]}>")
        for marked in marks[common:]:
            out.append(_open_tag(marked))
            stack.append(marked)
        out.append(html.escape(text, quote=False))
    while stack:
        out.append(f"</{_TAGS[stack.pop().mark]}>")
    return "".join(out)


def render_telegram_html(reply: Reply, *, limit: int = TELEGRAM_LIMIT) -> list[TelegramMessage]:
    """The reply as Telegram HTML messages, each within ``limit`` UTF-16 units of visible text.

    Buttons go on the last message. A reply with no visible text gives no messages.
    """
    chunks = pack(layout(reply), limit, utf16_len)
    messages = [
        TelegramMessage(
            telegram_html(chunk),
            disable_link_preview=not reply.link_previews,
            disable_notification=reply.silent,
        )
        for chunk in chunks
    ]
    if messages and reply.buttons:
        last = messages[-1]
        messages[-1] = TelegramMessage(
            last.text, reply.buttons, last.disable_link_preview, last.disable_notification
        )
    return messages


# ---------------------------------------------------------------- plain

_ANSI_BOLD, _ANSI_RESET = "\x1b[1m", "\x1b[0m"


def _printable(text: str) -> str:
    """Control characters (a terminal would obey ESC sequences) shown as U+FFFD."""
    return "".join(
        "\ufffd" if unicodedata.category(ch) == "Cc" and ch not in "\n\t" else ch for ch in text
    )


def _plain_piece(marks: tuple[Marked, ...], text: str, ansi: bool) -> str:
    text = _printable(text)
    kinds = {m.mark for m in marks}
    if Mark.LINK in kinds:
        url = _printable(next(m.url for m in marks if m.mark is Mark.LINK))
        text = text if text == url else f"{text} <{url}>"
    if ansi and Mark.BOLD in kinds:
        text = f"{_ANSI_BOLD}{text}{_ANSI_RESET}"
    return text


def render_plain(reply: Reply, *, ansi: bool = False) -> str:
    """The reply as console text: no markup; headings and bold spans in ANSI bold if ``ansi``."""
    return BLOCK_SEPARATOR.join(
        "".join(_plain_piece(marks, text, ansi) for marks, text in block) for block in layout(reply)
    )
