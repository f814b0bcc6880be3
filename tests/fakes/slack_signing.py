"""Slack's side of HTTP mode: signed requests to an app's Request URL.

Slack signs every request with the app's signing secret: ``X-Slack-Signature: v0=`` + hex
HMAC-SHA256 of ``v0:{timestamp}:{body}``, and ``X-Slack-Request-Timestamp`` (apps refuse
ones older than 5 minutes). Slash commands are form-encoded, events are JSON (the first one
a ``url_verification`` challenge), interactivity is a form with one ``payload`` field holding
JSON. Redeliveries carry ``X-Slack-Retry-Num`` and ``X-Slack-Retry-Reason``.

    sender = SignedSender(SIGNING_SECRET)
    answer = await sender.slash_command(url, slack.slash_command("ask prison"))
    forged = await sender.slash_command(url, payload, secret="not-the-secret")  # 401
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import aiohttp

JSON = dict[str, Any]

FORM = "application/x-www-form-urlencoded"


def signature(secret: str, timestamp: str, body: bytes) -> str:
    """The ``X-Slack-Signature`` value for ``body`` sent at ``timestamp``."""
    base = b"v0:" + timestamp.encode() + b":" + body
    return "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


@dataclass
class Answer:
    """What the app answered: HTTP status, body text, headers, seconds it took."""

    status: int
    text: str
    headers: dict[str, str]
    seconds: float

    def json(self) -> Any:
        return json.loads(self.text) if self.text else None


class SignedSender:
    """Posts signed Slack requests to an app (a fresh session per request unless given)."""

    def __init__(
        self,
        signing_secret: str,
        *,
        clock: Callable[[], float] = time.time,
        session: aiohttp.ClientSession | None = None,
    ) -> None:
        self.signing_secret = signing_secret
        self.clock = clock
        self.session = session
        self.sent: list[tuple[str, bytes]] = []

    def headers(
        self,
        body: bytes,
        content_type: str,
        *,
        timestamp: int | None = None,
        secret: str | None = None,
        retry_num: int | None = None,
        retry_reason: str | None = None,
    ) -> dict[str, str]:
        stamp = str(int(self.clock()) if timestamp is None else timestamp)
        headers = {
            "Content-Type": content_type,
            "X-Slack-Request-Timestamp": stamp,
            "X-Slack-Signature": signature(secret or self.signing_secret, stamp, body),
            "User-Agent": "Slackbot 1.0 (+https://api.slack.com/robots)",
        }
        if retry_num is not None:
            headers["X-Slack-Retry-Num"] = str(retry_num)
            headers["X-Slack-Retry-Reason"] = retry_reason or "http_timeout"
        return headers

    async def post(self, url: str, body: bytes, content_type: str, **signing: Any) -> Answer:
        """POST ``body`` signed (``signing``: timestamp, secret, retry_num, retry_reason)."""
        headers = self.headers(body, content_type, **signing)
        self.sent.append((url, body))
        started = time.perf_counter()
        if self.session is not None:
            return await _post(self.session, url, body, headers, started)
        async with aiohttp.ClientSession() as session:
            return await _post(session, url, body, headers, started)

    async def slash_command(self, url: str, fields: dict[str, str], **signing: Any) -> Answer:
        """A slash command's form fields (e.g. from ``FakeSlack.slash_command``)."""
        return await self.post(url, urllib.parse.urlencode(fields).encode(), FORM, **signing)

    async def event(self, url: str, payload: JSON, **signing: Any) -> Answer:
        """An Events API delivery (``event_callback`` JSON); ``retry_num`` for a redelivery."""
        body = json.dumps(payload).encode()
        return await self.post(url, body, "application/json", **signing)

    async def url_verification(self, url: str, challenge: str = "fake-challenge") -> Answer:
        """The challenge Slack sends when a Request URL is saved; the app echoes it."""
        payload = {
            "token": "test-verification-token",
            "challenge": challenge,
            "type": "url_verification",
        }
        return await self.event(url, payload)

    async def interactivity(self, url: str, payload: JSON, **signing: Any) -> Answer:
        """A button press, shortcut or view submission: form field ``payload`` = JSON."""
        body = urllib.parse.urlencode({"payload": json.dumps(payload)}).encode()
        return await self.post(url, body, FORM, **signing)


async def _post(
    session: aiohttp.ClientSession, url: str, body: bytes, headers: dict[str, str], started: float
) -> Answer:
    async with session.post(url, data=body, headers=headers) as response:
        text = await response.text()
        return Answer(response.status, text, dict(response.headers), time.perf_counter() - started)
