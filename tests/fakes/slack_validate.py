"""What the fake Slack Web API answers when something is wrong, and how it checks Block Kit.

Slack answers API errors with HTTP 200 and ``{"ok": false, "error": "channel_not_found"}``;
rate limits with HTTP 429, a ``Retry-After`` header (seconds) and ``"error": "ratelimited"``;
bad blocks with ``invalid_blocks`` plus ``errors`` and ``response_metadata.messages`` naming
the JSON pointer (``must be less than 3001 characters [json-pointer:/blocks/0/text/text]``).
:func:`check_message` and :func:`check_view` apply the limits Slack documents for messages
and modals; the first broken rule is reported, as Slack does for most of them.
"""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

JSON = dict[str, Any]

MESSAGE_TEXT_LIMIT = 40_000
MESSAGE_BLOCKS = 50
VIEW_BLOCKS = 100
SECTION_TEXT = 3000
SECTION_FIELDS = 10
FIELD_TEXT = 2000
HEADER_TEXT = 150
CONTEXT_ELEMENTS = 10
ACTIONS_ELEMENTS = 25
BUTTON_TEXT = 75
ACTION_ID = 255
BLOCK_ID = 255
BUTTON_VALUE = 2000
URL_LENGTH = 3000
PLACEHOLDER_TEXT = 150
OPTION_TEXT = 75
OPTION_VALUE = 150
MARKDOWN_TEXT = 12_000
VIEW_TITLE = 24
PRIVATE_METADATA = 3000

BLOCK_TYPES = frozenset(
    {
        *("section", "header", "context", "divider", "actions", "image", "rich_text"),
        *("input", "markdown", "file", "video", "table", "context_actions"),
    }
)
TEXT_TYPES = ("plain_text", "mrkdwn")
SELECTS = frozenset(
    {
        *("static_select", "multi_static_select", "conversations_select", "channels_select"),
        *("users_select", "multi_conversations_select", "multi_users_select"),
        *("external_select", "multi_channels_select", "multi_external_select"),
    }
)
ELEMENT_TYPES = frozenset(
    {
        *("button", "overflow", "datepicker", "timepicker", "datetimepicker", "checkboxes"),
        *("radio_buttons", "plain_text_input", "email_text_input", "url_text_input"),
        *("number_input", "image", "rich_text_input", "workflow_button", "file_input"),
        *SELECTS,
    }
)


class SlackError(Exception):
    """One Slack Web API error answer: the ``error`` code, extra body fields, HTTP status."""

    def __init__(
        self, error: str, *, status: int = 200, retry_after: int | None = None, **extra: Any
    ) -> None:
        super().__init__(error)
        self.error = error
        self.status = status
        self.retry_after = retry_after
        self.extra = extra

    def body(self) -> JSON:
        return {"ok": False, "error": self.error, **self.extra}

    def response(self) -> web.Response:
        headers = {"Retry-After": str(self.retry_after)} if self.retry_after is not None else {}
        return web.json_response(self.body(), status=self.status, headers=headers)

    @classmethod
    def ratelimited(cls, retry_after: int = 1) -> SlackError:
        """HTTP 429 with ``Retry-After: retry_after`` (at least 1 s), as Slack answers."""
        return cls("ratelimited", status=429, retry_after=max(1, retry_after))

    @classmethod
    def invalid_blocks(cls, problems: list[str]) -> SlackError:
        return cls(
            "invalid_blocks",
            errors=problems,
            response_metadata={"messages": [f"[ERROR] {p}" for p in problems]},
        )

    @classmethod
    def invalid_arguments(cls, problems: list[str]) -> SlackError:
        return cls(
            "invalid_arguments", response_metadata={"messages": [f"[ERROR] {p}" for p in problems]}
        )

    def __repr__(self) -> str:
        return f"SlackError({self.error!r}, status={self.status})"


class _Problem(Exception):
    """One broken Block Kit rule, with the JSON pointer to the offending value."""

    def __init__(self, message: str, pointer: str) -> None:
        super().__init__(f"{message} [json-pointer:{pointer}]")


def decode_json_field(value: Any, name: str) -> Any:
    """A form field holding JSON (``blocks``, ``view``) decoded; JSON bodies pass through."""
    if not isinstance(value, str):
        return value
    try:
        return json.loads(value)
    except ValueError:
        raise SlackError(f"invalid_{name}_format") from None


# ------------------------------------------------------------------ small rules


