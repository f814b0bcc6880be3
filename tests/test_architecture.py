"""House rules that code review would otherwise have to catch."""

from __future__ import annotations

import ast
from collections.abc import Collection
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


# ------------------------------------------------------------------ layers, platforms, circles

PLATFORM_FREE = ("bot/domain", "bot/chat", "bot/delivery")
SDKS = ("telegram", "slack_bolt", "slack_sdk", "tinydb", "psycopg", "psycopg_pool", "aiohttp")
FUNCTION_LINES = 45  # "functions under ~40": body lines, the docstring not counted


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _modules() -> dict[str, Path]:
    return {_module_name(path): path for path in (ROOT / "bot").rglob("*.py")}


def _edges(name: str, path: Path, modules: Collection[str]) -> set[str]:
    """The bot modules ``path`` imports: ``from a.b import c`` is a.b.c when that is a module,
    else a.b; relative imports resolved; imports under TYPE_CHECKING count too."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names if alias.name in modules)
        elif isinstance(node, ast.ImportFrom):
            base = package.split(".")[: len(package.split(".")) - node.level + 1]
            module = ".".join([*base, node.module or ""]) if node.level else node.module or ""
            for alias in node.names:
                full = f"{module.rstrip('.')}.{alias.name}"
                found.add(full if full in modules else module.rstrip("."))
    return {edge for edge in found if edge in modules and edge != name}


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan, iteratively)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []
    for root in graph:
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is None:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    part = stack[stack.index(node) :]
                    del stack[stack.index(node) :]
                    if len(part) > 1:
                        found.append(sorted(part))
            elif child not in index:
                index[child] = low[child] = len(index)
                stack.append(child)
                work.append((child, iter(sorted(graph[child]))))
            elif child in stack:
                low[node] = min(low[node], index[child])
    return found


def test_platform_free_layers_never_import_a_chat_sdk_or_a_database_driver() -> None:
    for folder in PLATFORM_FREE:
        for path in (ROOT / folder).rglob("*.py"):
            for name in _imports(path):
                top = name.split(".")[0]
                where = path.relative_to(ROOT)
                assert top not in SDKS, f"{where} imports {name}"
                assert not name.startswith("bot.platforms"), f"{where} imports {name}"


def test_no_platform_imports_another() -> None:
    platforms = [p for p in (ROOT / "bot" / "platforms").iterdir() if p.is_dir()]
    names = {p.name for p in platforms if not p.name.startswith("__")}
    assert {"console", "telegram"} <= names
    for folder in platforms:
        others = names - {folder.name}
        for path in folder.rglob("*.py"):
            for name in _imports(path):
                parts = name.split(".")
                assert not (
                    parts[:2] == ["bot", "platforms"] and parts[2:3] and parts[2] in others
                ), f"{path.relative_to(ROOT)} imports {name}"


def test_no_import_circles_between_modules_type_only_imports_included() -> None:
    modules = _modules()
    graph = {name: _edges(name, path, modules) for name, path in modules.items()}
    assert graph["bot.app"] and "bot.chat.commands" in graph["bot.chat.handlers"]  # it sees edges
    assert _cycles(graph) == []


def test_the_circle_finder_finds_circles() -> None:
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert _cycles({"a": {"b"}, "b": set()}) == []


def test_functions_stay_short() -> None:
    for package in ("bot", "summariser"):
        for path in (ROOT / package).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                    continue
                body = node.body
                first = body[0]
                if (
                    len(body) > 1
                    and isinstance(first, ast.Expr)
                    and isinstance(first.value, ast.Constant)
                ):
                    body = body[1:]  # the docstring
                lines = (node.end_lineno or node.lineno) - body[0].lineno + 1
                where = f"{path.relative_to(ROOT)}:{node.lineno} {node.name}()"
                assert lines <= FUNCTION_LINES, f"{where} has {lines} lines"
