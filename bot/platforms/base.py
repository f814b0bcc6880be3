"""What a front end is to the runner, and what the runner offers it.

A front end turns its platform's events into Commands (through ``host.app.dispatch``) and
Replies into messages, and registers its Sender for digests. It owns no scheduler and no outbox:
:class:`bot.runner.Runner` does, for every front end of the process.
"""

from __future__ import annotations

import asyncio
from typing import Protocol

from bot.app import App


class Host(Protocol):
    """The runner, as a front end sees it."""

    @property
    def app(self) -> App: ...

    @property
    def lock(self) -> asyncio.Lock:
        """Held during a digest run: a front end changing the store's chats takes it too."""
        ...


class Frontend(Protocol):
    """One platform's front end inside the runner."""

    name: str

    async def start(self, host: Host) -> None:
        """Start receiving events and register the Sender (a failure stops the start-up)."""
        ...

    async def serve(self) -> int | None:
        """Run until done: an exit status (the console at end of input) or None (runs until
        the process is stopped)."""
        ...

    async def after_tick(self) -> None:
        """Called after each digest run, with the runner's lock held."""
        ...

    async def stop(self) -> None:
        """Undo whatever :meth:`start` got to."""
        ...