def _length(value: Any, limit: int, pointer: str, *, minimum: int = 1) -> str:
    if not isinstance(value, str):
        raise _Problem("expected a string", pointer)
    if len(value) > limit:
        raise _Problem(f"must be less than {limit + 1} characters", pointer)
    if len(value) < minimum:
        raise _Problem(f"must be more than {minimum - 1} characters", pointer)
    return value


def _text(obj: Any, limit: int, pointer: str, *, plain_only: bool = False) -> None:
    if not isinstance(obj, dict):
        raise _Problem("must provide an object", pointer)
    allowed = ("plain_text",) if plain_only else TEXT_TYPES
    if obj.get("type") not in allowed:
        raise _Problem(f"must be one of {', '.join(allowed)}", f"{pointer}/type")
    _length(obj.get("text"), limit, f"{pointer}/text")


def _ids(obj: JSON, key: str, limit: int, pointer: str, seen: set[str]) -> None:
    if key not in obj:
        return
    value = _length(obj[key], limit, f"{pointer}/{key}")
    if value in seen:
        raise _Problem(f"{key} must be unique", f"{pointer}/{key}")
    seen.add(value)


def _options(options: Any, pointer: str, *, most: int, least: int = 1) -> None:
    if not isinstance(options, list) or not least <= len(options) <= most:
        raise _Problem(f"must provide between {least} and {most} items", pointer)
    for i, option in enumerate(options):
        _text(
            option.get("text") if isinstance(option, dict) else None,
            OPTION_TEXT,
            f"{pointer}/{i}/text",
        )
        _length(option.get("value"), OPTION_VALUE, f"{pointer}/{i}/value")


# ------------------------------------------------------------------ elements


def _element(element: Any, pointer: str, action_ids: set[str]) -> None:
    if not isinstance(element, dict):
        raise _Problem("must provide an object", pointer)
    kind = element.get("type")
    if kind not in ELEMENT_TYPES:
        raise _Problem(f"unsupported type: {kind}", f"{pointer}/type")
    _ids(element, "action_id", ACTION_ID, pointer, action_ids)
    if kind == "button":
        _text(element.get("text"), BUTTON_TEXT, f"{pointer}/text", plain_only=True)
        if "value" in element:
            _length(element["value"], BUTTON_VALUE, f"{pointer}/value")
        if "url" in element:
            _length(element["url"], URL_LENGTH, f"{pointer}/url")
        if element.get("style") not in (None, "primary", "danger"):
            raise _Problem("must be one of primary, danger", f"{pointer}/style")
    elif kind in SELECTS and "placeholder" in element:
        _text(element["placeholder"], PLACEHOLDER_TEXT, f"{pointer}/placeholder", plain_only=True)
    if kind in ("static_select", "multi_static_select") and "option_groups" not in element:
        _options(element.get("options"), f"{pointer}/options", most=100)
    elif kind == "overflow":
        _options(element.get("options"), f"{pointer}/options", most=5, least=2)


# ------------------------------------------------------------------ blocks


def _section(block: JSON, pointer: str, action_ids: set[str]) -> None:
    if "text" not in block and "fields" not in block:
        raise _Problem("must provide text or fields", pointer)
    if "text" in block:
        _text(block["text"], SECTION_TEXT, f"{pointer}/text")
    if "fields" in block:
        fields = block["fields"]
        if not isinstance(fields, list) or not 1 <= len(fields) <= SECTION_FIELDS:
            raise _Problem(
                f"must provide between 1 and {SECTION_FIELDS} items", f"{pointer}/fields"
            )
        for i, field in enumerate(fields):
            _text(field, FIELD_TEXT, f"{pointer}/fields/{i}")
    if "accessory" in block:
        _element(block["accessory"], f"{pointer}/accessory", action_ids)


def _context(block: JSON, pointer: str) -> None:
    elements = block.get("elements")
    if not isinstance(elements, list) or not 1 <= len(elements) <= CONTEXT_ELEMENTS:
        raise _Problem(
            f"must provide between 1 and {CONTEXT_ELEMENTS} items", f"{pointer}/elements"
        )
    for i, element in enumerate(elements):
        where = f"{pointer}/elements/{i}"
        if isinstance(element, dict) and element.get("type") == "image":
            _length(element.get("image_url"), URL_LENGTH, f"{where}/image_url")
            _length(element.get("alt_text"), FIELD_TEXT, f"{where}/alt_text")
        else:
            _text(element, SECTION_TEXT, where)


