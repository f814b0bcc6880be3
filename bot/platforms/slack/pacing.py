"""Pacing chat.postMessage to Slack's limits: ~1 message per second per channel (short bursts
allowed) and a workspace-wide rate.

Each limit is a first-come-first-served schedule (the generic cell rate algorithm): a request
waits until the earliest moment its limit allows, measured from when the previous one went
out. A pacer with period T and burst B lets at most B + W / T requests through in any window of
W seconds. A request takes its channel's turn first, then the workspace's, so a channel waiting
for its own second never holds a workspace slot that another channel could use.

A 429 answer (Retry-After) holds the limit it hit (:meth:`Pacer.hold`): everyone waiting
behind it waits too, instead of each of them drawing its own 429 (no 429 storm).
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from types import TracebackType

SLACK_PER_CHANNEL = 1.0  # Slack: about one message per second per channel
MARGIN = 0.97  # pace a little under the limit: the server's clock is not ours
CHANNEL_BURST = 2
CHANNEL_PACERS_KEPT = 8192


class Pacer:
    """``async with pacer:`` waits for this request's turn (at most ``burst`` at once, then one
    per ``period`` seconds), first come first served."""

    def __init__(self, period: float, burst: int = 1) -> None:
        self.period = period
        self.tolerance = (max(1, burst) - 1) * period
        self._tat = 0.0  # theoretical arrival time of the next request
        self._lock = asyncio.Lock()

    def idle(self, now: float) -> bool:
        return not self._lock.locked() and now >= self._tat

    def hold(self, seconds: float) -> None:
        """Slack said wait ``seconds``: nobody goes before then, then the burst is gone."""
        now = asyncio.get_running_loop().time()
        self._tat = max(self._tat, now + seconds + self.tolerance)

    async def __aenter__(self) -> None:
        async with self._lock:
            loop = asyncio.get_running_loop()
            wait = self._tat - self.tolerance - loop.time()
            while wait > 0:  # hold() may move _tat while we sleep
                await asyncio.sleep(wait)
                wait = self._tat - self.tolerance - loop.time()
            self._tat = max(self._tat, loop.time()) + self.period

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        return None


class SlackPacing:
    """One pacer per channel plus one per workspace (team)."""

    def __init__(
        self,
        *,
        per_channel: float = SLACK_PER_CHANNEL,
        channel_burst: int = CHANNEL_BURST,
        workspace_per_second: float = 10.0,
        workspace_burst: int = 5,
    ) -> None:
        self.channel_period = 1 / (per_channel * MARGIN)
        self.channel_burst = channel_burst
        self.workspace_period = 1 / (workspace_per_second * MARGIN)
        self.workspace_burst = workspace_burst
        self._channels: OrderedDict[tuple[str, str], Pacer] = OrderedDict()
        self._teams: dict[str, Pacer] = {}

    def channel(self, team: str, channel: str) -> Pacer:
        key = (team, channel)
        pacer = self._channels.get(key)
        if pacer is None:
            self._forget_idle()
            pacer = self._channels[key] = Pacer(self.channel_period, self.channel_burst)
        return pacer

    def team(self, team: str) -> Pacer:
        if team not in self._teams:
            self._teams[team] = Pacer(self.workspace_period, self.workspace_burst)
        return self._teams[team]

    async def turn(self, team: str, channel: str) -> None:
        """Wait until a message to ``channel`` of ``team`` may go out."""
        async with self.channel(team, channel):
            pass
        async with self.team(team):
            pass

    def rate_limited(self, team: str, channel: str, retry_after: float) -> None:
        """A 429: hold the channel and, as Slack does not say which limit it was, the team."""
        self.channel(team, channel).hold(retry_after)
        self.team(team).hold(retry_after)

    def _forget_idle(self) -> None:
        if len(self._channels) < CHANNEL_PACERS_KEPT:
            return
        now = asyncio.get_running_loop().time()
        for key, pacer in list(self._channels.items()):
            if pacer.idle(now):
                del self._channels[key]
