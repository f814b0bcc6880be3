"""Console text wrapped to the terminal: at spaces, never inside a word, escapes not counted."""

from __future__ import annotations

import io
from itertools import pairwise

from bot.chat.reply import Reply
from bot.platforms.console.frontend import Screen, visible_width, wrap

LONG = (
    "All three speakers shared positive aspirations for Probation but recognised that there "
    "are major challenges in restoring sentencers' confidence."
)


def test_lines_fill_the_width_and_no_word_is_cut() -> None:
    lines = wrap(LONG, 30).split("\n")
    assert all(len(line) <= 30 for line in lines)
    assert " ".join(lines) == LONG
    assert all(len(a) + 1 + len(b.split()[0]) > 30 for a, b in pairwise(lines))


def test_a_url_longer_than_the_width_gets_its_own_line_whole() -> None:
    url = "https://probation.example.org/2018/07/" + "a-very-long-slug-" * 4 + "index.html"
    assert wrap(f"Read it at {url} today, please.", 40).split("\n") == [
        "Read it at",
        url,
        "today, please.",
    ]


def test_blank_lines_indents_and_no_break_spaces_are_kept() -> None:
    text = "Heading\n\n    " + LONG + "\n\n" + "15\u00a0July\u00a02018 " * 5
    lines = wrap(text, 40).split("\n")
    assert lines[:2] == ["Heading", ""]
    body = lines[2 : lines.index("", 2)]
    assert len(body) > 2 and all(line.startswith("    ") for line in body)
    assert all("15\u00a0July\u00a02018" in line for line in lines[lines.index("", 2) + 1 :])
    assert wrap("a\n\n", 10) == "a\n\n"


def test_bold_escapes_take_no_room_and_wide_characters_take_two() -> None:
    bold = "\x1b[1m" + "x" * 20 + "\x1b[0m"
    assert visible_width(bold) == 20 and wrap(bold + " y", 22) == bold + " y"
    assert visible_width("日本") == 4
    assert wrap("日本 語の 文章 です", 10).split("\n") == ["日本 語の", "文章 です"]


def test_screen_wraps_a_reply_to_the_width_it_is_given() -> None:
    out = io.StringIO()
    width = [30]
    screen = Screen(out, width=lambda: width[0])
    screen.show(Reply.text(LONG))
    width[0] = 200  # the terminal was resized: the next reply uses the new width
    screen.show(Reply.text(LONG))
    first, second = out.getvalue().split("\n\n")[:2]
    assert max(map(len, first.split("\n"))) <= 30 and second == LONG
