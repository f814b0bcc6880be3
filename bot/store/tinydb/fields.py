"""Strict readers for the fields of stored records, so a hand-edited value is refused, not guessed.

JSON lets a file hold what digestbot never writes: ``1e400`` (read back as infinity), ``NaN``,
``2.5`` attempts, ``true`` for a count, a slot that is not a date, a time without a zone. Each
reader returns the value or raises ValueError saying which field holds what and what is expected;
the store adds the file and the record (:class:`~bot.store.tinydb.atomic.StoreCorrupt`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, date, datetime
from typing import Any

MAX_COUNT = 1_000_000_000
_SLOT_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_MISSING: Any = object()


def show(value: Any) -> str:
    """A value as a message shows it: JSON words for JSON values, a short repr for text."""
    if value is None or isinstance(value, bool):
        return {None: "null", True: "true", False: "false"}[value]
    if isinstance(value, (int, float)):
        return repr(value) if isinstance(value, float) else str(value)
    if isinstance(value, str):
        return repr(value if len(value) <= 40 else value[:40] + "...")
    return "a list" if isinstance(value, list) else "an object"


def _get(doc: Mapping[str, Any], name: str, default: Any) -> Any:
    value = doc.get(name, default)
    if value is _MISSING:
        raise KeyError(name)
    return value


def whole(
    doc: Mapping[str, Any], name: str, low: int = 0, high: int = MAX_COUNT, default: Any = _MISSING
) -> int:
    """A whole number from ``low`` to ``high`` (not a float, not true/false)."""
    value = _get(doc, name, default)
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ValueError(f"{name} must be a whole number from {low} to {high}, got {show(value)}")
    return value


def text(doc: Mapping[str, Any], name: str, *, default: Any = _MISSING, empty: bool = True) -> str:
    value = _get(doc, name, default)
    if not isinstance(value, str) or (not empty and not value):
        what = "text" if empty else "non-empty text"
        raise ValueError(f"{name} must be {what}, got {show(value)}")
    return value


def optional_text(doc: Mapping[str, Any], name: str) -> str | None:
    return None if doc.get(name) is None else text(doc, name)


def identifier(doc: Mapping[str, Any], name: str) -> str:
    """A chat or message id: text or a whole number, stored as text."""
    value = _get(doc, name, _MISSING)
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) < 10**30:
        return str(value)
    if isinstance(value, str) and value and len(value) <= 200:
        return value
    raise ValueError(f"{name} must be text or a whole number, got {show(value)}")


def identifiers(doc: Mapping[str, Any], name: str) -> tuple[str, ...]:
    values = _get(doc, name, [])
    if not isinstance(values, list):
        raise ValueError(f"{name} must be a list, got {show(values)}")
    return tuple(identifier({name: v}, name) for v in values)


def flag(doc: Mapping[str, Any], name: str) -> bool:
    value = _get(doc, name, _MISSING)
    if not isinstance(value, bool):
        raise ValueError(f"{name} must be true or false, got {show(value)}")
    return value


def moment(doc: Mapping[str, Any], name: str) -> datetime:
    """An ISO 8601 time with its zone, between the years 1970 and 9998."""
    value = _get(doc, name, _MISSING)
    try:
        parsed = datetime.fromisoformat(value)
        utc = parsed.astimezone(UTC) if parsed.tzinfo is not None else None
    except (TypeError, ValueError, OverflowError):
        problem = f"{name} {show(value)} is not a time like 2026-11-23T08:00:00+00:00"
        raise ValueError(problem) from None
    if utc is None:
        raise ValueError(f"{name} {show(value)} has no zone (e.g. +00:00)")
    if not 1970 <= utc.year <= 9998:
        raise ValueError(f"{name} {show(value)} is not between the years 1970 and 9998")
    return parsed


def optional_moment(doc: Mapping[str, Any], name: str) -> datetime | None:
    return None if doc.get(name) is None else moment(doc, name)


def slot(doc: Mapping[str, Any]) -> str:
    """A scheduled slot (a local date YYYY-MM-DD) or "" for an on-demand digest."""
    value = _get(doc, "slot", _MISSING)
    if value == "":
        return value
    if isinstance(value, str) and _SLOT_RE.match(value):
        try:
            date.fromisoformat(value)
            return value
        except ValueError:
            pass
    raise ValueError(f"slot {show(value)} is not a date like 2026-11-23")


def one_of(doc: Mapping[str, Any], name: str, allowed: tuple[str, ...]) -> str:
    value = _get(doc, name, _MISSING)
    if value not in allowed:
        raise ValueError(f"{name} {show(value)} is not one of {', '.join(allowed)}")
    return str(value)


def records(doc: Mapping[str, Any], name: str) -> list[Mapping[str, Any]]:
    """A list of JSON objects."""
    value = _get(doc, name, _MISSING)
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise ValueError(f"{name} must be a list of objects, got {show(value)}")
    return value
