"""A group's answers go out in the background, in order, and only so many wait.

PTB handles updates one at a time. Telegram lets a bot post 20 messages a minute to a group, so
the rate limiter holds a busy group's answers (one per 4 s after a burst of 5). Sent inline, a
held answer would hold every later update: one group flooding the bot with commands would stall
every other chat's answers. So a group's answers are queued per group and sent by a task of
their own, in the order the commands came; private chats (no per-chat limit in the limiter)
are still answered inline.

At most :data:`MAX_WAITING` answers wait per group (a minute of that group's sending); answers
to further commands are dropped and logged, so a flood costs bounded memory and the group's own
members get answers to recent commands within a minute rather than hours later. A scheduled
digest to the group goes before its waiting answers (see :mod:`bot.platforms.telegram.pacing`).
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque

from telegram import Bot
from telegram.error import TelegramError

from bot.chat.reply import Reply
from bot.platforms.telegram.send import send_reply

log = logging.getLogger(__name__)

MAX_WAITING = 15  # answers waiting per group: 5 go at once, the rest one per 4 s
STOP_GRACE_SECONDS = 5.0  # at shutdown, how long waiting answers may still go out


class GroupReplies:
    """Per-group ordered queues of answers, each drained by its own task."""

    def __init__(self, bot: Bot, *, max_waiting: int = MAX_WAITING) -> None:
        self.bot = bot
        self.max_waiting = max_waiting
        self._queues: dict[int, deque[Reply]] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self.dropped = 0

    def add(self, chat_id: int, reply: Reply, command: str = "") -> None:
        """Queue ``reply`` for ``chat_id``; dropped (a log line) when too many already wait."""
        if not reply.blocks:
            return
        queue = self._queues.get(chat_id)
        if queue is None:
            queue = self._queues[chat_id] = deque()
            task = asyncio.create_task(self._drain(chat_id, queue))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        if len(queue) >= self.max_waiting:
            self.dropped += 1
            log.warning(
                "group %s: %d answers already waiting for its rate limit; /%s not answered",
                chat_id,
                len(queue),
                command or "?",
            )
            return
        queue.append(reply)

    async def _drain(self, chat_id: int, queue: deque[Reply]) -> None:
        try:
            while queue:
                reply = queue.popleft()
                try:
                    await send_reply(self.bot, chat_id, reply)
                except TelegramError as exc:
                    log.warning("answer to group %s not sent: %s", chat_id, exc)
                except Exception:
                    log.exception("answer to group %s failed", chat_id)
        finally:
            del self._queues[chat_id]  # no await since the last check: nothing was added

    async def stop(self, grace: float = STOP_GRACE_SECONDS) -> None:
        """Let waiting answers go out for up to ``grace`` seconds, then drop the rest."""
        if not self._tasks:
            return
        _, late = await asyncio.wait(set(self._tasks), timeout=grace)
        if late:
            left = sum(len(q) + 1 for q in self._queues.values())
            log.warning("stopping: about %d answers to groups not sent", left)
            for task in late:
                task.cancel()
            await asyncio.gather(*late, return_exceptions=True)
