"""The corpus is read only through its Sources: several of them merge, a clash is said."""

from __future__ import annotations

import shutil
from pathlib import Path

from bot.corpus.folder import FolderSource
from bot.corpus.sources import Corpus
from tests.app_fixtures import SEEDS

FIRST = "000_63c8db97991e146f.txt"


def test_two_sources_merge_and_an_id_both_give_is_said_once_first_wins(tmp_path: Path) -> None:
    mine, theirs = tmp_path / "mine", tmp_path / "theirs"
    shutil.copytree(SEEDS, mine)
    theirs.mkdir()
    (theirs / FIRST).write_text((SEEDS / FIRST).read_text().replace("Probation", "Parole", 1))
    (theirs / "900_other.txt").write_text((SEEDS / FIRST).read_text())
    corpus = Corpus((FolderSource(mine, name="mine"), FolderSource(theirs, name="theirs")))
    loaded = corpus.load()
    ids = [post.id for post in loaded.posts]
    assert len(ids) == len(set(ids)) == len(list(SEEDS.glob("*.txt"))) + 1
    first = next(post for post in loaded.posts if post.id == FIRST[:-4])
    assert "Parole" not in first.title  # the first source wins
    assert [str(p) for p in loaded.problems] == [
        f"theirs: post id {FIRST[:-4]} is also given by another source; this one is left out"
    ]
    assert [(s.name, s.posts) for s in corpus.statuses()] == [("mine", 5), ("theirs", 2)]


def test_the_signature_changes_only_when_a_source_changes(tmp_path: Path) -> None:
    shutil.copytree(SEEDS, tmp_path / "seeds")
    corpus = Corpus((FolderSource(tmp_path / "seeds"),))
    before = corpus.signature()
    assert corpus.signature() == before
    (tmp_path / "seeds" / "006_new.txt").write_text((SEEDS / FIRST).read_text())
    assert corpus.signature() != before