def _actions(block: JSON, pointer: str) -> None:
    elements = block.get("elements")
    if not isinstance(elements, list) or not 1 <= len(elements) <= ACTIONS_ELEMENTS:
        raise _Problem(
            f"must provide between 1 and {ACTIONS_ELEMENTS} items", f"{pointer}/elements"
        )
    action_ids: set[str] = set()
    for i, element in enumerate(elements):
        _element(element, f"{pointer}/elements/{i}", action_ids)


def _block(block: Any, pointer: str, block_ids: set[str]) -> None:
    if not isinstance(block, dict):
        raise _Problem("must provide an object", pointer)
    kind = block.get("type")
    if kind not in BLOCK_TYPES:
        raise _Problem(f"unsupported type: {kind}", f"{pointer}/type")
    _ids(block, "block_id", BLOCK_ID, pointer, block_ids)
    if kind == "section":
        _section(block, pointer, set())
    elif kind == "header":
        _text(block.get("text"), HEADER_TEXT, f"{pointer}/text", plain_only=True)
    elif kind == "context":
        _context(block, pointer)
    elif kind == "actions":
        _actions(block, pointer)
    elif kind == "markdown":
        _length(block.get("text"), MARKDOWN_TEXT, f"{pointer}/text")
    elif kind == "image":
        _length(block.get("image_url"), URL_LENGTH, f"{pointer}/image_url")
        _length(block.get("alt_text"), FIELD_TEXT, f"{pointer}/alt_text")
    elif kind == "input":
        _text(block.get("label"), FIELD_TEXT, f"{pointer}/label", plain_only=True)
        _element(block.get("element"), f"{pointer}/element", set())


def check_blocks(blocks: Any, limit: int, pointer: str = "/blocks") -> None:
    """Raise ``invalid_blocks`` for the first rule ``blocks`` breaks (at most ``limit``)."""
    try:
        if not isinstance(blocks, list):
            raise _Problem("must provide an array", pointer)
        if len(blocks) > limit:
            raise _Problem(f"no more than {limit} items allowed", pointer)
        block_ids: set[str] = set()
        for i, block in enumerate(blocks):
            _block(block, f"{pointer}/{i}", block_ids)
    except _Problem as problem:
        raise SlackError.invalid_blocks([str(problem)]) from None


def check_message(params: JSON, *, need_content: bool = True) -> tuple[str, list[JSON] | None]:
    """The text and blocks of a chat.postMessage/update/postEphemeral or response_url post,
    checked as Slack does: no_text, msg_too_long, invalid_blocks (50 blocks at most)."""
    text = params.get("text")
    text = text if isinstance(text, str) else ""
    blocks = params.get("blocks")
    if blocks in ("", None):
        blocks = None
    else:
        blocks = decode_json_field(blocks, "blocks")
        check_blocks(blocks, MESSAGE_BLOCKS)
    attachments = params.get("attachments")
    if need_content and not text.strip() and not blocks and not attachments:
        raise SlackError("no_text")
    if len(text) > MESSAGE_TEXT_LIMIT:
        raise SlackError("msg_too_long")
    return text, blocks


def check_view(view: Any) -> JSON:
    """A views.open/update ``view`` checked like Slack (``invalid_arguments`` naming the
    pointer: title 24 characters, 100 blocks, private_metadata 3000)."""
    view = decode_json_field(view, "view")
    try:
        if not isinstance(view, dict):
            raise _Problem("must provide an object", "/view")
        if view.get("type") not in ("modal", "home"):
            raise _Problem("must be one of modal, home", "/view/type")
        if view["type"] == "modal":
            _text(view.get("title"), VIEW_TITLE, "/view/title", plain_only=True)
        for key in ("submit", "close"):
            if key in view:
                _text(view[key], VIEW_TITLE, f"/view/{key}", plain_only=True)
        for key, limit in (("private_metadata", PRIVATE_METADATA), ("callback_id", 255)):
            if key in view:
                _length(view[key], limit, f"/view/{key}", minimum=0)
        blocks = view.get("blocks")
        has_input = isinstance(blocks, list) and any(
            isinstance(b, dict) and b.get("type") == "input" for b in blocks
        )
        if has_input and "submit" not in view:
            raise _Problem("submit is required when an input block is present", "/view/submit")
    except _Problem as problem:
        raise SlackError.invalid_arguments([str(problem)]) from None
    try:
        check_blocks(view.get("blocks"), VIEW_BLOCKS, "/view/blocks")
    except SlackError as error:
        raise SlackError.invalid_arguments(error.extra["errors"]) from None
    return view
