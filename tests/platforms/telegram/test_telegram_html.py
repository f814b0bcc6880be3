"""The fake server's HTML parse mode: what Telegram refuses, and the entities it yields."""

from __future__ import annotations

import pytest

from tests.fakes.telegram_html import HtmlParseError, parse_telegram_html


@pytest.mark.parametrize(
    ("source", "error"),
    [
        ("<b>x", 'Can\'t find end tag corresponding to start tag "b"'),
        ("<b><i>x</b></i>", 'Unmatched end tag, expected "</i>", found "</b>" at byte offset 7'),
        ("é<foo>", 'Unsupported start tag "foo" at byte offset 2'),
        ("a & b", 'Character "&" must be escaped as "&amp;" at byte offset 2'),
        ("a > b", 'Character ">" is reserved and must be escaped at byte offset 2'),
        ("<a>x</a>", 'Tag "a" must have attribute "href" at byte offset 0'),
        ("<span>x</span>", 'Tag "span" must have class "tg-spoiler" at byte offset 0'),
        ("<code><b>x</b></code>", 'Tag "b" is not allowed inside "code" at byte offset 6'),
        ("</b>", 'Unexpected end tag "b" at byte offset 0'),
        ("x <", "Unclosed start tag at byte offset 2"),
    ],
)
def test_html_parser_refuses_like_telegram(source: str, error: str) -> None:
    with pytest.raises(HtmlParseError) as refused:
        parse_telegram_html(source)
    assert str(refused.value) == error


def test_html_parser_gives_text_and_utf16_entities() -> None:
    parsed = parse_telegram_html(
        '😀<b>bold <i>both</i></b> <a href="https://x.org/?a=1&amp;b=2">l</a> &lt;&#38;&#x3e;'
        '<tg-spoiler>s</tg-spoiler><span class="tg-spoiler">p</span><blockquote expandable>q'
        '</blockquote><pre><code class="language-py">c</code></pre><u>u</u><s>s</s>'
    )
    assert parsed.text == "😀bold both l <&>spqcus"
    assert [(e.type, e.offset, e.length, e.url) for e in parsed.entities] == [
        ("bold", 2, 9, None),
        ("italic", 7, 4, None),
        ("text_link", 12, 1, "https://x.org/?a=1&b=2"),
        ("spoiler", 17, 1, None),
        ("spoiler", 18, 1, None),
        ("expandable_blockquote", 19, 1, None),
        ("pre", 20, 1, None),
        ("code", 20, 1, None),
        ("underline", 21, 1, None),
        ("strikethrough", 22, 1, None),
    ]
