"""Deliver spooled records to Secoda within one deadline.

One :meth:`Sender.flush` takes records oldest first, one request per event
(the ingest API takes one event a request) over a reused connection, and
stops at its deadline: every request's timeout is cut from what is left of
the budget, so the whole flush, connects and reads included, ends in time.

What happens to a record:

* 2xx: deleted. Only then.
* 408, 429, 5xx (not 501/505), connection errors, timeouts: the record goes
  back to ``new/`` unchanged (same event id) and the connection backs off
  (shared with every process through the spool). If the back-off ends inside
  this flush's budget the sender waits and retries; otherwise it stops
  spending its budget on that connection.
* Other 4xx: to ``failed/`` with the reason (``flush --retry-failed`` resends).
* A connection that cannot be resolved (:class:`ConfigError`): the record
  stays spooled, one warning per connection id per process.

Connections are told apart by the connection key in each file's name, so a
connection that is backing off is skipped without opening its files.
"""

from __future__ import annotations

import enum
import logging
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Protocol

import attrs

from secoda_listener import conf
from secoda_listener.delivery.backoff import SharedBackoff
from secoda_listener.delivery.endpoint import Endpoint
from secoda_listener.delivery.ledger import ledger_of
from secoda_listener.delivery.names import conn_key_of
from secoda_listener.delivery.record import Route, SpoolRecord
from secoda_listener.delivery.spool import Claim
from secoda_listener.delivery.transport import Timeout, Transport
from secoda_listener.exceptions import ConfigError, DeliveryError, InvalidRecordError, SpoolError
from secoda_listener.logs import warn_once

log = logging.getLogger(__name__)

#: Upper bound of one request unless told otherwise: the ``[secoda] request_timeout`` default.
DEFAULT_REQUEST_TIMEOUT = float(conf.default("request_timeout"))

#: Below this much budget a request is not started: it could not finish.
MIN_REQUEST_TIME = 0.05
#: Share of a request's budget allowed for connecting (the rest is for the response).
CONNECT_SHARE = 0.4
_MAX_ERRORS = 10


class SpoolLike(Protocol):
    """What a sender needs from a spool (the maildir, or the outbox's memory hold)."""

    backoff_path: Path | None

    @property
    def evicted(self) -> int: ...  # records this instance evicted so far

    def maintain(self) -> int: ...
    def list_new(self) -> list[str]: ...
    def claim(self, limit: int = 1, names: Iterable[str] | None = None) -> list[Claim]: ...
    def read(self, claim: Claim) -> SpoolRecord: ...
    def release(self, claim: Claim) -> None: ...
    def delete(self, claim: Claim) -> None: ...
    def fail(self, claim: Claim, kind: str, reason: str) -> None: ...
    def retry_failed(self) -> int: ...
    def count_pending(self) -> int: ...


@attrs.frozen
class FlushResult:
    """What one flush did. ``remaining`` counts records still waiting afterwards."""

    sent: int = 0
    failed: int = 0
    remaining: int = 0
    evicted: int = 0
    skipped_backoff: int = 0
    errors: tuple[str, ...] = ()

    def __add__(self, other: FlushResult) -> FlushResult:
        return FlushResult(
            sent=self.sent + other.sent,
            failed=self.failed + other.failed,
            remaining=self.remaining + other.remaining,
            evicted=self.evicted + other.evicted,
            skipped_backoff=self.skipped_backoff + other.skipped_backoff,
            errors=(self.errors + other.errors)[:_MAX_ERRORS],
        )


class Blocked(enum.Enum):
    """Why a connection gets nothing more in this flush."""

    BACKOFF = "backoff"  # Secoda refused it (now or, through the spool, in another process)
    CONFIG = "config"  # its Airflow connection cannot be resolved


@attrs.define
class _Run:
    """The mutable state of one flush."""

    deadline: float
    ignore_backoff: bool
    monotonic: Callable[[], float]
    sent: int = 0
    failed: int = 0
    skipped_backoff: int = 0
    errors: list[str] = attrs.Factory(list)
    #: connection key -> why it is not to be sent to again in this flush.
    blocked: dict[str, Blocked] = attrs.Factory(dict)
    checked: set[str] = attrs.Factory(set)  # keys whose shared back-off was read
    clean: set[str] = attrs.Factory(set)  # keys known to have no back-off state left
    endpoints: dict[str, Endpoint] = attrs.Factory(dict)
    listed: int | None = None  # names in new/ at the start of the last pass
    handled: int = 0  # of which delivered or failed

    def remaining(self) -> float:
        return self.deadline - self.monotonic()

    def error(self, message: str) -> None:
        if message not in self.errors and len(self.errors) < _MAX_ERRORS:
            self.errors.append(message)


