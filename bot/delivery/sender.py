"""The interface front ends implement to deliver digests, and the outcomes they report.

A front end renders a platform-neutral :class:`Digest` into its own messages, reports each
one as it goes out through :class:`Progress` (a resumed delivery starts after the recorded
ones), and returns exactly one outcome: :class:`Sent`, :class:`Blocked` (the chat is gone:
the subscriber is deactivated), :class:`Failed` (``retryable`` keeps it pending) or
:class:`Unknown` (sent, no answer: reported, never resent). ``TimeoutError`` counts as Unknown,
any other exception as a failure not retried. What the outbox does with each: docs/digests.md.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol, runtime_checkable

if TYPE_CHECKING:
    from bot.domain.digest import Digest


@dataclass(frozen=True)
class Sent:
    message_ids: tuple[str, ...] = ()


@dataclass(frozen=True)
class Blocked:
    reason: str = "the chat blocked the bot or no longer exists"


@dataclass(frozen=True)
class Failed:
    retryable: bool
    reason: str = ""


@dataclass(frozen=True)
class Unknown:
    reason: str = "no answer after sending (timeout)"


Outcome = Sent | Blocked | Failed | Unknown


async def _ignore(message_ids: tuple[str, ...]) -> None:
    return None


@dataclass(frozen=True)
class Progress:
    """``done``: ids of the digest's first messages, already delivered (skip them);
    ``record(ids)``: awaited with all ids so far after each message that went out."""

    done: tuple[str, ...] = ()
    record: Callable[[tuple[str, ...]], Awaitable[None]] = field(default=_ignore)


NO_PROGRESS = Progress()  # a fresh send whose progress nobody records


@runtime_checkable
class Sender(Protocol):
    """What the outbox needs from a front end: one platform, one async send per digest."""

    @property
    def platform(self) -> str:
        """The platform name stored with subscribers: 'console', 'telegram', 'slack'."""
        ...

    @property
    def max_in_flight(self) -> int:
        """How many digests the outbox may send side by side on this platform (1 = in turn)."""
        ...

    async def send(self, chat_id: str, digest: Digest, progress: Progress = NO_PROGRESS) -> Outcome:
        """Deliver ``digest`` to ``chat_id`` (possibly as several messages, those after
        ``progress.done``) and say how it went."""
        ...
