"""Commands that change or show a chat's subscription, and /stats for the bot's admins."""

from __future__ import annotations

from typing import Any

from bot.chat.commands import BadUsage, Command, Spec
from bot.chat.context import Context
from bot.chat.reply import Reply
from bot.corpus.source import failing_lines
from bot.domain import inputs
from bot.domain.records import Subscriber
from bot.domain.schedule import next_slot
from bot.errors import UsageError

TIME_RANGE = "a 24-hour time from 00:00 to 23:59"


def parse_subscribe(args: str) -> dict[str, Any]:
    """'08:00 Europe/London weekly fri' (any order, all optional) -> settings changes."""
    changes: dict[str, Any] = {}
    words = args.split()
    i = 0
    while i < len(words):
        word, low = words[i], words[i].lower()
        day = inputs.parse_weekday(words[i + 1]) if i + 1 < len(words) else None
        if inputs.parse_time(word):
            changes["time"] = inputs.parse_time(word)
        elif low in inputs.FREQUENCIES:
            changes["frequency"] = low
            if low == "weekly" and day:
                changes["weekday"] = day
                i += 1
        elif inputs.looks_like_zone(word):
            changes["timezone"] = inputs.parse_zone(word)
        elif ":" in word:
            raise BadUsage(f"(HH:MM is {TIME_RANGE}).")
        else:
            raise BadUsage
        i += 1
    return changes


def describe(sub: Subscriber, app: Context) -> str:
    slot = next_slot(sub, app.now())
    local = slot.at.astimezone(sub.zone)
    when = "every day" if sub.frequency == "daily" else f"every {sub.weekday.capitalize()}"
    topics = ", ".join(sub.topics) if sub.topics else "all posts"
    return (
        f"Digest {when} at {sub.time} ({sub.timezone}), {sub.posts} posts, topics: {topics}.\n"
        f"Next digest: {local:%A %d %B %Y at %H:%M} your time."
    )


async def _sub(app: Context, cmd: Command) -> Subscriber:
    sub = await app.store.get_subscriber(cmd.chat.platform, cmd.chat.id)
    if sub is None or not sub.active:
        raise UsageError("This chat has no subscription yet; send /subscribe first.")
    return sub


async def _update(app: Context, cmd: Command, **changes: Any) -> Subscriber:
    await _sub(app, cmd)
    return await app.store.update_subscriber(
        cmd.chat.platform, cmd.chat.id, now=app.now(), **changes
    )


async def subscribe(app: Context, cmd: Command) -> Reply:
    changes = parse_subscribe(cmd.args)
    kind = "channel" if cmd.chat.kind == "channel" else "group" if cmd.chat.is_group else "private"
    store, now = app.store, app.now()
    await store.subscribe(
        cmd.chat.platform, cmd.chat.id, now=now, defaults=app.config.digest, kind=kind
    )
    sub = await store.update_subscriber(
        cmd.chat.platform, cmd.chat.id, now=now, kind=kind, **changes
    )
    return Reply.text(
        "Subscribed. " + describe(sub, app), "Change it with /time, /timezone, /topics, /posts."
    )


async def unsubscribe(app: Context, cmd: Command) -> Reply:
    if await app.store.get_subscriber(cmd.chat.platform, cmd.chat.id) is None:
        return Reply.text("This chat was not subscribed.")
    await app.store.set_active(cmd.chat.platform, cmd.chat.id, False, now=app.now())
    return Reply.text("Unsubscribed: no more digests here. /subscribe brings them back.")


async def settings(app: Context, cmd: Command) -> Reply:
    return Reply.text(describe(await _sub(app, cmd), app))


async def time(app: Context, cmd: Command) -> Reply:
    hhmm = inputs.parse_time(cmd.args)
    if hhmm is None:
        raise BadUsage(f"({TIME_RANGE}, e.g. /time 07:30).")
    sub = await _update(app, cmd, time=hhmm)
    return Reply.text(describe(sub, app))


async def timezone(app: Context, cmd: Command) -> Reply:
    parts = cmd.args.split()
    if len(parts) != 1:
        raise BadUsage
    sub = await _update(app, cmd, timezone=inputs.parse_zone(parts[0]))
    return Reply.text(describe(sub, app))


async def topics(app: Context, cmd: Command) -> Reply:
    sub = await _sub(app, cmd)
    verb, _, rest = cmd.args.strip().partition(" ")
    verb = verb.lower()
    given = [t.strip().lower() for t in rest.split(",") if t.strip()]
    if not verb:
        shown = ", ".join(sub.topics) if sub.topics else "none (every post)"
        return Reply.text(f"Topics: {shown}.")
    if verb == "clear" and not rest.strip():
        new: tuple[str, ...] = ()
    elif verb in ("set", "add") and given:
        base = sub.topics if verb == "add" else ()
        new = tuple(dict.fromkeys((*base, *given)))
    else:
        raise BadUsage
    if any(len(t) > 60 for t in new):
        raise UsageError("A topic can be at most 60 characters long.")
    sub = await _update(app, cmd, topics=new)
    return Reply.text(describe(sub, app))


async def posts(app: Context, cmd: Command) -> Reply:
    number = inputs.count(cmd.args, 1, 20)
    if number is None:
        raise BadUsage("(N from 1 to 20).")
    return Reply.text(describe(await _update(app, cmd, posts=number), app))


async def stats(app: Context, cmd: Command) -> Reply:
    s = await app.store.stats()
    states = ", ".join(f"{k} {v}" for k, v in sorted(s.deliveries.items())) or "none"
    unknown = await app.digests.unknown()
    lines = [
        f"Posts: {len(app.posts)}; indexed: {len(app.index)}.",
        f"Subscribers: {s.subscribers} ({s.active} active).",
        f"Deliveries: {states}.",
    ]
    if s.last_run is not None:
        lines.append(f"Last run: {s.last_run.id}.")
    if app.digests.paused:
        lines.append(
            "Sending is paused: the disk holding the data folder is full. Digests wait until "
            "space is freed; nothing confirmed is sent twice."
        )
    if unknown:
        shown = ", ".join(d.id for d in unknown[:5])
        lines.append(f"Outcome unknown (check these chats; not resent): {shown}.")
    lines += failing_lines(app.corpus.statuses(), app.now())
    return Reply.text(*lines)


SPECS = (
    Spec(
        "subscribe",
        "/subscribe [HH:MM] [Area/City] [daily|weekly DAY]",
        "get digests here (defaults from the bot's settings)",
        subscribe,
        changes_group=True,
    ),
    Spec(
        "unsubscribe", "/unsubscribe", "stop digests in this chat", unsubscribe, changes_group=True
    ),
    Spec("settings", "/settings", "this chat's digest settings and next send time", settings),
    Spec("time", "/time HH:MM", "the local time digests are sent", time, changes_group=True),
    Spec("timezone", "/timezone Area/City", "this chat's time zone", timezone, changes_group=True),
    Spec(
        "topics",
        "/topics [set A, B | add A | clear]",
        "keyword filters for digests (none = everything)",
        topics,
        changes_group=True,
    ),
    Spec("posts", "/posts N", "posts per digest (1-20)", posts, changes_group=True),
    Spec("stats", "/stats", "subscribers and deliveries (bot admins only)", stats, admin_only=True),
)
