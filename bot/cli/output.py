"""Standard output that says when it cannot be written.

``digestbot corpus > /dev/full`` used to end in a traceback (the first ``print`` raised ``OSError:
No space left on device``), or in Python's "Exception ignored" note at exit when the text was still
buffered. While a command runs, ``sys.stdout`` is wrapped so that a failed write or flush raises
:class:`OutputFailed`; the CLI edge turns it into one line and exit status 2 (a reader that went
away, as with ``| head``, is not an error). An ``OSError`` from anywhere else is left alone.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import sys
from collections.abc import Iterator
from typing import Any, TextIO, cast

BOLD, RESET = "\x1b[1m", "\x1b[0m"  # the only escapes digestbot itself writes (ask, on a tty)
_UNSAFE = re.compile(
    r"\x1b\[[01]m|[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]|(?P<cr>\r)"
)


def terminal_safe(text: str, *, keep_cr: bool = False) -> str:
    """``text`` with nothing a terminal would obey: every control character but line feed and
    tab (ESC, so no CSI/OSC sequence; BEL; backspace; the C1 set, e.g. the 8-bit CSI U+009B;
    DEL) and every bidi embedding, override or isolate is shown as its ``\\uXXXX`` escape.
    Bold on and off (``ESC[1m``, ``ESC[0m``: ``ask``'s highlights) pass; they can change
    nothing but the weight of the text. Inside JSON text the escapes are the same string,
    so ``--json`` output stays valid and holds the same data. ``keep_cr`` keeps ``\\r`` (the
    progress bar on stderr redraws its line with it)."""

    def escape(match: re.Match[str]) -> str:
        found = match.group()
        if found in (BOLD, RESET) or (keep_cr and match.group("cr")):
            return found
        return f"\\u{ord(found):04x}"

    return _UNSAFE.sub(escape, text)


class OutputFailed(Exception):
    """Writing to standard output failed; ``error`` is the OSError the write raised."""

    def __init__(self, error: OSError) -> None:
        super().__init__(str(error))
        self.error = error

    @property
    def reader_gone(self) -> bool:
        return isinstance(self.error, BrokenPipeError)

    def message(self) -> str:
        if self.error.errno in (errno.ENOSPC, errno.EDQUOT):
            return (
                "cannot write the output: the device it goes to is full "
                "(free some space, or send the output elsewhere)"
            )
        return f"cannot write the output: {self.error.strerror or self.error}"


class _Guarded:
    """Stands in for sys.stdout: the same stream, with OSError on write or flush reported and,
    when ``safe``, every text made :func:`terminal_safe` on its way out."""

    def __init__(self, stream: TextIO, *, safe: bool = False) -> None:
        self._stream = stream
        self._safe = safe

    def write(self, text: str) -> int:
        try:
            self._stream.write(terminal_safe(text) if self._safe else text)
        except OSError as exc:
            raise OutputFailed(exc) from None
        return len(text)

    def flush(self) -> None:
        try:
            self._stream.flush()
        except OSError as exc:
            raise OutputFailed(exc) from None

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


class _SafeErrors:
    """Stands in for sys.stderr: the same stream, every text made :func:`terminal_safe`."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream

    def write(self, text: str) -> int:
        self._stream.write(terminal_safe(text, keep_cr=True))
        return len(text)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


@contextlib.contextmanager
def guarded_stdout(*, safe: bool = False) -> Iterator[None]:
    """In the block a failed write to sys.stdout raises OutputFailed; flushed at the end. With
    ``safe``, what goes to stdout and stderr is :func:`terminal_safe` (corpus text cannot drive
    the terminal); ``digestbot run`` leaves them alone (its console defuses text itself)."""
    original, errors = sys.stdout, sys.stderr
    sys.stdout = cast(TextIO, _Guarded(original, safe=safe))
    if safe:
        sys.stderr = cast(TextIO, _SafeErrors(errors))
    try:
        yield
        sys.stdout.flush()
    finally:
        sys.stdout, sys.stderr = original, errors


def silence_stdout() -> None:
    """Point fd 1 at /dev/null, so the interpreter's last flush of what is buffered succeeds."""
    try:
        fd = sys.stdout.fileno()
    except (AttributeError, OSError, ValueError):
        return  # not a real file (captured in tests): nothing is flushed at exit
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, fd)
    os.close(devnull)
