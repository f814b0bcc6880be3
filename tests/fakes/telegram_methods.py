"""Bot API methods of the fake server that answer from its state (chats, admins, commands,
files: getFile and the download under ``/file/bot<TOKEN>/PATH``, as Telegram serves them).

The methods that send, poll or change the webhook live in :mod:`tests.fakes.telegram_server`.
"""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from tests.fakes.telegram_inject import Injector
from tests.fakes.telegram_protocol import token_refused
from tests.fakes.telegram_updates import JSON, bot_user, chat, chat_full_info
from tests.fakes.telegram_validate import ApiError, validate_outgoing


class Methods(Injector):
    """getMe, answerInlineQuery, the command menu, the chat/admin queries and files."""

    token: str

    def __init__(self) -> None:
        super().__init__()
        self.strict_html = True
        self.commands: dict[str, list[JSON]] = {}
        self.files: dict[str, tuple[str, bytes]] = {}  # file_id -> (file_path, content)

    def add_file(self, content: bytes, name: str = "document.txt") -> str:
        """A file a user sent; its file_id for getFile."""
        file_id = f"file-{len(self.files) + 1}"
        self.files[file_id] = (f"documents/{name}", content)
        return file_id

    async def download(self, request: web.Request) -> web.Response:
        refused = token_refused(request.match_info["prefix"], self.token)
        if refused is not None:
            return refused.response()
        for path, content in self.files.values():
            if path == request.match_info["file_path"]:
                return web.Response(body=content)
        return ApiError.not_found().response()

    def _chat_id(self, params: dict[str, Any]) -> int:
        try:
            chat_id = int(params.get("chat_id", ""))
        except ValueError:
            raise ApiError.chat_not_found() from None
        if chat_id in self.migrated:
            raise ApiError.migrated(self.migrated[chat_id])
        if chat_id in self.removed:
            raise self.removed[chat_id]
        return chat_id

    async def _m_getMe(self, params: dict[str, Any]) -> JSON:
        return bot_user()

    async def _m_answerInlineQuery(self, params: dict[str, Any]) -> bool:
        if params.get("inline_query_id") not in self.inline_ids:
            raise ApiError(400, "Bad Request: query is too old and response timeout expired")
        results = params.get("results", [])
        ids = [str(r.get("id", "")) for r in results]
        if len(results) > 50:
            raise ApiError(400, "Bad Request: RESULTS_TOO_MUCH")
        if len(set(ids)) != len(ids) or any(not 1 <= len(i.encode()) <= 64 for i in ids):
            raise ApiError(400, "Bad Request: RESULT_ID_INVALID")
        for result in results:
            content = result.get("input_message_content", {})
            text = content.get("message_text", "-")
            outgoing = {"text": text, "parse_mode": content.get("parse_mode", "")}
            if "reply_markup" in result:
                outgoing["reply_markup"] = result["reply_markup"]
            validate_outgoing(outgoing, strict=self.strict_html)
        return True

    async def _m_setMyCommands(self, params: dict[str, Any]) -> bool:
        commands = params.get("commands", [])
        for command in commands:
            name, description = command.get("command", ""), command.get("description", "")
            if not (1 <= len(name) <= 32 and name.replace("_", "").isalnum() and name.islower()):
                raise ApiError(400, "Bad Request: BOT_COMMAND_INVALID")
            if not 1 <= len(description) <= 256:
                raise ApiError(400, "Bad Request: command description must be non-empty")
        self.commands[json.dumps(params.get("scope", {}), sort_keys=True)] = commands
        return True

    async def _m_getMyCommands(self, params: dict[str, Any]) -> list[JSON]:
        return self.commands.get(json.dumps(params.get("scope", {}), sort_keys=True), [])

    async def _m_deleteMyCommands(self, params: dict[str, Any]) -> bool:
        self.commands.pop(json.dumps(params.get("scope", {}), sort_keys=True), None)
        return True

    async def _m_getChatMember(self, params: dict[str, Any]) -> JSON:
        chat_id = self._chat_id(params)
        user_id = int(params.get("user_id", "0"))
        return self.member_of(chat_id, user_id)

    async def _m_getChatAdministrators(self, params: dict[str, Any]) -> list[JSON]:
        chat_id = self._chat_id(params)
        if chat_id > 0:
            raise ApiError(400, "Bad Request: there are no administrators in the private chat")
        return [self.member_of(chat_id, user_id) for user_id in self.admins.get(chat_id, {})]

    async def _m_getChat(self, params: dict[str, Any]) -> JSON:
        chat_id = self._chat_id(params)
        return chat_full_info(self.chats.get(chat_id) or chat(chat_id))

    async def _m_getFile(self, params: dict[str, Any]) -> JSON:
        file_id = str(params.get("file_id", ""))
        if file_id not in self.files:
            raise ApiError(400, "Bad Request: invalid file_id")
        path, content = self.files[file_id]
        return {"file_id": file_id, "file_unique_id": file_id, "file_size": len(content),
                "file_path": path}  # fmt: skip

    async def _m_close(self, params: dict[str, Any]) -> bool:
        return True

    async def _m_logOut(self, params: dict[str, Any]) -> bool:
        return True
