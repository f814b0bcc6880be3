"""Reply -> Slack Block Kit messages, within Slack's limits.

Every block of a Reply becomes a ``header`` (plain text, 150 characters) or ``section`` blocks
of mrkdwn (3,000 characters each, cut at a paragraph, sentence or word boundary by the shared
layout of :mod:`bot.chat.render`); buttons become ``actions`` blocks. Messages hold at most 50
blocks and ~40,000 characters; a longer reply becomes several messages, the buttons on the
last. Every message has a fallback ``text`` (what notifications show).

Corpus text never becomes markup: ``&``, ``<`` and ``>`` are escaped (so ``<!channel>`` or
``<@U123>`` cannot become a mention, ``<http://x|y>`` cannot become a link), text objects are
``verbatim`` (Slack does not auto-link URLs or #channels in them) and each of Slack's formatting
characters (``*``, ``_``, ``~``, backtick) from the corpus gets a zero-width space before it, so it
is never at a word boundary and cannot open or close formatting; so does ``>`` (a line starting
with it would become a quote).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from bot.chat.render import Mark, Marked, Piece, layout, pack
from bot.chat.reply import Button, Heading, OpenUrl, Reply, Run, Share

JSON = dict[str, Any]

MAX_BLOCKS = 50
SECTION_LIMIT = 3000
HEADER_LIMIT = 150
MESSAGE_LIMIT = 40_000  # Slack truncates or refuses beyond this
FALLBACK_LIMIT = 3000
BUTTON_TEXT_LIMIT = 75
ACTIONS_PER_BLOCK = 25
ZWSP = "\u200b"
FORMATTING = frozenset("*_~`")
SHARE_ACTION = "share"


@dataclass(frozen=True)
class SlackMessage:
    """One chat.postMessage: fallback text and Block Kit blocks."""

    text: str
    blocks: list[JSON] = field(default_factory=list)

    def size(self) -> int:
        return sum(len(_block_text(b)) for b in self.blocks)


def escape(text: str) -> str:
    """Corpus text for mrkdwn: & < > escaped, formatting characters neutralised."""
    out = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", ZWSP + "&gt;")
    return "".join(ZWSP + ch if ch in FORMATTING else ch for ch in out)


def unescape(text: str) -> str:
    """What a reader sees of escaped text (the inverse of :func:`escape`)."""
    out = text.replace(ZWSP, "")
    return out.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def mrkdwn(text: str) -> JSON:
    return {"type": "mrkdwn", "text": text, "verbatim": True}


def plain_text(text: str, limit: int) -> JSON:
    if len(text) > limit:
        text = text[: limit - 1].rstrip() + "…"
    return {"type": "plain_text", "text": text, "emoji": False}


# ---------------------------------------------------------------- pieces -> mrkdwn

_WRAP = {Mark.BOLD: "*", Mark.ITALIC: "_", Mark.CODE: "`"}


def _wrap(text: str, marker: str) -> str:
    """Wrap each line's non-blank core in ``marker`` (Slack formatting does not span lines)."""
    lines = []
    for line in text.split("\n"):
        core = line.strip()
        if core:
            lead = line[: len(line) - len(line.lstrip())]
            trail = line[len(line.rstrip()) :]
            line = f"{lead}{marker}{core}{marker}{trail}"
        lines.append(line)
    return "\n".join(lines)


def _piece(marks: tuple[Marked, ...], text: str) -> str:
    kinds = [m.mark for m in marks]
    if Mark.PRE in kinds:
        return f"```{escape(text)}```"
    out = escape(text)
    if Mark.LINK in kinds:
        url = next(m.url for m in marks if m.mark is Mark.LINK)
        safe_url = url.replace("&", "&amp;").replace("<", "%3C").replace(">", "%3E")
        return f"<{safe_url.replace('|', '%7C')}|{out.replace('|', '¦')}>"
    for kind in kinds:
        if kind in _WRAP:
            out = _wrap(out, _WRAP[kind])
    return out


def _is_quote(piece: Piece) -> bool:
    return bool(piece[0]) and piece[0][0].mark is Mark.QUOTE


def pieces_mrkdwn(pieces: Sequence[Piece]) -> str:
    """One section's pieces as mrkdwn; a quote's lines start with ``>``."""
    if not any(_is_quote(p) for p in pieces):
        return "".join(_piece(marks, text) for marks, text in pieces)
    body = "".join(_piece(marks[1:], text) for marks, text in pieces)
    return "\n".join(f"> {line}" if line else ">" for line in body.split("\n"))


def _cost(text: str) -> int:
    return len(escape(text))


