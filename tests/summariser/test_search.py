"""Keyword search on the seeds: ranking, query language, passages, index life cycle, bad input."""

from __future__ import annotations

import json
import os
import threading
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest
import tantivy
from hypothesis import given, settings
from hypothesis import strategies as st

from summariser import Comment, KeywordIndex, Post, QueryError, SearchHit, load_folder
from summariser.analysis import terms
from summariser.search_engine import MANIFEST

SEEDS = Path(__file__).resolve().parents[2] / "seeds"
ID = {
    "000": "000_63c8db97991e146f",
    "001": "001_5f742a47d0832f90",
    "002": "002_078d3ae7caec7a9d",
    "003": "003_15a94c804d3a0ae1",
    "004": "004_ef1d1aa6b437a289",
}


@pytest.fixture(scope="module")
def posts() -> list[Post]:
    return list(load_folder(SEEDS).posts)


@pytest.fixture(scope="module")
def index(posts: list[Post]) -> KeywordIndex:
    return KeywordIndex.build(posts)


def ids(hits: list[SearchHit]) -> list[str]:
    return [h.post_id for h in hits]


def marked(hit: SearchHit) -> list[str]:
    return [m.text[a:b] for m in hit.matches for a, b in m.highlights]


def new_post(post_id: str, body: str, comment: str = "A plain reply.") -> Post:
    return Post(
        id=post_id,
        date=date(2020, 1, 2),
        title="A new post",
        body=(body,),
        comments=(Comment(ref="1", text=comment, author="Reader"),),
    )


# --- ranking on the seeds -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("Worthington", [ID["003"]]),  # a name only post 003 has (body and comment 5.4)
        ("Seetec", [ID["004"]]),  # only in post 004
        ("probation -prison", [ID["000"]]),  # every other post says prison(s)/prisoner
        ('"short sentence"', [ID["003"]]),  # the phrase is in 003's body only
    ],
)
def test_distinctive_queries_rank_their_post_first(
    index: KeywordIndex, query: str, expected: list[str]
) -> None:
    assert ids(index.search(query)) == expected


def test_name_hit_quotes_body_and_comment_with_ref(index: KeywordIndex) -> None:
    (hit,) = index.search("Worthington")
    assert (hit.title, hit.date) == ("Probation Masterclass", date(2016, 2, 14))
    assert [(m.where, m.ref) for m in hit.matches] == [("body", None), ("comment", "5.4")]
    assert hit.matches[0].text == "Mike Worthington"
    assert marked(hit) == ["Worthington", "Worthington"]
    assert hit.score > 0


def test_plain_words_must_all_match(index: KeywordIndex) -> None:
    hits = index.search("short sentence")
    assert set(ids(hits)) == {ID["001"], ID["002"], ID["003"], ID["004"]}
    assert all(h.missing == () for h in hits)


def test_phrase_matches_only_where_the_phrase_occurs(index: KeywordIndex) -> None:
    (hit,) = index.search('"short sentence"')
    assert [m.text[a:b] for m in hit.matches for a, b in m.highlights] == ["short sentence"]
    assert hit.matches[0].text.startswith("The programme also extended supervision to short")


def test_phrase_with_stop_words_and_curly_quotes(index: KeywordIndex) -> None:
    hits = index.search("“definitely not probation”")
    assert ids(hits) == [ID["004"]]
    assert all(t.lower() == "definitely not probation" for t in marked(hits[0]))


def test_excluded_phrase(index: KeywordIndex) -> None:
    assert ID["004"] in ids(index.search("probation"))
    assert ID["004"] not in ids(index.search('probation -"definitely not"'))


def test_any_word_fallback_when_no_post_has_them_all(index: KeywordIndex) -> None:
    hits = index.search("Worthington Seetec")
    assert sorted(ids(hits)) == [ID["003"], ID["004"]]
    missing = {h.post_id: h.missing for h in hits}
    assert missing == {ID["003"]: ("Seetec",), ID["004"]: ("Worthington",)}


