"""Reply -> Telegram HTML / console text: exact output, limits, escaping (Slack's Block Kit:
tests/platforms/slack/test_slack_blocks.py)."""

from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.chat.render import (
    TELEGRAM_LIMIT,
    render_plain,
    render_telegram_html,
    utf16_len,
)
from bot.chat.reply import (
    Button,
    Heading,
    OpenUrl,
    Paragraph,
    Preformatted,
    Quote,
    Reply,
    Run,
    Share,
    bold,
    code,
    italic,
    link,
)
from tests.fakes.telegram_html import parse_telegram_html

CI = os.environ.get("CI") == "true"
EXAMPLES = 60 if CI else 200

SAMPLE = Reply(
    (
        Heading("News <from> Probation & Co"),
        Paragraph.of("Said ", bold("twice"), ", ", italic("softly"), " in ", code("a<b")),
        Paragraph.of(
            link("the post", 'https://example.org/p?a=1&b="2"'),
            " and ",
            link("this", "javascript:alert(1)"),
        ),
        Quote("I <3 probation.\n\nSecond para.", "[5.1] Probation Officer"),
        Preformatted("a  | b\n1  | 2"),
    ),
    buttons=((Button("More", Run("more", ("000", "2"))),),),
)


def test_sample_reply_as_exact_telegram_html() -> None:
    [message] = render_telegram_html(SAMPLE)
    assert message.text == (
        "<b>News &lt;from&gt; Probation &amp; Co</b>\n\n"
        "Said <b>twice</b>, <i>softly</i> in <code>a&lt;b</code>\n\n"
        '<a href="https://example.org/p?a=1&amp;b=&quot;2&quot;">the post</a> and this\n\n'
        "<blockquote>I &lt;3 probation.\n\nSecond para.<i>\n— [5.1] Probation Officer</i>"
        "</blockquote>\n\n"
        "<pre>a  | b\n1  | 2</pre>"
    )
    assert message.buttons == SAMPLE.buttons
    assert message.disable_link_preview is True
    parsed = parse_telegram_html(message.text)
    assert parsed.text == SAMPLE.plain_text()
    links = [e for e in parsed.entities if e.type == "text_link"]
    assert [e.url for e in links] == ['https://example.org/p?a=1&b="2"']


def test_sample_reply_as_console_text() -> None:
    assert render_plain(SAMPLE) == (
        "News <from> Probation & Co\n\n"
        "Said twice, softly in a<b\n\n"
        'the post <https://example.org/p?a=1&b="2"> and this\n\n'
        "I <3 probation.\n\nSecond para.\n— [5.1] Probation Officer\n\n"
        "a  | b\n1  | 2"
    )
    ansi = render_plain(Reply((Heading("Title"), Paragraph.of("a ", bold("b")))), ansi=True)
    assert ansi == "\x1b[1mTitle\x1b[0m\n\na \x1b[1mb\x1b[0m"


def test_console_text_never_passes_terminal_escapes() -> None:
    assert render_plain(Reply.text("red\x1b[31m alert\x07")) == "red\ufffd[31m alert\ufffd"


def test_empty_reply_gives_no_messages() -> None:
    assert render_telegram_html(Reply((Paragraph.of("  \n "),))) == []


def test_long_reply_splits_on_paragraphs_with_buttons_on_the_last() -> None:
    paragraphs = [f"Paragraph {i}: " + "word " * 150 for i in range(40)]
    share = ((Button("Share", Share("000")),),)
    reply = Reply(Reply.text(*paragraphs).blocks, buttons=share)
    messages = render_telegram_html(reply)
    assert len(messages) == 8  # 5 paragraphs of 766 units + separators per message
    for message in messages:
        text = parse_telegram_html(message.text).text
        assert utf16_len(text) <= TELEGRAM_LIMIT
        assert text.startswith("Paragraph ")
    assert [bool(m.buttons) for m in messages] == [False] * 7 + [True]


def test_long_paragraph_splits_at_sentence_ends() -> None:
    sentence = "This sentence has exactly ten words in it, more or less. "
    messages = render_telegram_html(Reply.text(sentence * 300))
    texts = [parse_telegram_html(m.text).text for m in messages]
    assert len(texts) == 5
    assert all(t.rstrip().endswith("more or less.") for t in texts)
    assert " ".join(t.strip() for t in texts) == (sentence * 300).strip()


def test_bold_run_across_a_split_is_closed_and_reopened() -> None:
    messages = render_telegram_html(Reply((Paragraph.of(bold("bold words " * 1000)),)))
    assert len(messages) == 3
    for message in messages:
        assert message.text.startswith("<b>") and message.text.endswith("</b>")
        assert message.text.count("<b>") == 1


def test_escapes_are_never_cut() -> None:
    messages = render_telegram_html(Reply.text("&&&& " * 2000))
    texts = [parse_telegram_html(m.text).text for m in messages]
    assert [len(t) for t in texts] == [4094, 4094, 1810]
    assert all(set(t) <= {"&", " "} for t in texts)


def test_limit_counts_utf16_units_not_code_points() -> None:
    words = "😀😀 " * 1500  # 4,500 code points but 7,500 UTF-16 units
    messages = render_telegram_html(Reply.text(words))
    units = [utf16_len(parse_telegram_html(m.text).text) for m in messages]
    assert len(messages) == 2
    assert max(units) <= TELEGRAM_LIMIT
    assert units[0] > 4000


def test_a_word_longer_than_a_message_is_cut_hard_but_nothing_lost() -> None:
    word = "x" * 9000
    messages = render_telegram_html(Reply.text(f"start {word} end"))
    texts = [parse_telegram_html(m.text).text for m in messages]
    assert texts[0] == "start"
    assert "".join(texts[1:]) == f"{word} end" or " ".join(texts) == f"start {word} end"
    assert "".join(texts[1:]).replace(" ", "") == word + "end"


