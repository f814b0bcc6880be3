"""A real HTTP server on 127.0.0.1 serving feed documents, as blogs and broken hosts do.

    async with FeedServer() as server:
        server.serve("/feed", body, "application/atom+xml")   # ETag + Last-Modified, 304s
        server.status("/gone", 404)
        server.redirect("/loop", "/loop")
        server.huge("/big", 50 * 1024 * 1024)                # streamed, never held in memory
        server.slow("/slow", seconds=30)
        url = server.url("/feed")

Every request is counted per path (``server.hits``), with the conditional ones apart
(``server.conditional``), so a test or a benchmark can say how many requests a refresh cost.
"""

from __future__ import annotations

import asyncio
import gzip
import hashlib
from collections import Counter
from dataclasses import dataclass
from email.utils import formatdate
from typing import Any

from aiohttp import web


@dataclass
class Route:
    kind: str  # "file" | "status" | "redirect" | "huge" | "slow"
    body: bytes = b""
    content_type: str = "application/xml"
    status: int = 200
    target: str = ""
    size: int = 0
    seconds: float = 0.0
    modified: float = 1_700_000_000.0


class FeedServer:
    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}
        self.hits: Counter[str] = Counter()
        self.conditional: Counter[str] = Counter()
        self.not_modified: Counter[str] = Counter()
        self.user_agents: set[str] = set()
        self._runner: web.AppRunner | None = None
        self.port = 0

    async def __aenter__(self) -> FeedServer:
        app = web.Application()
        app.router.add_route("GET", "/{tail:.*}", self._handle)
        self._runner = web.AppRunner(
            app, access_log=None, handle_signals=False, shutdown_timeout=0.1
        )
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        server: Any = site._server
        self.port = server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def serve(self, path: str, body: bytes | str, content_type: str = "application/xml") -> None:
        data = body.encode("utf-8") if isinstance(body, str) else body
        old = self.routes.get(path)
        modified = (old.modified + 60) if old and old.body != data else 1_700_000_000.0
        self.routes[path] = Route("file", data, content_type, modified=modified)

    def status(self, path: str, status: int, body: bytes = b"", content_type: str = "") -> None:
        self.routes[path] = Route("status", body, content_type or "text/html", status=status)

    def redirect(self, path: str, target: str) -> None:
        self.routes[path] = Route("redirect", target=target)

    def huge(self, path: str, size: int) -> None:
        self.routes[path] = Route("huge", size=size)

    def slow(self, path: str, seconds: float) -> None:
        self.routes[path] = Route("slow", seconds=seconds)

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        path = request.path_qs if request.query_string else request.path
        self.hits[path] += 1
        self.user_agents.add(request.headers.get("User-Agent", ""))
        if "If-None-Match" in request.headers or "If-Modified-Since" in request.headers:
            self.conditional[path] += 1
        route = self.routes.get(path)
        if route is None:
            return web.Response(status=404, text="<html><title>Not Found</title></html>")
        if route.kind == "redirect":
            raise web.HTTPFound(route.target)
        if route.kind == "status":
            return web.Response(
                status=route.status, body=route.body, content_type=route.content_type
            )
        if route.kind == "huge":
            return await self._huge(request, route.size)
        if route.kind == "slow":
            return await self._slow(request, route.seconds)
        return self._file(request, path, route)

    def _file(self, request: web.Request, path: str, route: Route) -> web.Response:
        etag = '"' + hashlib.sha256(route.body).hexdigest()[:16] + '"'
        modified = formatdate(route.modified, usegmt=True)
        if request.headers.get("If-None-Match") == etag or (
            "If-None-Match" not in request.headers
            and request.headers.get("If-Modified-Since") == modified
        ):
            self.not_modified[path] += 1
            return web.Response(status=304, headers={"ETag": etag, "Last-Modified": modified})
        headers = {"ETag": etag, "Last-Modified": modified, "Content-Type": route.content_type}
        body = route.body
        if "gzip" in request.headers.get("Accept-Encoding", ""):
            body = gzip.compress(body, compresslevel=5)
            headers["Content-Encoding"] = "gzip"
        return web.Response(body=body, headers=headers)

    async def _huge(self, request: web.Request, size: int) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "application/rss+xml"})
        await response.prepare(request)  # no Content-Length: the client must count
        chunk = b"<item><title>x</title></item>" * 2048
        sent = 0
        try:
            await response.write(b"<?xml version='1.0'?><rss version='2.0'><channel>")
            while sent < size:
                await response.write(chunk)
                sent += len(chunk)
        except (ConnectionResetError, asyncio.CancelledError):
            return response
        return response

    async def _slow(self, request: web.Request, seconds: float) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "application/rss+xml"})
        await response.prepare(request)
        try:
            await response.write(b"<?xml version='1.0'?>")
            await asyncio.sleep(seconds)
            await response.write(b"<rss version='2.0'><channel></channel></rss>")
        except (ConnectionResetError, asyncio.CancelledError):
            return response
        return response
