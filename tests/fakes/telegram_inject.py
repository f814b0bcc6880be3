"""The user side of the fake Bot API server: chats, admins and the updates users cause.

Every ``inject_*`` method queues an update (returned as the JSON Telegram would send) for the
bot's next getUpdates, or for delivery to its webhook when one is set. Call them from the test's
event loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools

from tests.fakes.telegram_updates import (
    ANONYMOUS_ADMIN_ID,
    BOT_ID,
    DATE,
    JSON,
    anonymous_admin_user,
    bot_user,
    chat,
    chat_type_of,
    member,
    member_update,
    message,
    user,
)
from tests.fakes.telegram_validate import ApiError


class Injector:
    """Chats, admins and queued updates; :class:`FakeTelegram` serves them over HTTP."""

    def __init__(self) -> None:
        self.pending: list[JSON] = []
        self.chats: dict[int, JSON] = {}
        self.admins: dict[int, dict[int, str]] = {}
        self.anonymous_admins: dict[int, set[int]] = {}
        self.migrated: dict[int, int] = {}
        self.removed: dict[int, ApiError] = {}
        self.callback_ids: set[str] = set()
        self.inline_ids: set[str] = set()
        self._update_ids = itertools.count(1)
        self._message_ids: dict[int, itertools.count[int]] = {}
        self._query_ids = itertools.count(1)
        self._arrived = asyncio.Event()

    # ------------------------------------------------------------ queue

    def notify(self) -> None:
        self._arrived.set()
        self._arrived = asyncio.Event()

    async def take_updates(self, offset: int, limit: int, timeout: float) -> list[JSON]:
        """Long polling: confirm updates below ``offset``, wait up to ``timeout`` for more."""
        self.pending = [u for u in self.pending if u["update_id"] >= offset]
        if not self.pending and timeout > 0:
            event = self._arrived
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(event.wait(), timeout)
        return self.pending[: max(1, min(limit, 100))]

    def inject_update(self, payload: JSON) -> JSON:
        """Queue an update given without its update_id (e.g. ``{"message": {...}}``)."""
        update = {"update_id": next(self._update_ids), **payload}
        self.pending.append(update)
        self.notify()
        return update

    # ------------------------------------------------------------ chats and admins

    def chat_json(self, chat_id: int, chat_type: str | None = None) -> JSON:
        if chat_id not in self.chats or chat_type is not None:
            self.chats[chat_id] = chat(chat_id, chat_type)
        return self.chats[chat_id]

    def new_message(self, chat_id: int, text: str, sender: JSON | None) -> JSON:
        counter = self._message_ids.setdefault(chat_id, itertools.count(1))
        return message(next(counter), self.chat_json(chat_id), text, sender)

    def set_admins(
        self,
        chat_id: int,
        user_ids: list[int],
        *,
        creator: int | None = None,
        anonymous: tuple[int, ...] = (),
    ) -> None:
        """The group's administrators (``creator`` first, if given); others are members.
        Admins in ``anonymous`` have is_anonymous set (they post as the group itself)."""
        roles = {creator: "creator"} if creator is not None else {}
        roles.update({uid: "administrator" for uid in user_ids if uid != creator})
        self.admins[chat_id] = roles
        self.anonymous_admins[chat_id] = set(anonymous)

    def member_of(self, chat_id: int, user_id: int) -> JSON:
        """getChatMember's answer: creator/administrator from :meth:`set_admins`, else member."""
        status = self.admins.get(chat_id, {}).get(user_id, "member")
        if chat_id > 0 and user_id == chat_id:
            status = "member"
        who = bot_user() if user_id == BOT_ID else user(user_id)
        result = member(who, status)
        if status in ("creator", "administrator"):
            result["is_anonymous"] = user_id in self.anonymous_admins.get(chat_id, set())
        return result

    # ------------------------------------------------------------ what users do

    def inject_message(
        self,
        text: str,
        *,
        user_id: int = 1001,
        chat_id: int | None = None,
        chat_type: str | None = None,
        anonymous_admin: bool = False,
        forwarded_from: int | None = None,
    ) -> JSON:
        """A user writes ``text`` (a private chat with them unless ``chat_id`` is given).

        Commands get bot_command entities, /cmd@botname included. ``anonymous_admin`` sends as
        the group itself (from GroupAnonymousBot, sender_chat = the group).
        """
        target = user_id if chat_id is None else chat_id
        sender = anonymous_admin_user() if anonymous_admin else user(user_id)
        msg = self.new_message(target, text, sender)
        if chat_type is not None:
            msg["chat"] = self.chat_json(target, chat_type)
        if anonymous_admin:
            msg["sender_chat"] = msg["chat"]
        if forwarded_from is not None:
            msg["forward_origin"] = {
                "type": "user",
                "date": DATE,
                "sender_user": user(forwarded_from),
            }
        return self.inject_update({"message": msg})

    def inject_channel_post(self, chat_id: int, text: str) -> JSON:
        """A post in a channel the bot is in (no "from"; sender_chat = the channel)."""
        self.chat_json(chat_id, "channel")
        post = self.new_message(chat_id, text, None)
        post["sender_chat"] = post["chat"]
        return self.inject_update({"channel_post": post})

    def inject_inline_query(self, query: str, *, user_id: int = 1001) -> str:
        """``@bot query`` typed by a user; returns the inline query id to answer."""
        query_id = f"iq{next(self._query_ids)}"
        self.inline_ids.add(query_id)
        payload = {"id": query_id, "from": user(user_id), "query": query, "offset": ""}
        self.inject_update({"inline_query": payload})
        return query_id

    def inject_callback_query(
        self, data: str, *, user_id: int = 1001, message_json: JSON | None = None
    ) -> str:
        """A user presses a button with ``data``; ``message_json`` is the message it was on
        (default: a bot message in the user's private chat). Returns the callback query id."""
        query_id = f"cq{next(self._query_ids)}"
        self.callback_ids.add(query_id)
        on = message_json or self.new_message(user_id, "-", bot_user())
        payload = {
            "id": query_id,
            "from": user(user_id),
            "chat_instance": f"ci{on['chat']['id']}",
            "data": data,
            "message": on,
        }
        self.inject_update({"callback_query": payload})
        return query_id

    def inject_my_chat_member(
        self, chat_id: int, *, new_status: str = "left", old_status: str = "member",
        by_user_id: int = 1001,
    ) -> JSON:  # fmt: skip
        """The bot's membership changed: ``left``/``kicked`` = removed from the group (or, in a
        private chat, blocked by the user). From then on that chat answers 403 as Telegram does,
        until a later update makes the bot a member again."""
        payload = member_update(self.chat_json(chat_id), user(by_user_id), old_status, new_status)
        if new_status in ("left", "kicked"):
            self.removed[chat_id] = _removal_error(chat_id, new_status)
        else:
            self.removed.pop(chat_id, None)
        return self.inject_update({"my_chat_member": payload})

    def inject_migration(self, old_chat_id: int, new_chat_id: int, *, user_id: int = 1001) -> None:
        """A group became a supergroup: the two service messages Telegram sends; from now on
        sends to ``old_chat_id`` answer 400 with migrate_to_chat_id."""
        old = self.new_message(old_chat_id, "", user(user_id))
        del old["text"]
        old["migrate_to_chat_id"] = new_chat_id
        self.inject_update({"message": old})
        new = self.new_message(new_chat_id, "", user(user_id))
        new["chat"] = self.chat_json(new_chat_id, "supergroup")
        del new["text"]
        new["migrate_from_chat_id"] = old_chat_id
        self.inject_update({"message": new})
        self.migrated[old_chat_id] = new_chat_id
        if old_chat_id in self.admins:
            self.admins[new_chat_id] = dict(self.admins[old_chat_id])
            self.anonymous_admins[new_chat_id] = set(self.anonymous_admins[old_chat_id])


def _removal_error(chat_id: int, status: str) -> ApiError:
    if chat_id > 0:
        return ApiError.blocked()
    if status == "left":
        return ApiError(403, "Forbidden: bot is not a member of the group chat")
    kind = "supergroup" if chat_type_of(chat_id) == "supergroup" else "group"
    return ApiError(403, f"Forbidden: bot was kicked from the {kind} chat")


__all__ = ["ANONYMOUS_ADMIN_ID", "Injector", "chat_type_of"]
