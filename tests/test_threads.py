"""summarise_post() and top_comments(): which comments come first, and how they are quoted."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from summariser import Comment, Post, Summary, load_folder, summarise_post, top_comments

SEEDS = Path(__file__).resolve().parent.parent / "seeds"


@pytest.fixture(scope="module")
def posts() -> dict[str, Post]:
    return {p.id[:3]: p for p in load_folder(SEEDS).posts}


def _post(
    *comments: Comment, body: tuple[str, ...] = ("Probation staff discuss the reforms.",)
) -> Post:
    return Post("900_test", date(2020, 1, 2), "Reforms", body, comments)


def test_most_replied_to_comments_come_first(posts: dict[str, Post]) -> None:
    # 004: comment 7 has 11 replies, 8 has 5, 6 has 4; 3 has one reply but says a lot.
    assert [q.ref for q in top_comments(posts["004"], 4)] == ["7", "8", "6", "3"]
    # 003: comment 8 has 7 replies, 5 and 4 have 4 each.
    assert [q.ref for q in top_comments(posts["003"], 3)] == ["8", "5", "4"]
    # 001: comment 16 has 9 replies, 11 has 6.
    assert [q.ref for q in top_comments(posts["001"], 2)] == ["16", "11"]


def test_a_reply_can_be_a_top_comment(posts: dict[str, Post]) -> None:
    refs = [q.ref for q in top_comments(posts["000"], 5)]
    assert refs == ["5", "3", "7", "10", "5.1"]


def test_quotes_are_verbatim_from_the_named_comment(posts: dict[str, Post]) -> None:
    for post in posts.values():
        for quote in top_comments(post, 6):
            comment = post.comment(quote.ref)
            assert comment is not None
            assert quote.text in comment.text
            assert quote.author == comment.author
            assert "\n" not in quote.text


def test_quote_is_the_comments_best_sentence(posts: dict[str, Post]) -> None:
    quotes = {q.ref: q.text for q in top_comments(posts["004"], 2)}
    assert quotes["7"] == "Profiteers would be a more apt description than probation"
    assert quotes["8"] == (
        "Could the future include CRC staff implementing welfare to work and benefit sanctions "
        "while employability staff take on overall case responsibility for community orders?"
    )


def test_short_best_sentence_takes_its_neighbour_on_the_same_line() -> None:
    post = _post(
        Comment(
            "1",
            "Reforms failed probation staff badly. Everyone in the team knows the reforms hurt.",
        ),
    )
    (quote,) = top_comments(post, 1)
    assert quote.text == post.comments[0].text


def test_refs_restrict_the_candidates_but_keep_the_order(posts: dict[str, Post]) -> None:
    post = posts["004"]
    full = [q.ref for q in top_comments(post, 100)]
    allowed = {"2", "8.3", "14.1", "18", "18.1", "nope"}
    restricted = [q.ref for q in top_comments(post, 3, refs=allowed)]
    assert len(restricted) == 3
    assert set(restricted) <= allowed
    assert restricted == [r for r in full if r in allowed][:3]
    assert top_comments(post, 3, refs=()) == ()


def test_repeated_comments_are_quoted_once() -> None:
    same = "The reforms have left probation staff overworked and the public less safe."
    post = _post(
        Comment("1", same, replies=(Comment("1.1", "Agreed, every office feels it."),)),
        Comment("2", same),
        Comment(
            "3", "Training budgets were cut again this year across every region of the service."
        ),
    )
    refs = [q.ref for q in top_comments(post, 3)]
    assert refs[0] == "1"
    assert "2" not in refs
    assert "3" in refs


def test_summary_fields_and_budgets(posts: dict[str, Post]) -> None:
    post = posts["002"]
    summary = summarise_post(post, sentences=2, comments=4)
    assert isinstance(summary, Summary)
    assert (summary.post_id, summary.title, summary.date) == (post.id, post.title, post.date)
    assert len(summary.body) == 2
    positions = [post.body_text.index(s) for s in summary.body]
    assert positions == sorted(positions)
    assert len(summary.comments) == 4
    assert summarise_post(post, sentences=1, comments=0).comments == ()


def test_post_without_comments_or_body() -> None:
    empty = _post(body=())
    assert summarise_post(empty) == Summary(empty.id, empty.title, empty.date, (), ())


def test_same_post_same_summary(posts: dict[str, Post]) -> None:
    for method in ("lexrank", "textrank", "luhn", "lsa", "sumbasic", "kl"):
        first = summarise_post(posts["001"], method=method)
        assert summarise_post(posts["001"], method=method) == first


def test_unknown_method_is_refused(posts: dict[str, Post]) -> None:
    with pytest.raises(ValueError, match="unknown method"):
        summarise_post(posts["000"], method="magic")
    with pytest.raises(ValueError, match="unknown method"):
        top_comments(posts["000"], 2, method="magic")
