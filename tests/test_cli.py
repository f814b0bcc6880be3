"""The `digestbot` command: stable JSON, exit codes, one-line errors."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from bot.cli import build_parser, main

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"


@pytest.fixture(autouse=True)
def _data_in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The default data folder is ./data: run every command from a scratch folder."""
    monkeypatch.chdir(tmp_path)


def run_json(capsys: pytest.CaptureFixture[str], *argv: str) -> object:
    assert main(["--corpus", str(SEEDS), *argv, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_corpus_json_rows(capsys: pytest.CaptureFixture[str]) -> None:
    rows = run_json(capsys, "corpus")
    assert isinstance(rows, list) and len(rows) == 5
    assert rows[1] == {
        "id": "001_5f742a47d0832f90",
        "date": "2018-07-15",
        "title": "News From Probation Institute 6",
        "comments": {"declared": 39, "parsed": 39, "top_level": 18, "replies": 21},
    }
    assert rows[0]["comments"] == {"declared": None, "parsed": 12, "top_level": 10, "replies": 2}


def test_show_json_tree(capsys: pytest.CaptureFixture[str]) -> None:
    post = run_json(capsys, "show", "000")
    assert isinstance(post, dict)
    assert sorted(post) == ["body", "comments", "date", "id", "title"]
    assert post["id"] == "000_63c8db97991e146f" and post["date"] == "2016-06-14"
    second = post["comments"][1]
    assert second["ref"] == "2" and second["author"] == "Probation Officer"
    assert second["posted_at"] == "2016-06-14T08:08"
    five = post["comments"][4]
    assert [r["ref"] for r in five["replies"]] == ["5.1", "5.2"]
    assert sorted(five["replies"][0]) == ["author", "posted_at", "ref", "replies", "text"]


def test_summarise_json_quotes_verbatim(capsys: pytest.CaptureFixture[str]) -> None:
    summary = run_json(capsys, "summarise", "004", "--sentences", "2", "--comments", "3")
    assert isinstance(summary, dict)
    assert sorted(summary) == ["body", "comments", "id", "title"]
    assert len(summary["body"]) == 2 and len(summary["comments"]) == 3
    text = (next(SEEDS.glob("004_*.txt"))).read_text(encoding="utf-8").replace("\xa0", " ")
    for sentence in summary["body"] + [c["text"] for c in summary["comments"]]:
        assert sentence in text


def exit_code(argv: list[str]) -> int:
    """main() returns the code; argparse errors leave through SystemExit."""
    try:
        return main(argv)
    except SystemExit as exc:
        return int(exc.code or 0)


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["show", "999"], "unknown post id '999'"),
        (["summarise", "nope"], "unknown post id 'nope'"),
        (["summarise", "000", "--sentences", "x"], "'x' is not a whole number"),
        (["summarise", "000", "--sentences", "0"], "0 is out of range 1..50"),
        (["summarise", "000", "--method", "magic"], "invalid choice: 'magic'"),
        (["frobnicate"], "invalid choice: 'frobnicate'"),
        (["--config", "/nonexistent.toml", "corpus"], "config file not found"),
    ],
)
def test_bad_arguments_one_line_exit_2(
    capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    assert exit_code(["--corpus", str(SEEDS), *argv]) == 2
    err = capsys.readouterr().err
    assert message in err
    assert err.count("\n") == 1 and "Traceback" not in err


def test_installed_command_exits_2_without_traceback() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "bot", "--corpus", str(SEEDS), "show", "does-not-exist"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 2
    assert (
        proc.stderr.strip()
        == "digestbot: unknown post id 'does-not-exist' (list them with: digestbot corpus)"
    )


def test_bad_seed_file_reported_on_stderr_but_corpus_lists_the_rest(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for path in SEEDS.glob("*.txt"):
        (tmp_path / path.name).write_bytes(path.read_bytes())
    (tmp_path / "zzz.txt").write_text("not a date\n", encoding="utf-8")
    assert main(["--corpus", str(tmp_path), "corpus", "--json"]) == 0
    captured = capsys.readouterr()
    assert len(json.loads(captured.out)) == 5
    assert f"digestbot: skipped {tmp_path / 'zzz.txt'}:1: expected a date line" in captured.err


def test_every_command_is_documented_in_the_readme() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    for name in sub.choices:  # type: ignore[union-attr]
        if name == "summarize":
            continue
        assert f"`digestbot {name}" in readme, f"digestbot {name} is not in README.md"
