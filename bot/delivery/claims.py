"""Who is sending a delivery right now: one owner per delivery, claimed before it is sent.

The outbox claims a delivery before sending it and releases it once its outcome is marked, so
two ticks, or ``/digest`` and the minute tick, never send the same delivery side by side: a
claim is refused while someone else holds it, and once the delivery is no longer ``pending``
(the owner marked it ``sent``, ``unknown``, ...). A delivery whose outcome could not be written
yet (a full disk, :mod:`.recorder`) is *kept*: it stays owned after its sender is done, until
its records are on disk (*settled*), so nobody resends it meanwhile. The claims live in this
process (one bot per data folder); a store shared by several instances will hold them as rows
with a lease instead, with the same three steps: claim, send, mark and release.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from bot.domain.records import Delivery
from bot.store.tinydb.store import Store


class Claims:
    """The deliveries owned by a sender of this process."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._owned: set[str] = set()
        self._active: set[str] = set()  # inside a ``holding`` block
        self._kept: set[str] = set()  # stay owned after their block ends

    def claim(self, delivery_id: str) -> Delivery | None:
        """The delivery as recorded now, owned by the caller; None when someone else owns it
        or it is no longer pending (nothing to send)."""
        if delivery_id in self._owned:
            return None
        delivery = self.store.get_delivery(delivery_id)
        if delivery is None or delivery.state != "pending":
            return None
        self._owned.add(delivery_id)
        return delivery

    def release(self, delivery_id: str) -> None:
        self._owned.discard(delivery_id)
        self._kept.discard(delivery_id)

    def keep(self, delivery_id: str) -> None:
        """Stay the owner after the ``holding`` block ends (its outcome is not on disk yet)."""
        if delivery_id in self._owned:
            self._kept.add(delivery_id)

    def settle(self, delivery_id: str) -> None:
        """Its records are on disk: released now, or when its ``holding`` block ends."""
        self._kept.discard(delivery_id)
        if delivery_id not in self._active:
            self._owned.discard(delivery_id)

    def owned(self, delivery_id: str) -> bool:
        return delivery_id in self._owned

    @contextmanager
    def holding(self, delivery_id: str) -> Iterator[Delivery | None]:
        """``with claims.holding(id) as delivery:`` owns it inside (None: leave it alone)."""
        delivery = self.claim(delivery_id)
        if delivery is None:
            yield None
            return
        self._active.add(delivery_id)
        try:
            yield delivery
        finally:
            self._active.discard(delivery_id)
            if delivery_id not in self._kept:
                self.release(delivery_id)
