"""Bot API objects (users, chats, messages, members) as the JSON Telegram sends.

Plain functions building dicts, shared by the fake Bot API server and tests that want to craft
an update by hand. Chat ids follow Telegram's conventions: positive = private chat with that
user, ``-100...`` = supergroup or channel, other negative ids = basic group.
"""

from __future__ import annotations

import re
from typing import Any

JSON = dict[str, Any]

TOKEN = "7000001:AAHfakeTokenForLoopbackTests_0123456789ab"
BOT_ID = 7000001
BOT_USERNAME = "digest_test_bot"
ANONYMOUS_ADMIN_ID = 1087968824  # GroupAnonymousBot: "from" of messages by anonymous admins
DATE = 1_767_225_600  # 2026-01-01T00:00:00Z, a fixed message date

_COMMAND = re.compile(r"/[A-Za-z0-9_]{1,32}(?:@[A-Za-z0-9_]{3,32})?")


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def user(user_id: int, *, username: str | None = None, is_bot: bool = False) -> JSON:
    result: JSON = {"id": user_id, "is_bot": is_bot, "first_name": f"User{user_id}"}
    if username:
        result["username"] = username
    return result


def bot_user() -> JSON:
    return {
        **user(BOT_ID, username=BOT_USERNAME, is_bot=True),
        "first_name": "Digest",
        "can_join_groups": True,
        "can_read_all_group_messages": False,
        "supports_inline_queries": True,
    }


def anonymous_admin_user() -> JSON:
    return {
        "id": ANONYMOUS_ADMIN_ID,
        "is_bot": True,
        "first_name": "Group",
        "username": "GroupAnonymousBot",
    }


def chat_type_of(chat_id: int) -> str:
    if chat_id > 0:
        return "private"
    return "supergroup" if str(chat_id).startswith("-100") else "group"


def chat(chat_id: int, chat_type: str | None = None) -> JSON:
    kind = chat_type or chat_type_of(chat_id)
    result: JSON = {"id": chat_id, "type": kind}
    if kind == "private":
        result["first_name"] = f"User{chat_id}"
    else:
        result["title"] = f"{kind.title()} {chat_id}"
    return result


def chat_full_info(chat_json: JSON) -> JSON:
    """getChat's answer for a chat (ChatFullInfo with the fields PTB 22 requires)."""
    gifts = dict.fromkeys(
        (
            "unlimited_gifts",
            "limited_gifts",
            "unique_gifts",
            "premium_subscription",
            "gifts_from_channels",
        ),
        False,
    )
    return {
        **chat_json,
        "accent_color_id": 0,
        "max_reaction_count": 11,
        "accepted_gift_types": gifts,
    }


def command_entities(text: str) -> list[JSON]:
    """bot_command entities for every /command at the start of a word, like Telegram."""
    entities = []
    for match in _COMMAND.finditer(text):
        if match.start() > 0 and not text[match.start() - 1].isspace():
            continue
        entities.append(
            {
                "type": "bot_command",
                "offset": utf16_len(text[: match.start()]),
                "length": utf16_len(match.group(0)),
            }
        )
    return entities


def message(message_id: int, chat_json: JSON, text: str, sender: JSON | None) -> JSON:
    result: JSON = {"message_id": message_id, "date": DATE, "chat": chat_json, "text": text}
    if sender is not None:
        result["from"] = sender
    entities = command_entities(text)
    if entities:
        result["entities"] = entities
    return result


def member(user_json: JSON, status: str) -> JSON:
    """A ChatMember of ``status``: creator, administrator, member, left or kicked."""
    result: JSON = {"user": user_json, "status": status}
    if status == "creator":
        result["is_anonymous"] = False
    elif status == "administrator":
        result.update(
            dict.fromkeys(
                (
                    "can_be_edited",
                    "is_anonymous",
                    "can_restrict_members",
                    "can_promote_members",
                    "can_post_stories",
                    "can_edit_stories",
                    "can_delete_stories",
                ),
                False,
            )
        )
        result.update(
            dict.fromkeys(
                (
                    "can_manage_chat",
                    "can_delete_messages",
                    "can_manage_video_chats",
                    "can_change_info",
                    "can_invite_users",
                ),
                True,
            )
        )
    elif status == "kicked":
        result["until_date"] = 0
    return result


def member_update(chat_json: JSON, by: JSON, old_status: str, new_status: str) -> JSON:
    """A my_chat_member payload: the bot's own membership changed in ``chat_json``."""
    return {
        "chat": chat_json,
        "from": by,
        "date": DATE,
        "old_chat_member": member(bot_user(), old_status),
        "new_chat_member": member(bot_user(), new_status),
    }
