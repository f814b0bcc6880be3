"""Reading TOML tables into checked values: the helpers behind :func:`bot.config.load_config`.

Each raises :class:`ConfigError` with the file, the key and what is expected, in one line.
"""

from __future__ import annotations

from dataclasses import fields
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit, urlunsplit

T = TypeVar("T")


class ConfigError(ValueError):
    """A configuration problem; the message names the file and the key and says what to do."""


def public_url(url: str) -> str:
    """A URL as it may be shown: no user:password, query or fragment (a key may hide there)."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        netloc = f"{host}:{parts.port}" if parts.port else host
    except ValueError:
        return "(not a URL)"
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


def reject_unknown(table: dict[str, Any], known: set[str], where: str, prefix: str) -> None:
    for key in table:
        if key not in known:
            raise ConfigError(
                f"{where}: unknown key '{prefix}{key}' (known: {', '.join(sorted(known))})"
            )


def section(raw: dict[str, Any], name: str, where: str, known: set[str] | None) -> dict[str, Any]:
    value = raw.get(name, {})
    if not isinstance(value, dict):
        raise ConfigError(f"{where}: '{name}' must be a table ([{name}])")
    if known is not None:
        reject_unknown(value, known, where, f"{name}.")
    return value


def folder_path(base: Path, value: Any, where: str, key: str) -> Path:
    if not isinstance(value, str) or not value:
        raise ConfigError(f"{where}: '{key}' must be a non-empty string (a folder path)")
    folder = Path(value).expanduser()
    return folder if folder.is_absolute() else base / folder


def choice(value: Any, allowed: tuple[str, ...], where: str, key: str) -> str:
    if value not in allowed:
        raise ConfigError(f"{where}: '{key}' is {value!r}; expected one of {', '.join(allowed)}")
    return str(value)


def list_of(value: Any, kind: type[T], where: str, key: str) -> list[T]:
    if not isinstance(value, list) or not all(isinstance(v, kind) for v in value):
        raise ConfigError(f"{where}: '{key}' must be a list of {kind.__name__} values")
    return list(value)


def dataclass_from(cls: type[T], table: dict[str, Any], where: str, name: str) -> T:
    names = {f.name: f for f in fields(cls)}  # type: ignore[arg-type]
    reject_unknown(table, set(names), where, f"{name}.")
    values: dict[str, Any] = {}
    for key, value in table.items():
        default = getattr(cls(), key)
        if isinstance(default, tuple):
            kind: type = str if "str" in str(names[key].type) else int
            values[key] = tuple(list_of(value, kind, where, f"{name}.{key}"))
        elif isinstance(default, float) and isinstance(value, int) and not isinstance(value, bool):
            values[key] = float(value)
        elif isinstance(value, bool) != isinstance(default, bool) or not isinstance(
            value, type(default)
        ):
            raise ConfigError(
                f"{where}: '{name}.{key}' must be {type(default).__name__}, got {value!r}"
            )
        else:
            values[key] = value
    return cls(**values)
