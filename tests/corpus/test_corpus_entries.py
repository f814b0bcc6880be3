"""Odd entries in the corpus folder and replies out of order: each is one "skipped" line.

Run as the installed command (``digestbot corpus``) in a process, on real files in tmp_path: a
named pipe, a symlink loop, a dangling link, a folder named x.txt, ``dup.TXT`` beside
``dup.txt``, ``Notes.TXT``, a link out of the folder; and a reply numbered out of order.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from summariser import CorpusError, load_folder, parse_text

SEEDS = Path(__file__).resolve().parents[2] / "seeds"
DATED = re.compile(r"^\S+  \d{4}-\d\d-\d\d  ")  # a post's line in `digestbot corpus`
SECRET = "root:x:0:0:this-must-never-be-shown"


def corpus(folder: Path) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "bot", "--corpus", str(folder), "--data",
               str(folder.parent / "data"), "corpus"]  # fmt: skip
    return subprocess.run(command, capture_output=True, text=True, timeout=120)


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    seeds = tmp_path / "seeds"
    shutil.copytree(SEEDS, seeds)
    return seeds


def test_odd_entries_each_get_a_skipped_line_with_the_reason(folder: Path, tmp_path: Path) -> None:
    os.mkfifo(folder / "pipe.txt")
    (folder / "loop.txt").symlink_to("loop.txt")
    (folder / "dangling.txt").symlink_to("nowhere.txt")
    (folder / "x.txt").mkdir()
    shutil.copy(next(folder.glob("000_*.txt")), folder / "dup.txt")
    (folder / "dup.TXT").write_text("whatever", encoding="utf-8")
    (folder / "Notes.TXT").write_text("whatever", encoding="utf-8")
    done = corpus(folder)  # a pipe that were opened would hang this run: it is never opened
    assert done.returncode == 0, done.stderr
    skipped = sorted(line for line in done.stderr.splitlines() if "skipped" in line)
    expected = {
        "Notes.TXT": "seed file names end in lower-case .txt; rename it to Notes.txt",
        "dangling.txt": "a symbolic link to nothing (its target does not exist); fix or remove it",
        "dup.TXT": "same post id as dup.txt (names differ only in case); rename or remove one",
        "loop.txt": "a symbolic link that loops (it leads back to itself); fix or remove it",
        "pipe.txt": "not a regular file (a named pipe, socket or device); seed files are text",
        "x.txt": "a folder, not a seed file",
    }
    assert skipped == sorted(
        f"digestbot: skipped {folder / name}: {why}" for name, why in expected.items()
    )
    posts = [line.split()[0] for line in done.stdout.splitlines() if DATED.match(line)]
    assert len(posts) == 6 and "dup" in posts  # the five seeds and dup.txt


def test_a_link_out_of_the_folder_is_refused_without_showing_its_content(
    folder: Path, tmp_path: Path
) -> None:
    outside = tmp_path / "passwd"
    outside.write_text(f"{SECRET}\n", encoding="utf-8")
    (folder / "leak.txt").symlink_to(outside)
    (folder / "inside.txt").symlink_to(next(folder.glob("001_*.txt")))
    done = corpus(folder)
    assert done.returncode == 0
    assert SECRET not in done.stdout + done.stderr
    assert (
        f"digestbot: skipped {folder / 'leak.txt'}: a symbolic link to a file outside the "
        "corpus folder; copy the file in instead" in done.stderr.splitlines()
    )
    assert "inside" in done.stdout  # a link to a seed file inside the folder is read


REPLIES_OUT_OF_ORDER = """Tuesday, 14 June 2016

A title

Body text.

2 comments:

  1. Ann14 June 2016 at 08:08
    First comment.
    Replies
    1. Bob14 June 2016 at 09:00
      A reply.
    2. Cy14 June 2016 at 09:10
      Another reply.
    2. Dee14 June 2016 at 09:20
      A reply numbered out of order.
  2. Eve14 June 2016 at 10:00
    Second comment.
"""


def test_a_reply_numbered_out_of_order_is_refused_with_file_and_line(folder: Path) -> None:
    (folder / "005_bad.txt").write_text(REPLIES_OUT_OF_ORDER, encoding="utf-8")
    with pytest.raises(CorpusError) as caught:
        parse_text(REPLIES_OUT_OF_ORDER, post_id="005_bad", file="005_bad.txt")
    assert str(caught.value) == (
        "005_bad.txt:16: reply 2 follows reply 2 of comment 1: reply numbers must increase"
    )
    done = corpus(folder)
    assert f"digestbot: skipped {folder / '005_bad.txt'}:16: reply 2 follows reply 2" in done.stderr
    assert "005_bad" not in done.stdout


def test_the_seed_corpus_loads_as_before() -> None:
    result = load_folder(SEEDS)
    assert result.errors == ()
    assert [p.comment_count for p in result.posts] == COUNTS


COUNTS = [12, 39, 34, 32, 49]  # what the parser gave before replies were checked
