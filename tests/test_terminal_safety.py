"""Corpus text cannot drive the terminal: ESC/OSC/CSI, C1 and bidi controls printed safely.

A seed file whose title and text carry a clear-screen, a window-title OSC, an 8-bit CSI (U+009B),
a BEL, a backspace and a right-to-left override goes through every command that prints corpus
text (``corpus``, ``show``, ``summarise``, ``digest``, ``ask``), run as the installed command in a
process, as a user runs it. Nothing a terminal would obey reaches stdout or stderr; the escapes
show as visible ``\\u001b`` text, and ``--json`` stays valid JSON with the same data.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.cli import main
from summariser import parse_file

CLEAR, WINDOW_TITLE, CSI8, RLO = "\x1b[2J\x1b[H", "\x1b]0;pwned\x07", "\x9b31m", "\u202e"
TITLE = f"Prison{CLEAR} news {WINDOW_TITLE}{RLO}sdrawkcab{CSI8}"
BODY = (
    f"Probation officers met in Leeds.{CLEAR} They discussed court reports\x08\x08 and"
    f" community sentences.{WINDOW_TITLE} The{CSI8} probation service is not divided.\x1b[?1049h"
)
COMMENT = f"Probation{RLO} officers agree{CLEAR} with the report.\x1b]8;;http://evil.example\x07x"
# What a terminal would act on: C0 controls but \n and \t, DEL, C1, bidi embeddings/overrides.
FILLER = "Courts asked for faster reports while the probation service changed hands. " * 60
OBEYED = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def write_seed(folder: Path) -> Path:
    folder.mkdir()
    path = folder / "000_evil.txt"
    text = (
        "Tuesday, 14 June 2016\n\n"
        f"{TITLE}\n\n{BODY}\n\n{FILLER}\n\n2 comments:\n\n"
        f"  1. Ann14 June 2016 at 08:08\n    {COMMENT}\n\n"
        "  2. Bob14 June 2016 at 09:00\n    Probation work is hard but officers carry on.\n"
    )
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    write_seed(tmp_path / "seeds")
    return tmp_path / "seeds"


def run(corpus: Path, *argv: str) -> subprocess.CompletedProcess[str]:
    data = corpus.parent / "data"
    command = [sys.executable, "-m", "bot", "--corpus", str(corpus), "--data", str(data), *argv]
    env = {**os.environ, "PYTHONIOENCODING": "utf-8"}
    return subprocess.run(command, capture_output=True, text=True, timeout=120, env=env)


COMMANDS = [
    ("corpus",),
    ("show", "000"),
    ("summarise", "000", "--sentences", "3", "--comments", "2"),
    ("digest", "--now", "2026-11-23T08:00"),
    ("ask", "probation", "officers"),
]


@pytest.mark.parametrize("argv", COMMANDS, ids=[c[0] for c in COMMANDS])
def test_corpus_text_never_drives_the_terminal(corpus: Path, argv: tuple[str, ...]) -> None:
    done = run(corpus, *argv)
    assert done.returncode == 0, done.stderr
    assert OBEYED.search(done.stdout) is None, repr(done.stdout)
    assert OBEYED.search(done.stderr) is None, repr(done.stderr)
    assert "Prison\\u001b[2J\\u001b[H news" in done.stdout  # shown, not obeyed
    assert "sdrawkcab" in done.stdout  # the override is gone from the title, its text stays


@pytest.mark.parametrize("argv", COMMANDS, ids=[c[0] for c in COMMANDS])
def test_json_output_stays_valid_and_keeps_the_text(corpus: Path, argv: tuple[str, ...]) -> None:
    done = run(corpus, *argv, "--json")
    assert done.returncode == 0, done.stderr
    assert OBEYED.search(done.stdout) is None, repr(done.stdout)
    texts = list(strings(json.loads(done.stdout)))
    assert f"Prison{CLEAR} news {WINDOW_TITLE}sdrawkcab{CSI8}" in texts  # same data, bidi-free


def strings(value: object) -> Iterator[str]:
    """Every string inside a JSON value."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from strings(item)


def test_a_bad_file_name_with_escapes_is_shown_safely_on_stderr(tmp_path: Path) -> None:
    folder = tmp_path / "seeds"
    write_seed(folder)
    (folder / "\x1b]0;pwned\x07.txt").write_text("not a date\n", encoding="utf-8")
    done = run(folder, "corpus")
    assert done.returncode == 0
    assert "digestbot: skipped " in done.stderr
    assert "\\u001b]0;pwned\\u0007.txt" in done.stderr
    assert OBEYED.search(done.stderr) is None, repr(done.stderr)


def test_a_query_with_escapes_is_echoed_safely(corpus: Path) -> None:
    done = run(corpus, "ask", "zebra\x1b[2Jquagga")
    assert done.returncode == 0
    assert done.stdout.startswith('No posts match "zebra\\u001b[2Jquagga".')
    assert OBEYED.search(done.stdout + done.stderr) is None


def test_ask_on_a_terminal_keeps_its_bold_highlights_only(
    corpus: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys.stdout, "isatty", lambda: True, raising=False)
    data = corpus.parent / "data"
    assert main(["--corpus", str(corpus), "--data", str(data), "ask", "probation"]) == 0
    out = capsys.readouterr().out
    assert "\x1b[1mprobation\x1b[0m" in out.lower()
    assert set(re.findall(r"\x1b\[[0-9;]*m", out)) <= {"\x1b[1m", "\x1b[0m"}
    assert OBEYED.search(out.replace("\x1b[1m", "").replace("\x1b[0m", "")) is None


@pytest.mark.parametrize("bom", ["utf-16-le", "utf-16-be"])
def test_utf16_files_get_the_same_control_character_check(tmp_path: Path, bom: str) -> None:
    binaryish = "Tuesday, 14 June 2016\n\nTitle\n\n" + "\x01\x02\x03\x04\x05" * 40
    path = tmp_path / "000_x.txt"
    path.write_bytes("\ufeff".encode(bom) + binaryish.encode(bom))
    with pytest.raises(ValueError, match="looks like a binary file"):
        parse_file(path)
    utf8 = tmp_path / "001_x.txt"
    utf8.write_text(binaryish, encoding="utf-8")
    with pytest.raises(ValueError, match="looks like a binary file"):
        parse_file(utf8)


def test_bidi_controls_are_taken_out_of_titles(tmp_path: Path) -> None:
    post = parse_file(write_seed(tmp_path / "seeds"))
    assert post.title == f"Prison{CLEAR} news {WINDOW_TITLE}sdrawkcab{CSI8}"
    assert RLO in post.comments[0].text  # only titles are changed; text is shown escaped
