"""The console as a person at a terminal sees it: `digestbot run` in a real terminal (tmux).

Keys are typed as a person types them and the screen is read back as shown, so these tests see
what the person sees: line editing and history, Ctrl-C and Ctrl-D, digests printed above the
prompt, answers wrapped to the terminal's width.
"""

from __future__ import annotations

import shutil
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.app_fixtures import SEEDS
from tests.console_process import command, set_clock
from tests.platforms.console.test_console import run_bot
from tests.terminal import Terminal, need_tmux

PROMPT = "digestbot> "
HELLO = "Hello! I summarise"


@pytest.fixture(autouse=True)
def _tmux() -> None:
    need_tmux()


@pytest.fixture
def terminals(tmp_path: Path) -> Iterator[list[Terminal]]:
    opened: list[Terminal] = []
    yield opened
    for terminal in opened:
        terminal.close()


def bot_argv(data: Path, corpus: Path = SEEDS) -> list[str]:
    return [sys.executable, "-m", "bot", "--corpus", str(corpus), "--data", str(data), "run"]


def at_prompt(term: Terminal, typed: str = "") -> None:
    """Wait until the prompt is back (keys typed before it would go to the terminal driver)."""
    term.wait_for(lambda: term.lines()[-1:] == [f"{PROMPT}{typed}".rstrip()], "the prompt")


def start(terminals: list[Terminal], folder: Path, argv: list[str], *, width: int = 80) -> Terminal:
    folder.mkdir(parents=True, exist_ok=True)
    terminal = Terminal(folder, argv, width=width)
    terminals.append(terminal)
    at_prompt(terminal)
    return terminal


def test_up_recalls_the_previous_command_also_after_a_restart(
    tmp_path: Path, terminals: list[Terminal]
) -> None:
    data = tmp_path / "data"
    term = start(terminals, tmp_path / "t1", bot_argv(data))
    term.send("/start", "Enter")
    term.wait_text(HELLO)
    at_prompt(term)  # keys typed before the prompt is back would be echoed by the terminal
    term.send("Up", "Enter")  # the same command again, without typing it
    term.wait_text(HELLO, count=2)
    assert f"{PROMPT}/start" in term.lines()
    assert "^[[A" not in term.text() and "Unknown command" not in term.text()
    at_prompt(term)
    term.send("C-d")
    assert term.wait_exit() == 0

    again = start(terminals, tmp_path / "t2", bot_argv(data))
    again.send("Up")  # history lives in the data folder
    again.wait_for(lambda: again.lines()[-1] == f"{PROMPT}/start", "/start recalled")
    again.send("Enter")
    again.wait_text(HELLO)
    at_prompt(again)
    again.send("C-d")
    assert again.wait_exit() == 0


def test_ctrl_c_clears_the_line_and_a_second_one_on_the_empty_line_quits(
    tmp_path: Path, terminals: list[Terminal]
) -> None:
    term = start(terminals, tmp_path / "t", bot_argv(tmp_path / "data"))
    term.send("/posts 99")
    at_prompt(term, "/posts 99")
    term.send("C-c")  # clears what was typed, at once (no Enter needed)
    at_prompt(term)
    term.send("/start", "Enter")
    term.wait_text(HELLO)
    assert "/posts 99/start" not in term.text() and "Unknown command" not in term.text()
    assert term.exit_status() is None  # still running
    at_prompt(term)
    term.send("C-c")  # on an empty line: says how to quit, does not quit yet
    term.wait_text("Ctrl-C again")
    assert term.exit_status() is None
    term.send("C-c")
    assert term.wait_exit() == 0
    assert "Traceback" not in term.text() and "interrupted" not in term.text()


def test_a_digest_due_while_the_prompt_is_shown_prints_above_it(
    tmp_path: Path, terminals: list[Terminal]
) -> None:
    clock = tmp_path / "clock"
    set_clock(clock, datetime(2026, 11, 23, 7, 0, tzinfo=UTC))
    argv = command(tmp_path / "data", SEEDS, clock, every=1)
    term = start(terminals, tmp_path / "t", argv)
    term.send("/subscribe 08:00 UTC", "Enter")
    term.wait_text("Subscribed.")
    at_prompt(term)
    term.send("/hel")  # half typed when the digest arrives
    at_prompt(term, "/hel")

    set_clock(clock, datetime(2026, 11, 23, 8, 0, 30, tzinfo=UTC))
    term.wait_text("Daily digest, Monday 23 November 2026")
    at_prompt(term, "/hel")  # the prompt is below the digest, what was typed still on it
    lines = term.lines()
    digest_at = next(i for i, line in enumerate(lines) if line.startswith("Daily digest"))
    assert lines[digest_at - 1] == "" or lines[digest_at - 1].startswith("Change it")
    assert not any(line.startswith(f"{PROMPT}/hel") for line in lines[:-1])  # not overwritten
    term.send("p", "Enter")  # what was typed survived: /help runs
    term.wait_text("/help — this list of commands")
    at_prompt(term)
    term.send("C-d")
    assert term.wait_exit() == 0


