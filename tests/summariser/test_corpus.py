"""The seed-file parser: exact expectations for every seed, odd encodings, and bad files."""

from __future__ import annotations

import shutil
from datetime import date, datetime
from pathlib import Path

import pytest

from summariser import CorpusError, Post, load_folder, parse_file, parse_text

SEEDS = Path(__file__).resolve().parents[2] / "seeds"
MARKERS = ("ReplyDelete", "Replies", "\nDelete", "\nReply\n")


@pytest.fixture(scope="module")
def posts() -> dict[str, Post]:
    result = load_folder(SEEDS)
    assert result.errors == ()
    return {post.id[:3]: post for post in result.posts}


# id prefix: (date, title, body paragraphs, declared, top-level, replies)
EXPECTED = {
    "000": (date(2016, 6, 14), "News from Probation Institute 2", 12, None, 10, 2),
    "001": (date(2018, 7, 15), "News From Probation Institute 6", 16, 39, 18, 21),
    "002": (date(2014, 6, 4), "TR Reflections Part 2", 51, None, 16, 18),
    "003": (date(2016, 2, 14), "Probation Masterclass", 37, None, 14, 18),
    "004": (date(2016, 3, 5), "It's Definitely not Probation", 9, 50, 18, 31),
}


@pytest.mark.parametrize("key", sorted(EXPECTED))
def test_seed_headline_counts(posts: dict[str, Post], key: str) -> None:
    post = posts[key]
    when, title, paragraphs, declared, top, replies = EXPECTED[key]
    assert (post.date, post.title) == (when, title)
    assert len(post.body) == paragraphs
    assert post.declared_comments == declared
    assert (post.top_level_count, post.reply_count) == (top, replies)
    assert [c.ref for c in post.comments] == [str(i) for i in range(1, top + 1)]


def test_all_five_seeds_load_with_file_stem_ids() -> None:
    result = load_folder(SEEDS)
    assert [p.id for p in result.posts] == [
        "000_63c8db97991e146f",
        "001_5f742a47d0832f90",
        "002_078d3ae7caec7a9d",
        "003_15a94c804d3a0ae1",
        "004_ef1d1aa6b437a289",
    ]


def test_markers_never_reach_any_text(posts: dict[str, Post]) -> None:
    for post in posts.values():
        for comment in post.walk_comments():
            for marker in MARKERS:
                assert marker not in "\n" + comment.text + "\n", (post.id, comment.ref)
            assert comment.text.strip() == comment.text
        assert not any(p.strip() in ("ReplyDelete", "Delete") for p in post.body)


def test_authors_glued_to_timestamps_are_split(posts: dict[str, Post]) -> None:
    officer = posts["000"].comment("2")
    assert officer is not None
    assert officer.author == "Probation Officer"
    assert officer.posted_at == datetime(2016, 6, 14, 8, 8)
    assert officer.text.startswith("Weak words from the Probation Institute.")
    gran = posts["002"].comment("2.1")
    assert gran is not None
    assert (gran.author, gran.posted_at) == ("Stan's gran", datetime(2014, 6, 4, 19, 36))
    assert gran.text.startswith("As a Court Officer this is 'fuxxxxing scary'.")
    with_author = [c.ref for p in posts.values() for c in p.walk_comments() if c.author]
    assert sorted(with_author) == ["2", "2.1"]


def test_body_ends_where_comments_begin(posts: dict[str, Post]) -> None:
    assert posts["000"].body[-1] == "Paul Senior"
    assert posts["001"].body[-1].endswith("here is another perfect storm waiting.")
    assert posts["004"].body[-1].endswith("Where is this leading?")
    # a numbered list inside the body (indent 0) is body, not comments
    assert posts["001"].body[9].startswith("3. The contribution to rehabilitation")


