"""Helpers for tests that drive the fake Slack Web API with slack_sdk's AsyncWebClient."""

from __future__ import annotations

from typing import Any

import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from tests.fakes.slack_server import FakeSlack

JSON = dict[str, Any]


class Clock:
    """A hand-moved monotonic clock for the server's rate limits and trigger expiry."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def client_for(slack: FakeSlack, token: str | None = None, **kwargs: Any) -> AsyncWebClient:
    """An AsyncWebClient pointed at ``slack`` (its bot token unless ``token``)."""
    return AsyncWebClient(token=token or slack.bot_token, base_url=slack.base_url, **kwargs)


def section(text: str) -> JSON:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


async def slack_error(call: Any) -> SlackApiError:
    """The SlackApiError ``call`` (an awaitable) raises."""
    with pytest.raises(SlackApiError) as raised:
        await call
    return raised.value
