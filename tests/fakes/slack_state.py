"""The fake Slack workspace: its users, channels, the bot, and what the bot posted.

Plain records plus :class:`Workspace`, which the Web API methods (:mod:`slack_methods`) read
and change and the tests inspect: accepted messages (channel, ts, text, blocks, thread_ts),
ephemeral messages, opened views and what the app posted to response_urls. Ids follow Slack's
conventions: ``U`` users, ``C`` public and private channels, ``D`` direct messages, ``G``
group DMs, ``V`` views, ``T`` the team. More teams (workspaces that installed the app through
OAuth) are :meth:`Workspace.add_team`; a channel belongs to one team, and a call made with
another team's token (:data:`CALLER_TEAM`, set per request) does not find it.
"""

from __future__ import annotations

import contextvars
import datetime as dt
import itertools
import time
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from tests.fakes.slack_validate import SlackError

JSON = dict[str, Any]

TEAM_ID = "T0FAKE0001"
TEAM_NAME = "Digest Test Workspace"
TEAM_DOMAIN = "digestbot-test"
APP_ID = "A0FAKE0001"
BOT_USER_ID = "U0BOT00001"
BOT_ID = "B0BOT00001"
BOT_NAME = "digestbot"
BOT_TOKEN = "xoxb-test-1001-2002-loopbackfake"
APP_TOKEN = "xapp-test-1-A0FAKE0001-3003-loopbackfake"
SIGNING_SECRET = "test-signing-secret-loopback-0001"
VERIFICATION_TOKEN = "test-verification-token"
DEFAULT_USER = "U0ALICE001"
DEFAULT_CHANNEL = "C0GENERAL1"
CREATED = 1_767_225_600  # 2026-01-01T00:00:00Z
# the team whose token made the Web API call being answered (None outside a call)
CALLER_TEAM: contextvars.ContextVar[str | None] = contextvars.ContextVar("team", default=None)


@dataclass
class User:
    id: str
    name: str
    tz: str = "Europe/London"
    is_admin: bool = False
    is_owner: bool = False
    is_primary_owner: bool = False
    is_bot: bool = False
    deleted: bool = False
    real_name: str = ""

    def json(self, now: float) -> JSON:
        zone = ZoneInfo(self.tz)
        local = dt.datetime.fromtimestamp(now, zone)
        offset = local.utcoffset() or dt.timedelta()
        real = self.real_name or self.name.title()
        result: JSON = {
            "id": self.id,
            "team_id": TEAM_ID,
            "name": self.name,
            "deleted": self.deleted,
            "real_name": real,
            "tz": self.tz,
            "tz_label": local.tzname() or self.tz,
            "tz_offset": int(offset.total_seconds()),
            "is_admin": self.is_admin,
            "is_owner": self.is_owner,
            "is_primary_owner": self.is_primary_owner,
            "is_restricted": False,
            "is_ultra_restricted": False,
            "is_bot": self.is_bot,
            "is_app_user": False,
            "updated": CREATED,
            "profile": {
                "real_name": real,
                "display_name": self.name,
                "real_name_normalized": real,
                "display_name_normalized": self.name,
                "team": TEAM_ID,
            },
        }
        if self.is_bot:
            result["profile"]["bot_id"] = BOT_ID
        return result


@dataclass
class Channel:
    id: str
    name: str = ""
    creator: str = ""
    members: set[str] = field(default_factory=set)
    is_private: bool = False
    is_archived: bool = False
    is_im: bool = False
    is_mpim: bool = False
    user: str = ""  # the other side of a DM
    team: str = TEAM_ID

    def json(self) -> JSON:
        if self.is_im:
            return {
                "id": self.id,
                "created": CREATED,
                "is_im": True,
                "is_org_shared": False,
                "user": self.user,
                "is_user_deleted": False,
                "priority": 0,
            }
        return {
            "id": self.id,
            "name": self.name,
            "name_normalized": self.name,
            "is_channel": not self.is_private and not self.is_mpim,
            "is_group": self.is_private and not self.is_mpim,
            "is_im": False,
            "is_mpim": self.is_mpim,
            "is_private": self.is_private or self.is_mpim,
            "is_archived": self.is_archived,
            "is_general": self.id == DEFAULT_CHANNEL,
            "created": CREATED,
            "creator": self.creator,
            "is_member": BOT_USER_ID in self.members,
            "num_members": len(self.members),
        }


