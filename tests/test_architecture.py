"""House rules that code review would otherwise have to catch."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def test_summariser_never_imports_bot_or_chat_sdks() -> None:
    forbidden = ("bot", "telegram", "slack_bolt", "tinydb", "apscheduler")
    for path in (ROOT / "summariser").rglob("*.py"):
        for name in _imports(path):
            assert name.split(".")[0] not in forbidden, f"{path.name} imports {name}"


def test_bot_imports_summariser_only_through_its_public_api() -> None:
    for path in (ROOT / "bot").rglob("*.py"):
        for name in _imports(path):
            assert not name.startswith("summariser."), f"{path.relative_to(ROOT)} imports {name}"


def test_modules_stay_small() -> None:
    for package in ("bot", "summariser"):
        for path in (ROOT / package).rglob("*.py"):
            lines = path.read_text(encoding="utf-8").count("\n")
            assert lines <= 450, f"{path.relative_to(ROOT)} has {lines} lines"
