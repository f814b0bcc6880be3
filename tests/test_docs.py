"""The documentation says what the code does (after sqlite-utils' tests/test_docs.py).

Every sub-command with each of its options, every global option, every chat command and every
configuration key is documented; every link between the README, docs/ and deploy/ leads to a file
and heading that exist; every test docs/guarantees.md names as proof exists; the README's first
screen is the quick start; and its transcript is what the console prints for that input today.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tomllib
from dataclasses import fields
from pathlib import Path

import pytest

from bot.chat.handlers import build_commands
from bot.cli import build_parser
from bot.config import DigestDefaults, SlackConfig, StoreConfig, SummaryConfig, TelegramConfig

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
GLOBAL = {"--config", "--corpus", "--data", "-v", "--verbose", "-h", "--help"}


def readme() -> str:
    return README.read_text(encoding="utf-8")


def section(text: str, heading: str) -> str:
    """The text under a '## heading' up to the next '## ' heading."""
    start = text.index(f"\n## {heading}\n")
    end = text.find("\n## ", start + 1)
    return text[start : end if end != -1 else None]


def sub_parsers() -> dict[str, argparse.ArgumentParser]:
    action = next(a for a in build_parser()._actions if a.dest == "command")
    choices: dict[str, argparse.ArgumentParser] = action.choices  # type: ignore[assignment]
    seen: dict[int, str] = {}
    for name, parser in choices.items():
        seen.setdefault(id(parser), name)  # the first name of a parser; aliases share it
    return {name: choices[name] for name in seen.values()}


@pytest.mark.parametrize("name", sorted(sub_parsers()))
def test_every_sub_command_and_its_options_are_in_the_readme(name: str) -> None:
    table = section(readme(), "Command line").replace("\\|", "|")
    rows = [line for line in table.splitlines() if line.startswith(f"| `digestbot {name}")]
    assert len(rows) == 1, f"README's command table has no row for digestbot {name}"
    for action in sub_parsers()[name]._actions:
        for option in action.option_strings:
            if option not in GLOBAL:
                assert option in rows[0], f"digestbot {name} {option} is not in its README row"
        if not action.option_strings and action.metavar:
            assert str(action.metavar) in rows[0]


def test_every_global_option_is_in_the_readme() -> None:
    table = section(readme(), "Command line")
    options = {o for a in build_parser()._actions for o in a.option_strings} - {"-h", "--help"}
    for option in options:
        assert f"`{option}" in table, f"digestbot {option} is not in README's option table"


def test_every_chat_command_and_alias_is_in_the_readme() -> None:
    chat = section(readme(), "Chatting with the bot")
    for name in build_commands().names():
        assert f"`/{name}" in chat, f"/{name} is not in README's chat commands"


def config_keys() -> set[str]:
    keys = {"corpus.folder", "data.folder", "bot.frontends", "console.admins"}
    for prefix, cls in (
        ("summary", SummaryConfig),
        ("digest", DigestDefaults),
        ("slack", SlackConfig),
    ):
        keys |= {f"{prefix}.{f.name}" for f in fields(cls)}
    keys |= {f"store.{f.name}" for f in fields(StoreConfig)}
    return keys | {f"telegram.{f.name}" for f in fields(TelegramConfig)}


def test_every_configuration_key_is_in_the_example_and_the_readme() -> None:
    example = tomllib.loads((ROOT / "config.example.toml").read_text(encoding="utf-8"))
    assert {f"{s}.{k}" for s, table in example.items() for k in table} == config_keys()
    table = section(readme(), "Configuration")
    slack = (ROOT / "docs" / "slack.md").read_text(encoding="utf-8")
    for key in config_keys():
        part, name = key.split(".")
        row = next(line for line in table.splitlines() if line.startswith(f"| `[{part}]`"))
        if part == "slack":  # README's row points to docs/slack.md, whose [slack] has every key
            assert "docs/slack.md" in row and f"\n{name} = " in slack, f"{key} not in slack.md"
        else:
            assert f"`{name}`" in row, f"{key} is not in README's configuration table"


def documents() -> list[Path]:
    """Our own pages; docs/changes/ is written by others and folded in later."""
    return [README, ROOT / "deploy" / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


def slugs(path: Path) -> set[str]:
    """GitHub's anchors for the headings of a Markdown file (outside code blocks)."""
    found: set[str] = set()
    in_code = False
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("```"):
            in_code = not in_code
        elif not in_code and (heading := re.match(r"#{1,6} (.+)", line)):
            slug = re.sub(r"[^\w\- ]", "", heading.group(1).strip().lower()).replace(" ", "-")
            n, unique = 0, slug
            while unique in found:
                n += 1
                unique = f"{slug}-{n}"
            found.add(unique)
    return found