@dataclass
class Message:
    """One message in a channel: what the bot posted (``user`` = the bot) or a user wrote."""

    channel: str
    ts: str
    text: str
    blocks: list[JSON] | None = None
    thread_ts: str | None = None
    user: str = BOT_USER_ID
    time: float = 0.0
    edits: int = 0
    via: str = "chat.postMessage"

    def json(self) -> JSON:
        result: JSON = {"type": "message", "user": self.user, "text": self.text, "ts": self.ts}
        result["team"] = TEAM_ID
        if self.user == BOT_USER_ID:
            result.update(bot_id=BOT_ID, app_id=APP_ID)
            result["bot_profile"] = {"id": BOT_ID, "app_id": APP_ID, "name": BOT_NAME}
        if self.blocks is not None:
            result["blocks"] = self.blocks
        if self.thread_ts is not None:
            result["thread_ts"] = self.thread_ts
        if self.edits:
            result["edited"] = {"user": self.user, "ts": self.ts}
        return result


@dataclass
class Ephemeral:
    channel: str
    user: str
    text: str
    blocks: list[JSON] | None
    message_ts: str
    thread_ts: str | None = None


@dataclass
class OpenedView:
    id: str
    view: JSON
    user: str
    hash: str
    updates: int = 0


RESPONSE_URL_USES = 5


@dataclass
class ResponseUrl:
    """A response_url handed out with a payload: where it answers, uses left."""

    kind: str  # "commands" or "actions"
    channel: str
    user: str
    message_ts: str | None = None
    uses_left: int = RESPONSE_URL_USES


@dataclass
class ResponsePost:
    """What the app posted to a response_url (``kind``: "commands" or "actions")."""

    url: str
    kind: str
    body: JSON
    status: int

    @property
    def text(self) -> str:
        return str(self.body.get("text", ""))

    @property
    def response_type(self) -> str:
        return str(self.body.get("response_type", "ephemeral"))


@dataclass
class Call:
    """One Web API request: method, parameters (token removed, JSON fields decoded), when
    (by the server's clock), and the answer: HTTP status and Slack's error code if any."""

    method: str
    params: JSON
    time: float
    status: int = 200
    error: str | None = None
    token: str | None = field(default=None, repr=False)  # which token made it (never shown)

    @property
    def channel(self) -> str | None:
        value = self.params.get("channel")
        return value if isinstance(value, str) else None

    @property
    def ok(self) -> bool:
        return self.status == 200 and self.error is None


