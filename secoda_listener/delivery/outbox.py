"""The one object the listener talks to: ``put`` on the hook path, ``flush`` at the end.

Neither method ever raises: a reporting plugin must not fail a task.

``put`` writes to the disk spool. If the spool cannot be written (read-only
or full disk, a path that is not a directory) the record is held in a bounded
in-memory hold instead (:mod:`~secoda_listener.delivery.hold`), with ONE
warning per process, and ``flush`` sends it directly (or moves it into the
spool first, if the disk came back).

Fork safety: an outbox belongs to the process that made it. In a forked
child every outbox starts afresh (new locks, new HTTP session, empty hold):
the parent still owns, and will send, what it held.

The sending half (the senders, the transport and with it ``requests``) is
imported and built on the first ``flush``: where the delivery agent sends, a
task process only ever calls ``put`` and never pays for it.
"""

from __future__ import annotations

import enum
import logging
import os
import threading
import time
import weakref
from collections.abc import Callable
from typing import TYPE_CHECKING

import attrs

from secoda_listener import conf, forks
from secoda_listener.delivery.backoff import SharedBackoff
from secoda_listener.delivery.endpoint import Endpoint
from secoda_listener.delivery.hold import DEFAULT_MAX_BYTES as HOLD_MAX_BYTES
from secoda_listener.delivery.hold import DEFAULT_MAX_RECORDS as HOLD_MAX_RECORDS
from secoda_listener.delivery.hold import MemoryHold
from secoda_listener.delivery.record import SpoolRecord
from secoda_listener.delivery.spool import DEFAULT_FSYNC, DEFAULT_MAX_BYTES, DEFAULT_MAX_FILES, Spool
from secoda_listener.exceptions import InvalidRecordError, SpoolError
from secoda_listener.logs import warn_once

if TYPE_CHECKING:
    from secoda_listener.delivery.sender import FlushResult, Sender, SpoolLike
    from secoda_listener.delivery.transport import Transport

log = logging.getLogger(__name__)

#: Seconds a flush may take unless told otherwise: the ``[secoda] flush_timeout`` default.
DEFAULT_FLUSH_TIMEOUT = float(conf.default("flush_timeout"))
#: The ``[secoda] request_timeout`` default (the sender's own).
DEFAULT_REQUEST_TIMEOUT = float(conf.default("request_timeout"))


def _default_transport() -> Transport:
    from secoda_listener.delivery.transport import Transport

    return Transport()


class Placement(enum.Enum):
    """Where :meth:`Outbox.put` kept a record."""

    SPOOLED = "spooled"  # on disk, in new/
    HELD = "held in memory"  # the spool is unwritable; sent directly at the end of the task
    DROPPED = "dropped"  # not kept: an invalid record, or an unexpected error


@attrs.frozen
class PutResult:
    """What :meth:`Outbox.put` did; ``str()`` is the few words for the task log."""

    placement: Placement
    detail: str = ""

    def __str__(self) -> str:
        return f"{self.placement.value}: {self.detail}" if self.detail else self.placement.value


_live: weakref.WeakSet[Outbox] = weakref.WeakSet()


