"""Buttons and sharing on Slack: what a button press, the Share modal and the "Share summary"
message shortcut answer. The listeners are registered in bot.platforms.slack.frontend.

"More comments" and "Full summary" carry their command as the button's value (``more:ID:N``,
``post:ID``) and run it through the CommandSet like a typed one. "Share" opens a modal with a
conversations_select; on submit the bot posts the post's summary there with "Shared by @user".
The shortcut does the same for the digest message
it is run on (the post is found from the message's buttons).
"""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any

from bot.chat.reply import Reply, Run
from bot.chat.views import summary_reply
from bot.corpus.folder import resolve_post
from bot.platforms.slack.blocks import mrkdwn, plain_text

if TYPE_CHECKING:
    from bot.app import App

JSON = dict[str, Any]
VALUE_LIMIT = 2000  # Slack's limit for a button's value
SHARE_VIEW = "share"
SHARE_SHORTCUT = "share_summary"
TARGET_BLOCK, TARGET_ACTION = "target", "conversation"
EXPIRED = "That button has expired."


def decode_button(value: str) -> Run | None:
    """A button's value (``command:arg:arg``, as bot.platforms.slack.blocks writes a
    :class:`~bot.chat.reply.Run`) -> the Run; None for a value this bot could not have made."""
    command, *args = value.split(":") if value and len(value) <= VALUE_LIMIT else [""]
    return Run(command, tuple(args)) if command else None


def share_view(alias: str, origin: str) -> JSON:
    """The modal asking where to share post ``alias`` (opened from ``origin``, a channel)."""
    return {
        "type": "modal",
        "callback_id": SHARE_VIEW,
        "title": plain_text("Share summary", 24),
        "submit": plain_text("Share", 24),
        "close": plain_text("Cancel", 24),
        "private_metadata": json.dumps({"post": alias, "origin": origin}),
        "blocks": [
            {
                "type": "input",
                "block_id": TARGET_BLOCK,
                "label": plain_text("Share into", 2000),
                "element": {
                    "type": "conversations_select",
                    "action_id": TARGET_ACTION,
                    "default_to_current_conversation": True,
                    "filter": {"include": ["public", "private", "im", "mpim"]},
                    "placeholder": plain_text("Pick a channel or person", 150),
                },
            }
        ],
    }


def shared_reply(app: App, alias: str) -> Reply:
    """The summary a share posts (UsageError when the post is gone)."""
    post = resolve_post(app.posts, alias)
    return summary_reply(app.summary(post), post)


def shared_by(user_id: str) -> JSON:
    """The context block under a shared summary: "Shared by @user" (a real mention; the id
    comes from Slack's payload and is checked to be one)."""
    if not re.fullmatch(r"[UW][A-Z0-9]{2,20}", user_id):
        return {"type": "context", "elements": [mrkdwn("Shared with digestbot")]}
    return {"type": "context", "elements": [mrkdwn(f"Shared by <@{user_id}>")]}


def share_target(view: JSON) -> str:
    values = view.get("state", {}).get("values", {})
    picked = values.get(TARGET_BLOCK, {}).get(TARGET_ACTION, {})
    return str(picked.get("selected_conversation") or "")


def share_metadata(view: JSON) -> tuple[str, str]:
    try:
        meta = json.loads(view.get("private_metadata") or "{}")
    except ValueError:
        meta = {}
    return str(meta.get("post", "")), str(meta.get("origin", ""))


def alias_in(message: JSON) -> str | None:
    """The post a bot message is about: the value of its Share button (``post ID``)."""
    for block in message.get("blocks") or []:
        for element in block.get("elements") or []:
            value = element.get("value") if isinstance(element, dict) else None
            if isinstance(value, str) and value.startswith("post "):
                return value.removeprefix("post ").strip()
    return None