class Workspace:
    """One team: users, channels, DMs and everything the bot left in them."""

    def __init__(self) -> None:
        self.users: dict[str, User] = {}
        self.channels: dict[str, Channel] = {}
        self.messages: list[Message] = []
        self.user_messages: list[Message] = []
        self.lost: list[Message] = []
        self.ephemerals: list[Ephemeral] = []
        self.views: dict[str, OpenedView] = {}
        self.responses: list[ResponsePost] = []
        self.wall = time.time
        self.teams: dict[str, str] = {TEAM_ID: TEAM_NAME}
        self._ims: dict[str, str] = {}
        self._ids = itertools.count(1)
        self._last_ts = 0
        self.add_user(BOT_USER_ID, BOT_NAME, is_bot=True)
        self.add_user(DEFAULT_USER, "alice")
        self.add_channel(DEFAULT_CHANNEL, "general", creator=DEFAULT_USER, members=[DEFAULT_USER])

    # ------------------------------------------------------------ seeding

    def add_user(
        self,
        user_id: str,
        name: str,
        *,
        tz: str = "Europe/London",
        is_admin: bool = False,
        is_owner: bool = False,
        is_bot: bool = False,
        deleted: bool = False,
    ) -> User:
        """A member of the workspace (``tz`` is an IANA zone, as users.info answers)."""
        ZoneInfo(tz)
        user = User(
            user_id,
            name,
            tz=tz,
            is_admin=is_admin,
            is_owner=is_owner,
            is_primary_owner=is_owner,
            is_bot=is_bot,
            deleted=deleted,
        )
        self.users[user_id] = user
        return user

    def add_channel(
        self,
        channel_id: str,
        name: str,
        *,
        creator: str = DEFAULT_USER,
        members: Iterable[str] = (),
        bot_member: bool = True,
        is_private: bool = False,
        is_archived: bool = False,
        team: str = TEAM_ID,
    ) -> Channel:
        """A channel of ``team``; the bot is in it unless ``bot_member=False`` (then posts
        answer not_in_channel). The creator is a member."""
        people = {creator, *members} - {""}
        if bot_member:
            people.add(BOT_USER_ID)
        channel = Channel(channel_id, name, creator, people, is_private, is_archived)
        channel.team = team
        self.channels[channel_id] = channel
        return channel

    def add_team(self, team_id: str, name: str) -> None:
        """Another workspace (it gets a bot token when it installs the app through OAuth)."""
        self.teams[team_id] = name

    def archive(self, channel_id: str) -> None:
        self.channels[channel_id].is_archived = True

    def remove_bot(self, channel_id: str) -> None:
        """The bot was removed from (or never invited to) the channel."""
        self.channels[channel_id].members.discard(BOT_USER_ID)

    def invite_bot(self, channel_id: str) -> None:
        self.channels[channel_id].members.add(BOT_USER_ID)

    def open_im(self, user_id: str) -> Channel:
        """The bot's direct message channel with ``user_id`` (created on first use)."""
        if user_id not in self.users or self.users[user_id].deleted:
            raise SlackError("user_not_found")
        if user_id not in self._ims:
            channel_id = f"D{user_id[1:]}"
            channel = Channel(channel_id, members={user_id, BOT_USER_ID}, is_im=True)
            channel.user = user_id
            self.channels[channel_id] = channel
            self._ims[user_id] = channel_id
        return self.channels[self._ims[user_id]]

    def has_im(self, user_id: str) -> bool:
        return user_id in self._ims

    def open_mpim(self, user_ids: list[str]) -> Channel:
        for user_id in user_ids:
            self.open_im(user_id)  # raises user_not_found like Slack
        key = ",".join(sorted(user_ids))
        if key not in self._ims:
            channel_id = f"G{next(self._ids):09d}"
            members = {*user_ids, BOT_USER_ID}
            name = "mpdm-" + "--".join(self.users[u].name for u in sorted(user_ids)) + "-1"
            self.channels[channel_id] = Channel(channel_id, name, members=members, is_mpim=True)
            self._ims[key] = channel_id
        return self.channels[self._ims[key]]

    # ------------------------------------------------------------ lookups

    def channel(self, value: Any) -> Channel:
        """The channel a ``channel`` argument names: an id, ``#name``/name, or a user id (the
        bot's DM with that user, as chat.postMessage allows); else channel_not_found."""
        if not isinstance(value, str) or not value:
            raise SlackError("channel_not_found")
        if value in self.channels:
            if CALLER_TEAM.get() not in (None, self.channels[value].team):
                raise SlackError("channel_not_found")  # another workspace's channel
            return self.channels[value]
        if value.startswith(("U", "W")) and value in self.users:
            return self.open_im(value)
        name = value.removeprefix("#")
        for channel in self.channels.values():
            if channel.name == name and not channel.is_im:
                return channel
        raise SlackError("channel_not_found")

    def visible_channel(self, value: Any) -> Channel:
        """As :meth:`channel`, but private channels the bot is not in do not exist for it."""
        channel = self.channel(value)
        if (channel.is_private or channel.is_mpim) and BOT_USER_ID not in channel.members:
            raise SlackError("channel_not_found")
        return channel

    def user(self, value: Any) -> User:
        if not isinstance(value, str) or value not in self.users:
            raise SlackError("user_not_found")
        return self.users[value]

    def find_message(self, channel_id: str, ts: Any) -> Message:
        for message in (*self.messages, *self.user_messages):
            if message.channel == channel_id and message.ts == ts:
                return message
        raise SlackError("message_not_found")

    def next_ts(self) -> str:
        """A fresh message ts ("1767225600.000100"): wall clock in microseconds, strictly
        increasing across the workspace."""
        micros = max(int(self.wall() * 1_000_000), self._last_ts + 1)
        self._last_ts = micros
        return f"{micros // 1_000_000}.{micros % 1_000_000:06d}"

    def next_id(self, prefix: str) -> str:
        return f"{prefix}{next(self._ids):09d}"

    # ------------------------------------------------------------ inspection

    def messages_in(self, channel: str, *, thread_ts: str | None = None) -> list[Message]:
        """Accepted bot messages in ``channel`` (only replies to ``thread_ts`` if given)."""
        return [
            m
            for m in self.messages
            if m.channel == channel and (thread_ts is None or m.thread_ts == thread_ts)
        ]

    def duplicates(self) -> dict[tuple[str, str, str | None], int]:
        """Bot messages accepted more than once: (channel, text, thread_ts) -> count."""
        counts = Counter((m.channel, m.text, m.thread_ts) for m in self.messages)
        return {key: n for key, n in counts.items() if n > 1}

    def misses(self, expected: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
        """The (channel, text) pairs in ``expected`` that no accepted message matches."""
        seen = {(m.channel, m.text) for m in self.messages}
        return [pair for pair in expected if pair not in seen]