def test_stemming_finds_other_forms(index: KeywordIndex) -> None:
    hits = index.search("sentences")
    words = {w.lower() for h in hits for w in marked(h)}
    assert "sentence" in words and "sentences" in words
    assert terms("sentencing") == terms("sentence") == ["sentenc"]


def test_case_and_accent_folding(index: KeywordIndex) -> None:
    assert ids(index.search("NAÏVE")) == [ID["003"]]  # the seed says "naive"
    cafe = KeywordIndex.build([new_post("900_cafe", "We met at the Café Müller in Straße.")])
    (hit,) = cafe.search("cafe MULLER strasse")
    assert marked(hit) == ["Café", "Müller", "Straße"]


def test_passages_are_exact_diverse_and_capped(index: KeywordIndex, posts: list[Post]) -> None:
    by_id = {p.id: p for p in posts}
    for query in ("probation officers", "sentences", "CRC staff", "court reports"):
        for hit in index.search(query, limit=5, per_post=3):
            assert 1 <= len(hit.matches) <= 3
            post = by_id[hit.post_id]
            for m in hit.matches:
                comment = post.comment(m.ref or "")
                source = post.body_text if m.where == "body" else comment and comment.text
                assert source and m.text in source
                assert all(0 <= a < b <= len(m.text) for a, b in m.highlights)
            texts = [set(terms(m.text)) for m in hit.matches]
            for i, a in enumerate(texts):
                for b in texts[i + 1 :]:
                    assert len(a & b) / len(a | b) < 0.5


def test_repeated_quote_is_not_shown_twice() -> None:
    said = "The new pay deal for probation officers is an insult to every officer."
    post = replace(
        new_post("901_dup", "Nothing here.", said),
        comments=(
            Comment(ref="1", text=said),
            Comment(ref="2", text=f"> {said}\n\nAgreed, the pay deal is poor."),
            Comment(ref="3", text="The pay deal was signed in March by the unions."),
        ),
    )
    (hit,) = KeywordIndex.build([post]).search("pay deal", per_post=3)
    assert [m.text for m in hit.matches].count(said) == 1
    assert len(hit.matches) == 3


# --- did-you-mean and no match --------------------------------------------------------------


def test_no_match_suggests_closest_indexed_words(index: KeywordIndex) -> None:
    assert index.search("Worthingtn") == []
    assert index.suggest("Worthingtn") == ["worthington"]
    assert index.suggest("seetek probation")[0] == "seetec"  # then "seek"
    assert index.search('"short sentnce"') == []
    assert index.suggest('"short sentnce"')[0] == "sentence"  # phrase words too
    assert index.suggest("probaton oficers")[:2] == ["probation", "officers"]  # each word
    assert index.suggest("probation") == []  # every word is indexed
    assert index.suggest("xqzvv") == []  # nothing close


# --- bad input ------------------------------------------------------------------------------

BAD_QUERIES = {
    "": "empty query",
    "   \t ": "empty query",
    "\x00\x01\x7f\u200b": "empty query",
    "--probation": "only excluded words",
    "the of and what": "only common words",
    "-prison -jail": "only excluded words",
    "x" * 10_000: "query too long",
    "probation " * 1000: "query too long",
    "*": "no words",
    '"': "no words",
    "(": "no words",
    "NEAR": "only common words",
    "🙂🎉": "no words",
    " ".join(f"w{i}" for i in range(40)): "too many words",
}


@pytest.mark.parametrize("query", list(BAD_QUERIES), ids=lambda q: repr(q[:20]))
def test_bad_queries_get_a_short_helpful_message(index: KeywordIndex, query: str) -> None:
    with pytest.raises(QueryError) as caught:
        index.search(query)
    message = str(caught.value)
    assert message.startswith(BAD_QUERIES[query])
    assert "\n" not in message and len(message) < 160


