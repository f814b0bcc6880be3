"""Fetching one feed document politely: conditional GET, time limits, a size cap, few redirects.

Every failure is a :class:`FetchError` whose message says what went wrong in a feed owner's terms
("HTTP 404 (not found)", "more than 10 MB; stopped reading", "redirected more than 5 times").
The body is streamed and counted as it arrives (after gzip is undone), so a huge or endless
response is cut at the cap and never held whole in memory.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from http import HTTPStatus

import httpx

USER_AGENT = "digestbot/0.1 (blog digest bot; conditional GET, one fetch per feed per interval)"
ACCEPT = "application/atom+xml, application/rss+xml, application/xml;q=0.9, */*;q=0.5"
MAX_BYTES = 10 * 1024 * 1024
MAX_REDIRECTS = 5
TIMEOUT = httpx.Timeout(15.0, connect=5.0)
DEADLINE = 60.0  # seconds for one whole response, however slowly it drips in


class FetchError(Exception):
    """A feed could not be fetched; ``str()`` is one line for the operator."""


@dataclass(frozen=True)
class Fetched:
    """A response: ``body`` is None for 304 Not Modified."""

    url: str
    body: bytes | None
    etag: str | None
    last_modified: str | None
    content_type: str = ""


def make_client(*, max_redirects: int = MAX_REDIRECTS) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        headers={"User-Agent": USER_AGENT, "Accept-Encoding": "gzip, deflate"},
        timeout=TIMEOUT,
        follow_redirects=True,
        max_redirects=max_redirects,
    )


async def fetch(
    client: httpx.AsyncClient,
    url: str,
    *,
    etag: str | None = None,
    last_modified: str | None = None,
    max_bytes: int = MAX_BYTES,
    deadline: float = DEADLINE,
) -> Fetched:
    """GET ``url`` (If-None-Match / If-Modified-Since when known). Raises FetchError."""
    headers = {"Accept": ACCEPT}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    try:
        async with asyncio.timeout(deadline):
            return await _get(client, url, headers, max_bytes)
    except TimeoutError:
        raise FetchError(f"no complete answer within {deadline:g} s (server too slow)") from None
    except httpx.TooManyRedirects:
        raise FetchError(f"redirected more than {client.max_redirects} times (a loop?)") from None
    except httpx.TimeoutException:
        raise FetchError("timed out waiting for the server") from None
    except httpx.InvalidURL as exc:
        raise FetchError(f"not a usable URL ({exc})") from None
    except httpx.HTTPError as exc:
        raise FetchError(f"cannot connect: {_reason(exc)}") from None


async def _get(
    client: httpx.AsyncClient, url: str, headers: dict[str, str], max_bytes: int
) -> Fetched:
    async with client.stream("GET", url, headers=headers) as response:
        final = str(response.url)
        if response.status_code == HTTPStatus.NOT_MODIFIED:
            return Fetched(final, None, _etag(response, headers), _modified(response, headers))
        if response.status_code >= 400:
            raise FetchError(f"HTTP {response.status_code} ({_phrase(response.status_code)})")
        declared = response.headers.get("Content-Length", "")
        if declared.isascii() and declared.isdigit() and int(declared) > max_bytes:
            raise FetchError(f"{_mb(int(declared))} declared, over the {_mb(max_bytes)} cap")
        chunks: list[bytes] = []
        size = 0
        async for chunk in response.aiter_bytes():
            size += len(chunk)
            if size > max_bytes:
                raise FetchError(f"more than {_mb(max_bytes)}; stopped reading")
            chunks.append(chunk)
        return Fetched(
            final,
            b"".join(chunks),
            response.headers.get("ETag"),
            response.headers.get("Last-Modified"),
            response.headers.get("Content-Type", ""),
        )


def _etag(response: httpx.Response, sent: dict[str, str]) -> str | None:
    return response.headers.get("ETag") or sent.get("If-None-Match")


def _modified(response: httpx.Response, sent: dict[str, str]) -> str | None:
    return response.headers.get("Last-Modified") or sent.get("If-Modified-Since")


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase.lower()
    except ValueError:
        return "error"


def _mb(size: int) -> str:
    return f"{size / 1024 / 1024:.0f} MB"


def _reason(exc: BaseException) -> str:
    """The innermost cause, without the URL (which may carry a key in its query)."""
    while exc.__cause__ is not None or exc.__context__ is not None:
        exc = exc.__cause__ or exc.__context__  # type: ignore[assignment]
    text = str(exc) or type(exc).__name__
    return text.splitlines()[0][:200]
