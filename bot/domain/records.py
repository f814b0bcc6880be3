"""The records kept by :mod:`bot.store.tinydb.store`: frozen values and their JSON documents.

Times are stored as ISO 8601 strings in UTC. A document that does not parse raises
KeyError/TypeError/ValueError, which the store turns into StoreCorrupt naming the file.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.config import DigestDefaults
from bot.errors import UsageError
from bot.store.tinydb.atomic import pack_refs, unpack_refs

KINDS = ("private", "group", "channel")
FREQUENCIES = ("daily", "weekly")
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
STATES = ("pending", "sent", "failed", "unknown", "blocked", "empty", "archived")
CLAIMING = frozenset({"pending", "sent", "unknown", "archived"})  # posts count as given to the chat
FINAL = frozenset({"sent", "failed", "unknown", "blocked", "empty", "archived"})
MAX_TOPICS = 20
_TIME_RE = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")


class InvalidSetting(UsageError):
    """A subscriber setting with a bad value; the message tells the user what is expected."""


def chat_key(platform: str, chat_id: str | int) -> str:
    return f"{platform}:{chat_id}"


def ts(moment: datetime) -> str:
    if moment.tzinfo is None:
        raise ValueError(f"naive datetime {moment.isoformat()} (times must carry a zone)")
    return moment.astimezone(UTC).isoformat()


def parse_ts(text: Any) -> datetime:
    moment = datetime.fromisoformat(str(text))
    if moment.tzinfo is None:
        raise ValueError(f"time {text!r} has no zone")
    return moment


@dataclass(frozen=True)
class Subscriber:
    """One chat's subscription and its digest settings."""

    platform: str
    chat_id: str
    kind: str
    timezone: str
    time: str  # local send time HH:MM
    frequency: str  # daily | weekly
    weekday: str  # for weekly digests
    topics: tuple[str, ...]  # keyword filters; empty = everything
    posts: int  # posts per digest
    active: bool
    created: datetime
    updated: datetime

    @property
    def key(self) -> str:
        return chat_key(self.platform, self.chat_id)

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @classmethod
    def new(
        cls, platform: str, chat_id: str, *, kind: str, defaults: DigestDefaults, now: datetime
    ) -> Subscriber:
        hour, minute = defaults.time.split(":")
        return cls(
            platform=platform,
            chat_id=chat_id,
            kind=kind,
            timezone=defaults.timezone,
            time=f"{int(hour):02d}:{minute}",
            frequency=defaults.frequency,
            weekday=defaults.weekday,
            topics=(),
            posts=defaults.posts,
            active=True,
            created=now,
            updated=now,
        )

    def as_doc(self) -> dict[str, Any]:
        return {
            "platform": self.platform,
            "chat_id": self.chat_id,
            "kind": self.kind,
            "timezone": self.timezone,
            "time": self.time,
            "frequency": self.frequency,
            "weekday": self.weekday,
            "topics": list(self.topics),
            "posts": self.posts,
            "active": self.active,
            "created": ts(self.created),
            "updated": ts(self.updated),
        }


def subscriber_from_doc(doc: Mapping[str, Any]) -> Subscriber:
    check_changes({k: doc[k] for k in SETTINGS})
    if not isinstance(doc["platform"], str) or not isinstance(doc["active"], bool):
        raise ValueError("platform must be a string and active true or false")
    return Subscriber(
        platform=doc["platform"],
        chat_id=str(doc["chat_id"]),
        kind=doc["kind"],
        timezone=doc["timezone"],
        time=doc["time"],
        frequency=doc["frequency"],
        weekday=doc["weekday"],
        topics=tuple(doc["topics"]),
        posts=doc["posts"],
        active=doc["active"],
        created=parse_ts(doc["created"]),
        updated=parse_ts(doc["updated"]),
    )


def _check_time(value: Any) -> None:
    if not isinstance(value, str) or not _TIME_RE.match(value):
        raise InvalidSetting(f"time {value!r} is not HH:MM on a 24-hour clock, e.g. 08:00")


