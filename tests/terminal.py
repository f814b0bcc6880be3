"""A real terminal for tests: a program run in a tmux pane, driven by keys, read as a screen.

tmux is a full terminal emulator: ``send-keys`` types as a person does (``Up``, ``C-c``,
``C-d``) and ``capture-pane`` returns the screen as the person sees it, after every escape
sequence and line wrap the program produced. Each :class:`Terminal` runs its own tmux server
on a socket in the test's folder, so nothing is shared with other tmux users.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SESSION = "t"
# tmux does not always learn a pane's exit status (#{pane_dead_status} can stay empty), so the
# shell around the program prints it; the pane stays open after the program exits.
REPORT = '"$@"; echo "[exit status $?]"'
EXIT = re.compile(r"^\[exit status (\d+)\]$")


def need_tmux() -> None:
    if shutil.which("tmux") is None:
        pytest.skip("tmux is not installed: the interactive console needs a real terminal")


class Terminal:
    """``argv`` running in a ``width`` x ``height`` terminal; the pane stays after it exits."""

    def __init__(
        self, folder: Path, argv: Sequence[str], *, width: int = 80, height: int = 40
    ) -> None:
        need_tmux()
        self.socket = folder / "tmux.sock"
        self.env = {k: v for k, v in os.environ.items() if not k.startswith(("TMUX", "DIGESTBOT"))}
        self.env["TERM"] = "xterm-256color"
        self.width = width
        self._tmux(
            "-f", "/dev/null", "new-session", "-d", "-s", SESSION, "-x", str(width),
            "-y", str(height), "-c", str(ROOT), "--", "sh", "-c", REPORT, "sh", *argv, ";",
            "set-option", "-t", SESSION, "remain-on-exit", "on", ";",
            "set-option", "-t", SESSION, "history-limit", "5000",
        )  # fmt: skip

    def _tmux(self, *args: str) -> str:
        done = subprocess.run(
            ["tmux", "-S", str(self.socket), *args],
            capture_output=True,
            text=True,
            env=self.env,
            timeout=30,
            check=True,
        )
        return done.stdout

    def send(self, *keys: str) -> None:
        """tmux key names (``Enter``, ``Up``, ``C-c``) or text typed literally with ``-l``."""
        for key in keys:
            if key in {"Enter", "Up", "Down", "Left", "Right", "BSpace", "C-c", "C-d"}:
                self._tmux("send-keys", "-t", SESSION, key)
            else:
                self._tmux("send-keys", "-t", SESSION, "-l", key)

    def _capture(self) -> list[str]:
        text = self._tmux("capture-pane", "-p", "-t", SESSION, "-S", "-", "-E", "-")
        lines = [line.rstrip() for line in text.split("\n")]
        while lines and not lines[-1]:
            lines.pop()
        return lines

    def lines(self) -> list[str]:
        """What the program has shown so far (scrollback included), trailing blank lines cut."""
        lines = [line for line in self._capture() if not line.startswith("Pane is dead")]
        if lines and EXIT.match(lines[-1]):
            lines.pop()
        return lines

    def text(self) -> str:
        return "\n".join(self.lines())

    def exit_status(self) -> int | None:
        """The program's exit status once it has exited, else None."""
        found = [m for m in map(EXIT.match, self._capture()) if m]
        return int(found[-1].group(1)) if found else None

    def wait_for(self, condition: Callable[[], bool], what: str, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while not condition():
            if time.monotonic() > deadline:
                raise AssertionError(f"after {timeout:g} s: {what}; the screen:\n{self.text()}")
            time.sleep(0.05)

    def wait_text(self, text: str, count: int = 1, timeout: float = 60) -> None:
        self.wait_for(lambda: self.text().count(text) >= count, f"{text!r} shown {count}x", timeout)

    def wait_exit(self, timeout: float = 60) -> int:
        self.wait_for(lambda: self.exit_status() is not None, "the program exited", timeout)
        status = self.exit_status()
        assert status is not None
        return status

    def close(self) -> None:
        subprocess.run(
            ["tmux", "-S", str(self.socket), "kill-server"], capture_output=True, env=self.env
        )
