"""The Web API methods of the fake Slack server, answering from the workspace's state.

Each ``_m_<name>`` takes the call's parameters and returns the fields of Slack's ``"ok": true``
answer, or raises :class:`SlackError` with the error Slack gives in that case (channel_not_found,
not_in_channel, is_archived, user_not_in_channel, message_not_found, cant_update_message,
invalid/expired/exchanged_trigger_id, hash_conflict, not_found, user_not_found, ...).
apps.connections.open lives with Socket Mode in :mod:`tests.fakes.slack_socket`.
"""

from __future__ import annotations

import base64
import re
import secrets
from typing import Any

from tests.fakes.slack_limits import RateLimits
from tests.fakes.slack_payloads import Payloads
from tests.fakes.slack_state import (
    APP_ID,
    BOT_ID,
    BOT_NAME,
    BOT_USER_ID,
    CALLER_TEAM,
    TEAM_DOMAIN,
    TEAM_ID,
    TEAM_NAME,
    Channel,
    Ephemeral,
    Message,
    OpenedView,
)
from tests.fakes.slack_validate import SlackError, check_message, check_view

JSON = dict[str, Any]

_TS = re.compile(r"\d{10}\.\d{6}")

METHODS = (
    *("auth.test", "chat.postMessage", "chat.update", "chat.postEphemeral"),
    *("chat.getPermalink", "views.open", "views.update", "users.info"),
    *("conversations.info", "conversations.members", "conversations.open"),
)


def _with_block_ids(blocks: list[JSON] | None) -> list[JSON] | None:
    """Blocks as Slack stores them: each has a block_id (a random one if none was sent)."""
    if blocks is None:
        return None
    return [{**b, "block_id": b.get("block_id") or secrets.token_urlsafe(3)} for b in blocks]


def _cursor(offset: int) -> str:
    return base64.b64encode(f"offset:{offset}".encode()).decode() if offset else ""


def _offset(cursor: Any) -> int:
    if not cursor:
        return 0
    try:
        kind, _, number = base64.b64decode(str(cursor)).decode().partition(":")
        if kind == "offset":
            return int(number)
    except ValueError:
        pass
    raise SlackError("invalid_cursor")


