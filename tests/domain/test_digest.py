"""Picking posts for a digest: order, limit, topics, history, threads that grew; the CLI preview."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from bot.cli import main
from bot.config import DigestDefaults
from bot.domain.digest import PostIndex, Summaries, digest_json, pick, plan, render_text
from bot.domain.records import Subscriber
from bot.domain.schedule import Slot
from bot.store.tinydb.store import Store
from summariser import Comment, Post

ROOT = Path(__file__).resolve().parents[2]
NOW = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
SUMMARIES = Summaries(sentences=2, comments=2)


def post(pid: str, day: str, title: str, body: str, comments: list[Comment] | None = None) -> Post:
    return Post(pid, date.fromisoformat(day), title, (body,), tuple(comments or ()))


def comment(ref: str, text: str, *replies: Comment, author: str | None = None) -> Comment:
    return Comment(ref, text, author, None, tuple(replies))


POSTS = [
    post(
        "p1",
        "2026-11-20",
        "Courts in winter",
        "The courts were busy. Judges worked late.",
        [comment("1", "A fine summary of the courts."), comment("2", "Start with the facts.")],
    ),
    post("p2", "2026-11-22", "Quiet week", "Nothing much happened. People rested."),
    post(
        "p3",
        "2026-11-22",
        "Probation reform",
        "Probation is changing. Staff are worried.",
        [
            comment("1", "Change is hard.", comment("1.1", "Agreed entirely.")),
            comment("2", "Art of the possible."),
            comment("3", "More news soon."),
        ],
    ),
    post("p4", "2026-11-01", "Old news", "An older post about PRISONS. It is still relevant."),
]
INDEX = PostIndex(POSTS)


def subscriber(**changes: object) -> Subscriber:
    sub = Subscriber.new("fake", "1", kind="private", defaults=DigestDefaults(), now=NOW)
    return replace(sub, **changes)  # type: ignore[arg-type]


def picked(
    sub: Subscriber, history: dict[str, frozenset[str]] | None = None
) -> list[tuple[str, str]]:
    return [(p.post.id, p.kind) for p in pick(sub, INDEX, history or {})]


def test_newest_first_then_most_discussed_at_most_posts_per_digest() -> None:
    assert picked(subscriber(posts=3)) == [("p3", "new"), ("p2", "new"), ("p1", "new")]
    assert picked(subscriber(posts=1)) == [("p3", "new")]
    assert picked(subscriber(posts=20)) == [
        ("p3", "new"),
        ("p2", "new"),
        ("p1", "new"),
        ("p4", "new"),
    ]


@pytest.mark.parametrize(
    ("topics", "expected"),
    [
        (("PROBATION",), ["p3"]),  # title, case-insensitive
        (("judges",), ["p1"]),  # body
        (("agreed",), ["p3"]),  # a reply in the comments
        (("prison",), ["p4"]),  # start of a word: "prisons"
        (("art",), ["p3"]),  # "Art of" matches, "Start" does not
        (("quiet week", "courts"), ["p2", "p1"]),
        (("elephants",), []),
    ],
)
def test_topic_filters(topics: tuple[str, ...], expected: list[str]) -> None:
    assert [pid for pid, _ in picked(subscriber(topics=topics, posts=5))] == expected


def test_reason_names_the_matching_topic() -> None:
    reasons = [p.reason for p in pick(subscriber(topics=("courts",)), INDEX, {})]
    assert reasons == ["new post, matches topic 'courts'"]


def test_sent_posts_are_skipped_and_a_grown_thread_comes_back_with_only_new_comments() -> None:
    history = {"p3": frozenset({"1", "2"}), "p2": frozenset(), "p1": frozenset({"1", "2"})}
    picks = pick(subscriber(posts=3), INDEX, history)
    assert [(p.post.id, p.kind, p.new) for p in picks] == [
        ("p4", "new", ()),
        ("p3", "discussion", ("1.1", "3")),
    ]
    digest = plan(subscriber(posts=3), INDEX, NOW, history, summaries=SUMMARIES)
    assert digest is not None
    grown = digest.items[1]
    assert grown.sentences == ()
    assert {q.ref for q in grown.comments} <= {"1.1", "3"} and grown.comments
    assert grown.reason == "2 new comments"


def test_nothing_new_gives_no_digest() -> None:
    history = {p.id: frozenset(INDEX.refs[p.id]) for p in POSTS}
    assert plan(subscriber(), INDEX, NOW, history, summaries=SUMMARIES) is None
    assert plan(subscriber(topics=("elephants",)), INDEX, NOW, {}, summaries=SUMMARIES) is None


def test_digest_json_and_text_are_platform_neutral() -> None:
    sub = subscriber(posts=1, frequency="weekly", weekday="mon")
    digest = plan(sub, INDEX, NOW, {}, summaries=SUMMARIES, slot=Slot(date(2026, 11, 23), NOW))
    assert digest is not None
    assert len(SUMMARIES.summary(INDEX.posts["p3"]).comments) == 2
    assert digest_json(digest) == {
        "title": "Weekly digest, week to Monday 23 November 2026",
        "date": "2026-11-23",
        "frequency": "weekly",
        "slot": "2026-11-23",
        "items": [
            {
                "id": "p3",
                "short_id": "p3",
                "title": "Probation reform",
                "date": "2026-11-22",
                "kind": "new",
                "reason": "new post",
                "sentences": ["Probation is changing.", "Staff are worried."],
                "comments": [  # the post's summary, as the summariser ranks its comments
                    {"ref": q.ref, "author": q.author, "text": q.text}
                    for q in SUMMARIES.summary(INDEX.posts["p3"]).comments
                ],
                "comments_total": 4,
                "new_comments": 0,
            }
        ],
    }
    assert render_text(digest).splitlines()[:3] == [
        "Weekly digest, week to Monday 23 November 2026",
        "",
        "Probation reform (22 November 2026, post p3)",
    ]


def _cli_json(capsys: pytest.CaptureFixture[str], *argv: str) -> dict[str, object]:
    assert main(["--corpus", str(ROOT / "seeds"), *argv, "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert isinstance(result, dict)
    return result


def test_cli_preview_for_a_new_subscriber(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    result = _cli_json(capsys, "--data", str(tmp_path), "digest", "--now", "2026-11-23T08:00")
    assert (result["chat"], result["due"], result["now"]) == (
        None,
        True,
        "2026-11-23T08:00:00+00:00",
    )
    assert result["next"] == "2026-11-24T08:00:00+00:00"
    digest = result["digest"]
    assert isinstance(digest, dict)
    assert [i["short_id"] for i in digest["items"]] == ["001", "000", "004"]  # newest first
    assert not (tmp_path / "store").exists()  # a preview writes nothing


def test_cli_preview_for_a_stored_chat_uses_its_history(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with Store.open(tmp_path) as store:
        store.subscribe("telegram", 42, now=NOW, defaults=DigestDefaults())
        store.update_subscriber(
            "telegram", 42, now=NOW, topics=["elephants"], timezone="Asia/Kolkata"
        )
    argv = ["--data", str(tmp_path), "digest", "--chat", "42", "--now", "2026-11-24T09:00"]
    result = _cli_json(capsys, *argv)
    assert result["chat"] == "telegram:42" and result["digest"] is None and result["due"] is True
    assert result["now"] == "2026-11-24T09:00:00+05:30"
    assert main(["--data", str(tmp_path), "digest", "--chat", "7"]) == 2
    assert capsys.readouterr().err == f"digestbot: no subscriber '7' in {tmp_path} (count: 1)\n"
