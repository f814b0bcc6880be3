"""Slack's rate limits and the errors a test scripts, for the fake Slack Web API.

Slack allows chat.postMessage about 1 message per second per channel ("short bursts are
allowed") and a workspace-wide rate per app; beyond that it answers HTTP 429 with
``Retry-After``. :class:`RateLimits` is two token buckets (per channel, per workspace) on a
replaceable clock; a refused call takes nothing, so a client that waits Retry-After gets in.
:class:`Script` is one scripted answer (an error, or a delay after the call was carried out).
"""

from __future__ import annotations

import math
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from tests.fakes.slack_validate import SlackError


@dataclass
class Bucket:
    """``burst`` tokens, refilled at ``rate`` per second; one call takes one token."""

    rate: float
    burst: float
    tokens: float
    stamp: float

    def wait(self, now: float) -> float:
        """Seconds until a token is free (0 = now), after refilling up to ``now``."""
        self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        return 0.0 if self.tokens >= 1.0 else (1.0 - self.tokens) / self.rate

    def take(self) -> None:
        self.tokens -= 1.0


class RateLimits:
    """Per-channel and workspace-wide buckets for the methods in ``methods``."""

    def __init__(
        self,
        *,
        per_channel: float = 1.0,
        channel_burst: int = 3,
        workspace_per_second: float | None = None,
        workspace_burst: int | None = None,
        methods: tuple[str, ...] = ("chat.postMessage",),
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if per_channel <= 0 or channel_burst < 1:
            raise ValueError("per_channel must be > 0 and channel_burst >= 1")
        self.per_channel = per_channel
        self.channel_burst = channel_burst
        self.workspace_per_second = workspace_per_second
        self.workspace_burst = workspace_burst or max(1, math.ceil(workspace_per_second or 1))
        self.methods = methods
        self.clock = clock
        self.refused: Counter[str] = Counter()
        self.accepted: Counter[str] = Counter()
        self._channels: dict[str, Bucket] = {}
        self._workspace: Bucket | None = None

    def _bucket(self, channel: str, now: float) -> Bucket:
        if channel not in self._channels:
            burst = float(self.channel_burst)
            self._channels[channel] = Bucket(self.per_channel, burst, burst, now)
        return self._channels[channel]

    def _team(self, now: float) -> Bucket | None:
        if self.workspace_per_second is None:
            return None
        if self._workspace is None:
            burst = float(self.workspace_burst)
            self._workspace = Bucket(self.workspace_per_second, burst, burst, now)
        return self._workspace

    def check(self, method: str, channel: str) -> None:
        """Take a token for a ``method`` call to ``channel`` or raise ``ratelimited`` (429,
        Retry-After = whole seconds until both buckets have one)."""
        if method not in self.methods:
            return
        now = self.clock()
        buckets = [b for b in (self._bucket(channel, now), self._team(now)) if b is not None]
        wait = max(b.wait(now) for b in buckets)
        if wait > 0:
            self.refused[channel] += 1
            raise SlackError.ratelimited(math.ceil(wait))
        for bucket in buckets:
            bucket.take()
        self.accepted[channel] += 1

    @property
    def total_refused(self) -> int:
        return sum(self.refused.values())

    def allowed_rate(self, channels: int) -> float:
        """The most messages per second a client can get through, long run, spread over
        ``channels`` channels: the smaller of the channel sum and the workspace rate."""
        rate = channels * self.per_channel
        if self.workspace_per_second is not None:
            rate = min(rate, self.workspace_per_second)
        return rate


@dataclass
class Script:
    """A scripted answer to the next ``times`` calls (None = for good) of ``method`` ("*" =
    any) for ``channel`` (None = any; matched against the call's ``channel`` or ``user``
    argument), once ``after`` such calls went through."""

    method: str
    channel: str | None
    times: int | None
    error: SlackError | None = None
    delay: float = 0.0
    after: int = 0
    used: int = field(default=0)

    def matches(self, method: str, channel: str | None) -> bool:
        return self.method in ("*", method) and self.channel in (None, channel)

    def use(self) -> None:
        self.used += 1
        if self.times is not None:
            self.times -= 1


class Scripts:
    """The scripted answers, first match wins."""

    def __init__(self) -> None:
        self.pending: list[Script] = []

    def add(self, script: Script) -> None:
        self.pending.append(script)

    def take(self, method: str, channel: str | None, *, delay: bool) -> Script | None:
        for script in self.pending:
            if (script.delay > 0) != delay or not script.matches(method, channel):
                continue
            if script.after > 0:
                script.after -= 1
                continue
            script.use()
            if script.times == 0:
                self.pending.remove(script)
            return script
        return None
