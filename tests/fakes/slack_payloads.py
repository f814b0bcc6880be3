"""What users do in the fake Slack workspace, as the payloads Slack sends to an app.

Each builder returns the payload of one user action, shaped as Slack sends it: slash command
fields, an ``event_callback`` (app_mention, message in a DM), ``block_actions`` for a button
press on a message the bot posted, ``message_action`` (a message shortcut), ``view_submission``
for a modal the bot opened. Hand it to Socket Mode (:meth:`SocketMode.push`) or to the signed
HTTP sender (:class:`tests.fakes.slack_signing.SignedSender`). Builders issue what Slack
issues with them: a trigger_id (valid 3 s, once, for views.open) and a response_url on the
fake server (5 posts at most) that records what the app posts back. ``team=`` makes the
payload come from another workspace (:meth:`Workspace.add_team`); :meth:`Payloads.app_uninstalled`
and :meth:`Payloads.tokens_revoked` are what Slack sends when a workspace removes the app.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from typing import Any

from tests.fakes.slack_state import (
    APP_ID,
    BOT_USER_ID,
    DEFAULT_CHANNEL,
    DEFAULT_USER,
    TEAM_DOMAIN,
    TEAM_ID,
    VERIFICATION_TOKEN,
    Message,
    ResponseUrl,
    Workspace,
)
from tests.fakes.slack_validate import SlackError

JSON = dict[str, Any]

TRIGGER_SECONDS = 3.0


class Payloads(Workspace):
    """Payload builders; trigger_ids and response_urls they hand out."""

    def __init__(self) -> None:
        super().__init__()
        self.port = 0
        self.clock: Callable[[], float] = time.monotonic
        self.triggers: dict[str, float] = {}
        self.used_triggers: set[str] = set()
        self.response_urls: dict[str, ResponseUrl] = {}
        self._event_ids = 0

    @property
    def root_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    # ------------------------------------------------------------ issued with payloads

    def new_trigger_id(self) -> str:
        trigger = f"{int(self.wall())}.{secrets.token_hex(6)}"
        self.triggers[trigger] = self.clock()
        return trigger

    def use_trigger(self, trigger_id: Any) -> None:
        """views.open's check: a known trigger_id, under 3 s old, not used before."""
        if not isinstance(trigger_id, str) or trigger_id not in self.triggers:
            raise SlackError("invalid_trigger_id")
        if trigger_id in self.used_triggers:
            raise SlackError("exchanged_trigger_id")
        if self.clock() - self.triggers[trigger_id] > TRIGGER_SECONDS:
            raise SlackError("expired_trigger_id")
        self.used_triggers.add(trigger_id)

    def new_response_url(
        self,
        kind: str,
        channel: str,
        user: str,
        message_ts: str | None = None,
        team: str = TEAM_ID,
    ) -> str:
        """A response_url for an action by ``user`` in ``channel`` (on ``message_ts``)."""
        path = f"/{kind}/{team}/{len(self.response_urls) + 1}/{secrets.token_hex(8)}"
        self.response_urls[path] = ResponseUrl(kind, channel, user, message_ts)
        return self.root_url + path

    def _user_json(self, user_id: str) -> JSON:
        user = self.user(user_id)
        return {"id": user.id, "username": user.name, "name": user.name, "team_id": TEAM_ID}

    def _team(self) -> JSON:
        return {"id": TEAM_ID, "domain": TEAM_DOMAIN}

    # ------------------------------------------------------------ slash commands

    def slash_command(
        self,
        text: str = "",
        *,
        command: str = "/digestbot",
        user: str = DEFAULT_USER,
        channel: str = DEFAULT_CHANNEL,
        team: str = TEAM_ID,
    ) -> dict[str, str]:
        """``/digestbot text`` typed by ``user`` in ``channel`` (a channel id, or a user id
        for the user's DM with the bot) of ``team``: the form fields Slack sends."""
        where = self.open_im(user) if channel == user else self.channel(channel)
        return {
            "token": VERIFICATION_TOKEN,
            "team_id": team,
            "team_domain": TEAM_DOMAIN,
            "channel_id": where.id,
            "channel_name": "directmessage" if where.is_im else where.name,
            "user_id": user,
            "user_name": self.user(user).name,
            "command": command,
            "text": text,
            "api_app_id": APP_ID,
            "is_enterprise_install": "false",
            "response_url": self.new_response_url("commands", where.id, user, team=team),
            "trigger_id": self.new_trigger_id(),
        }

    # ------------------------------------------------------------ events

    def event_callback(
        self, event: JSON, *, event_id: str | None = None, team: str = TEAM_ID
    ) -> JSON:
        """The Events API envelope around ``event`` (a fresh event_id unless given)."""
        if event_id is None:
            self._event_ids += 1
            event_id = f"Ev{self._event_ids:010d}"
        return {
            "token": VERIFICATION_TOKEN,
            "team_id": team,
            "api_app_id": APP_ID,
            "event": event,
            "type": "event_callback",
            "event_id": event_id,
            "event_time": int(self.wall()),
            "authorizations": [
                {
                    "enterprise_id": None,
                    "team_id": team,
                    "user_id": BOT_USER_ID,
                    "is_bot": True,
                    "is_enterprise_install": False,
                }
            ],
            "is_ext_shared_channel": False,
            "event_context": f"4-{event.get('type', 'event')}-{team}-{event.get('channel')}",
        }

    def app_uninstalled(self, team: str = TEAM_ID) -> JSON:
        """Slack's event when ``team`` removed the app (its tokens are revoked already)."""
        return self.event_callback(
            {"type": "app_uninstalled", "event_ts": self.next_ts()}, team=team
        )

    def tokens_revoked(self, team: str = TEAM_ID, *, bot: bool = True) -> JSON:
        """Slack's event when ``team``'s bot token (or a user's token) was revoked."""
        tokens = {"bot": [BOT_USER_ID]} if bot else {"oauth": [DEFAULT_USER]}
        event = {"type": "tokens_revoked", "tokens": tokens, "event_ts": self.next_ts()}
        return self.event_callback(event, team=team)

    def _user_message(self, channel: str, user: str, text: str, thread_ts: str | None) -> JSON:
        self.user(user)
        message = Message(channel, self.next_ts(), text, None, thread_ts, user, self.clock())
        self.user_messages.append(message)
        event: JSON = {
            "user": user,
            "text": text,
            "ts": message.ts,
            "team": TEAM_ID,
            "channel": channel,
            "event_ts": message.ts,
        }
        if thread_ts is not None:
            event["thread_ts"] = thread_ts
        return event

    def app_mention(
        self,
        text: str,
        *,
        user: str = DEFAULT_USER,
        channel: str = DEFAULT_CHANNEL,
        thread_ts: str | None = None,
        team: str = TEAM_ID,
    ) -> JSON:
        """``@digestbot text`` in ``channel`` (of ``team``): an app_mention event_callback."""
        where = self.channel(channel)
        event = self._user_message(where.id, user, f"<@{BOT_USER_ID}> {text}", thread_ts)
        event["team"] = team
        return self.event_callback({"type": "app_mention", **event}, team=team)

    def direct_message(self, text: str, *, user: str = DEFAULT_USER) -> JSON:
        """``user`` writes ``text`` to the bot in their DM: a message.im event_callback."""
        where = self.open_im(user)
        event = self._user_message(where.id, user, text, None)
        return self.event_callback({"type": "message", "channel_type": "im", **event})

    # ------------------------------------------------------------ interactivity

    def _message_json(self, channel: str, ts: str) -> tuple[JSON, bool]:
        for ephemeral in self.ephemerals:
            if ephemeral.channel == channel and ephemeral.message_ts == ts:
                blocks = ephemeral.blocks or []
                return {"type": "message", "text": ephemeral.text, "blocks": blocks, "ts": ts}, True
        return self.find_message(channel, ts).json(), False

    def block_actions(
        self,
        action_id: str,
        *,
        message_ts: str,
        channel: str = DEFAULT_CHANNEL,
        user: str = DEFAULT_USER,
    ) -> JSON:
        """``user`` presses the button ``action_id`` on the bot's message ``message_ts`` (an
        ordinary or ephemeral one). The button must be in the message's blocks."""
        message, ephemeral = self._message_json(channel, message_ts)
        action = _find_action(message.get("blocks") or [], action_id)
        where = self.channel(channel)
        return {
            "type": "block_actions",
            "user": self._user_json(user),
            "api_app_id": APP_ID,
            "token": VERIFICATION_TOKEN,
            "container": {
                "type": "message",
                "message_ts": message_ts,
                "channel_id": where.id,
                "is_ephemeral": ephemeral,
            },
            "trigger_id": self.new_trigger_id(),
            "team": self._team(),
            "enterprise": None,
            "is_enterprise_install": False,
            "channel": {"id": where.id, "name": where.name or "directmessage"},
            "message": message,
            "state": {"values": {}},
            "response_url": self.new_response_url("actions", where.id, user, message_ts),
            "actions": [{**action, "action_ts": f"{self.wall():.6f}"}],
        }

    def message_shortcut(
        self,
        callback_id: str,
        *,
        message_ts: str,
        channel: str = DEFAULT_CHANNEL,
        user: str = DEFAULT_USER,
    ) -> JSON:
        """``user`` runs the message shortcut ``callback_id`` on message ``message_ts``."""
        message, _ = self._message_json(channel, message_ts)
        where = self.channel(channel)
        return {
            "type": "message_action",
            "token": VERIFICATION_TOKEN,
            "action_ts": f"{self.wall():.6f}",
            "team": self._team(),
            "user": self._user_json(user),
            "channel": {"id": where.id, "name": where.name or "directmessage"},
            "is_enterprise_install": False,
            "enterprise": None,
            "callback_id": callback_id,
            "trigger_id": self.new_trigger_id(),
            "response_url": self.new_response_url("actions", where.id, user),
            "message_ts": message_ts,
            "message": message,
        }

    def view_submission(self, view_id: str, values: JSON, *, user: str = DEFAULT_USER) -> JSON:
        """``user`` submits the modal ``view_id`` the bot opened, with state ``values``
        (``{block_id: {action_id: {"type": ..., "selected_conversation": "C..."}}}``)."""
        opened = self.views.get(view_id)
        if opened is None:
            raise AssertionError(f"no view {view_id} was opened; views: {list(self.views)}")
        return {
            "type": "view_submission",
            "team": self._team(),
            "user": self._user_json(user),
            "api_app_id": APP_ID,
            "token": VERIFICATION_TOKEN,
            "trigger_id": self.new_trigger_id(),
            "view": {**opened.view, "state": {"values": values}},
            "response_urls": [],
            "is_enterprise_install": False,
            "enterprise": None,
        }


def _find_action(blocks: list[JSON], action_id: str) -> JSON:
    """The element ``action_id`` in ``blocks`` as block_actions reports it (with block_id)."""
    for block in blocks:
        elements = list(block.get("elements") or [])
        if "accessory" in block:
            elements.append(block["accessory"])
        for element in elements:
            if isinstance(element, dict) and element.get("action_id") == action_id:
                action = {k: v for k, v in element.items() if k in ("type", "text", "value")}
                return {"action_id": action_id, "block_id": block.get("block_id", ""), **action}
    ids = [
        e.get("action_id")
        for b in blocks
        for e in [*(b.get("elements") or []), b.get("accessory") or {}]
        if isinstance(e, dict) and e.get("action_id")
    ]
    raise AssertionError(f"no element with action_id {action_id!r} in the message; has {ids}")
