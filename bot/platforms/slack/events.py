"""Slack payloads -> Commands, and events that Slack redelivers handled once.

``/digestbot <command> [args]``: the first word names the command (``/digestbot`` alone is
help; ``/digestbot prison`` is a question). In a direct message, ``subscribe 08:00`` is a
command and any other text a question; an @mention in a channel works the same with the
mention taken out.
"""

from __future__ import annotations

import re
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from bot.chat.commands import GROUP, PRIVATE, Chat, Command, CommandSet, User
from bot.platforms.slack.send import PLATFORM, chat_id

JSON = dict[str, Any]
MENTION = re.compile(r"<@[A-Z0-9]+(?:\|[^>]*)?>")
SEEN_SECONDS = 3600.0  # Slack retries within minutes; remember ids for an hour
SEEN_KEPT = 50_000


def chat_of(team: str, channel: str, channel_name: str = "") -> Chat:
    """A DM (``D...`` or "directmessage") is private; channels and group DMs are groups."""
    private = channel.startswith("D") or channel_name == "directmessage"
    return Chat(PLATFORM, chat_id(team, channel), PRIVATE if private else GROUP, channel_name)


def command_from_text(
    commands: CommandSet, text: str, chat: Chat, user: User, *, slash: bool = False
) -> Command | None:
    """The command of ``commands`` in ``text`` (slash command text, a DM, a mention without the
    mention); other text is a question."""
    words = MENTION.sub(" ", text).strip()
    if not words:
        return Command("help", "", chat, user) if slash or chat.kind == PRIVATE else None
    first, _, rest = words.partition(" ")
    name = first.lstrip("/").lower()
    if name in commands:
        return Command(name, rest.strip(), chat, user)
    if first.startswith("/"):  # an unknown /command: the command layer says so
        return Command(name, "", chat, user)
    return Command("ask", words, chat, user)


def team_of(body: JSON) -> str:
    team = body.get("team_id") or body.get("team")
    if isinstance(team, dict):
        team = team.get("id")
    if not team and isinstance(body.get("user"), dict):
        team = body["user"].get("team_id")
    return str(team or "")


class SeenEvents:
    """Event ids already handled (Slack redelivers an event it thinks was not acked, with the
    same ``event_id``): ``first(event_id)`` is True once per id."""

    def __init__(self, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self._seen: OrderedDict[str, float] = OrderedDict()

    def first(self, event_id: str) -> bool:
        now = self.clock()
        while self._seen and (
            len(self._seen) > SEEN_KEPT or now - next(iter(self._seen.values())) > SEEN_SECONDS
        ):
            self._seen.popitem(last=False)
        if event_id in self._seen:
            return False
        self._seen[event_id] = now
        return True
