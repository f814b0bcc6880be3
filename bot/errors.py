"""The domain errors that the edges (CLI, chat front ends) show to users as they are."""

from __future__ import annotations


class UsageError(ValueError):
    """A user gave a bad argument; the message says what is expected (one line)."""


class NotFound(UsageError):
    """A post id, chat or similar that does not exist."""


class StoreError(Exception):
    """A store cannot be opened or used; one line naming the file or database and what to do."""


class OutOfSpace(Exception):
    """A store could not write: the device holding its data is full (any store backend)."""


OUT_OF_SPACE = (
    "Sorry, that was not saved: the bot has run out of disk space. Its administrator must "
    "free some; please try again later."
)
