"""The delivery state machine in one table, and what an on-demand digest answers.

A delivery is planned ``pending`` (or ``empty``: nothing new; ``failed``: planning failed),
claimed by one sender, and marked by the outcome its Sender reports (:func:`marked`):

    Sent -> sent        Blocked -> blocked (subscription paused)      Unknown -> unknown
    Failed(retryable) -> pending (a later run resumes it; failed after max_attempts)
    Failed(not retryable) -> failed

``sent``, ``pending`` and ``unknown`` deliveries count as given to the chat (their posts are
not offered again); final ones are folded into the chat's history by housekeeping.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.delivery.sender import Blocked, Outcome, Sent, Unknown


@dataclass(frozen=True)
class DiskFullPaused:
    """:meth:`Outbox.send_now` on a full disk: digests wait until space is freed.

    ``delivered``: the chat service confirmed this digest (its record was written in the
    reserve's space, or is held until it can be); False: nothing was sent.
    """

    delivered: bool

    @property
    def message(self) -> str:
        """What the chat is told (in its terms: the bot ran out of space, someone must act)."""
        wait = (
            "the bot has run out of disk space, so digests wait until its administrator frees some"
        )
        if self.delivered:
            return f"Your digest was delivered, but {wait}."
        return f"Nothing was sent: {wait}."


@dataclass(frozen=True)
class Elsewhere:
    """:meth:`Outbox.send_now`: another sender (the minute tick, another instance) took the
    digest just recorded; it is on its way."""

    message: str = "Your digest is on its way."


Marked = tuple[str, str | None, tuple[str, ...]]  # state, error, message ids


def marked(outcome: Outcome) -> Marked:
    """What an outcome records on its delivery: state, error, message ids (the table above;
    the outbox turns ``pending`` into ``failed`` after ``max_attempts``)."""
    if isinstance(outcome, Sent):
        return "sent", None, outcome.message_ids
    if isinstance(outcome, Blocked):
        return "blocked", outcome.reason, ()
    if isinstance(outcome, Unknown):
        return "unknown", outcome.reason, ()
    return ("pending" if outcome.retryable else "failed"), outcome.reason, ()