def _check_zone(value: Any) -> None:
    try:
        ZoneInfo(str(value))
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidSetting(
            f"time zone {value!r} is unknown; use an IANA name like Europe/London"
        ) from None


def _check_topics(value: Any) -> None:
    if not isinstance(value, (list, tuple)) or not all(
        isinstance(t, str) and t.strip() for t in value
    ):
        raise InvalidSetting("topics must be a list of words or phrases")
    if len(value) > MAX_TOPICS:
        raise InvalidSetting(f"at most {MAX_TOPICS} topics, got {len(value)}")


def _check_posts(value: Any) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 20:
        raise InvalidSetting(f"posts per digest must be a whole number from 1 to 20, got {value!r}")


def _one_of(name: str, allowed: tuple[str, ...]) -> Any:
    def check(value: Any) -> None:
        if value not in allowed:
            raise InvalidSetting(f"{name} {value!r} is not one of: {', '.join(allowed)}")

    return check


SETTINGS: dict[str, Any] = {
    "kind": _one_of("chat kind", KINDS),
    "timezone": _check_zone,
    "time": _check_time,
    "frequency": _one_of("frequency", FREQUENCIES),
    "weekday": _one_of("weekday", WEEKDAYS),
    "topics": _check_topics,
    "posts": _check_posts,
}


def check_changes(changes: Mapping[str, Any]) -> None:
    """Validate any subscriber settings present in ``changes``; raises InvalidSetting."""
    for name, value in changes.items():
        check = SETTINGS.get(name)
        if check is not None:
            check(value)
        elif name == "active" and not isinstance(value, bool):
            raise InvalidSetting("active must be true or false")
        elif name not in ("active", "platform", "chat_id", "created", "updated"):
            raise InvalidSetting(f"unknown setting {name!r}")


@dataclass(frozen=True)
class DeliveryItem:
    """One post of a delivered digest: which comments the chat has now seen, and why it came."""

    post_id: str
    kind: str  # "new" | "discussion"
    refs: tuple[str, ...]  # every comment ref of the post when it was planned
    new: tuple[str, ...] = ()  # for "discussion": the refs that were new to this chat
    reason: str = ""

    def as_doc(self) -> dict[str, Any]:
        doc: dict[str, Any] = {
            "post": self.post_id,
            "kind": self.kind,
            "refs": pack_refs(self.refs),
        }
        if self.new:
            doc["new"] = pack_refs(self.new)
        if self.reason:
            doc["reason"] = self.reason
        return doc


