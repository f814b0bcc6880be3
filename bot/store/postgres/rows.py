"""Records <-> rows: the columns of each table and the checks a row read back goes through.

Delivery items are kept as the same JSON documents TinyDB keeps (``DeliveryItem.as_doc``), so a
store copy between the two moves them as they are, and they are decoded by the same strict
reader (:func:`bot.domain.records.delivery_from_doc`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from psycopg.types.json import Jsonb

from bot.domain.records import (
    RUN_COUNTS,
    Delivery,
    Run,
    Subscriber,
    delivery_from_doc,
    subscriber_from_doc,
    ts,
)

SUB_COLUMNS = (
    "platform",
    "chat_id",
    "kind",
    "timezone",
    "time",
    "frequency",
    "weekday",
    "topics",
    "posts",
    "active",
    "created",
    "updated",
)
DEL_COLUMNS = (
    "id",
    "platform",
    "chat_id",
    "slot",
    "title",
    "items",
    "state",
    "created",
    "updated",
    "run_id",
    "message_ids",
    "attempts",
    "error",
)
SUB_SELECT = ", ".join(SUB_COLUMNS)
DEL_SELECT = ", ".join(DEL_COLUMNS)


def subscriber_params(sub: Subscriber) -> tuple[Any, ...]:
    return (
        sub.platform,
        sub.chat_id,
        sub.kind,
        sub.timezone,
        sub.time,
        sub.frequency,
        sub.weekday,
        list(sub.topics),
        sub.posts,
        sub.active,
        sub.created,
        sub.updated,
    )


def subscriber_from_row(row: Sequence[Any]) -> Subscriber:
    doc = dict(zip(SUB_COLUMNS, row, strict=False))
    doc["topics"] = list(doc["topics"])
    doc["created"], doc["updated"] = ts(doc["created"]), ts(doc["updated"])
    return subscriber_from_doc(doc)


def delivery_params(delivery: Delivery) -> tuple[Any, ...]:
    doc = delivery.as_doc()
    return (
        delivery.id,
        delivery.platform,
        delivery.chat_id,
        delivery.slot,
        delivery.title,
        Jsonb(doc["items"]),
        delivery.state,
        delivery.created,
        delivery.updated,
        delivery.run_id,
        Jsonb(list(delivery.message_ids)),
        delivery.attempts,
        delivery.error,
    )


def delivery_from_row(row: Sequence[Any]) -> Delivery:
    doc: dict[str, Any] = dict(zip(DEL_COLUMNS, row, strict=False))
    doc["created"], doc["updated"] = ts(doc["created"]), ts(doc["updated"])
    return delivery_from_doc(doc)


def run_params(run: Run) -> tuple[Any, ...]:
    counts = {name: getattr(run, name) for name in RUN_COUNTS}
    return (run.id, run.started, run.finished, Jsonb(counts))


def run_from_row(row: Sequence[Any]) -> Run:
    run_id, started, finished, counts = row
    values: Mapping[str, Any] = counts or {}
    return Run(
        id=run_id,
        started=started,
        finished=finished,
        **{name: int(values.get(name, 0)) for name in RUN_COUNTS},
    )