@pytest.mark.parametrize("page", documents(), ids=lambda p: str(p.relative_to(ROOT)))
def test_every_link_leads_to_a_file_and_heading_that_exist(page: Path) -> None:
    text = re.sub(r"```.*?```", "", page.read_text(encoding="utf-8"), flags=re.S)
    for target in re.findall(r"\]\(([^)\s]+)\)", text):
        if re.match(r"[a-z]+:", target):
            continue  # https:, mailto:
        file, _, anchor = target.partition("#")
        path = (page.parent / file).resolve() if file else page
        assert path.exists(), f"{page.name}: link to {target}: no such file"
        if anchor:
            assert anchor in slugs(path), f"{page.name}: link to {target}: no such heading"


def test_every_test_named_as_proof_of_a_guarantee_exists() -> None:
    text = (ROOT / "docs" / "guarantees.md").read_text(encoding="utf-8")
    rows = [line for line in text.splitlines() if line.startswith("| ") and "`" in line]
    named = 0
    for row in rows:
        proof = row.rstrip(" |").rsplit(" | ", 1)[-1]
        current: Path | None = None
        for ref in re.findall(r"`([^`]+)`", proof):
            file, _, test = ref.partition("::")
            if file:
                current = ROOT / "tests" / file.removeprefix("tests/")  # tests/store/... too
                assert current.is_file(), f"guarantees.md names {ref}: no such file"
            if test:
                assert current is not None, f"guarantees.md: {ref} names no file"
                source = current.read_text(encoding="utf-8")
                assert re.search(rf"def {re.escape(test)}\(", source), f"no test {ref}"
                named += 1
    assert named >= 30  # the table was read, not skipped


def test_the_first_screen_is_the_quick_start() -> None:
    text = readme()
    lines = text.splitlines()
    first = "\n".join(lines[:20])
    assert "make run" in first and "make test" in first
    assert "| make run" in "\n".join(lines[:30])  # the transcript starts on the first screen
    headings = [line for line in lines if line.startswith("## ")]
    assert headings[:5] == [
        "## Quickstart",
        "## Chatting with the bot",
        "## Run it on Telegram",
        "## Run it on Slack",
        "## Configuration",
    ]
    assert lines.index("## Chatting with the bot") < 80
    assert len(text.encode()) < 20_000, "README.md has grown past 20 KB: move details to docs/"


def test_the_readme_transcript_is_what_the_console_prints(tmp_path: Path) -> None:
    text = readme()
    found = re.search(r"```\n\$ printf '([^']*)' \| make run\n(.*?)```", text, flags=re.S)
    assert found, "README has no `$ printf '...' | make run` transcript"
    typed = found.group(1).encode().decode("unicode_escape")
    shown = [
        line
        for line in found.group(2).splitlines()
        if not line.startswith(("digestbot: first run", "digestbot: installed"))
    ]
    proc = subprocess.run(
        [sys.executable, "-m", "bot", "--data", str(tmp_path / "data"), "run"],
        input=typed,
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": "100"},
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    printed = proc.stdout.rstrip("\n").splitlines()
    assert printed == shown, "README's transcript is out of date; paste this:\n" + proc.stdout


def test_the_version_the_readme_shows_is_the_packages() -> None:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert f"prints `digestbot {pyproject['project']['version']}`" in readme()