class Sender:
    """Drains one spool. ``clock`` (wall time, as the shared back-off is) and
    ``monotonic`` (the deadline) are ``time.time`` and ``time.monotonic``
    unless a test fakes them, together with ``sleep``."""

    def __init__(
        self,
        spool: SpoolLike,
        resolve_endpoint: Callable[[str], Endpoint],
        transport: Transport,
        *,
        backoff: SharedBackoff | None = None,
        request_timeout: float = DEFAULT_REQUEST_TIMEOUT,
        connect_timeout: float = 3.05,
        batch_size: int = 32,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.time,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.spool = spool
        self.resolve_endpoint = resolve_endpoint
        self.transport = transport
        self.backoff = backoff if backoff is not None else SharedBackoff(spool.backoff_path, clock=clock)
        self.request_timeout = request_timeout
        self.connect_timeout = connect_timeout
        self.batch_size = batch_size
        self._sleep = sleep
        self._clock = clock
        self._monotonic = monotonic
        # Evictions the spool object made before this sender existed are reported by
        # its first flush: an outbox builds its senders only when it first flushes.
        self._evicted_reported = 0
        # Ids Secoda accepted, for `secoda-listener backfill` (delivery/ledger.py); none for the memory hold.
        self.ledger = ledger_of(spool)

    def flush(self, timeout: float, *, ignore_backoff: bool = False, retry_failed: bool = False) -> FlushResult:
        """Deliver what is spooled until done or ``timeout`` seconds have passed.

        ``ignore_backoff``: do not skip connections other processes saw
        refusing (a person asked for this flush). ``retry_failed``: first move
        ``failed/`` back into the queue.
        """
        run = _Run(
            deadline=self._monotonic() + max(0.0, timeout), ignore_backoff=ignore_backoff, monotonic=self._monotonic
        )
        try:
            if retry_failed:
                self.spool.retry_failed()
            self.spool.maintain()
            # Several passes: events written while we sent are picked up too.
            while run.remaining() > MIN_REQUEST_TIME and self._pass(run):
                pass
        except (OSError, SpoolError) as exc:
            run.error(f"spool: {exc}")
            log.warning("secoda-listener: flush stopped: spool error: %s", exc)
        if run.listed is not None and run.remaining() <= 0:
            # Out of time: an exact count is a listing, O(backlog); estimate instead.
            remaining = run.listed - run.handled
        else:
            try:
                remaining = self.spool.count_pending()
            except OSError:
                remaining = 0
        # Evictions this process made since its last flush (on put, or now).
        evicted, self._evicted_reported = self.spool.evicted - self._evicted_reported, self.spool.evicted
        return FlushResult(
            sent=run.sent,
            failed=run.failed,
            remaining=remaining,
            evicted=evicted,
            skipped_backoff=run.skipped_backoff,
            errors=tuple(run.errors),
        )

    # --- one pass over new/ ----------------------------------------------------

    def _pass(self, run: _Run) -> bool:
        """Send what ``new/`` holds now; True if a record was delivered or failed."""
        before = run.sent + run.failed
        # Counted per pass: the last pass says how many wait on a back-off.
        run.skipped_backoff = 0
        names = self.spool.list_new()
        run.listed, run.handled = len(names), 0
        wanted = (name for name in names if self._wanted(name, run))
        while run.remaining() > MIN_REQUEST_TIME:
            batch = self.spool.claim(self.batch_size, wanted)
            if not batch:
                break
            done = 0
            try:
                for claim in batch:
                    if run.remaining() <= MIN_REQUEST_TIME:
                        break
                    self._deliver(claim, run)
                    done += 1
            finally:
                # Out of time (or an unexpected error): hand the rest back untouched.
                for claim in batch[done:]:
                    self.spool.release(claim)
        run.handled = run.sent + run.failed - before
        return run.handled > 0

    def _wanted(self, name: str, run: _Run) -> bool:
        key = conn_key_of(name)
        if key not in run.blocked and not run.ignore_backoff and key not in run.checked:
            run.checked.add(key)
            entry = self.backoff.get(key)
            if entry is not None and entry.active(self._clock()):
                run.blocked[key] = Blocked.BACKOFF
                log.info(
                    "secoda-listener: connection %s is backing off for %.1fs more (%s)",
                    key,
                    entry.until - self._clock(),
                    entry.reason,
                )
        reason = run.blocked.get(key)
        if reason is Blocked.BACKOFF:
            run.skipped_backoff += 1
        return reason is None

    # --- one record ------------------------------------------------------------

    def _endpoint(self, conn_id: str, key: str, run: _Run) -> Endpoint | None:
        if conn_id not in run.endpoints:
            try:
                run.endpoints[conn_id] = self.resolve_endpoint(conn_id)
            except ConfigError as exc:
                self._config_problem(conn_id, key, exc, run)
                return None
        return run.endpoints[conn_id]

    def _config_problem(self, conn_id: str, key: str, exc: Exception, run: _Run) -> None:
        run.blocked[key] = Blocked.CONFIG
        run.error(str(exc))
        warn_once(
            log,
            ("sender", "unresolvable connection", conn_id),
            "events for connection %r stay spooled: %s",
            conn_id,
            exc,
        )

    def _deliver(self, claim: Claim, run: _Run) -> None:
        """Send one claimed record; it ends deleted, failed, or released."""
        key = conn_key_of(claim.name)
        try:
            record = self.spool.read(claim)
        except InvalidRecordError as exc:
            # Never send a corrupt file; keep it visible in failed/.
            self.spool.fail(claim, "corrupt", str(exc))
            run.failed += 1
            run.error(str(exc))
            return
        except SpoolError as exc:  # taken back from us (lease): someone else sends it
            run.error(str(exc))
            return
        if key in run.blocked:
            self.spool.release(claim)
            run.skipped_backoff += run.blocked[key] is Blocked.BACKOFF
            return
        endpoint = self._endpoint(record.conn_id, key, run)
        if endpoint is None:
            self.spool.release(claim)
            return
        self._send(claim, record, key, endpoint, run)

    def _send(self, claim: Claim, record: SpoolRecord, key: str, endpoint: Endpoint, run: _Run) -> None:
        """POST until 2xx, a permanent refusal, or a back-off that does not fit the budget."""
        url, body = endpoint.url_for(record.route), endpoint.body_for(record.route, record.body)
        while True:
            left = run.remaining()
            if left <= MIN_REQUEST_TIME:
                self.spool.release(claim)
                return
            try:
                self.transport.post(
                    url, body, headers=endpoint.headers(), timeout=self._timeouts(left), event_id=record.event_id
                )
            except ConfigError as exc:
                self._config_problem(record.conn_id, key, exc, run)
                self.spool.release(claim)
                return
            except DeliveryError as exc:
                # Messages go to logs and failed/: make sure no echo of the key rides along.
                reason = str(exc).replace(endpoint.api_key, "***") if endpoint.api_key else str(exc)
                run.error(reason)
                if not exc.retryable:
                    log.warning(
                        "secoda-listener: Secoda refused event %s; moved to failed/: %s", record.event_id, reason
                    )
                    self.spool.fail(claim, f"http-{exc.status}", reason)
                    run.failed += 1
                    return
                run.clean.discard(key)
                entry = self.backoff.record_failure(key, reason=reason[:300], retry_after=exc.retry_after)
                wait = max(0.0, entry.until - self._clock())
                if wait + MIN_REQUEST_TIME < run.remaining():
                    self._sleep(wait)
                    continue
                run.blocked[key] = Blocked.BACKOFF
                log.warning(
                    "secoda-listener: Secoda unavailable for %s (%s); backing off %.1fs, events stay spooled",
                    record.conn_id,
                    reason,
                    wait,
                )
                self.spool.release(claim)
                return
            self.spool.delete(claim)
            run.sent += 1
            self._note_delivered(record)
            if key not in run.clean:
                # Secoda answers again: tell the host. One read per connection
                # per flush, a write only when there was state to clear.
                run.clean.add(key)
                if self.backoff.get(key) is not None:
                    self.backoff.record_success(key)
            return

    def _note_delivered(self, record: SpoolRecord) -> None:
        """Ledger hook: remember an accepted event's id, so a backfill does not send it again.

        After the 2xx and the delete: a ledger that cannot be written costs a log line, never a delivery.
        """
        if self.ledger is None or record.route is not Route.INGEST:
            return
        try:
            self.ledger.record((record.event_id,))
        except SpoolError as exc:
            warn_once(log, ("sender", "ledger"), "%s", exc)

    def _timeouts(self, left: float) -> Timeout:
        """(connect, read) whose sum fits both ``request_timeout`` and the budget."""
        budget = min(self.request_timeout, left)
        connect = min(self.connect_timeout, budget * CONNECT_SHARE)
        return (connect, budget - connect)
