"""What a command handler may use: the ports of the running bot, as one small protocol.

Handlers see the corpus, the store, the search index, the one summary cache, the clock and
the digests (preview, send now); never the outbox's senders or the App itself. ``bot.app.App``
satisfies :class:`Context`; tests may hand any object that does.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Protocol

from bot.config import Config
from bot.delivery.sender import Outcome
from bot.delivery.states import DiskFullPaused, Elsewhere
from bot.domain.digest import Digest, PostIndex, Summaries
from bot.domain.records import Delivery, Subscriber
from summariser import KeywordIndex, Post

if TYPE_CHECKING:
    from bot.chat.reply import Reply
    from bot.corpus.sources import Corpus
    from bot.store.base import Store


class Digests(Protocol):
    """Digests on demand, and what the outbox knows about deliveries."""

    def can_send(self, platform: str) -> bool:
        """True when a front end of ``platform`` is running (digests go out, not previewed)."""
        ...

    async def preview(self, sub: Subscriber, now: datetime) -> Digest | None: ...

    async def send_now(
        self, sub: Subscriber, now: datetime
    ) -> Outcome | DiskFullPaused | Elsewhere | None: ...

    async def unknown(self) -> list[Delivery]: ...

    @property
    def paused(self) -> bool:
        """Sending is paused (the disk holding the data is full)."""
        ...


class Context(Protocol):
    """The ports a handler gets (``bot.app.App`` is one)."""

    @property
    def config(self) -> Config: ...

    @property
    def posts(self) -> Mapping[str, Post]: ...

    @property
    def store(self) -> Store: ...

    @property
    def corpus(self) -> Corpus:
        """The configured Sources (their fetch status for /stats)."""
        ...

    @property
    def index(self) -> KeywordIndex: ...

    @property
    def summaries(self) -> Summaries: ...

    @property
    def digests(self) -> Digests: ...

    def post_index(self) -> PostIndex:
        """The corpus as the digest planner sees it (topics, picking)."""
        ...

    def now(self) -> datetime: ...

    def latest(self, count: int = 5) -> list[Post]: ...

    def is_bot_admin(self, platform: str, user_id: str) -> bool: ...

    def help_reply(self) -> Reply:
        """/help: every command of the running CommandSet."""
        ...
