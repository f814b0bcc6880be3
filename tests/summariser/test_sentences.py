"""The offline sentence splitter: cases found in the seed posts, and the verbatim-span property."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from summariser import OfflineTokenizer, Post, load_folder, sentence_spans, split_sentences, words

SEEDS = Path(__file__).resolve().parents[2] / "seeds"


@pytest.fixture(scope="module")
def posts() -> dict[str, Post]:
    return {p.id[:3]: p for p in load_folder(SEEDS).posts}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Mr. Smith met Dr. Jones at 10 a.m. on Monday. They talked.",
            ["Mr. Smith met Dr. Jones at 10 a.m. on Monday.", "They talked."],
        ),
        (
            "See e.g. the report. It is No. 5 on the list.",
            ["See e.g. the report.", "It is No. 5 on the list."],
        ),
        ("J. K. Rowling wrote it. Fine.", ["J. K. Rowling wrote it.", "Fine."]),
        ('He said "It is over." Then he left.', ['He said "It is over."', "Then he left."]),
        ("(This is bracketed.) Next one.", ["(This is bracketed.)", "Next one."]),
        (
            "We waited... and waited... Nothing happened.",
            ["We waited... and waited...", "Nothing happened."],
        ),
        ("There's a thought.....", ["There's a thought....."]),
        ("Why? Because! yes, really.", ["Why?", "Because! yes, really."]),
        (
            "It cost £16.4m in 2014/15. The rest went.",
            ["It cost £16.4m in 2014/15.", "The rest went."],
        ),
        ("looks great on her.I cannot say.", ["looks great on her.", "I cannot say."]),
        ("see thefreedictionary.com/probation now", ["see thefreedictionary.com/probation now"]),
        ("First line without stop\nSecond line", ["First line without stop", "Second line"]),
        ("  \n --- ... \n", []),
    ],
)
def test_split_cases(text: str, expected: list[str]) -> None:
    assert split_sentences(text) == expected


def test_numbered_list_items_keep_their_number(posts: dict[str, Post]) -> None:
    sentences = split_sentences(posts["001"].body_text)
    assert "1. Over emphasis on speed in the criminal justice process is damaging." in sentences
    assert "1." not in sentences


def test_tweet_counter_lines_are_sentences(posts: dict[str, Post]) -> None:
    sentences = split_sentences(posts["002"].body_text)
    assert (
        "58/107: We are in danger of turning the clock to 1930s when there were mutuals and "
        "voluntaries failing to provide a universal service." in sentences
    )
    assert (
        "63/107: IOM is a cooperative model with agencies pooling resources, working together "
        "to reduce offending." in sentences
    )
    assert "Will competition stifle such work?" in sentences
    assert sum(s.startswith(("58/107", "59/107", "60/107")) for s in sentences) == 3


def test_abbreviation_inside_seed_comment_is_not_a_boundary(posts: dict[str, Post]) -> None:
    comment = posts["000"].comment("3")
    assert comment is not None
    sentences = split_sentences(comment.text)
    assert sentences[3].startswith("I find the current probation situation analagous")
    assert sentences[3].endswith("overblown egos with personal agendas.")
    assert "i.e. shedloads of unverified" in sentences[3]


def test_ellipsis_then_lower_case_stays_one_sentence(posts: dict[str, Post]) -> None:
    comment = posts["004"].comment("9")
    assert comment is not None
    assert split_sentences(comment.text) == [
        "our chief wanting us to donate educational books for international womans' day.",
        "all books are going to......Saudi Arabia.",
    ]


def test_words_keep_inner_apostrophes_and_numbers() -> None:
    assert words("Don't pay £16.4m for CRC's 2016 plan!") == [
        "Don't",
        "pay",
        "16",
        "4m",
        "for",
        "CRC's",
        "2016",
        "plan",
    ]


def test_no_sentence_starts_or_ends_with_a_stray_quote_mark() -> None:
    # A tweet quoted over two lines: the quotation opens in one sentence, closes in the next.
    text = (
        '"Met #probation officer in a CRC today who told me exact same thing.\n'
        "CRC owners simply don't understand probation\""
    )
    assert split_sentences(text) == [
        "Met #probation officer in a CRC today who told me exact same thing.",
        "CRC owners simply don't understand probation",
    ]
    assert split_sentences("“Open here. Closed here.”") == ["Open here.", "Closed here."]
    # Balanced quotes and apostrophes stay.
    assert split_sentences("“We do not believe it.”") == ["“We do not believe it.”"]
    assert split_sentences("‘It’s time to accept it’") == ["‘It’s time to accept it’"]
    assert split_sentences("The students’ union said no.") == ["The students’ union said no."]
    assert split_sentences('He said "yes". Then "no.') == ['He said "yes".', 'Then "no.']


def test_tokenizer_is_what_sumy_needs() -> None:
    tokenizer = OfflineTokenizer()
    assert tokenizer.language == "english"
    assert tokenizer.to_sentences("One. Two.") == ("One.", "Two.")
    assert tokenizer.to_words("One two.") == ("One", "two")


_PIECES = st.sampled_from(
    [
        "Mr.",
        "e.g.",
        "No.",
        "5",
        "word",
        "Word",
        "...",
        "…",
        "!",
        "?",
        ".",
        '"',
        "'",
        ")",
        "(",
        " ",
        "  ",
        "\n",
        "\n\n",
        "\t",
        "1.",
        "58/107:",
        "U.K.",
        "her.I",
        "é",
        "ß",
        "—",
    ]
)


@settings(max_examples=300, deadline=None)
@given(st.lists(_PIECES, max_size=40).map("".join))
def test_spans_are_verbatim_ordered_and_trimmed(text: str) -> None:
    spans = sentence_spans(text)
    previous_end = 0
    for start, end in spans:
        assert previous_end <= start < end <= len(text)
        piece = text[start:end]
        assert piece == piece.strip()
        assert any(ch.isalnum() for ch in piece)
        previous_end = end
    assert split_sentences(text) == [text[a:b] for a, b in spans]