@dataclass(frozen=True)
class Delivery:
    """One digest for one chat and slot: planned (pending) before sending, then its outcome."""

    id: str
    platform: str
    chat_id: str
    slot: str  # local date of the scheduled send (YYYY-MM-DD); "" for an on-demand digest
    title: str
    items: tuple[DeliveryItem, ...]
    state: str
    created: datetime
    updated: datetime
    run_id: str = ""
    message_ids: tuple[str, ...] = ()
    attempts: int = 0
    error: str | None = None

    @property
    def key(self) -> str:
        return chat_key(self.platform, self.chat_id)

    @property
    def last_slot(self) -> str:
        return self.slot

    @property
    def is_final(self) -> bool:
        return self.state in FINAL

    @property
    def archived(self) -> bool:
        return self.state == "archived"

    @property
    def post_ids(self) -> tuple[str, ...]:
        return tuple(item.post_id for item in self.items)

    @staticmethod
    def make_id(platform: str, chat_id: str, slot: str) -> str:
        return f"{chat_key(platform, chat_id)}@{slot}"

    def as_doc(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "platform": self.platform,
            "chat_id": self.chat_id,
            "slot": self.slot,
            "title": self.title,
            "items": [item.as_doc() for item in self.items],
            "run_id": self.run_id,
            "created": ts(self.created),
            **self.outcome_doc(),
        }

    def outcome_doc(self) -> dict[str, Any]:
        return {
            "state": self.state,
            "message_ids": list(self.message_ids),
            "attempts": self.attempts,
            "error": self.error,
            "updated": ts(self.updated),
        }

    def with_outcome(
        self,
        state: str,
        now: datetime,
        message_ids: tuple[str, ...],
        error: str | None,
        attempts: int | None,
    ) -> Delivery:
        if state not in STATES:
            raise ValueError(f"unknown delivery state {state!r}")
        return replace(
            self,
            state=state,
            updated=now,
            message_ids=message_ids or self.message_ids,
            error=error,
            attempts=self.attempts if attempts is None else attempts,
        )

    def moved_to(self, chat_id: str) -> Delivery:
        suffix = self.id.split("@", 1)[1]
        return replace(self, chat_id=chat_id, id=f"{chat_key(self.platform, chat_id)}@{suffix}")

    @classmethod
    def archive_of(cls, old: Sequence[Delivery], now: datetime) -> Delivery:
        """One record holding what ``old`` (final deliveries of one chat) claimed, and its slot."""
        first = old[0]
        refs: dict[str, set[str]] = {}
        for delivery in old:
            if delivery.state in CLAIMING:
                for item in delivery.items:
                    refs.setdefault(item.post_id, set()).update(item.refs)
        items = tuple(
            DeliveryItem(post_id, "archived", tuple(sorted(r)))
            for post_id, r in sorted(refs.items())
        )
        return cls(
            id=cls.make_id(first.platform, first.chat_id, "archive"),
            platform=first.platform,
            chat_id=first.chat_id,
            slot=max(d.slot for d in old),
            title="archived history",
            items=items,
            state="archived",
            created=min(d.created for d in old),
            updated=now,
        )


def delivery_from_doc(doc: Mapping[str, Any]) -> Delivery:
    if doc["state"] not in STATES:
        raise ValueError(f"state {doc['state']!r} is not one of {', '.join(STATES)}")
    items = tuple(
        DeliveryItem(
            post_id=str(i["post"]),
            kind=str(i["kind"]),
            refs=unpack_refs(i["refs"]),
            new=unpack_refs(i.get("new", ())),
            reason=str(i.get("reason", "")),
        )
        for i in doc["items"]
    )
    return Delivery(
        id=str(doc["id"]),
        platform=str(doc["platform"]),
        chat_id=str(doc["chat_id"]),
        slot=str(doc["slot"]),
        title=str(doc["title"]),
        items=items,
        state=doc["state"],
        created=parse_ts(doc["created"]),
        updated=parse_ts(doc["updated"]),
        run_id=str(doc.get("run_id", "")),
        message_ids=tuple(str(m) for m in doc.get("message_ids", ())),
        attempts=int(doc.get("attempts", 0)),
        error=doc.get("error"),
    )


@dataclass(frozen=True)
class Run:
    """One scheduler run that had work: counts by outcome."""

    id: str
    started: datetime
    finished: datetime | None = None
    due: int = 0
    sent: int = 0
    empty: int = 0
    failed: int = 0
    unknown: int = 0
    blocked: int = 0
    retried: int = 0
    resumed: int = 0

    def as_doc(self) -> dict[str, Any]:
        doc: dict[str, Any] = {
            "id": self.id,
            "started": ts(self.started),
            "finished": ts(self.finished) if self.finished else None,
        }
        for name in ("due", "sent", "empty", "failed", "unknown", "blocked", "retried", "resumed"):
            doc[name] = getattr(self, name)
        return doc


def run_from_doc(doc: Mapping[str, Any]) -> Run:
    counts = {
        name: int(doc.get(name, 0))
        for name in ("due", "sent", "empty", "failed", "unknown", "blocked", "retried", "resumed")
    }
    finished = doc.get("finished")
    return Run(
        id=str(doc["id"]),
        started=parse_ts(doc["started"]),
        finished=parse_ts(finished) if finished else None,
        **counts,
    )


@dataclass(frozen=True)
class StoreStats:
    subscribers: int
    active: int
    deliveries: dict[str, int]
    last_run: Run | None