class Methods(Payloads):
    """auth.test, chat.*, views.*, users.info and conversations.* over the workspace."""

    def __init__(self) -> None:
        super().__init__()
        self.limits: RateLimits | None = None

    def _postable(self, params: JSON, method: str) -> Channel:
        channel = self.channel(params.get("channel"))
        if channel.is_archived:
            raise SlackError("is_archived")
        if BOT_USER_ID not in channel.members:
            if channel.is_private:
                raise SlackError("channel_not_found")
            raise SlackError("not_in_channel")
        if self.limits is not None:
            self.limits.check(method, channel.id)
        return channel

    async def _m_auth_test(self, params: JSON) -> JSON:
        team = CALLER_TEAM.get() or TEAM_ID  # the team of the token used
        return {
            "url": f"https://{TEAM_DOMAIN}.slack.com/",
            "team": self.teams.get(team, TEAM_NAME),
            "user": BOT_NAME,
            "team_id": team,
            "user_id": BOT_USER_ID,
            "bot_id": BOT_ID,
            "is_enterprise_install": False,
        }

    # ------------------------------------------------------------ chat

    async def _m_chat_postMessage(self, params: JSON) -> JSON:
        channel = self._postable(params, "chat.postMessage")
        text, blocks = check_message(params)
        thread_ts, parent = self._thread(channel.id, params.get("thread_ts"))
        message = Message(channel.id, self.next_ts(), text, _with_block_ids(blocks), thread_ts)
        message.time = self.clock()
        (self.messages if parent else self.lost).append(message)
        return {"channel": channel.id, "ts": message.ts, "message": message.json()}

    def _thread(self, channel_id: str, value: Any) -> tuple[str | None, bool]:
        """The thread a reply joins and whether its parent exists. Like Slack: a malformed
        thread_ts is invalid_thread_ts; a well-formed one naming no message is accepted but
        the reply shows nowhere (kept in :attr:`lost`); a reply to a reply joins its thread."""
        if value in (None, ""):
            return None, True
        if not _TS.fullmatch(str(value)):
            raise SlackError(
                "invalid_thread_ts",
                response_metadata={"messages": [f"[ERROR] {value} is not a valid thread_ts"]},
            )
        try:
            parent = self.find_message(channel_id, str(value))
        except SlackError:
            return str(value), False
        return parent.thread_ts or parent.ts, True

    async def _m_chat_update(self, params: JSON) -> JSON:
        channel = self.channel(params.get("channel"))
        if channel.is_archived:
            raise SlackError("is_archived")
        message = self.find_message(channel.id, params.get("ts"))
        if message.user != BOT_USER_ID:
            raise SlackError("cant_update_message")
        text, blocks = check_message(params)
        message.text = text
        if "blocks" in params:
            message.blocks = _with_block_ids(blocks)
        message.edits += 1
        return {"channel": channel.id, "ts": message.ts, "text": text, "message": message.json()}

    async def _m_chat_postEphemeral(self, params: JSON) -> JSON:
        channel = self._postable(params, "chat.postEphemeral")
        user = self.user(params.get("user"))
        if user.id not in channel.members:
            raise SlackError("user_not_in_channel")
        text, blocks = check_message(params)
        ts = self.next_ts()
        thread_ts = params.get("thread_ts") or None
        ephemeral = Ephemeral(channel.id, user.id, text, _with_block_ids(blocks), ts, thread_ts)
        self.ephemerals.append(ephemeral)
        return {"message_ts": ts}

    async def _m_chat_getPermalink(self, params: JSON) -> JSON:
        channel = self.visible_channel(params.get("channel"))
        message = self.find_message(channel.id, params.get("message_ts"))
        link = (
            f"https://{TEAM_DOMAIN}.slack.com/archives/{channel.id}/p{message.ts.replace('.', '')}"
        )
        if message.thread_ts:
            link += f"?thread_ts={message.thread_ts}&cid={channel.id}"
        return {"channel": channel.id, "permalink": link}

    # ------------------------------------------------------------ views

    def _view_json(self, view_id: str, view: JSON, view_hash: str) -> JSON:
        return {
            "id": view_id,
            "team_id": TEAM_ID,
            "type": view["type"],
            "blocks": _with_block_ids(view.get("blocks")) or [],
            "private_metadata": view.get("private_metadata", ""),
            "callback_id": view.get("callback_id", ""),
            "state": {"values": {}},
            "hash": view_hash,
            "title": view.get("title"),
            "clear_on_close": bool(view.get("clear_on_close", False)),
            "notify_on_close": bool(view.get("notify_on_close", False)),
            "close": view.get("close"),
            "submit": view.get("submit"),
            "previous_view_id": None,
            "root_view_id": view_id,
            "app_id": APP_ID,
            "external_id": view.get("external_id", ""),
            "app_installed_team_id": TEAM_ID,
            "bot_id": BOT_ID,
        }

    def _new_hash(self) -> str:
        return f"{int(self.wall())}.{secrets.token_hex(4)}"

    async def _m_views_open(self, params: JSON) -> JSON:
        view = check_view(params.get("view"))
        self.use_trigger(params.get("trigger_id"))
        external = view.get("external_id")
        if external and any(v.view.get("external_id") == external for v in self.views.values()):
            raise SlackError("duplicate_external_id")
        view_id = self.next_id("V")
        opened = OpenedView(view_id, {}, user="", hash=self._new_hash())
        opened.view = self._view_json(view_id, view, opened.hash)
        self.views[view_id] = opened
        return {"view": opened.view}

    async def _m_views_update(self, params: JSON) -> JSON:
        view = check_view(params.get("view"))
        target = params.get("view_id") or None
        external = params.get("external_id") or None
        found = [
            v
            for v in self.views.values()
            if v.id == target or (external and v.view.get("external_id") == external)
        ]
        if not found:
            raise SlackError("not_found")
        opened = found[0]
        if params.get("hash") and params["hash"] != opened.hash:
            raise SlackError("hash_conflict")
        opened.hash = self._new_hash()
        opened.view = self._view_json(opened.id, view, opened.hash)
        opened.updates += 1
        return {"view": opened.view}

    # ------------------------------------------------------------ users and conversations

    async def _m_users_info(self, params: JSON) -> JSON:
        return {"user": self.user(params.get("user")).json(self.wall())}

    async def _m_conversations_info(self, params: JSON) -> JSON:
        return {"channel": self.visible_channel(params.get("channel")).json()}

    async def _m_conversations_members(self, params: JSON) -> JSON:
        channel = self.visible_channel(params.get("channel"))
        limit = max(1, min(int(params.get("limit") or 100), 1000))
        members = sorted(channel.members)
        start = _offset(params.get("cursor"))
        page = members[start : start + limit]
        following = start + limit if start + limit < len(members) else 0
        return {"members": page, "response_metadata": {"next_cursor": _cursor(following)}}

    async def _m_conversations_open(self, params: JSON) -> JSON:
        if params.get("channel"):
            channel = self.visible_channel(params["channel"])
            return {"channel": channel.json() if params.get("return_im") else {"id": channel.id}}
        users = [u for u in str(params.get("users") or "").split(",") if u]
        if not users:
            raise SlackError("users_list_not_supplied")
        if len(users) > 8:
            raise SlackError("too_many_users")
        existed = len(users) == 1 and self.has_im(users[0])
        channel = self.open_im(users[0]) if len(users) == 1 else self.open_mpim(users)
        answer: JSON = {
            "channel": channel.json() if params.get("return_im") else {"id": channel.id}
        }
        if existed:
            answer.update(no_op=True, already_open=True)
        return answer
