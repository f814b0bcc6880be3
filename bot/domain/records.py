"""The records kept by :mod:`bot.store.tinydb.store`: frozen values and their JSON documents.

Times are stored as ISO 8601 strings in UTC. Decoding is strict (:mod:`bot.store.tinydb.fields`): a
document holding anything digestbot never writes raises KeyError/ValueError, which the store
turns into StoreCorrupt naming the file and the record.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from bot.config import DigestDefaults
from bot.domain import inputs
from bot.errors import UsageError
from bot.store.tinydb import fields
from bot.store.tinydb.atomic import pack_refs, unpack_refs

KINDS = ("private", "group", "channel")
FREQUENCIES = inputs.FREQUENCIES
WEEKDAYS = inputs.WEEKDAYS
History = dict[str, tuple[str, ...] | frozenset[str]]  # post id -> comment refs a chat has seen
STATES = ("pending", "sent", "failed", "unknown", "blocked", "empty", "archived")
CLAIMING = frozenset({"pending", "sent", "unknown", "archived"})  # posts count as given to the chat
FINAL = frozenset({"sent", "failed", "unknown", "blocked", "empty", "archived"})
MAX_TOPICS = 20
RUN_COUNTS = ("due", "sent", "empty", "failed", "unknown", "blocked", "retried", "resumed")


class InvalidSetting(UsageError):
    """A subscriber setting with a bad value; the message tells the user what is expected."""


def chat_key(platform: str, chat_id: str | int) -> str:
    return f"{platform}:{chat_id}"


def ts(moment: datetime) -> str:
    if moment.tzinfo is None:
        raise ValueError(f"naive datetime {moment.isoformat()} (times must carry a zone)")
    return moment.astimezone(UTC).isoformat()


class InChat:
    """A record that belongs to one chat: ``key`` is ``platform:chat_id``."""

    platform: str
    chat_id: str

    @property
    def key(self) -> str:
        return chat_key(self.platform, self.chat_id)


@dataclass(frozen=True)
class Subscriber(InChat):
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
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @classmethod
    def new(
        cls, platform: str, chat_id: str, *, kind: str, defaults: DigestDefaults, now: datetime
    ) -> Subscriber:
        return cls(
            platform=platform,
            chat_id=chat_id,
            kind=kind,
            timezone=defaults.timezone,
            time=inputs.parse_time(defaults.time) or defaults.time,
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
    return Subscriber(
        platform=fields.text(doc, "platform", empty=False),
        chat_id=fields.identifier(doc, "chat_id"),
        kind=doc["kind"],
        timezone=doc["timezone"],
        time=doc["time"],
        frequency=doc["frequency"],
        weekday=doc["weekday"],
        topics=tuple(doc["topics"]),
        posts=doc["posts"],
        active=fields.flag(doc, "active"),
        created=fields.moment(doc, "created"),
        updated=fields.moment(doc, "updated"),
    )


def _check_time(value: Any) -> None:
    if not isinstance(value, str) or inputs.parse_time(value) != value:
        raise InvalidSetting(f"time {value!r} is not HH:MM on a 24-hour clock, e.g. 08:00")


def _check_zone(value: Any) -> None:
    if not isinstance(value, str) or inputs.zone_name(value) != value:
        raise InvalidSetting(f"time zone {value!r} is unknown; use an IANA name like Europe/London")


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
class Delivery(InChat):
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


ITEM_KINDS = ("new", "discussion", "archived")
MAX_ATTEMPTS = 1_000_000


def _item_from_doc(doc: Mapping[str, Any]) -> DeliveryItem:
    return DeliveryItem(
        post_id=fields.text(doc, "post", empty=False),
        kind=fields.one_of(doc, "kind", ITEM_KINDS),
        refs=unpack_refs(doc["refs"]),
        new=unpack_refs(doc.get("new", ()), "new"),
        reason=fields.text(doc, "reason", default=""),
    )


def delivery_from_doc(doc: Mapping[str, Any]) -> Delivery:
    platform = fields.text(doc, "platform", empty=False)
    chat_id = fields.identifier(doc, "chat_id")
    delivery_id = fields.text(doc, "id", empty=False)
    prefix = f"{chat_key(platform, chat_id)}@"
    if not delivery_id.startswith(prefix) or delivery_id == prefix:
        raise ValueError(f"id {fields.show(delivery_id)} does not start with {prefix!r}")
    return Delivery(
        id=delivery_id,
        platform=platform,
        chat_id=chat_id,
        slot=fields.slot(doc),
        title=fields.text(doc, "title"),
        items=tuple(_item_from_doc(i) for i in fields.records(doc, "items")),
        state=fields.one_of(doc, "state", STATES),
        created=fields.moment(doc, "created"),
        updated=fields.moment(doc, "updated"),
        run_id=fields.text(doc, "run_id", default=""),
        message_ids=fields.identifiers(doc, "message_ids"),
        attempts=fields.whole(doc, "attempts", 0, MAX_ATTEMPTS, default=0),
        error=fields.optional_text(doc, "error"),
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
        for name in RUN_COUNTS:
            doc[name] = getattr(self, name)
        return doc


def run_from_doc(doc: Mapping[str, Any]) -> Run:
    counts = {name: fields.whole(doc, name, default=0) for name in RUN_COUNTS}
    return Run(
        id=fields.text(doc, "id", empty=False),
        started=fields.moment(doc, "started"),
        finished=fields.optional_moment(doc, "finished"),
        **counts,
    )


@dataclass(frozen=True)
class StoreStats:
    subscribers: int
    active: int
    deliveries: dict[str, int]
    last_run: Run | None
