"""`digestbot ask`: the JSON contract, plain text with bold on a terminal, exit codes, the index."""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path

import pytest

from bot.cli import main

SEEDS = Path(__file__).resolve().parents[2] / "seeds"
WORTHINGTON = "003_15a94c804d3a0ae1"


@pytest.fixture
def dirs(tmp_path: Path) -> tuple[Path, Path]:
    corpus = tmp_path / "seeds"
    shutil.copytree(SEEDS, corpus)
    return corpus, tmp_path / "data"


def ask(dirs: tuple[Path, Path], *argv: str) -> int:
    corpus, data = dirs
    try:
        return main(["--corpus", str(corpus), "--data", str(data), "ask", *argv])
    except SystemExit as exc:  # argparse errors
        return int(exc.code or 0)


def test_json_shape(dirs: tuple[Path, Path], capsys: pytest.CaptureFixture[str]) -> None:
    assert ask(dirs, "Worthington", "--json") == 0
    answer = json.loads(capsys.readouterr().out)
    assert sorted(answer) == ["query", "results"] and answer["query"] == "Worthington"
    (result,) = answer["results"]
    assert sorted(result) == ["date", "matches", "post_id", "score", "title"]
    assert (result["post_id"], result["title"], result["date"]) == (
        WORTHINGTON,
        "Probation Masterclass",
        "2016-02-14",
    )
    assert isinstance(result["score"], float) and result["score"] > 0
    body, comment = result["matches"]
    assert body == {
        "where": "body",
        "ref": None,
        "author": None,
        "text": "Mike Worthington",
        "highlights": [[5, 16]],
    }
    assert sorted(comment) == ["author", "highlights", "ref", "text", "where"]
    assert (comment["where"], comment["ref"]) == ("comment", "5.4")
    ((start, end),) = comment["highlights"]
    assert comment["text"][start:end] == "Worthington"


def test_limit_and_passages(dirs: tuple[Path, Path], capsys: pytest.CaptureFixture[str]) -> None:
    assert ask(dirs, "probation", "officers", "--limit", "2", "--passages", "1", "--json") == 0
    results = json.loads(capsys.readouterr().out)["results"]
    assert len(results) == 2 and all(len(r["matches"]) == 1 for r in results)
    assert results[0]["score"] >= results[1]["score"]


def test_plain_text_without_terminal_has_no_ansi(
    dirs: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    assert ask(dirs, "Seetec") == 0
    out = capsys.readouterr().out
    assert "\x1b[" not in out
    assert out.startswith("\n1. It's Definitely not Probation  (2016-03-05, 004_ef1d1aa6b437a289)")
    assert "   [3]: This from the website of Seetec, owners of KSSCRC:" in out


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_terminal_gets_bold_query_words(
    dirs: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    screen = Terminal()
    monkeypatch.setattr("sys.stdout", screen)
    assert ask(dirs, "Worthington") == 0
    assert "   body: Mike \x1b[1mWorthington\x1b[0m\n" in screen.getvalue()


def test_no_match_says_so_and_suggests(
    dirs: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    assert ask(dirs, "Worthingtn") == 0
    assert capsys.readouterr().out == 'No posts match "Worthingtn". Did you mean: worthington?\n'
    assert ask(dirs, "Worthingtn", "--json") == 0
    captured = capsys.readouterr()
    assert json.loads(captured.out) == {"query": "Worthingtn", "results": []}
    assert captured.err == 'digestbot: No posts match "Worthingtn". Did you mean: worthington?\n'


def test_any_word_fallback_is_announced(
    dirs: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    assert ask(dirs, "Worthington", "Seetec") == 0
    out = capsys.readouterr().out
    assert out.startswith('No post has all the words of "Worthington Seetec"; posts with some')
    assert "(without: Seetec)" in out and "(without: Worthington)" in out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        ([""], "digestbot: empty query: type one or more words"),
        (["the of"], "digestbot: only common words (the, of)"),
        (["x" * 10_000], "digestbot: query too long (10000 characters): use at most 500"),
        (["--", "-prison"], "digestbot: only excluded words"),
        (["*", "(", ":"], "digestbot: no words to search for"),
        (["🙂"], "digestbot: no words to search for"),
    ],
)
def test_bad_query_is_one_line_and_exit_2(
    dirs: tuple[Path, Path], capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    assert ask(dirs, *argv) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith(message) and captured.err.count("\n") == 1


@pytest.mark.parametrize("argv", [["x", "--limit", "0"], ["x", "--limit", "many"], []])
def test_bad_arguments_exit_2(
    dirs: tuple[Path, Path], capsys: pytest.CaptureFixture[str], argv: list[str]
) -> None:
    assert ask(dirs, *argv) == 2
    assert capsys.readouterr().err.count("\n") == 1


def test_index_lives_in_data_dir_and_follows_the_corpus(
    dirs: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    corpus, data = dirs
    assert ask(dirs, "Worthington", "--json") == 0
    assert (data / "index" / "digestbot-index.json").is_file()
    seed = next(corpus.glob("003_*.txt"))
    seed.write_text(
        seed.read_text(encoding="utf-8").replace("Worthington", "Wetherby"), encoding="utf-8"
    )
    capsys.readouterr()
    assert ask(dirs, "Worthington", "--json") == 0
    assert json.loads(capsys.readouterr().out)["results"] == []
    assert ask(dirs, "Wetherby", "--json") == 0
    assert [r["post_id"] for r in json.loads(capsys.readouterr().out)["results"]] == [WORTHINGTON]