@pytest.mark.parametrize(
    ("query", "same_as"),
    [
        ("probation*", "probation"),
        ("title:probation", "title probation"),
        ("(probation OR prison) AND NOT", "probation prison"),  # or/and/not are stop words
        ('NEAR("probation", "officer")', "probation officer"),
        ("probation 🙂", "probation"),
        ("probation\u202e\ud800", "probation"),
        ("^$.*+?()[]{}|\\ probation", "probation"),
        ("a" * 60 + " probation", "probation"),  # too long to be a word
    ],
)
def test_syntax_characters_are_plain_text(index: KeywordIndex, query: str, same_as: str) -> None:
    expected = ids(index.search(same_as))
    assert expected and ids(index.search(query)) == expected


@pytest.mark.parametrize("query", ['probation "unclosed phrase', "proba\x00tion"])
def test_queries_that_match_nothing_answer_empty(index: KeywordIndex, query: str) -> None:
    assert index.search(query) == []


_SHARED = KeywordIndex.build(load_folder(SEEDS).posts)


@settings(max_examples=60 if os.environ.get("CI") == "true" else 300, deadline=None)
@given(st.text(max_size=80))
def test_any_text_is_answered_or_refused_cleanly(text: str) -> None:
    try:
        hits = _SHARED.search(text)
    except QueryError as exc:
        assert str(exc) and "\n" not in str(exc)
    else:
        assert isinstance(hits, list)
    assert isinstance(_SHARED.suggest(text), list)


# --- incremental updates ---------------------------------------------------------------------


def segment_files(folder: Path) -> set[str]:
    return {p.name for p in folder.iterdir() if p.suffix in (".idx", ".pos", ".term")}


def test_adding_a_post_indexes_only_that_post(tmp_path: Path, posts: list[Post]) -> None:
    folder = tmp_path / "index"
    index = KeywordIndex.build(posts, folder)
    before = segment_files(folder)
    assert index.search("zanzibarian") == []
    assert index.add_or_update(new_post("900_new", "A zanzibarian view of probation.")) is True
    assert ids(index.search("zanzibarian")) == ["900_new"]
    assert before < segment_files(folder)  # old segments untouched, one new segment
    assert index.add_or_update(new_post("900_new", "A zanzibarian view of probation.")) is False


def test_changing_a_post_drops_its_old_text(index: KeywordIndex, posts: list[Post]) -> None:
    local = KeywordIndex.build(posts)
    local.add_or_update(new_post("900_new", "Quokkas everywhere.", "Reply about quokkas."))
    local.add_or_update(new_post("900_new", "Wombats everywhere.", "Reply about wombats."))
    assert local.search("quokkas") == []
    (hit,) = local.search("wombats")
    assert [m.where for m in hit.matches] == ["body", "comment"]


def test_sync_applies_a_reloaded_corpus_in_one_go(posts: list[Post]) -> None:
    local = KeywordIndex.build(posts)
    by_id = {p.id: p for p in posts}
    changed = replace(by_id[ID["004"]], body=("Seetec was renamed Wigwamco.",))
    corpus = [by_id[ID["000"]], by_id[ID["001"]], by_id[ID["002"]], changed]
    report = local.sync([*corpus, new_post("900_new", "Marmalade.")])
    assert (report.added, report.updated, report.removed) == (1, 1, 1)
    assert ids(local.search("Wigwamco")) == [ID["004"]]
    assert local.search("Worthington") == [] and ids(local.search("marmalade")) == ["900_new"]
    assert local.sync(local_posts := [*corpus, new_post("900_new", "Marmalade.")]).updated == 0
    assert len(local) == len(local_posts)


def test_removing_a_post(posts: list[Post]) -> None:
    local = KeywordIndex.build(posts)
    assert local.remove(ID["003"]) is True
    assert local.search("Worthington") == []
    assert local.remove(ID["003"]) is False
    assert len(local) == 4 and ID["003"] not in local


# --- the on-disk index: reuse, staleness, rebuilds -------------------------------------------


