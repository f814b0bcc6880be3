"""Who is asking, and may they change this channel's subscription? (users.info, conversations.info)

Slack has no per-channel admins, so a channel's subscription may be changed by the workspace's
admins and owners (users.info ``is_admin``/``is_owner``), the channel's creator
(conversations.info ``creator``) and the user ids in ``[slack] admins``. Everyone else gets a
one-line refusal. A user's time zone (users.info ``tz``) is the default zone of /digestbot
subscribe. Answers are cached for a few minutes (a user's role rarely changes, and asking Slack
on every command would spend its rate limit).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

log = logging.getLogger(__name__)

CACHE_SECONDS = 300.0
CACHE_SIZE = 10_000
REFUSAL = (
    "Only workspace admins, the channel's creator and the bot's admins can change "
    "this channel's subscription."
)


@dataclass(frozen=True)
class Person:
    id: str
    name: str = ""
    tz: str = ""
    is_admin: bool = False  # a workspace admin or owner


@dataclass(frozen=True)
class Conversation:
    id: str
    name: str = ""
    creator: str = ""
    is_member: bool = True
    is_im: bool = False


class _Cache:
    def __init__(self, clock: Callable[[], float]) -> None:
        self.clock = clock
        self.items: dict[tuple[str, str], tuple[float, Any]] = {}

    def get(self, key: tuple[str, str]) -> Any:
        hit = self.items.get(key)
        if hit is None or self.clock() - hit[0] > CACHE_SECONDS:
            return None
        return hit[1]

    def put(self, key: tuple[str, str], value: Any) -> None:
        if len(self.items) >= CACHE_SIZE:
            self.items.clear()
        self.items[key] = (self.clock(), value)


class People:
    """users.info and conversations.info, cached per workspace."""

    def __init__(
        self, admins: Collection[str] = (), *, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.admins = frozenset(admins)
        self._users = _Cache(clock)
        self._channels = _Cache(clock)

    async def person(self, client: AsyncWebClient, team: str, user: str) -> Person:
        cached = self._users.get((team, user))
        if cached is not None:
            return cached
        try:
            answer = await client.users_info(user=user)
        except SlackApiError as exc:
            log.warning("users.info for %s failed: %s", user, exc.response.get("error"))
            return Person(user)
        data = answer.get("user") or {}
        found = Person(
            user,
            str(data.get("real_name") or data.get("name") or ""),
            str(data.get("tz") or ""),
            bool(data.get("is_admin") or data.get("is_owner") or data.get("is_primary_owner")),
        )
        self._users.put((team, user), found)
        return found

    async def conversation(self, client: AsyncWebClient, team: str, channel: str) -> Conversation:
        cached = self._channels.get((team, channel))
        if cached is not None:
            return cached
        try:
            answer = await client.conversations_info(channel=channel)
        except SlackApiError as exc:
            code = str(exc.response.get("error") or "")
            log.info("conversations.info for %s failed: %s", channel, code)
            return Conversation(channel, is_member=code not in ("channel_not_found",))
        data = answer.get("channel") or {}
        found = Conversation(
            channel,
            str(data.get("name") or ""),
            str(data.get("creator") or ""),
            bool(data.get("is_member", True) or data.get("is_im")),
            bool(data.get("is_im")),
        )
        self._channels.put((team, channel), found)
        return found

    def forget_channel(self, team: str, channel: str) -> None:
        self._channels.items.pop((team, channel), None)

    async def may_change(self, client: AsyncWebClient, team: str, channel: str, user: str) -> bool:
        """May ``user`` change the subscription of ``channel``? (see the module docstring)"""
        if user in self.admins:
            return True
        if (await self.person(client, team, user)).is_admin:
            return True
        return (await self.conversation(client, team, channel)).creator == user
