"""What a person types for a digest's schedule: counts, HH:MM, time zones, weekdays.

One rule for each, used by the configuration (``[digest]``), the chat commands (/subscribe,
/time, /timezone, /posts, /latest) and the store's own checks, so a value accepted in one place
is accepted everywhere:

- Numbers are ASCII digits only (``str.isdigit`` also accepts ``²`` and ``①``, which ``int``
  then refuses).
- A time is ``H:MM`` or ``HH:MM`` on a 24-hour clock, 00:00 to 23:59, stored as ``HH:MM``.
- A time zone is a name of the IANA tz database (``Europe/London``, ``America/New_York``,
  ``UTC``, the legacy ``EST``), in any case (``europe/london``), stored in its own spelling.
  Names that are files of the database but not zones are refused: ``localtime`` (the machine's
  zone, different on every machine), ``Factory``, ``posixrules``, ``right/...``, ``posix/...``.
- A weekday is ``mon`` .. ``sun`` or the full English name, in any case.

Pure: no I/O beyond reading the installed zone names once.
"""

from __future__ import annotations

import re
import zoneinfo
from functools import lru_cache

from bot.errors import UsageError

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
FREQUENCIES = ("daily", "weekly")
_FULL_DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_DAYS = (
    {day: day for day in WEEKDAYS}
    | {full: full[:3] for full in _FULL_DAYS}
    | {"tues": "tue", "thur": "thu", "thurs": "thu"}
)
_TIME = re.compile(r"([01]?[0-9]|2[0-3]):([0-5][0-9])", re.ASCII)
_DIGITS = re.compile(r"[0-9]{1,9}", re.ASCII)
_NOT_ZONES = frozenset({"localtime", "factory", "posixrules"})
_NOT_ZONE_PREFIXES = ("right/", "posix/")
ZONE_EXAMPLES = "Europe/London, America/New_York, Asia/Kolkata or UTC"


class InvalidInput(UsageError):
    """A value a person typed that is not what is expected; the message says what is."""


def whole_number(text: str) -> int | None:
    """``text`` as a whole number written in ASCII digits (at most 9), else None."""
    return int(text) if _DIGITS.fullmatch(text) else None


def count(text: str, low: int, high: int) -> int | None:
    """A whole number from ``low`` to ``high`` in ASCII digits, else None."""
    value = whole_number(text.strip())
    return value if value is not None and low <= value <= high else None


def parse_time(text: str) -> str | None:
    """``7:05`` -> ``07:05``; None unless it is a time of day on a 24-hour clock."""
    match = _TIME.fullmatch(text.strip())
    if match is None:
        return None
    return f"{int(match.group(1)):02d}:{match.group(2)}"


@lru_cache(maxsize=1)
def _zones() -> dict[str, str]:
    """Lower-case name -> the name as the tz database spells it."""
    return {
        name.lower(): name
        for name in zoneinfo.available_timezones()
        if name.lower() not in _NOT_ZONES and not name.lower().startswith(_NOT_ZONE_PREFIXES)
    }


def zone_name(text: str) -> str | None:
    """The tz database's spelling of the zone ``text`` names (any case), else None."""
    key = text.strip().lower()
    if key == "utc":
        return "UTC"
    name = _zones().get(key)
    if name is None:
        return None
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):  # listed but unreadable
        return None
    return name


def looks_like_zone(text: str) -> bool:
    """A zone name, or something meant as one (``Area/City``, ``localtime``, ``Factory``)."""
    return "/" in text or text.strip().lower() in _NOT_ZONES or zone_name(text) is not None


def parse_zone(text: str) -> str:
    """:func:`zone_name`, or InvalidInput saying what a zone name looks like."""
    name = zone_name(text)
    if name is None:
        raise InvalidInput(f"Unknown time zone '{shown(text)}'; use a name like {ZONE_EXAMPLES}.")
    return name


def parse_weekday(text: str) -> str | None:
    """``Friday`` / ``fri`` -> ``fri``; None when it is not a day of the week."""
    return _DAYS.get(text.strip().lower())


def shown(text: str, limit: int = 40) -> str:
    """What a person typed, cut short and with control characters removed, for a reply."""
    clean = "".join(ch if ch.isprintable() else "?" for ch in text.strip())
    return clean if len(clean) <= limit else clean[: limit - 1] + "…"