def test_reopening_an_up_to_date_index_reuses_it(tmp_path: Path, posts: list[Post]) -> None:
    folder = tmp_path / "index"
    assert KeywordIndex.open(folder, posts).report.rebuilt == "missing"
    again = KeywordIndex.open(folder, posts)
    assert (again.report.rebuilt, again.report.added, again.report.updated) == (None, 0, 0)
    assert again.on_disk and ids(again.search("Seetec")) == [ID["004"]]


def test_stale_index_is_brought_up_to_date(tmp_path: Path, posts: list[Post]) -> None:
    folder = tmp_path / "index"
    KeywordIndex.open(folder, posts)
    by_id = {p.id: p for p in posts}
    changed = replace(by_id[ID["004"]], body=("Seetec was renamed Wigwamco.",))
    corpus = [by_id[ID["000"]], by_id[ID["001"]], by_id[ID["002"]], changed]
    corpus.append(new_post("900_new", "Brand new post about marmalade."))
    index = KeywordIndex.open(folder, corpus)  # 003 deleted, 004 changed, 900 added
    report = index.report
    assert (report.rebuilt, report.added, report.updated, report.removed) == (None, 1, 1, 1)
    assert index.search("Worthington") == []
    assert ids(index.search("Wigwamco")) == [ID["004"]]
    assert ids(index.search("marmalade")) == ["900_new"]
    assert index.search('"carefully crafted"') == []  # the old body of 004 is gone


@pytest.mark.parametrize(
    ("damage", "reason"),
    [
        (lambda f: (f / MANIFEST).unlink(), "missing"),
        (lambda f: (f / MANIFEST).write_text(json.dumps({"format": 0})), "format changed"),
        (lambda f: (f / MANIFEST).write_text("{not json"), "unreadable manifest"),
        (lambda f: (f / "meta.json").write_text("garbage"), "unreadable"),
    ],
)
def test_damaged_index_is_rebuilt(
    tmp_path: Path, posts: list[Post], damage: object, reason: str
) -> None:
    folder = tmp_path / "index"
    KeywordIndex.open(folder, posts)
    damage(folder)  # type: ignore[operator]
    index = KeywordIndex.open(folder, posts)
    assert index.report.rebuilt is not None and index.report.rebuilt.startswith(reason)
    assert ids(index.search("Worthington")) == [ID["003"]]
    assert KeywordIndex.open(folder, posts).report.rebuilt is None  # healthy again


def test_locked_folder_falls_back_to_memory(tmp_path: Path, posts: list[Post]) -> None:
    folder = tmp_path / "index"
    KeywordIndex.open(folder, posts)
    holder = tantivy.Index.open(str(folder)).writer(heap_size=15_000_000)  # another writer
    try:
        index = KeywordIndex.open(folder, [*posts, new_post("900_new", "Marmalade.")])
        assert not index.report.on_disk
        assert ids(index.search("marmalade")) == ["900_new"]
    finally:
        holder.rollback()
        del holder


def test_foreign_folder_is_left_alone(tmp_path: Path, posts: list[Post]) -> None:
    folder = tmp_path / "notes"
    folder.mkdir()
    (folder / "todo.txt").write_text("keep me")
    index = KeywordIndex.open(folder, posts)
    assert not index.on_disk and (folder / "todo.txt").read_text() == "keep me"
    assert ids(index.search("Seetec")) == [ID["004"]]


def test_searches_during_updates_never_fail(posts: list[Post]) -> None:
    local = KeywordIndex.build(posts)
    errors: list[BaseException] = []
    done = threading.Event()

    def searcher() -> None:
        while not done.is_set():
            try:
                assert ids(local.search("Worthington")) == [ID["003"]]
                local.search("quokka probation")
            except BaseException as exc:  # collected and re-raised below
                errors.append(exc)
                return

    threads = [threading.Thread(target=searcher) for _ in range(3)]
    for thread in threads:
        thread.start()
    for n in range(10):
        local.add_or_update(new_post("900_new", f"Quokka number {n} on probation."))
    done.set()
    for thread in threads:
        thread.join()
    assert errors == []
    (hit,) = local.search("quokka")
    assert hit.matches[0].text == "Quokka number 9 on probation."