def test_comment_paragraphs_stay_together(posts: dict[str, Post]) -> None:
    three = posts["000"].comment("3")
    assert three is not None
    assert len(three.paragraphs) == 3
    assert three.text.startswith("Between a rock & a hard place?")
    assert three.text.endswith("& peddle methods of practice.")
    ten = posts["001"].comment("10")
    assert ten is not None and len(ten.paragraphs) == 14
    assert ten.text.endswith("a source of complaints from prisoners.")
    # a continuation line at reply indent directly under the reply's first line
    reply = posts["002"].comment("2.2")
    assert reply is not None
    assert reply.text.endswith("how overworked they are at present.")


@pytest.mark.parametrize(
    ("key", "ref", "first", "last", "replies"),
    [
        ("001", "16", "Big announcement from MOJ", "What's all that about then?", 9),
        ("001", "16.9", "Well your in talks", "what is being suggested???", 0),
        ("001", "18.1", "Me too.", "then temp.", 0),
        ("002", "5", "Have a look on MOJ website.", "Is that of interest?", 5),
        ("003", "8", "Er so TR is supposed to help?", "part in that.", 7),
        ("004", "5.1", "Young people are more than ever", "into the dust.", 0),
        ("004", "7", "Profiteers would be", "than probation", 11),
        ("004", "7.11", "There's a thought", "thought.....", 0),
    ],
)
def test_chosen_comments_first_and_last_words(
    posts: dict[str, Post], key: str, ref: str, first: str, last: str, replies: int
) -> None:
    comment = posts[key].comment(ref)
    assert comment is not None
    assert comment.text.startswith(first)
    assert comment.text.endswith(last)
    assert len(comment.replies) == replies


def _seed_text(prefix: str) -> str:
    path = next(SEEDS.glob(f"{prefix}_*.txt"))
    return path.read_text(encoding="utf-8")


def test_crlf_bom_and_windows_1252_give_the_same_post(tmp_path: Path) -> None:
    original = parse_file(next(SEEDS.glob("004_*.txt")))
    text = _seed_text("004")
    (tmp_path / "crlf.txt").write_bytes(b"\xef\xbb\xbf" + text.replace("\n", "\r\n").encode())
    crlf = parse_file(tmp_path / "crlf.txt")
    assert (crlf.body, crlf.comments) == (original.body, original.comments)
    cp = text.replace("\xa0", " ").encode("cp1252", errors="replace")
    (tmp_path / "cp.txt").write_bytes(cp)
    legacy = parse_file(tmp_path / "cp.txt")
    assert legacy.comment_count == original.comment_count
    assert legacy.comment("6.1") == original.comment("6.1")


def test_stray_windows_1252_bytes_inside_utf8_are_kept(tmp_path: Path) -> None:
    data = "Sunday 15 July 2018\n\nCaf\u00e9 \u2013 title\n\nBody costs \x80 5.\n".encode()
    data = data.replace(b"\xc2\x80", b"\x80")  # a lone Windows-1252 euro byte
    (tmp_path / "mixed.txt").write_bytes(data)
    post = parse_file(tmp_path / "mixed.txt")
    assert post.title == "Café – title"
    assert post.body == ("Body costs € 5.",)


def test_new_post_in_the_same_format_is_picked_up(tmp_path: Path) -> None:
    shutil.copytree(SEEDS, tmp_path / "seeds")
    (tmp_path / "seeds" / "005_new.txt").write_text(
        "Monday, 2 March 2026\n\nA New Post\n\nFirst paragraph.\n\nSecond one.\n\n"
        "2 comments:\n\n  1. Anon2 March 2026 at 9:15 pm\n\n    Great post.\n\n    ReplyDelete\n"
        "    Replies\n    1. Agreed.\n\n      Delete\n",
        encoding="utf-8",
    )
    result = load_folder(tmp_path / "seeds")
    assert len(result.posts) == 6 and result.errors == ()
    new = result.posts[-1]
    assert (new.id, new.title, new.body) == (
        "005_new",
        "A New Post",
        ("First paragraph.", "Second one."),
    )
    first = new.comments[0]
    assert (first.author, first.posted_at, first.text) == (
        "Anon",
        datetime(2026, 3, 2, 21, 15),
        "Great post.",
    )
    assert [(r.ref, r.text) for r in first.replies] == [("1.1", "Agreed.")]


