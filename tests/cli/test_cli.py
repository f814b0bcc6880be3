"""The `digestbot` command: stable JSON, exit codes, one-line errors."""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from bot.cli import build_parser, main

ROOT = Path(__file__).resolve().parents[2]
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


# --- newcomer basics: --version, options after the command, where the corpus is, full stdout ---


def test_version_prints_the_installed_version(capsys: pytest.CaptureFixture[str]) -> None:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert exit_code(["--version"]) == 0
    assert capsys.readouterr().out == f"digestbot {pyproject['project']['version']}\n"


def _one_post_config(tmp_path: Path) -> Path:
    """A config whose corpus is a folder holding only seed 003."""
    folder = tmp_path / "one"
    folder.mkdir()
    seed = next(SEEDS.glob("003_*.txt"))
    (folder / seed.name).write_bytes(seed.read_bytes())
    config = tmp_path / "x.toml"
    config.write_text('[corpus]\nfolder = "one"\n', encoding="utf-8")
    return config


@pytest.mark.parametrize(
    "argv",
    [
        ["--config", "{config}", "corpus", "--json"],
        ["corpus", "--config", "{config}", "--json"],
        ["corpus", "--json", "--config", "{config}"],
        ["--corpus", "{seeds}", "corpus", "--config", "{config}", "--json"],
    ],
)
def test_global_options_work_before_and_after_the_command(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], argv: list[str]
) -> None:
    values = {"config": str(_one_post_config(tmp_path)), "seeds": str(SEEDS)}
    assert main([a.format(**values) for a in argv]) == 0
    rows = json.loads(capsys.readouterr().out)
    expected = 5 if "--corpus" in argv else 1  # --corpus overrides the config's [corpus] folder
    assert len(rows) == expected


def test_an_option_after_the_command_overrides_the_same_option_before_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = _one_post_config(tmp_path)
    argv = ["--corpus", str(tmp_path / "missing"), "corpus", "--corpus", str(config.parent / "one")]
    assert main([*argv, "--json"]) == 0
    assert [r["id"] for r in json.loads(capsys.readouterr().out)] == ["003_15a94c804d3a0ae1"]