def test_emoji_sequences_are_not_cut_apart() -> None:
    family = "👨\u200d👩\u200d👧"  # one glyph, 8 UTF-16 units
    messages = render_telegram_html(Reply.text(family * 1000))
    for message in messages:
        text = parse_telegram_html(message.text).text
        assert not text.startswith("\u200d") and not text.endswith("\u200d")


def test_flags_are_not_cut_in_half() -> None:
    flags = "🇬🇧🇫🇷" * 1000  # regional-indicator pairs, 4 UTF-16 units per flag, no spaces
    for limit in (4096, 4094, 4093):
        texts = [parse_telegram_html(m.text).text for m in render_telegram_html(
            Reply.text("x" + flags), limit=limit)]  # fmt: skip
        assert "".join(texts) == "x" + flags
        assert all(len(t[1 if t.startswith("x") else 0 :]) % 2 == 0 for t in texts)


def test_unsafe_button_urls_are_refused() -> None:
    with pytest.raises(ValueError, match="http, https or tg"):
        OpenUrl("javascript:alert(1)")


# ------------------------------------------------------------------ property tests

FRAGMENTS = [
    "<", ">", "&", "&amp;", "&lt;b&gt;", "<b>", "</i>", "<a href='x'>", "<pre>", '"', "'",
    "javascript:alert(1)", "😀", "👨\u200d👩\u200d👧", "\u200f", "\u202e", "\u0301", "e\u0301",
    " ", "  ", "\n", "\n\n", "word", "Sentence.", "end!", "שלום", "مرحبا", "\t", "é",
]  # fmt: skip
corpus_text = st.lists(
    st.one_of(
        st.sampled_from(FRAGMENTS),
        st.text(st.characters(codec="utf-8"), max_size=12),
    ),
    max_size=40,
).map("".join)
urls = st.one_of(
    st.sampled_from(["https://example.org/a?b=1&c=2", "tg://user?id=1", "http://x.y/\"'<>"]),
    st.sampled_from(["javascript:alert(1)", "data:text/html,<b>", "ftp://x", "", "http://"]),
    corpus_text,
)
spans = st.one_of(
    corpus_text.map(lambda t: Paragraph.of(t).spans[0]),
    corpus_text.map(bold),
    corpus_text.map(italic),
    corpus_text.map(code),
    st.builds(link, corpus_text, urls),
)
blocks = st.one_of(
    corpus_text.map(Heading),
    st.lists(spans, max_size=6).map(lambda s: Paragraph(tuple(s))),
    st.builds(Quote, corpus_text, corpus_text),
    corpus_text.map(Preformatted),
)
replies = st.lists(blocks, max_size=8).map(lambda b: Reply(tuple(b)))


def _check_messages(reply: Reply, limit: int) -> None:
    """Valid HTML, within the limit, nothing lost or added, words cut only when too long."""
    expected = reply.plain_text()
    messages = render_telegram_html(reply, limit=limit)
    assert bool(messages) == bool(expected.strip())
    pos = 0
    for index, message in enumerate(messages):
        parsed = parse_telegram_html(message.text)
        assert utf16_len(parsed.text) <= limit
        for entity in parsed.entities:
            if entity.type == "text_link":
                assert entity.url is not None and entity.url.split(":")[0] in {
                    "http",
                    "https",
                    "tg",
                }
        content = parsed.text.strip()
        gap_start = pos
        while pos < len(expected) and expected[pos].isspace():
            pos += 1
        assert expected.startswith(content, pos), (index, content[:80], expected[pos : pos + 80])
        if index > 0 and pos == gap_start:  # no whitespace between: a cut inside a word
            _assert_long_word(expected, pos, limit)
        pos += len(content)
    assert not expected[pos:].strip()


def _assert_long_word(text: str, pos: int, limit: int) -> None:
    lo = pos
    while lo > 0 and not text[lo - 1].isspace():
        lo -= 1
    hi = pos
    while hi < len(text) and not text[hi].isspace():
        hi += 1
    assert utf16_len(text[lo:hi]) >= limit - 1, f"word cut: {text[lo:hi]!r}"


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(replies, st.integers(min_value=8, max_value=300))
def test_any_reply_renders_to_valid_messages_within_small_limits(reply: Reply, limit: int) -> None:
    _check_messages(reply, limit)


@settings(max_examples=EXAMPLES, deadline=None)
@given(replies)
def test_any_reply_renders_to_valid_telegram_messages(reply: Reply) -> None:
    _check_messages(reply, TELEGRAM_LIMIT)


@settings(max_examples=20 if CI else 50, deadline=None)
@given(st.lists(corpus_text, min_size=1, max_size=30), st.sampled_from([bold, italic, None]))
def test_twenty_thousand_character_paragraphs(pieces: list[str], style: object) -> None:
    seed = " ".join(pieces) or "x"
    text = (seed * (20_000 // max(1, len(seed)) + 1))[:20_000]
    span = style(text) if callable(style) else Paragraph.of(text).spans[0]
    _check_messages(Reply((Paragraph((span,)), Quote(text, "[1] a"))), TELEGRAM_LIMIT)


@settings(max_examples=EXAMPLES, deadline=None)
@given(corpus_text)
def test_commenter_text_never_becomes_markup(text: str) -> None:
    for message in render_telegram_html(Reply.text(text), limit=64):
        parsed = parse_telegram_html(message.text)
        assert parsed.entities == ()
        assert parsed.text.strip() in text
