"""The console front end: the embedded default, no token needed.

A prompt where a person types the same commands as in a chat (``/subscribe 08:00``, ``/ask
prison``; the leading slash is optional). On a terminal it is a prompt_toolkit session: line
editing, history kept in ``DATA/console_history``, Ctrl-C clears the line (a second one on an
empty line, or Ctrl-D, quits), and digests, corpus changes and log lines print above the prompt,
wrapped to the terminal's width at word boundaries. With stdin or stdout not a terminal it reads
commands line by line until EOF and exits 0, with no prompt and no escape codes, so scripts can
pipe commands in.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import sys
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import TextIO

from prompt_toolkit import PromptSession
from prompt_toolkit.buffer import Buffer
from prompt_toolkit.history import FileHistory
from prompt_toolkit.key_binding import KeyBindings, KeyPressEvent
from prompt_toolkit.patch_stdout import patch_stdout
from prompt_toolkit.utils import get_cwidth

from bot.app import App, CorpusChange
from bot.chat.commands import PRIVATE, Chat, Command, CommandSet, User, parse
from bot.chat.render import render_plain
from bot.chat.reply import Reply
from bot.chat.views import digest_reply
from bot.delivery.sender import NO_PROGRESS, Outcome, Progress, Sent
from bot.domain.digest import Digest
from bot.platforms.base import Host

log = logging.getLogger(__name__)

PLATFORM = "console"
CHAT = Chat(PLATFORM, "console", PRIVATE, "console")
USER = User("console", "console", is_chat_admin=True)
PROMPT = "digestbot> "
QUIT_WORDS = frozenset({"quit", "exit", "/quit", "/exit"})
HISTORY_FILE = "console_history"
QUIT_HINT = "(To quit: Ctrl-C again, Ctrl-D, or type quit.)"
_SGR = re.compile(r"\x1b\[[0-9;]*m")  # the only escapes we write ourselves (bold on/off)


class Screen:
    """Where the console prints: a text stream, wrapped to ``width()`` columns when given."""

    def __init__(
        self, out: TextIO, *, ansi: bool = False, width: Callable[[], int] | None = None
    ) -> None:
        self.out = out
        self.ansi = ansi
        self.width = width

    def show(self, reply: Reply) -> None:
        if reply.blocks:
            self.write(render_plain(reply, ansi=self.ansi) + "\n\n")

    def say(self, text: str) -> None:
        """A notice of the console itself, no blank line after it (control characters defused)."""
        self.write(render_plain(Reply.text(text)) + "\n")

    def write(self, text: str) -> None:
        if self.width is not None:
            text = wrap(text, self.width())
        self.out.write(text)
        self.out.flush()


class ConsoleSender:
    """Delivers digests by printing them."""

    platform = PLATFORM
    max_in_flight = 1  # printed one after the other

    def __init__(self, screen: Screen) -> None:
        self.screen = screen

    async def send(self, chat_id: str, digest: Digest, progress: Progress = NO_PROGRESS) -> Outcome:
        self.screen.show(digest_reply(digest))  # one message, nothing to skip
        return Sent(())


def to_command(line: str, commands: CommandSet) -> Command | None:
    """A console line -> Command: '/cmd args' or 'cmd args'; quit/exit -> None."""
    text = line.strip()
    if not text:
        return None
    if not text.startswith("/") and text.split()[0].lower() in commands:
        text = "/" + text
    return parse(text, CHAT, USER)


def visible_width(text: str) -> int:
    """Terminal columns ``text`` takes: bold escapes take none, wide characters two."""
    return get_cwidth(_SGR.sub("", text))


def wrap(text: str, width: int) -> str:
    """Each line of ``text`` wrapped at spaces to ``width`` columns, keeping its indent.

    A word is never cut: one longer than the width (a URL) gets a line of its own, whole.
    """
    lines = text.split("\n")  # keeps the empty strings between and after, so "\n\n" stays
    return "\n".join(part for line in lines for part in wrap_line(line, width))


def wrap_line(line: str, width: int) -> list[str]:
    if width < 1 or visible_width(line) <= width:
        return [line]
    indent = line[: len(line) - len(line.lstrip(" "))]
    lines: list[str] = []
    current, used = "", 0  # the line being filled and its width (kept, not re-measured)
    for word in filter(None, line.split(" ")):  # spaces only: a no-break space holds
        size = visible_width(word)
        if current and used + 1 + size > width:
            lines.append(current)
            current = ""
        if current:
            current, used = f"{current} {word}", used + 1 + size
        else:
            current, used = indent + word, len(indent) + size
    lines.append(current)
    return lines


def _corpus_notice(screen: Screen) -> Callable[[CorpusChange], None]:
    def notice(change: CorpusChange) -> None:
        screen.say("\n".join(change.lines()))

    return notice


class ConsoleFrontend:
    """The console inside the runner: a prompt on a terminal, else line by line until EOF."""

    name = PLATFORM

    def __init__(self, app: App, *, stdin: TextIO | None = None, out: TextIO | None = None) -> None:
        self.app = app
        self.stdin = stdin or sys.stdin
        self.out = out or sys.stdout
        self.interactive = self.stdin.isatty() and self.out.isatty()
        self._contexts = ExitStack()
        self.session: PromptSession[str] | None = None
        self._lines: asyncio.Queue[str | None] | None = None

    async def start(self, host: Host) -> None:
        """Answers and digests on ``out``; corpus changes there too on a terminal, else on
        stderr (a script reads the answers alone)."""
        if not self.interactive:
            self.screen = Screen(self.out)
            self.app.add_sender(ConsoleSender(self.screen))
            self.app.corpus_listeners.append(_corpus_notice(Screen(sys.stderr)))
            return
        terminal = (sys.stdout, sys.stderr)
        self._contexts.enter_context(patch_stdout(raw=True))  # log lines above the prompt now
        self._contexts.enter_context(_logging_to(sys.stderr, terminal))
        self.screen = Screen(sys.stdout, ansi=True, width=self._columns)
        ctrl_c = CtrlC(self.screen.say)
        history = History(self.app.config.data_dir / HISTORY_FILE)
        self.session = PromptSession(history=history, key_bindings=ctrl_c.bindings)
        ctrl_c.attach(self.session.default_buffer)
        self.app.add_sender(ConsoleSender(self.screen))
        self.app.corpus_listeners.append(_corpus_notice(self.screen))
        app = self.app
        self.screen.write(
            f"digestbot: {len(app.posts)} posts from {app.config.corpus_dir} (new or edited "
            f"seed files are picked up within a minute); data in {app.config.data_dir}. "
            "Type /help, or quit.\n"
        )

    def _columns(self) -> int:
        assert self.session is not None
        return self.session.output.get_size().columns

    async def serve(self) -> int:
        """Until EOF, Ctrl-D or 'quit': exit status 0."""
        while True:
            line = await self._read()
            if line is None or line.strip().lower() in QUIT_WORDS:
                return 0
            cmd = to_command(line, self.app.commands)
            if cmd is not None:
                self.screen.show(await self.app.dispatch(cmd))

    async def _read(self) -> str | None:
        if self.session is None:
            if self._lines is None:
                self._lines = _read_lines(self.stdin)
            return await self._lines.get()
        try:
            return await self.session.prompt_async(PROMPT)
        except EOFError:  # Ctrl-D, or the second Ctrl-C on an empty line
            return None

    async def after_tick(self) -> None:
        pass

    async def stop(self) -> None:
        self._contexts.close()


def _read_lines(stream: TextIO) -> asyncio.Queue[str | None]:
    """Lines of ``stream`` read by a daemon thread (None at EOF): a process stopped by a
    signal while nobody types exits without waiting for a line that never comes."""
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[str | None] = asyncio.Queue()

    def put(line: str | None) -> None:
        with contextlib.suppress(RuntimeError):  # the loop has closed: the process is ending
            loop.call_soon_threadsafe(queue.put_nowait, line)

    def read() -> None:
        for line in iter(stream.readline, ""):
            put(line)
        put(None)

    threading.Thread(target=read, name="console-stdin", daemon=True).start()
    return queue


class CtrlC:
    """Ctrl-C clears the line; on an empty line it says how to quit, and a second one quits.

    "A second one" means no typing in between: any change to the line disarms it.
    """

    def __init__(self, say: Callable[[str], None]) -> None:
        self.say = say
        self.armed = False
        self.bindings = KeyBindings()
        self.bindings.add("c-c")(self.pressed)

    def attach(self, buffer: Buffer) -> None:
        buffer.on_text_changed += self.disarm

    def disarm(self, _: Buffer) -> None:
        self.armed = False

    def pressed(self, event: KeyPressEvent) -> None:
        buffer = event.current_buffer
        if buffer.text:
            buffer.reset()
        elif self.armed:
            event.app.exit(exception=EOFError)
        else:
            self.say(QUIT_HINT)
        self.armed = True


class History(FileHistory):
    """FileHistory that never stops the console: a history it cannot read or write (a full
    disk, a folder in its place) is said once in the log and the session goes on without it."""

    def __init__(self, path: Path) -> None:
        super().__init__(str(path))
        self._warned = False

    def load_history_strings(self) -> Iterable[str]:
        try:
            return list(super().load_history_strings())
        except OSError as exc:
            self._warn("read from", exc)
            return []

    def store_string(self, string: str) -> None:
        try:
            super().store_string(string)
        except OSError as exc:
            self._warn("saved to", exc)

    def _warn(self, verb: str, exc: OSError) -> None:
        if not self._warned:
            log.warning("console history not %s %s: %s", verb, self.filename, exc.strerror)
            self._warned = True


@contextmanager
def _logging_to(stream: TextIO, terminal: tuple[TextIO, ...]) -> Iterator[None]:
    """Point the root logger's handlers that write to the terminal at ``stream`` (the proxy)."""
    handlers = [
        h
        for h in logging.getLogger().handlers
        if isinstance(h, logging.StreamHandler) and h.stream in terminal
    ]
    previous = [h.setStream(stream) for h in handlers]
    try:
        yield
    finally:
        for handler, old in zip(handlers, previous, strict=True):
            if old is not None:
                handler.setStream(old)
