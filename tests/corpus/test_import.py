"""`digestbot import FILE`: a Blogger Takeout export and a WordPress WXR file into the corpus,
with comments nested by their parents; drafts, pages, spam and pingbacks left out; once."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.cli import main
from tests.feed_fixtures import DATA

ROOT = Path(__file__).resolve().parents[2]


def feeds_only(tmp_path: Path) -> Path:
    """A config with no corpus folder at all (and no seeds folder next to it)."""
    config = tmp_path / "config.toml"
    config.write_text('[data]\nfolder = "data"\n[corpus]\nfeeds = []\nfolder = "posts"\n')
    return config


def corpus_json(capsys: pytest.CaptureFixture[str], *argv: str) -> list[dict[str, object]]:
    capsys.readouterr()
    assert main([*argv, "corpus", "--json"]) == 0
    return list(json.loads(capsys.readouterr().out))


def test_blogger_takeout_import_needs_no_corpus_folder_and_nests_replies(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "data"
    assert not (tmp_path / "posts").exists()
    code = main(["--data", str(data), "import", str(DATA / "takeout_feed.atom"), "--name", "blog"])
    out = capsys.readouterr().out
    assert code == 0
    assert out.startswith("imported Blogger export ") and "1 new posts, 2 new comments" in out
    (tmp_path / "posts").mkdir()  # an empty seed folder: the import is the whole corpus
    rows = corpus_json(capsys, "--corpus", str(tmp_path / "posts"), "--data", str(data))
    assert [(r["title"], r["comments"]) for r in rows] == [
        ("Omnishambles", {"declared": None, "parsed": 2, "top_level": 1, "replies": 1})
    ]  # the draft, the page and the deleted comment are left out
    post_id = str(rows[0]["id"])
    assert main(["--corpus", str(tmp_path / "posts"), "--data", str(data), "show", post_id,
                 "--json"]) == 0  # fmt: skip
    shown = json.loads(capsys.readouterr().out)
    [comment] = shown["comments"]
    assert comment["author"] == "Anonymous"
    assert [r["text"] for r in comment["replies"]] == ["Quite so\n\nand the paperwork doubles."]


def test_wordpress_wxr_import_once_then_again_adds_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "data"
    argv = ["--data", str(data), "import", str(DATA / "wordpress.wxr")]
    assert main(argv) == 0
    assert "1 new posts, 2 new comments" in capsys.readouterr().out
    assert main(argv) == 0  # the same file again: merged, nothing doubled
    assert "0 new posts, 0 new comments (1 posts in import 'wordpress'" in capsys.readouterr().out
    (tmp_path / "posts").mkdir()
    rows = corpus_json(capsys, "--corpus", str(tmp_path / "posts"), "--data", str(data))
    assert [(r["title"], r["comments"]) for r in rows] == [
        ("Why the broad beans failed",
         {"declared": None, "parsed": 2, "top_level": 1, "replies": 1})
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("<feed><entry><id>x</id>", ":1: not well-formed XML"),
        ("<html><body>hello</body></html>", "not a Blogger export (.atom) or a WordPress export"),
    ],
)
def test_a_bad_export_is_one_line_naming_the_file(
    tmp_path: Path, content: str, expected: str
) -> None:
    bad = tmp_path / "export.xml"
    bad.write_text(content)
    env = {k: v for k, v in os.environ.items() if not k.startswith("DIGESTBOT")}
    done = subprocess.run(
        [sys.executable, "-m", "bot", "--data", str(tmp_path / "data"), "import", str(bad)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and done.stderr.startswith(f"digestbot: {bad}")
    assert expected in done.stderr
    assert not (tmp_path / "data" / "imports").exists()  # nothing written
