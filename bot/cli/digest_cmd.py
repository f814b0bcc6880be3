"""`digestbot digest [--chat ID] [--now ISO] [--json]`: preview the digest a subscriber would get.

Reads the store (TinyDB without taking its lock: it works while the bot runs) and records
nothing.
Without ``--chat`` it previews a new subscriber with the configured defaults.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from bot.config import Config
from bot.corpus.sources import load_posts
from bot.domain.digest import Digest, PostIndex, Summaries, digest_json, plan, render_text
from bot.domain.records import Subscriber
from bot.domain.schedule import Due, due_digests, next_slot
from bot.errors import NotFound, UsageError
from bot.store.base import History, Store
from bot.store.open import open_store

FIRST_YEAR, LAST_YEAR = 1970, 9998  # as the store's times (bot/store/tinydb/fields.py)


def register(sub: argparse._SubParsersAction[Any]) -> None:
    p = sub.add_parser("digest", help="preview the digest a subscriber would get (records nothing)")
    p.add_argument(
        "--chat",
        metavar="ID",
        help="subscriber: PLATFORM:CHAT_ID or CHAT_ID (default: a new subscriber, config defaults)",
    )
    p.add_argument(
        "--now",
        metavar="ISO",
        help="plan at this time, e.g. 2026-11-23T08:00 (no offset: the subscriber's local time)",
    )
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(handler=handler)


def handler(config: Config, args: argparse.Namespace) -> int:
    sub, now, history, due = asyncio.run(_read(config, args))
    posts = load_posts(config)
    s = config.summary
    summaries = Summaries(sentences=s.sentences, comments=s.comments, method=s.method)
    slot = due[0].slot if due else None
    digest = plan(sub, PostIndex(posts), now, history, summaries=summaries, slot=slot)
    result = preview_json(sub, now, bool(due), digest, known=args.chat is not None)
    if args.json:
        json.dump(result, sys.stdout, ensure_ascii=False, indent=2)
        sys.stdout.write("\n")
        return 0
    who = result["chat"] or "a new subscriber"
    if digest is None:
        print(f"Nothing new for {who}: no digest would be sent.")
    else:
        print(render_text(digest))
        print()
    state = "due now" if due else f"next digest {result['next']}"
    print(f"({who}: {_settings_line(sub)}; {state})")
    return 0


def preview_json(
    sub: Subscriber, now: datetime, due: bool, digest: Digest | None, *, known: bool
) -> dict[str, Any]:
    zone = sub.zone
    return {
        "chat": sub.key if known else None,
        "now": now.astimezone(zone).isoformat(),
        "settings": {
            "timezone": sub.timezone,
            "time": sub.time,
            "frequency": sub.frequency,
            "weekday": sub.weekday,
            "topics": list(sub.topics),
            "posts": sub.posts,
            "active": sub.active,
        },
        "due": due,
        "next": next_slot(sub, now).at.astimezone(zone).isoformat(),
        "digest": digest_json(digest) if digest else None,
    }


def _settings_line(sub: Subscriber) -> str:
    when = f"{sub.frequency} at {sub.time}" + (
        f" on {sub.weekday}" if sub.frequency == "weekly" else ""
    )
    topics = f", topics: {', '.join(sub.topics)}" if sub.topics else ""
    paused = ", paused" if not sub.active else ""
    return f"{when} {sub.timezone}, {sub.posts} posts{topics}{paused}"


async def _read(
    config: Config, args: argparse.Namespace
) -> tuple[Subscriber, datetime, History, list[Due]]:
    """The subscriber, the time to plan at, its history and whether it is due."""
    store = open_store(config, readonly=True)
    try:
        sub = await _subscriber(store, config, args.chat)
        now = _parse_now(args.now, sub)
        if args.chat is None:
            sub = replace(sub, created=now - timedelta(minutes=1))  # subscribed just before
            return sub, now, {}, due_digests([sub], now, {})
        history = await store.history(sub.platform, sub.chat_id)
        last = None
        async for candidate in store.candidates(now):
            if candidate.subscriber.key == sub.key:
                last = candidate.last_slot
        due = due_digests([sub], now, {sub.key: last} if last else {})
        return sub, now, history, due
    finally:
        await store.close()


async def _subscriber(store: Store, config: Config, chat: str | None) -> Subscriber:
    if chat is None:
        now = datetime.now(UTC)
        return Subscriber.new("preview", "new", kind="private", defaults=config.digest, now=now)
    platform, _, chat_id = chat.rpartition(":")
    if platform:
        found = await store.get_subscriber(platform, chat_id)
        matches = [found] if found else []
    else:
        matches = [s async for s in store.subscribers() if s.chat_id == chat_id]
    if len(matches) == 1:
        return matches[0]
    if matches:
        keys = ", ".join(sorted(s.key for s in matches))
        raise UsageError(f"chat '{chat}' is ambiguous ({keys}); give it as PLATFORM:ID")
    count = (await store.stats()).subscribers
    raise NotFound(f"no subscriber '{chat}' in {_where(store, config)} (count: {count})")


def _where(store: Store, config: Config) -> str:
    return str(config.data_dir) if config.store.backend == "tinydb" else str(store.shown)


def _parse_now(text: str | None, sub: Subscriber) -> datetime:
    if text is None:
        return datetime.now(UTC)
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise UsageError(
            f"--now '{text}' is not an ISO 8601 time, e.g. 2026-11-23T08:00 or ...T08:00+05:30"
        ) from None
    if not FIRST_YEAR <= moment.year <= LAST_YEAR:
        raise UsageError(
            f"--now '{text}' is out of range; give a time from {FIRST_YEAR} to {LAST_YEAR}"
        )
    return moment if moment.tzinfo else moment.replace(tzinfo=sub.zone)
