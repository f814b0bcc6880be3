"""SummaryCache: a restart recomputes nothing; damaged files are recomputed, never fatal."""

from __future__ import annotations

import dataclasses
import hashlib
import json
from pathlib import Path

import pytest

import summariser.cache as cache_module
from summariser import Post, Summary, SummaryCache, load_folder, summarise_post

SEEDS = Path(__file__).resolve().parents[2] / "seeds"


@pytest.fixture(scope="module")
def posts() -> list[Post]:
    return list(load_folder(SEEDS).posts)


@pytest.fixture
def computed(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Ids of the posts actually summarised (the real summariser still runs)."""
    calls: list[str] = []

    def counting(post: Post, **settings: object) -> Summary:
        calls.append(post.id)
        return summarise_post(post, **settings)  # type: ignore[arg-type]

    monkeypatch.setattr(cache_module, "summarise_post", counting)
    return calls


def test_restart_reads_from_disk(tmp_path: Path, posts: list[Post], computed: list[str]) -> None:
    first = SummaryCache(tmp_path)
    summaries = [first.get(p, sentences=2, comments=3) for p in posts]
    assert computed == [p.id for p in posts]
    restarted = SummaryCache(tmp_path)
    again = [restarted.get(p, sentences=2, comments=3) for p in posts]
    assert again == summaries
    assert computed == [p.id for p in posts]  # nothing recomputed
    assert (restarted.hits, restarted.misses) == (len(posts), 0)
    assert summaries[0] == summarise_post(posts[0], sentences=2, comments=3)


def test_other_settings_or_edited_post_miss(
    tmp_path: Path, posts: list[Post], computed: list[str]
) -> None:
    cache = SummaryCache(tmp_path)
    post = posts[0]
    cache.get(post)
    cache.get(post, sentences=4)
    cache.get(post, method="textrank")
    edited = dataclasses.replace(post, body=(*post.body, "A new closing paragraph was added."))
    cache.get(edited)
    cache.get(post)
    assert computed == [post.id] * 4
    assert len(list(tmp_path.rglob("*.json"))) == 4


@pytest.mark.parametrize(
    "damage",
    [b"", b"{not json", b"\xff\xfe\x00binary", b"[]", b'{"post_id": 5}', b"null"],
    ids=["empty", "truncated", "binary", "list", "wrong-types", "null"],
)
def test_damaged_file_is_recomputed_and_repaired(
    tmp_path: Path, posts: list[Post], computed: list[str], damage: bytes
) -> None:
    cache = SummaryCache(tmp_path)
    post = posts[1]
    good = cache.get(post)
    path = cache.path(post, sentences=3, comments=3, method="lexrank")
    path.write_bytes(damage)
    assert SummaryCache(tmp_path).get(post) == good
    assert computed == [post.id, post.id]
    assert json.loads(path.read_text(encoding="utf-8"))["post_id"] == post.id
    assert SummaryCache(tmp_path).get(post) == good
    assert len(computed) == 2


def test_file_of_another_post_is_not_trusted(
    tmp_path: Path, posts: list[Post], computed: list[str]
) -> None:
    cache = SummaryCache(tmp_path)
    a, b = posts[0], posts[2]
    cache.get(a)
    cache.get(b)
    path_b = cache.path(b, sentences=3, comments=3, method="lexrank")
    path_b.write_bytes(cache.path(a, sentences=3, comments=3, method="lexrank").read_bytes())
    assert SummaryCache(tmp_path).get(b).post_id == b.id
    assert computed == [a.id, b.id, b.id]


def test_warm_reports_progress_and_counts(
    tmp_path: Path, posts: list[Post], computed: list[str]
) -> None:
    seen: list[tuple[int, int]] = []
    cache = SummaryCache(tmp_path / "deep" / "folder")
    assert cache.warm(posts, progress=lambda done, total: seen.append((done, total))) == len(posts)
    assert seen == [(i, len(posts)) for i in range(1, len(posts) + 1)]
    assert SummaryCache(tmp_path / "deep" / "folder").warm(posts) == 0
    assert len(computed) == len(posts)


def test_writes_leave_no_temporary_files(tmp_path: Path, posts: list[Post]) -> None:
    cache = SummaryCache(tmp_path)
    cache.warm(posts, comments=2)
    files = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert len(files) == len(posts)
    assert all(p.suffix == ".json" and not p.name.startswith(".") for p in files)


def test_unwritable_folder_still_answers(tmp_path: Path, posts: list[Post]) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder", encoding="utf-8")
    cache = SummaryCache(blocker)
    assert cache.get(posts[0]) == summarise_post(posts[0])


def test_bad_method_is_refused_and_nothing_written(tmp_path: Path, posts: list[Post]) -> None:
    with pytest.raises(ValueError, match="unknown method"):
        SummaryCache(tmp_path).get(posts[0], method="magic")
    assert list(tmp_path.iterdir()) == []


def _stored_key(post: Post, version: str) -> str:
    """The file name a cache of algorithm ``version`` stores a default summary under."""
    settings = f"{version}\x00{3}\x00{3}\x00lexrank"
    return hashlib.sha256(f"{post.content_hash()}\x00{settings}".encode()).hexdigest()


def test_a_cache_written_by_the_previous_summariser_is_not_served(
    tmp_path: Path, posts: list[Post], computed: list[str]
) -> None:
    # A data folder from before the blog-post summaries: seed 001 summarised by its opening
    # lines (date, venue, organiser). After the upgrade the bot must summarise it afresh.
    post = next(p for p in posts if p.id.startswith("001"))
    stale = Summary(post.id, post.title, post.date, tuple(post.body_text.split("\n\n")[2:3]), ())
    key = _stored_key(post, "2")
    path = tmp_path / key[:2] / f"{key}.json"
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps(cache_module.summary_to_json(stale)), encoding="utf-8")
    fresh = SummaryCache(tmp_path).get(post)
    assert fresh != stale
    assert fresh == summarise_post(post)
    assert computed == [post.id]