def _sections(pieces: list[Piece]) -> list[JSON]:
    """One Reply block as sections of at most 3,000 characters of mrkdwn each."""
    budget = SECTION_LIMIT
    while True:
        texts = [pieces_mrkdwn(chunk) for chunk in pack([pieces], budget, _cost)]
        if all(len(t) <= SECTION_LIMIT for t in texts) or budget < 64:
            return [{"type": "section", "text": mrkdwn(t[:SECTION_LIMIT])} for t in texts]
        budget = budget * 9 // 10


def content_blocks(reply: Reply) -> list[JSON]:
    """Header and section blocks for every visible block of ``reply`` (no buttons)."""
    visible = [block for block in reply.blocks if block.plain().strip()]
    out: list[JSON] = []
    for block, pieces in zip(visible, layout(reply), strict=True):
        if isinstance(block, Heading) and len(block.text.strip()) <= HEADER_LIMIT:
            out.append({"type": "header", "text": plain_text(block.text.strip(), HEADER_LIMIT)})
        else:
            out.extend(_sections(pieces))
    return out


def _element(button: Button, action_id: str) -> JSON:
    element: JSON = {
        "type": "button",
        "text": plain_text(button.label, BUTTON_TEXT_LIMIT),
        "action_id": action_id,
    }
    action = button.action
    if isinstance(action, Run):
        element["value"] = ":".join((action.command, *action.args))
    elif isinstance(action, Share):
        element["value"] = f"post {action.post_id}"
    else:
        assert isinstance(action, OpenUrl)
        element["url"] = action.url
    return element


def action_kind(button: Button) -> str:
    """The action_id prefix a button gets: ``cb`` (command data), ``share`` or ``url``."""
    if isinstance(button.action, Run):
        return "cb"
    return SHARE_ACTION if isinstance(button.action, Share) else "url"


def actions_blocks(rows: Sequence[Sequence[Button]]) -> list[JSON]:
    """One ``actions`` block per row of buttons (25 at most each); action_ids are unique in
    the message: ``<kind>:<row>:<column>``."""
    blocks = []
    for r, row in enumerate(rows):
        elements = [_element(b, f"{action_kind(b)}:{r}:{c}") for c, b in enumerate(row)]
        for start in range(0, len(elements), ACTIONS_PER_BLOCK):
            blocks.append(
                {"type": "actions", "elements": elements[start : start + ACTIONS_PER_BLOCK]}
            )
    return blocks


def _block_text(block: JSON) -> str:
    text = block.get("text")
    if isinstance(text, dict):
        return str(text.get("text", ""))
    return ""


_LINK = re.compile(r"<[^|>]*\|([^>]*)>")
_OWN_MARKER = re.compile("(?<!\u200b)[*_`~]")
_QUOTE_LINE = re.compile(r"^> ?", re.M)


def visible(text: str) -> str:
    """What a reader sees of mrkdwn this module wrote: no markers, links as their text."""
    text = _QUOTE_LINE.sub("", _OWN_MARKER.sub("", _LINK.sub(r"\1", text)))
    return unescape(text.replace("¦", "|"))


def fallback(blocks: Sequence[JSON]) -> str:
    """The notification text of a message: its words, escaped, at most 3,000 characters."""
    lines = [visible(_block_text(b)) if b["type"] == "section" else _block_text(b) for b in blocks]
    words = " ".join(part.strip() for line in lines for part in line.splitlines() if part.strip())
    if len(words) > FALLBACK_LIMIT:
        words = words[: FALLBACK_LIMIT - 1].rstrip() + "…"
    return escape(words) or "digestbot"


def group(blocks: Sequence[JSON], *, max_blocks: int = MAX_BLOCKS) -> list[list[JSON]]:
    """Blocks in order, packed into messages of at most ``max_blocks`` blocks and
    :data:`MESSAGE_LIMIT` characters."""
    messages: list[list[JSON]] = []
    current: list[JSON] = []
    used = 0
    for block in blocks:
        size = len(_block_text(block))
        if current and (len(current) >= max_blocks or used + size > MESSAGE_LIMIT):
            messages.append(current)
            current, used = [], 0
        current.append(block)
        used += size
    if current:
        messages.append(current)
    return messages


def render_blocks(reply: Reply) -> list[SlackMessage]:
    """``reply`` as Slack messages in order, the buttons on the last one (none when empty)."""
    blocks = content_blocks(reply) + actions_blocks(reply.buttons)
    return [SlackMessage(fallback(chunk), chunk) for chunk in group(blocks)]


def fits_one_message(reply: Reply) -> bool:
    return len(render_blocks(reply)) <= 1