def test_post_without_comments() -> None:
    post = parse_text("June 14, 2016\n\nTitle\n\nJust a body.\n", post_id="x")
    assert (post.date, post.title, post.body, post.comments) == (
        date(2016, 6, 14),
        "Title",
        ("Just a body.",),
        (),
    )


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ("", None, "empty file"),
        ("\n\n   \n", None, "empty file"),
        ("Hello there\n\nTitle\n", 1, "expected a date line"),
        ("\n\nTuesday, 14 June 2016\n\n", 3, "no title"),
        ("Tuesday, 14 June 2016\n\n3 comments:\n", 3, "no title"),
        ("Tuesday, 14 June 2016\n\nT\n\n2 comments:\n\nloose text\n", 7, "unindented text"),
        (
            "Tuesday, 14 June 2016\n\nT\n\n2 comments:\n\n    orphan\n",
            7,
            "before the first comment",
        ),
        ("Tuesday, 14 June 2016\n\nT\n\n  1. a\n\n  2. b\n\n  2. c\n", 9, "must increase"),
        ("Tuesday, 31 February 2016\n\nT\n", 1, "expected a date line"),
    ],
)
def test_bad_files_raise_corpus_error_with_file_and_line(
    text: str, line: int | None, message: str
) -> None:
    with pytest.raises(CorpusError) as caught:
        parse_text(text, post_id="bad", file="seeds/bad.txt")
    assert caught.value.file == "seeds/bad.txt"
    assert caught.value.line == line
    assert message in str(caught.value)
    assert str(caught.value).startswith(f"seeds/bad.txt:{line}:" if line else "seeds/bad.txt:")


def test_binary_file_is_refused(tmp_path: Path) -> None:
    (tmp_path / "img.txt").write_bytes(bytes(range(256)) * 40)
    with pytest.raises(CorpusError, match="binary"):
        parse_file(tmp_path / "img.txt")


def test_oversized_file_is_refused_before_reading(tmp_path: Path) -> None:
    path = tmp_path / "huge.txt"
    path.write_text("Tuesday, 14 June 2016\n\nT\n\n" + "x" * 2000, encoding="utf-8")
    with pytest.raises(CorpusError, match="refused"):
        parse_file(path, max_bytes=1000)


def test_folder_reports_bad_files_and_keeps_good_ones(tmp_path: Path) -> None:
    shutil.copytree(SEEDS, tmp_path / "seeds")
    (tmp_path / "seeds" / "bad_empty.txt").write_bytes(b"")
    (tmp_path / "seeds" / "bad_binary.txt").write_bytes(b"\x00\x01\x02" * 100)
    (tmp_path / "seeds" / "bad_order.txt").write_text(
        "Tuesday, 14 June 2016\n\nT\n\n  2. b\n\n  1. a\n", encoding="utf-8"
    )
    result = load_folder(tmp_path / "seeds")
    assert len(result.posts) == 5
    reported = sorted((Path(e.file).name, e.line) for e in result.errors)
    assert reported == [("bad_binary.txt", 1), ("bad_empty.txt", None), ("bad_order.txt", 7)]


def test_missing_folder_is_an_error_not_a_crash(tmp_path: Path) -> None:
    result = load_folder(tmp_path / "nope")
    assert result.posts == ()
    assert "does not exist" in str(result.errors[0])


def test_content_hash_changes_with_comments_only(posts: dict[str, Post]) -> None:
    from dataclasses import replace

    post = posts["000"]
    fewer = replace(post, comments=post.comments[:-1])
    assert post.content_hash() != fewer.content_hash()
    assert post.content_hash() == replace(post, source="elsewhere").content_hash()