def test_bad_options_after_the_command_are_one_line_errors(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert exit_code(["corpus", "--config", "/nonexistent.toml"]) == 2
    assert capsys.readouterr().err == "digestbot: /nonexistent.toml: config file not found\n"
    assert exit_code(["summarise", "000", "--data"]) == 2
    err = capsys.readouterr().err
    assert "argument --data: expected one argument" in err and err.count("\n") == 1


def test_verbose_counts_before_and_after_the_command() -> None:
    from bot.cli.args import verbosity

    parser = build_parser()
    assert verbosity(parser.parse_args(["corpus"])) == 0
    assert verbosity(parser.parse_args(["-v", "corpus", "-v"])) == 2
    assert verbosity(parser.parse_args(["corpus", "-vv"])) == 2


def test_help_after_the_command_lists_the_global_options(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert exit_code(["ask", "--help"]) == 0
    out = capsys.readouterr().out
    for option in ("--config FILE", "--corpus DIR", "--data DIR", "--verbose"):
        assert option in out


def test_from_another_folder_the_shipped_seeds_are_used_and_the_user_is_told(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The autouse fixture runs this from tmp_path, which has no ./seeds."""
    assert main(["corpus", "--json"]) == 0
    captured = capsys.readouterr()
    assert len(json.loads(captured.out)) == 5
    assert captured.err.count("\n") == 1
    assert f"no seeds folder here ({tmp_path / 'seeds'})" in captured.err
    assert f"using the example posts that come with digestbot ({SEEDS})" in captured.err
    assert "--corpus DIR" in captured.err


def test_a_missing_corpus_folder_says_where_it_looked_and_how_to_point_at_one(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert exit_code(["corpus", "--corpus", "nope"]) == 2
    assert capsys.readouterr().err == (
        f"digestbot: --corpus nope: no such folder ({tmp_path / 'nope'}); "
        "give a folder of seed .txt files\n"
    )
    config = tmp_path / "c.toml"
    config.write_text('[corpus]\nfolder = "posts"\n', encoding="utf-8")
    assert exit_code(["--config", str(config), "show", "1"]) == 2
    assert capsys.readouterr().err == (
        f"digestbot: {config}: corpus.folder: no such folder ({tmp_path / 'posts'}); "
        "fix [corpus] folder there, or give --corpus DIR\n"
    )
    (tmp_path / "file.txt").write_text("x", encoding="utf-8")
    assert exit_code(["corpus", "--corpus", "file.txt"]) == 2
    assert "file.txt: a file, not a folder" in capsys.readouterr().err


def test_without_a_checkout_the_default_corpus_error_says_how_to_point_at_one(
    tmp_path: Path,
) -> None:
    """Installed from a wheel there are no shipped seeds to fall back to."""
    import io

    from bot.cli.locate import locate_corpus
    from bot.config import Config, ConfigError
    from bot.errors import UsageError

    err = io.StringIO()
    with pytest.raises(UsageError) as caught:
        locate_corpus(Config(), from_option=False, stderr=err, checkout=tmp_path)
    assert str(caught.value) == (
        f"no corpus: looked for the default ./seeds at {tmp_path / 'seeds'}: no such folder; "
        "point at a folder of seed .txt files with --corpus DIR, or [corpus] folder in a "
        "--config file (see config.example.toml)"
    )
    assert err.getvalue() == "" and not isinstance(caught.value, ConfigError)


def _cli(*argv: str, stdout: object, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", "--corpus", str(SEEDS), "--data", str(cwd / "d"), *argv],
        stdout=stdout,  # type: ignore[arg-type]
        stderr=subprocess.PIPE,
        text=True,
        cwd=cwd,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        timeout=120,
    )


FULL_MESSAGE = (
    "digestbot: cannot write the output: the device it goes to is full "
    "(free some space, or send the output elsewhere)\n"
)


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full (Linux)")
@pytest.mark.parametrize(
    "argv", [["corpus"], ["corpus", "--json"], ["show", "001"], ["summarise", "4", "--json"]]
)
def test_stdout_to_a_full_device_is_one_line_and_exit_2(tmp_path: Path, argv: list[str]) -> None:
    with open("/dev/full", "w") as full:
        proc = _cli(*argv, stdout=full, cwd=tmp_path)
    assert (proc.returncode, proc.stderr) == (2, FULL_MESSAGE)


def test_stdout_to_a_file_on_a_full_filesystem_is_one_line_and_exit_2(tmp_path: Path) -> None:
    if os.geteuid() != 0:
        pytest.skip("mounting a small tmpfs needs root")
    mount = tmp_path / "small"
    mount.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(mount)])
    if done.returncode != 0:
        pytest.skip("cannot mount a tmpfs here (no CAP_SYS_ADMIN in this container)")
    try:
        with open(mount / "filler", "wb") as filler, contextlib.suppress(OSError):
            filler.write(b"x" * 128 * 1024)  # fills the 64 KB
        with open(mount / "out.json", "w") as out:
            proc = _cli("show", "003", "--json", stdout=out, cwd=tmp_path)
        assert (proc.returncode, proc.stderr) == (2, FULL_MESSAGE)
    finally:
        subprocess.run(["umount", str(mount)], check=True)


def test_a_reader_that_goes_away_is_not_an_error_and_prints_nothing(tmp_path: Path) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot", "--corpus", str(SEEDS), "show", "001", "--json"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.close()  # like `| head` exiting before the command writes
    err = proc.stderr.read().decode()
    assert (proc.wait(timeout=120), err) == (0, "")


def test_run_on_an_unreachable_postgresql_stops_and_never_falls_back_to_tinydb(
    tmp_path: Path,
) -> None:
    """Asked for PostgreSQL and the database is down: one line naming it (exit 2), the password
    nowhere, and no TinyDB store made in its place."""
    config = tmp_path / "bot.toml"
    config.write_text(
        f'[corpus]\nfolder = "{SEEDS}"\n[store]\nbackend = "postgresql"\n', encoding="utf-8"
    )
    env = {**os.environ, "DIGESTBOT_DATABASE_URL": "postgresql://bot:s3cretpw@127.0.0.1:9/db"}
    proc = subprocess.run(
        [sys.executable, "-m", "bot", "--config", str(config), "run", "--frontend", "console"],
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        env=env,
        cwd=tmp_path,
        timeout=60,
    )
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.count("\n") == 1, proc.stderr
    assert "database bot@127.0.0.1:9/db is unreachable" in proc.stderr
    assert "s3cretpw" not in proc.stderr + proc.stdout
    assert not (tmp_path / "data" / "store").exists()
