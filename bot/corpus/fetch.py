"""Fetching one feed document politely: conditional GET, time limits, a size cap, few redirects.

Every failure is a :class:`FetchError` whose message says what went wrong in a feed owner's terms
("HTTP 404 (not found)", "more than 10 MB; stopped reading", "redirected more than 5 times").
The body is streamed and counted as it arrives (after gzip is undone), so a huge or endless
response is cut at the cap and never held whole in memory.

The client is aiohttp's: on loopback it costs ~0.3 ms of CPU per request where httpx's async
client cost ~4 ms (its connection pool polls every pooled socket on each request), which made
HTTP, not parsing, the bulk of a large ingest (docs/benchmarks.md, "Feeds").
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from http import HTTPStatus

import aiohttp

USER_AGENT = "digestbot/0.1 (blog digest bot; conditional GET, one fetch per feed per interval)"
ACCEPT = "application/atom+xml, application/rss+xml, application/xml;q=0.9, */*;q=0.5"
MAX_BYTES = 10 * 1024 * 1024
MAX_REDIRECTS = 5
TIMEOUT = aiohttp.ClientTimeout(total=None, sock_connect=5.0, sock_read=15.0)
DEADLINE = 60.0  # seconds for one whole response, however slowly it drips in
CHUNK = 64 * 1024

Client = aiohttp.ClientSession


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


def make_client() -> Client:
    """One session for a refresh (call inside the event loop): keep-alive, gzip, proxies from
    the environment (as httpx did)."""
    return aiohttp.ClientSession(
        headers={"User-Agent": USER_AGENT, "Accept-Encoding": "gzip, deflate"},
        timeout=TIMEOUT,
        trust_env=True,
    )


async def fetch(
    client: Client,
    url: str,
    *,
    etag: str | None = None,
    last_modified: str | None = None,
    max_bytes: int = MAX_BYTES,
    deadline: float = DEADLINE,
    redirects: int = MAX_REDIRECTS,
) -> Fetched:
    """GET ``url`` (If-None-Match / If-Modified-Since when known). Raises FetchError."""
    headers = {"Accept": ACCEPT}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    try:
        async with asyncio.timeout(deadline):
            return await _get(client, url, headers, max_bytes, redirects)
    except aiohttp.TooManyRedirects:
        raise FetchError(f"redirected more than {redirects} times (a loop?)") from None
    except aiohttp.ServerTimeoutError:
        raise FetchError("timed out waiting for the server") from None
    except TimeoutError:
        raise FetchError(f"no complete answer within {deadline:g} s (server too slow)") from None
    except aiohttp.InvalidURL as exc:
        raise FetchError(f"not a usable URL ({exc.description or 'no host?'})") from None
    except aiohttp.ClientPayloadError as exc:
        raise FetchError(f"the answer broke off: {_reason(exc)}") from None
    except (aiohttp.ClientError, OSError) as exc:
        raise FetchError(f"cannot connect: {_reason(exc)}") from None


async def _get(
    client: Client, url: str, headers: dict[str, str], max_bytes: int, redirects: int
) -> Fetched:
    async with client.get(url, headers=headers, max_redirects=redirects) as response:
        final = str(response.url)
        if response.status == HTTPStatus.NOT_MODIFIED:
            return Fetched(final, None, _etag(response, headers), _modified(response, headers))
        if response.status >= 400:
            raise FetchError(f"HTTP {response.status} ({_phrase(response.status)})")
        declared = response.content_length
        if declared is not None and declared > max_bytes:
            raise FetchError(f"{_mb(declared)} declared, over the {_mb(max_bytes)} cap")
        chunks: list[bytes] = []
        size = 0
        async for chunk in response.content.iter_chunked(CHUNK):
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


def _etag(response: aiohttp.ClientResponse, sent: dict[str, str]) -> str | None:
    return response.headers.get("ETag") or sent.get("If-None-Match")


def _modified(response: aiohttp.ClientResponse, sent: dict[str, str]) -> str | None:
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
    if isinstance(exc, aiohttp.ClientResponseError):  # its str() holds the URL
        return f"{exc.status} {exc.message}".strip()
    text = str(exc) or type(exc).__name__
    return text.splitlines()[0][:200]