def answer(lines: list[str], typed: str) -> list[str]:
    """The lines printed between ``typed`` at the prompt and the next prompt."""
    start = lines.index(f"{PROMPT}{typed}") + 1
    end = next(i for i in range(start, len(lines)) if lines[i].startswith(PROMPT.rstrip()))
    return lines[start:end]


def test_a_long_answer_is_wrapped_at_the_terminal_width_without_cutting_words(
    tmp_path: Path, terminals: list[Terminal]
) -> None:
    data = tmp_path / "data"
    width = 50
    term = start(terminals, tmp_path / "t", bot_argv(data), width=width)
    term.send("/post 1", "Enter")
    term.wait_text("Top comments")
    at_prompt(term)
    shown = answer(term.lines(), "/post 1")
    term.send("C-d")
    assert term.wait_exit() == 0

    piped = run_bot(data, "/post 1\n").stdout  # the same answer, unwrapped
    assert " ".join(shown).split() == piped.split()  # every word whole, none lost or cut
    assert max(len(line) for line in shown) <= width
    assert max(len(line) for line in piped.splitlines()) > width  # so wrapping was needed
    assert sum(len(line) > width - 15 for line in shown) > 5  # filled, not chopped short


def test_a_new_and_a_bad_seed_file_are_announced_once(
    tmp_path: Path, terminals: list[Terminal]
) -> None:
    corpus = tmp_path / "seeds"
    shutil.copytree(SEEDS, corpus)
    clock = tmp_path / "clock"
    set_clock(clock, datetime(2026, 11, 23, 7, 0, tzinfo=UTC))
    argv = command(tmp_path / "data", corpus, clock, every=1)
    term = start(terminals, tmp_path / "t", argv, width=250)  # the notice names full paths
    new = (
        (SEEDS / "000_63c8db97991e146f.txt")
        .read_text()
        .replace("News from Probation Institute 2", "A brand new post", 1)
    )
    (corpus / "006_new.txt").write_text(new)
    (corpus / "bad.txt").write_text("not a date\n\nTitle\n")
    term.wait_text("corpus: 1 post added (006_new: 'A brand new post')")
    term.wait_text("bad.txt skipped: line 1:")
    at_prompt(term)  # below the notices
    set_clock(clock, datetime(2026, 11, 23, 7, 5, tzinfo=UTC))
    (corpus / "007_other.txt").write_text(new.replace("A brand new post", "Another one", 1))
    term.wait_text("corpus: 1 post added (007_other: 'Another one')")
    term.send("/start", "Enter")  # a few more ticks go by while it answers
    term.wait_text(HELLO)
    text = term.text()
    assert text.count("006_new") == 1 and text.count("bad.txt skipped") == 1
    at_prompt(term)
    term.send("C-d")
    assert term.wait_exit() == 0


def test_piped_stdin_has_no_prompt_no_escape_codes_and_no_history(tmp_path: Path) -> None:
    proc = run_bot(tmp_path / "data", "/start\n")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith(HELLO)
    assert "\x1b" not in proc.stdout and PROMPT not in proc.stdout
    assert not (tmp_path / "data" / "console_history").exists()


def test_a_history_that_cannot_be_used_is_said_once_and_the_console_goes_on(
    tmp_path: Path, terminals: list[Terminal]
) -> None:
    data = tmp_path / "data"
    (data / "console_history").mkdir(parents=True)  # a folder where the history file goes
    term = start(terminals, tmp_path / "t", bot_argv(data), width=200)
    term.send("/start", "Enter")
    term.wait_text(HELLO)
    at_prompt(term)
    term.send("/start", "Enter")
    term.wait_text(HELLO, count=2)
    at_prompt(term)
    term.send("C-d")
    assert term.wait_exit() == 0
    assert term.text().count("console history not") == 1
    assert "Traceback" not in term.text()