class Outbox:
    """Spool on ``put``, deliver on ``flush``; one per process (see :func:`get_outbox`).

    Defaults are the ``[secoda]`` defaults; :func:`~secoda_listener.delivery.process.outbox_from_conf`
    passes the configured values.
    """

    def __init__(
        self,
        spool_dir: str | os.PathLike[str],
        *,
        resolve_endpoint: Callable[[str], Endpoint],
        max_bytes: int = DEFAULT_MAX_BYTES,
        max_files: int = DEFAULT_MAX_FILES,
        fsync: bool = DEFAULT_FSYNC,
        flush_timeout: float = DEFAULT_FLUSH_TIMEOUT,
        request_timeout: float = DEFAULT_REQUEST_TIMEOUT,
        hold_max_records: int = HOLD_MAX_RECORDS,
        transport_factory: Callable[[], Transport] = _default_transport,
    ) -> None:
        self.spool_dir = spool_dir
        self.resolve_endpoint = resolve_endpoint
        self.max_bytes = max_bytes
        self.max_files = max_files
        self.fsync = fsync
        self.flush_timeout = flush_timeout
        self.request_timeout = request_timeout
        self.hold_max_records = hold_max_records
        self._transport_factory = transport_factory
        self._start()
        _live.add(self)

    def _start(self) -> None:
        """(Re)build everything this process owns: at creation, and in a forked child."""
        self._flush_lock = threading.Lock()
        self._spool: Spool | None = None
        self._hold = MemoryHold(self.hold_max_records, min(self.max_bytes, HOLD_MAX_BYTES))
        # Built by the first flush (see the module docstring), under the flush lock.
        self._transport: Transport | None = None
        self._spool_sender: Sender | None = None
        self._hold_sender: Sender | None = None

    def _sender(self, spool: SpoolLike, backoff: SharedBackoff | None = None) -> Sender:
        from secoda_listener.delivery.sender import Sender

        if self._transport is None:
            self._transport = self._transport_factory()
        return Sender(
            spool, self.resolve_endpoint, self._transport, backoff=backoff, request_timeout=self.request_timeout
        )

    def _open_spool(self) -> tuple[Spool | None, str]:
        """The disk spool, created on first use (and retried while it fails)."""
        if self._spool is None:
            try:
                self._spool = Spool(
                    self.spool_dir, max_bytes=self.max_bytes, max_files=self.max_files, fsync=self.fsync
                )
            except SpoolError as exc:
                return None, str(exc)
        return self._spool, ""

    def put(self, record: SpoolRecord) -> PutResult:
        """Keep ``record`` for delivery and say where. Never raises."""
        try:
            spool, problem = self._open_spool()
            if spool is not None:
                try:
                    spool.write(record)
                    return PutResult(Placement.SPOOLED)
                except InvalidRecordError:
                    raise
                except SpoolError as exc:
                    problem = str(exc)
            warn_once(
                log,
                ("outbox", "holding in memory"),
                "%s; holding events in memory (at most %d) and sending them directly at the end of the task",
                problem,
                self.hold_max_records,
            )
            self._hold.add(record)
            return PutResult(Placement.HELD, f"spool unwritable ({problem})")
        except InvalidRecordError as exc:
            log.warning("secoda-listener: dropped an invalid event record: %s", exc)
            return PutResult(Placement.DROPPED, str(exc))
        except Exception as exc:  # noqa: BLE001 - the hook path must never raise
            log.warning("secoda-listener: could not keep an event: %s: %s", type(exc).__name__, exc)
            return PutResult(Placement.DROPPED, f"{type(exc).__name__}: {exc}")

    def holding(self) -> bool:
        """True while records wait in memory: only this process can send those."""
        return self._hold.count_pending() > 0

    def flush(self, timeout: float | None = None) -> FlushResult:
        """Deliver within ``timeout`` (default ``flush_timeout``) seconds. Never raises."""
        from secoda_listener.delivery.sender import FlushResult

        try:
            budget = self.flush_timeout if timeout is None else max(0.0, timeout)
            deadline = time.monotonic() + budget
            # Flushes of one process take turns (one HTTP session); a second
            # caller waits at most its own budget.
            if not self._flush_lock.acquire(timeout=budget):
                return FlushResult(errors=("another flush of this process is still running",))
            try:
                spool, _ = self._open_spool()
                self._rehome_hold(spool)
                result = FlushResult()
                if self._hold.count_pending():
                    if self._hold_sender is None:
                        # The hold's back-off stays in memory: there may be no spool to share it through.
                        self._hold_sender = self._sender(self._hold, SharedBackoff(None))
                    result += self._hold_sender.flush(deadline - time.monotonic())
                if spool is not None:
                    if self._spool_sender is None:
                        self._spool_sender = self._sender(spool)
                    result += self._spool_sender.flush(deadline - time.monotonic())
                return result
            finally:
                self._flush_lock.release()
        except Exception as exc:  # noqa: BLE001 - a reporting plugin must not fail a task
            log.warning("secoda-listener: flush failed: %s: %s", type(exc).__name__, exc)
            return FlushResult(errors=(f"{type(exc).__name__}: {exc}",))

    def _rehome_hold(self, spool: Spool | None) -> None:
        """The disk is back: move held records into the spool, where they survive exit."""
        if spool is None or not self._hold.count_pending():
            return
        records = self._hold.take_all()
        for index, record in enumerate(records):
            try:
                spool.write(record)
            except SpoolError:
                for rest in records[index:]:
                    self._hold.add(rest)
                return


_outbox: Outbox | None = None
_outbox_lock = threading.Lock()


def get_outbox(factory: Callable[[], Outbox]) -> Outbox:
    """This process's outbox, made by ``factory`` on first use (and again in a forked child)."""
    global _outbox
    with _outbox_lock:
        if _outbox is None:
            _outbox = factory()
        return _outbox


def forget_outbox() -> None:
    """Drop this process's outbox: the next :func:`get_outbox` makes a new one (a forked child; tests)."""
    global _outbox, _outbox_lock
    _outbox = None
    # A lock held by another thread at fork time would stay held in the child forever.
    _outbox_lock = threading.Lock()


def _after_fork_in_child() -> None:
    forget_outbox()
    # An outbox the child still holds a reference to starts empty. _start only
    # builds objects (the spool is opened, the session made, on first use): no
    # thread and no I/O, as a reset in the just-forked child must be.
    for outbox in list(_live):
        outbox._start()


forks.reset_in_child("delivery.outbox", _after_fork_in_child)
