"""The console front end: the embedded default, no token needed.

A prompt where a person types the same commands as in a chat (``/subscribe 08:00``, ``/ask
prison``; the leading slash is optional). Scheduled digests are printed when they are due. With
stdin not a terminal it reads commands line by line until EOF and exits 0, so scripts can pipe
commands in.
"""

from __future__ import annotations

import asyncio
import logging
import sys
from typing import TextIO

from bot.app import App
from bot.chat.commands import PRIVATE, REGISTRY, Chat, Command, User, dispatch, parse
from bot.chat.render import render_plain
from bot.chat.reply import Reply
from bot.chat.views import digest_reply
from bot.delivery.sender import NO_PROGRESS, Outcome, Progress, Sent
from bot.domain.digest import Digest
from bot.domain.schedule import make_scheduler, schedule_digests

log = logging.getLogger(__name__)

PLATFORM = "console"
CHAT = Chat(PLATFORM, "console", PRIVATE, "console")
USER = User("console", "console", is_chat_admin=True)
PROMPT = "digestbot> "


class ConsoleSender:
    """Delivers digests by printing them."""

    platform = PLATFORM
    max_in_flight = 1  # printed one after the other

    def __init__(self, out: TextIO, *, ansi: bool = False) -> None:
        self.out = out
        self.ansi = ansi

    async def send(self, chat_id: str, digest: Digest, progress: Progress = NO_PROGRESS) -> Outcome:
        show(digest_reply(digest), self.out, ansi=self.ansi)  # one message, nothing to skip
        return Sent(())


def show(reply: Reply, out: TextIO, *, ansi: bool = False) -> None:
    if not reply.blocks:
        return
    out.write(render_plain(reply, ansi=ansi) + "\n\n")
    out.flush()


def to_command(line: str) -> Command | None:
    """A console line -> Command: '/cmd args' or 'cmd args'; quit/exit -> None."""
    text = line.strip()
    if not text:
        return None
    if not text.startswith("/") and text.split()[0].lower() in REGISTRY:
        text = "/" + text
    return parse(text, CHAT, USER)


async def run_console(app: App, *, stdin: TextIO | None = None, out: TextIO | None = None) -> int:
    """Run until EOF (or 'quit'). Interactive on a TTY; line by line otherwise."""
    stdin = stdin or sys.stdin
    out = out or sys.stdout
    interactive = stdin.isatty() and out.isatty()
    app.add_sender(ConsoleSender(out, ansi=interactive))
    scheduler = make_scheduler()
    schedule_digests(scheduler, app.tick, clock=app.clock)
    scheduler.start()
    try:
        await app.tick(app.now())
        if interactive:
            out.write(
                f"digestbot: {len(app.posts)} posts from {app.config.corpus_dir}; "
                "data in {}. Type /help, or quit.\n".format(app.config.data_dir)
            )
        while True:
            line = await _read_line(stdin, out, interactive)
            if line is None or line.strip().lower() in ("quit", "exit", "/quit", "/exit"):
                return 0
            cmd = to_command(line)
            if cmd is not None:
                show(await dispatch(app, cmd), out, ansi=interactive)
    finally:
        scheduler.shutdown(wait=False)


async def _read_line(stdin: TextIO, out: TextIO, interactive: bool) -> str | None:
    if interactive:
        out.write(PROMPT)
        out.flush()
    line = await asyncio.to_thread(stdin.readline)
    return line if line else None
