"""What the fake Bot API server records, the errors it answers and how it checks sends."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from tests.fakes.telegram_html import HtmlParseError, parse_telegram_html
from tests.fakes.telegram_updates import utf16_len

MESSAGE_LIMIT = 4096
CALLBACK_DATA_LIMIT = 64


class ApiError(Exception):
    """A Bot API error answer: HTTP status, Telegram's description and optional parameters."""

    def __init__(
        self, status: int, description: str, parameters: dict[str, int] | None = None
    ) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.parameters = parameters

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "ok": False,
            "error_code": self.status,
            "description": self.description,
        }
        if self.parameters:
            body["parameters"] = self.parameters
        return body

    def response(self) -> web.Response:
        return web.json_response(self.body(), status=self.status)

    @classmethod
    def unauthorized(cls) -> ApiError:
        """A well-formed token Telegram does not know (revoked, mistyped)."""
        return cls(401, "Unauthorized")

    @classmethod
    def not_found(cls) -> ApiError:
        """A malformed token, an unknown method, or a path that is not the Bot API's."""
        return cls(404, "Not Found")

    @classmethod
    def server_error(cls, status: int = 500) -> ApiError:
        """Telegram having a bad moment: 500 Internal Server Error, 502 Bad Gateway, ..."""
        phrase = {500: "Internal Server Error", 502: "Bad Gateway", 503: "Service Unavailable"}
        return cls(status, phrase.get(status, "Internal Server Error"))

    @classmethod
    def flood(cls, retry_after: int) -> ApiError:
        retry_after = max(1, retry_after)
        return cls(
            429, f"Too Many Requests: retry after {retry_after}", {"retry_after": retry_after}
        )

    @classmethod
    def blocked(cls) -> ApiError:
        return cls(403, "Forbidden: bot was blocked by the user")

    @classmethod
    def kicked(cls) -> ApiError:
        return cls(403, "Forbidden: bot was kicked from the group chat")

    @classmethod
    def migrated(cls, new_chat_id: int) -> ApiError:
        return cls(
            400,
            "Bad Request: group chat was upgraded to a supergroup chat",
            {"migrate_to_chat_id": new_chat_id},
        )

    @classmethod
    def chat_not_found(cls) -> ApiError:
        return cls(400, "Bad Request: chat not found")

    @classmethod
    def too_long(cls) -> ApiError:
        return cls(400, "Bad Request: message is too long")


@dataclass
class Call:
    """One request the bot made: method, parameters (object fields decoded), when, answer."""

    method: str
    params: dict[str, Any]
    time: float
    status: int = 200
    error: str | None = None

    @property
    def chat_id(self) -> int | None:
        try:
            return int(self.params["chat_id"])
        except (KeyError, ValueError):
            return None

    @property
    def text(self) -> str | None:
        value = self.params.get("text")
        return value if isinstance(value, str) else None

    @property
    def buttons(self) -> list[list[dict[str, Any]]]:
        """The inline keyboard sent with the call (rows of button objects)."""
        markup = self.params.get("reply_markup") or {}
        return list(markup.get("inline_keyboard", [])) if isinstance(markup, dict) else []


@dataclass
class Script:
    """A scripted answer: an error, or a delay after the call was recorded and delivered."""

    method: str
    chat_id: int | None
    times: int | None
    error: ApiError | None = None
    delay: float = 0.0
    after: int = 0  # let this many matching calls through first
    used: int = field(default=0)

    def matches(self, method: str, chat_id: int | None) -> bool:
        """``method`` is lower case; "*" means any method but getUpdates (polling goes on)."""
        any_method = self.method == "*" and method != "getupdates"
        return (any_method or self.method == method) and self.chat_id in (None, chat_id)

    def use(self) -> None:
        self.used += 1
        if self.times is not None:
            self.times -= 1


def _check_keyboard(markup: Any) -> None:
    if not markup:
        return
    if not isinstance(markup, dict):
        raise ApiError(400, "Bad Request: can't parse reply keyboard markup JSON object")
    for row in markup.get("inline_keyboard", []):
        for button in row:
            if not button.get("text"):
                raise ApiError(400, "Bad Request: BUTTON_TEXT_INVALID")
            data = button.get("callback_data")
            if data is not None and not 1 <= len(data.encode("utf-8")) <= CALLBACK_DATA_LIMIT:
                raise ApiError(400, "Bad Request: BUTTON_DATA_INVALID")
            url = button.get("url")
            if url is not None and not url.startswith(("http://", "https://", "tg://")):
                raise ApiError(400, "Bad Request: BUTTON_URL_INVALID")


def validate_outgoing(params: dict[str, Any], *, strict: bool = True) -> str:
    """Check text, parse mode and keyboard like Telegram; the text a chat would show."""
    text = params.get("text")
    if not isinstance(text, str) or not text:
        raise ApiError(400, "Bad Request: message text is empty")
    shown = text
    if str(params.get("parse_mode", "")).upper() == "HTML":
        try:
            shown = parse_telegram_html(text, strict=strict).text
        except HtmlParseError as error:
            raise ApiError(400, f"Bad Request: can't parse entities: {error}") from None
    if not shown.strip():
        raise ApiError(400, "Bad Request: message text is empty")
    if utf16_len(shown) > MESSAGE_LIMIT:
        raise ApiError.too_long()
    _check_keyboard(params.get("reply_markup"))
    return shown
