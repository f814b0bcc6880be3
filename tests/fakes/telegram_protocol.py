"""How the fake Bot API server reads requests, refuses tokens and paths, which updates it hands
out, how it posts to a webhook; a log filter."""

from __future__ import annotations

import contextlib
import json
import logging
import re
from collections.abc import Sequence
from typing import Any

import aiohttp
from aiohttp import web

from tests.fakes.telegram_updates import JSON
from tests.fakes.telegram_validate import ApiError

JSON_FIELDS = frozenset(
    {
        "reply_markup",
        "entities",
        "results",
        "commands",
        "scope",
        "link_preview_options",
        "allowed_updates",
        "reply_parameters",
        "button",
        "caption_entities",
    }
)
UNREQUESTED_BY_DEFAULT = frozenset({"chat_member", "message_reaction", "message_reaction_count"})
DEFAULT_ALLOWED_UPDATES: tuple[str, ...] = ()
TOKEN_SHAPE = re.compile(r"\d+:[A-Za-z0-9_-]{30,}")


def token_refused(prefix: str, token: str) -> ApiError | None:
    """What Telegram answers a request under ``/PREFIX/method``: None for ``bot<TOKEN>``; 401
    Unauthorized for another well-formed token; 404 Not Found for a malformed one or a path
    that is not ``bot...`` at all (a wrong base_url)."""
    if prefix == f"bot{token}":
        return None
    if prefix.startswith("bot") and TOKEN_SHAPE.fullmatch(prefix[3:]):
        return ApiError.unauthorized()
    return ApiError.not_found()


async def not_found(request: web.Request) -> web.Response:
    """Any path the Bot API does not serve: Telegram's JSON 404."""
    return ApiError.not_found().response()


def allowed_update(update: JSON, allowed: Sequence[str]) -> bool:
    """Whether Telegram sends ``update`` to a bot asking for ``allowed`` update types (empty =
    every type except chat_member and reactions)."""
    kind = next(key for key in update if key != "update_id")
    return kind in allowed if allowed else kind not in UNREQUESTED_BY_DEFAULT


def normalise(params: dict[str, Any], from_json: bool) -> dict[str, Any]:
    """Form fields as strings, JSON-encoded object fields decoded; JSON bodies made alike."""
    result: dict[str, Any] = {}
    for key, value in params.items():
        if key in JSON_FIELDS and isinstance(value, str):
            with contextlib.suppress(ValueError):
                value = json.loads(value)
        elif from_json and not isinstance(value, (str, dict, list)):
            value = json.dumps(value)
        result[key] = value
    return result


class RedactToken(logging.Filter):
    """A logger filter that replaces the token in a record's message with ``<token>``."""

    def __init__(self, token: str) -> None:
        super().__init__()
        self.token = token

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if self.token in message:
            record.msg, record.args = message.replace(self.token, "<token>"), None
        return True


async def post_webhook(
    url: str,
    update: JSON,
    secret_token: str | None = None,
    session: aiohttp.ClientSession | None = None,
) -> int:
    """POST ``update`` to a bot's webhook as Telegram does; the HTTP status it answered."""
    headers = {"Content-Type": "application/json"}
    if secret_token is not None:
        headers["X-Telegram-Bot-Api-Secret-Token"] = secret_token
    async with contextlib.AsyncExitStack() as stack:
        if session is None:
            session = await stack.enter_async_context(aiohttp.ClientSession())
        async with session.post(url, data=json.dumps(update), headers=headers) as response:
            return response.status
    raise AssertionError("unreachable")  # pragma: no cover
