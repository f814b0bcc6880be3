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
import sys
from collections.abc import Iterator
from typing import Any, TextIO, cast


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
    """Stands in for sys.stdout: the same stream, with OSError on write or flush reported."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream

    def write(self, text: str) -> int:
        try:
            return self._stream.write(text)
        except OSError as exc:
            raise OutputFailed(exc) from None

    def flush(self) -> None:
        try:
            self._stream.flush()
        except OSError as exc:
            raise OutputFailed(exc) from None

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


@contextlib.contextmanager
def guarded_stdout() -> Iterator[None]:
    """In the block a failed write to sys.stdout raises OutputFailed; flushed at the end."""
    original = sys.stdout
    sys.stdout = cast(TextIO, _Guarded(original))
    try:
        yield
        sys.stdout.flush()
    finally:
        sys.stdout = original


def silence_stdout() -> None:
    """Point fd 1 at /dev/null, so the interpreter's last flush of what is buffered succeeds."""
    try:
        fd = sys.stdout.fileno()
    except (AttributeError, OSError, ValueError):
        return  # not a real file (captured in tests): nothing is flushed at exit
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, fd)
    os.close(devnull)
