"""A sender for tests: records what arrived, and fails, times out, blocks or crashes on demand."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from bot.delivery.sender import NO_PROGRESS, Blocked, Failed, Outcome, Progress, Sent, Unknown
from bot.domain.digest import Digest


class Crash(BaseException):
    """The process dies mid-run (a BaseException, so no `except Exception` swallows it)."""


Script = Outcome | BaseException | str  # "timeout" raises TimeoutError, "lost" = Unknown


@dataclass
class FakeSender:
    """``arrived`` lists (chat_id, digest) that reached the chat, including timed-out sends
    that did arrive (``"lost"``): the worst case for duplicates.

    ``crash_at=k`` raises :class:`Crash` on the k-th call (1-based) before anything arrives.
    ``script[chat_id]`` is a list of what the next calls for that chat do; when it runs out the
    send succeeds. A chat in ``blocked`` always answers Blocked.
    """

    platform: str = "fake"
    max_in_flight: int = 1
    crash_at: int | None = None
    script: dict[str, list[Script]] = field(default_factory=dict)
    blocked: set[str] = field(default_factory=set)
    calls: int = 0
    arrived: list[tuple[str, Digest]] = field(default_factory=list)

    async def send(self, chat_id: str, digest: Digest, progress: Progress = NO_PROGRESS) -> Outcome:
        self.calls += 1
        if self.crash_at is not None and self.calls == self.crash_at:
            raise Crash(f"killed at message {self.calls}")
        if chat_id in self.blocked:
            return Blocked("Forbidden: bot was blocked by the user")
        steps = self.script.get(chat_id, [])
        step = steps.pop(0) if steps else None
        if step == "timeout":
            raise TimeoutError
        if step == "lost":
            self.arrived.append((chat_id, digest))
            return Unknown("timed out after sending")
        if isinstance(step, BaseException):
            raise step
        if isinstance(step, (Failed, Blocked, Unknown)):
            return step
        self.arrived.append((chat_id, digest))
        return Sent((f"{chat_id}-{len(self.arrived)}",))

    def chats(self) -> list[str]:
        return [chat for chat, _ in self.arrived]

    def posts_for(self, chat_id: str) -> list[str]:
        return [i.post_id for chat, d in self.arrived if chat == chat_id for i in d.items]


def arrived_posts(senders: Iterable[FakeSender], chat_id: str) -> list[str]:
    return [post for sender in senders for post in sender.posts_for(chat_id)]
