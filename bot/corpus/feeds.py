"""The feed source: a blog's RSS or Atom feed (and its comment feeds) as corpus posts.

``refresh(now)`` fetches the feed when it is due (its interval after the last fetch; after a
failure, an exponential back-off), merges new and edited entries into the feed's archive, then
reads the comment feed of every entry that is new, edited or whose comment count changed. A
refresh with nothing new is one conditional request (304) per feed. ``load()`` reads only the
archive: no network. Parsing runs in a worker thread, so the event loop never waits on it.
A feed failing for a day is logged as a warning once and shown to admins in /stats.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from bot.config import FeedConfig, public_url
from bot.corpus.archive import Archive
from bot.corpus.entries import ParseError, parse_comments, parse_feed
from bot.corpus.fetch import DEADLINE, MAX_BYTES, Client, Fetched, FetchError, fetch
from bot.corpus.parsing import Parsing
from bot.corpus.source import REPORT_AFTER, Loaded, Problem, Progress, SourceStatus
from bot.store.tinydb.atomic import write_atomic

log = logging.getLogger(__name__)

MAX_BACKOFF = timedelta(hours=12)
COMMENT_FETCHES = 4  # comment feeds read at once, per feed


@dataclass
class FeedSource:
    """One ``[[corpus.feeds]]`` entry; its archive and HTTP state live in ``folder``."""

    feed: FeedConfig
    folder: Path  # <data>/feeds
    max_bytes: int = MAX_BYTES
    deadline: float = DEADLINE
    _http: dict[str, Any] = field(default_factory=dict, repr=False)
    _posts: int = field(default=0, repr=False)
    _parsing: Parsing = field(default_factory=lambda: Parsing(workers=1), repr=False)

    @property
    def name(self) -> str:
        return self.feed.label

    @property
    def archive_path(self) -> Path:
        key = hashlib.sha256(self.feed.url.encode("utf-8")).hexdigest()[:10]
        return self.folder / f"{_slug(self.feed.label)}-{key}.json"

    @property
    def http_path(self) -> Path:
        return self.archive_path.with_suffix(".http.json")

    def signature(self) -> tuple[int, int]:
        try:
            stat = self.archive_path.stat()
        except OSError:
            return (0, 0)
        return (stat.st_size, stat.st_mtime_ns)

    def load(self, *, progress: Progress | None = None) -> Loaded:
        try:
            archive = Archive.read(self.archive_path)
        except ValueError as exc:
            return Loaded((), (Problem(self.where, None, str(exc), key=(self.where, str(exc))),))
        posts = tuple(archive.posts(self.where))
        self._posts = len(posts)
        problems: tuple[Problem, ...] = ()
        if archive.error:
            text = f"{archive.error['message']} (its {len(posts)} posts read before are kept)"
            key = (self.where, archive.error["message"], archive.error.get("since"))
            problems = (Problem(self.where, None, text, key=key),)
        return Loaded(posts, problems)

    @property
    def where(self) -> str:
        return f"feed '{self.name}'"

    def status(self) -> SourceStatus:
        http = self._http or _read_json(self.http_path)
        return SourceStatus(
            name=self.name,
            kind="feed",
            location=public_url(self.feed.url),
            posts=self._posts,
            last_fetch=_time(http.get("last_fetch")),
            last_error=http.get("error"),
            failing_since=_time(http.get("failing_since")),
        )

    def due(self, now: datetime) -> bool:
        http = self._http or _read_json(self.http_path)
        self._http = http
        next_try = _time(http.get("next_try"))
        return next_try is None or now >= next_try

    async def refresh(self, now: datetime, client: Client, parsing: Parsing | None = None) -> None:
        """Fetch and merge if due; a failure is recorded (and backed off), never raised.
        Documents are parsed by ``parsing`` (shared by the feeds of one refresh) or in threads."""
        if not self.due(now):
            return
        self._parsing = parsing or Parsing(workers=1)
        try:
            changed = await self._refresh(client, now)
        except (FetchError, ParseError) as exc:
            self._failed(now, str(exc))
        else:
            self._succeeded(now, changed)

    async def _refresh(self, client: Client, now: datetime) -> bool:
        http = self._http
        got = await self._fetch(
            client, self.feed.url, etag=http.get("etag"), last_modified=http.get("lm")
        )
        http.update(etag=got.etag, lm=got.last_modified)
        archive = await asyncio.to_thread(Archive.read, self.archive_path)
        stale: list[str] = []
        if got.body is not None:
            entries = await self._parsing.run(parse_feed, got.body, got.content_type)
            before = json.dumps(archive.entries, sort_keys=True)
            stale = archive.merge_entries(entries, now)
            changed = before != json.dumps(archive.entries, sort_keys=True)
        else:
            changed = False
        changed |= await self._read_comments(client, archive, stale)
        if self.feed.comments_url:
            changed |= await self._read_site_comments(client, archive)
        if changed or archive.error:
            archive.error = None
            await asyncio.to_thread(archive.save)
        return changed

    async def _read_comments(self, client: Client, archive: Archive, stale: list[str]) -> bool:
        limit = asyncio.Semaphore(COMMENT_FETCHES)

        async def one(entry_id: str) -> bool:
            url = archive.entries[entry_id]["comments_url"]
            async with limit:
                try:
                    got = await self._fetch(client, url)
                    comments = await self._parsing.run(
                        parse_comments, got.body or b"", got.content_type
                    )
                except (FetchError, ParseError) as exc:
                    log.info("%s: comments of %s not read: %s", self.where, public_url(url), exc)
                    return False
            return archive.merge_comments(entry_id, comments)

        results = await asyncio.gather(*(one(e) for e in stale))
        return any(results)

    async def _read_site_comments(self, client: Client, archive: Archive) -> bool:
        http = self._http
        got = await self._fetch(
            client, self.feed.comments_url, etag=http.get("c_etag"), last_modified=http.get("c_lm")
        )
        http.update(c_etag=got.etag, c_lm=got.last_modified)
        if got.body is None:
            return False
        comments = await self._parsing.run(parse_comments, got.body, got.content_type)
        return _merge_site_comments(archive, comments)

    async def _fetch(
        self,
        client: Client,
        url: str,
        etag: str | None = None,
        last_modified: str | None = None,
    ) -> Fetched:
        return await fetch(
            client,
            url,
            etag=etag,
            last_modified=last_modified,
            max_bytes=self.max_bytes,
            deadline=self.deadline,
        )

    def _succeeded(self, now: datetime, changed: bool) -> None:
        self._http.update(
            last_fetch=now.isoformat(),
            next_try=(now + timedelta(minutes=self.feed.interval)).isoformat(),
            error=None,
            failures=0,
            failing_since=None,
            reported=False,
        )
        self._save_http()
        if changed:
            log.info("%s: new or edited posts or comments", self.where)

    def _failed(self, now: datetime, message: str) -> None:
        http = self._http
        failures = int(http.get("failures") or 0) + 1
        since = _time(http.get("failing_since")) or now
        backoff = min(timedelta(minutes=self.feed.interval) * 2 ** (failures - 1), MAX_BACKOFF)
        http.update(
            last_fetch=now.isoformat(),
            next_try=(now + backoff).isoformat(),
            error=message,
            failures=failures,
            failing_since=since.isoformat(),
        )
        log.info(
            "%s (%s): %s; next try in %s", self.where, public_url(self.feed.url), message, backoff
        )
        if now - since >= REPORT_AFTER and not http.get("reported"):
            http["reported"] = True
            log.warning(
                "%s (%s) has failed for a day: %s; still retrying, the others go on",
                self.where, public_url(self.feed.url), message,
            )  # fmt: skip
        self._save_http()
        self._record_error(message, since)

    def _record_error(self, message: str, since: datetime) -> None:
        """A new error goes into the archive (the app says it once); the same one again does not."""
        try:
            archive = Archive.read(self.archive_path)
        except ValueError:
            return
        if archive.error and archive.error.get("message") == message:
            return
        archive.error = {"message": message, "since": since.isoformat()}
        archive.save()

    def _save_http(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        write_atomic(self.http_path, json.dumps(self._http, sort_keys=True))


def _merge_site_comments(archive: Archive, comments: list[Any]) -> bool:
    """A site-wide comment feed: each comment goes to the post its in-reply-to names."""
    by_key: dict[str, str] = {}
    for entry_id, record in archive.entries.items():
        by_key[entry_id] = entry_id
        if record.get("link"):
            by_key[record["link"]] = entry_id
    groups: dict[str, list[Any]] = {}
    for comment in comments:
        target = by_key.get(comment.post or "")
        if target:
            groups.setdefault(target, []).append(comment)
    return any([archive.merge_comments(target, group) for target, group in groups.items()])


def _read_json(path: Path) -> dict[str, Any]:
    try:
        value = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return value if isinstance(value, dict) else {}


def _time(value: object) -> datetime | None:
    return datetime.fromisoformat(value) if isinstance(value, str) and value else None


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:40] or "feed"
