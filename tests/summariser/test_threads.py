"""summarise_post() and top_comments(): which comments come first, and how they are quoted.

Top comments are the ones that take up the post's points; a reply count alone (gossip, a pasted
news story) no longer lifts a comment. The ranking before is kept as ``LEGACY_WEIGHTS``.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from summariser import Comment, Post, Summary, load_folder, summarise_post, top_comments
from summariser.extractive import LEGACY_TUNING
from summariser.threads import LEGACY_WEIGHTS

SEEDS = Path(__file__).resolve().parents[2] / "seeds"


@pytest.fixture(scope="module")
def posts() -> dict[str, Post]:
    return {p.id[:3]: p for p in load_folder(SEEDS).posts}


def _post(
    *comments: Comment, body: tuple[str, ...] = ("Probation staff discuss the reforms.",)
) -> Post:
    return Post("900_test", date(2020, 1, 2), "Reforms", body, comments)


def test_legacy_ranking_puts_the_most_replied_to_first(posts: dict[str, Post]) -> None:
    # The ranking before, kept for the quality benchmark: reply counts first.
    # 004: comment 7 has 11 replies, 8 has 5, 6 has 4; 3 has one reply but says a lot.
    before = {"weights": LEGACY_WEIGHTS, "tuning": LEGACY_TUNING}
    assert [q.ref for q in top_comments(posts["004"], 4, **before)] == [
        "7",
        "8",
        "6",
        "3",
    ]
    # 001: comment 16 has 9 replies, 11 has 6.
    assert [q.ref for q in top_comments(posts["001"], 2, **before)] == ["16", "11"]


def test_001_top_comments_engage_the_post_not_gossip_or_pasted_news(
    posts: dict[str, Post],
) -> None:
    # 16 "Big announcement from MOJ coming next week apparently." (9 replies), 11 a pasted
    # HMPPS notice (6 replies), 10 a pasted news story about HMP Nottingham; 3-7 take up the
    # post (its "perfect storm", the PI's event, its questions about the prison service, its
    # "divided service" and its position paper).
    refs = [q.ref for q in top_comments(posts["001"], 3)]
    assert not {"16", "11", "10"} & set(refs), refs
    assert len({"3", "4", "5", "6", "7"} & set(refs)) >= 2, refs


def test_a_reply_can_be_a_top_comment(posts: dict[str, Post]) -> None:
    refs = [q.ref for q in top_comments(posts["000"], 5)]
    assert "5.1" in refs


def test_quotes_are_verbatim_from_the_named_comment(posts: dict[str, Post]) -> None:
    for post in posts.values():
        for quote in top_comments(post, 6):
            comment = post.comment(quote.ref)
            assert comment is not None
            assert quote.text in comment.text
            assert quote.author == comment.author
            assert "\n" not in quote.text


def test_quote_is_the_comments_best_sentence(posts: dict[str, Post]) -> None:
    quotes = {q.ref: q.text for q in top_comments(posts["004"], 100)}
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


_REFORM = (
    "The reforms split probation into two services. Caseloads rose, training was cut and "
    "experienced officers left. Courts now wait longer for reports.",
)


def test_a_gossip_one_liner_is_not_a_top_comment_when_substantive_comments_exist() -> None:
    gossip = Comment(
        "1",
        "Big announcement coming next week apparently.",
        replies=tuple(
            Comment(f"1.{i}", text)
            for i, text in enumerate(["What about?", "No idea.", "Who said?", "Really?", "Hm."])
        ),
    )
    substantive = [
        Comment("2", "Splitting probation into two services was the mistake: reports are late."),
        Comment("3", "Since training was cut the experienced officers left and caseloads rose."),
        Comment("4", "Courts waiting for reports is the real cost of the reforms to probation."),
    ]
    post = _post(gossip, *substantive, body=_REFORM)
    refs = [q.ref for q in top_comments(post, 3)]
    assert refs and "1" not in refs
    assert set(refs) <= {"2", "3", "4"}
    assert [q.ref for q in top_comments(post, 1, weights=LEGACY_WEIGHTS)] == ["1"]  # before


def test_a_pasted_news_story_with_replies_is_not_a_top_comment() -> None:
    story = (
        "A council in the north has approved plans for a new leisure centre with two pools. "
        "The project will cost twelve million pounds and open in the spring of next year. "
        "Residents said the old building had been closed since the storm damaged its roof. "
        "The council leader said construction firms would be invited to bid this month. "
        "Parking for three hundred cars and a cafe are included in the approved design. "
        "A spokesperson added that swimming lessons for schools would resume after opening."
    )
    pasted = Comment(
        "1", story, replies=(Comment("1.1", "About time."), Comment("1.2", "Two pools!"))
    )
    engaged = [
        Comment("2", "The split into two services is why reports to courts are now so late."),
        Comment(
            "3", "Caseloads rose and training was cut, so of course experienced officers left."
        ),
    ]
    post = _post(pasted, *engaged, body=_REFORM)
    assert {q.ref for q in top_comments(post, 2)} == {"2", "3"}
    assert [q.ref for q in top_comments(post, 1, weights=LEGACY_WEIGHTS)] == ["1"]  # before


def test_quotes_never_start_or_end_with_a_stray_quote_mark(posts: dict[str, Post]) -> None:
    for post in posts.values():
        summary = summarise_post(post, sentences=5, comments=10)
        for text in [*summary.body, *(q.text for q in summary.comments)]:
            assert not _stray_quote(text), (post.id, text)


def _stray_quote(text: str) -> bool:
    pairs = {"“": "”", "«": "»"}
    first, last = text[0], text[-1]
    if first in pairs and pairs[first] not in text:
        return True
    if last in pairs.values() and not any(o in text for o, c in pairs.items() if c == last):
        return True
    return any(text.count(q) % 2 == 1 and q in (first, last) for q in '"')


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
