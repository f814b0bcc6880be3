"""A fresh clone: the licence, and what `make run` / `make test` say while they set up.

The install itself (about a minute with the network) is not repeated here; the failure path is,
with an interpreter that does not exist: the user is told first what is happening, and on
failure sees the end of pip's log and where the whole log is.
"""

from __future__ import annotations

import shutil
import subprocess
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FIRST_RUN = "digestbot: first run, installing into .venv (about a minute)..."


def test_license_is_the_mit_licence_pyproject_declares() -> None:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert pyproject["project"]["license"] == "MIT"
    text = (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert text.startswith("MIT License\n\nCopyright (c) 2026 the digestbot authors\n")
    assert 'THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND' in text


@pytest.mark.parametrize("target", ["run", "test"])
def test_first_use_says_it_is_installing_and_a_failure_shows_the_log(
    tmp_path: Path, target: str
) -> None:
    if shutil.which("make") is None:
        pytest.skip("make is not installed")
    for name in ("Makefile", "pyproject.toml"):
        shutil.copy(ROOT / name, tmp_path / name)
    proc = subprocess.run(
        ["make", "--no-print-directory", target, "PYTHON=/nonexistent/python3"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    lines = proc.stdout.splitlines()
    assert proc.returncode != 0
    assert lines[0] == FIRST_RUN
    assert "/nonexistent/python3" in proc.stdout  # the end of the log: what went wrong
    assert (
        lines[-1] == "digestbot: installing into .venv failed (above: the end of .venv/install.log)"
    )
    assert (tmp_path / ".venv" / "install.log").is_file()
    assert not (tmp_path / ".venv" / ".installed").exists()


def test_an_installed_venv_is_not_reinstalled() -> None:
    """With the stamp newer than pyproject.toml, `make run` goes straight to the bot."""
    stamp = ROOT / ".venv" / ".installed"
    if not stamp.exists() or stamp.stat().st_mtime < (ROOT / "pyproject.toml").stat().st_mtime:
        pytest.skip("this checkout's .venv is not installed by make")
    proc = subprocess.run(
        ["make", "--no-print-directory", "-n", "run"], cwd=ROOT, capture_output=True, text=True
    )
    assert proc.stdout.splitlines() == [".venv/bin/digestbot run"]
