"""Backfilled events into the listener's own spool, delivered by the same sender.

Each event becomes the :class:`~secoda_listener.delivery.record.SpoolRecord` the
listener would spool (the redacted body, the Secoda connection id, never a key),
put through :func:`secoda_listener.delivery.process.put`. Every
:data:`FLUSH_EVERY` events this process flushes what is spooled
(:meth:`Outbox.flush`: the shared back-off, ``Retry-After`` and the
``Idempotency-Key`` header apply exactly as for the listener). A backfill never
floods the spool past its caps (which would evict the oldest events): above
:data:`HIGH_WATER` pending records it waits for Secoda before reading on, and
gives up after :data:`STALL_SECONDS` without progress, leaving what it spooled
to the delivery agent or ``secoda-listener flush``.
"""

from __future__ import annotations

import time
from typing import Callable

from secoda_listener.delivery.outbox import Placement
from secoda_listener.delivery.record import Route, SpoolRecord
from secoda_listener.event import model as ev
from secoda_listener.exceptions import SecodaListenerError
from secoda_listener.history.backfill import Summary, record_body

FLUSH_EVERY = 100
HIGH_WATER = 1000
STALL_SECONDS = 120.0
#: Seconds of one flush.
FLUSH_BUDGET = 30.0


class BackfillStalled(SecodaListenerError):
    """Secoda accepted nothing for :data:`STALL_SECONDS`: the backfill stops, the spool keeps the rest."""


class SpoolSink:
    def __init__(
        self,
        conn_id: str,
        secrets: tuple[str, ...] = (),
        *,
        flush_every: int = FLUSH_EVERY,
        high_water: int = HIGH_WATER,
        stall_seconds: float = STALL_SECONDS,
        sleep: Callable[[float], None] = time.sleep,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.conn_id = conn_id
        self.secrets = secrets
        self.flush_every = flush_every
        self.high_water = high_water
        self.stall_seconds = stall_seconds
        self._sleep = sleep
        self._monotonic = monotonic
        self._since_flush = 0
        self.sent = 0
        self.remaining = 0
        self.problems: list[str] = []

    def put(self, event: ev.Event) -> None:
        from secoda_listener.delivery import process

        record = SpoolRecord(
            event_id=event.event_id,
            conn_id=self.conn_id,
            route=Route.INGEST,
            created_at=time.time(),
            body=record_body(event, self.secrets),
        )
        placed = process.put(record)
        if placed.placement is Placement.DROPPED:
            raise SecodaListenerError(f"event {event.event_id} could not be kept: {placed.detail}")
        self._since_flush += 1
        if self._since_flush >= self.flush_every:
            self._since_flush = 0
            self._drain(until=self.high_water)

    def finish(self, summary: Summary) -> None:
        try:
            self._drain(until=0)
        except BackfillStalled as exc:
            summary.error(str(exc))
        summary.sent = self.sent
        summary.left_spooled = self.remaining
        for problem in self.problems[:3]:
            summary.error(problem)

    def _flush_once(self) -> int:
        from secoda_listener.delivery import process

        result = process.get_outbox().flush(FLUSH_BUDGET)
        self.sent += result.sent
        self.remaining = result.remaining
        for message in result.errors:
            if message not in self.problems:
                self.problems.append(message)
        return result.sent + result.failed

    def _drain(self, until: int) -> None:
        """Flush; while more than ``until`` records wait, keep flushing (the back-off paces it)."""
        progress_at = self._monotonic()
        while True:
            if self._flush_once():
                progress_at = self._monotonic()
            if self.remaining <= until:
                return
            if self._monotonic() - progress_at > self.stall_seconds:
                why = "; ".join(self.problems[:2]) or "no answer"
                raise BackfillStalled(
                    f"Secoda accepted nothing for {self.stall_seconds:.0f}s ({why}); {self.remaining} events "
                    "stay spooled for the delivery agent or `secoda-listener flush`"
                )
            self._sleep(1.0)
