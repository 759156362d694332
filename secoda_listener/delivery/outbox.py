"""The one object the listener talks to: ``put`` on the hook path, ``flush`` at the end.

Neither method ever raises: a reporting plugin must not fail a task.

``put`` writes to the disk spool. If the spool cannot be written (read-only
or full disk, a path that is not a directory) the record is held in a bounded
in-memory hold instead, with ONE warning per process, and ``flush`` sends
it directly (or moves it into the spool first, if the disk came back).

Fork safety: an outbox belongs to the process that made it. When the pid
changes, the child starts afresh (new locks, new HTTP session, empty hold):
the parent still owns, and will send, what it held.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from typing import Any, Callable, Iterable, Mapping

from secoda_listener.delivery.endpoint import Endpoint
from secoda_listener.exceptions import InvalidRecordError, SpoolError
from secoda_listener.delivery.backoff import SharedBackoff
from secoda_listener.delivery.sender import FlushResult, Sender
from secoda_listener.delivery.spool import Claim, Spool, encode, record_name
from secoda_listener.delivery.transport import Transport

log = logging.getLogger(__name__)


class MemoryHold:
    """A bounded, spool-shaped queue in memory, for when the disk spool is unusable.

    Over its bounds the oldest record is evicted (counted, logged). A record
    Secoda refuses for good cannot go to ``failed/``: it is logged and dropped.
    """

    backoff_path = None

    def __init__(self, max_records: int = 1000, max_bytes: int = 16 * 1024 * 1024) -> None:
        self.max_records = max_records
        self.max_bytes = max_bytes
        self.evicted = 0
        self.dropped = 0
        self._lock = threading.Lock()
        self._records: dict[str, tuple[dict[str, Any], int]] = {}
        self._claimed: dict[str, tuple[dict[str, Any], int]] = {}
        self._bytes = 0
        self._seq = 0

    def add(self, record: Mapping[str, Any]) -> None:
        size = len(encode(record))  # same validation as the disk spool
        with self._lock:
            self._seq += 1
            name = record_name(record["conn_id"], f"{self._seq:08d}")  # as on disk: the sender needs its tag
            self._records[name] = (dict(record), size)
            self._bytes += size
            while self._records and (len(self._records) > self.max_records or self._bytes > self.max_bytes):
                oldest = min(self._records)
                victim, victim_size = self._records.pop(oldest)
                self._bytes -= victim_size
                self.evicted += 1
                log.warning("secoda-listener: in-memory hold full (%d events, %d bytes max): evicted event %s",
                            self.max_records, self.max_bytes, victim.get("event_id"))

    def take_all(self) -> list[dict[str, Any]]:
        """Remove and return every unclaimed record, oldest first."""
        with self._lock:
            records = [self._records[name][0] for name in sorted(self._records)]
            self._records.clear()
            self._bytes = 0
            return records

    # --- the SpoolLike protocol the sender uses ------------------------------------

    def maintain(self) -> int:
        return 0

    def list_new(self) -> list[str]:
        with self._lock:
            return sorted(self._records)

    def claim(self, limit: int = 1, names: Iterable[str] | None = None) -> list[Claim]:
        claims: list[Claim] = []
        for name in self.list_new() if names is None else names:
            if len(claims) >= limit:
                break
            with self._lock:
                entry = self._records.pop(name, None)
                if entry is None:
                    continue
                self._bytes -= entry[1]
                self._claimed[name] = entry
            claims.append(Claim(name, None))
        return claims

    def read(self, claim: Claim) -> dict[str, Any]:
        with self._lock:
            entry = self._claimed.get(claim.name)
        if entry is None:
            raise SpoolError(f"{claim.name} is not claimed")
        return entry[0]

    def release(self, claim: Claim) -> None:
        with self._lock:
            entry = self._claimed.pop(claim.name, None)
            if entry is not None:
                self._records[claim.name] = entry
                self._bytes += entry[1]

    def delete(self, claim: Claim) -> None:
        with self._lock:
            self._claimed.pop(claim.name, None)

    def fail(self, claim: Claim, kind: str, reason: str) -> None:
        with self._lock:
            entry = self._claimed.pop(claim.name, None)
        if entry is not None:
            self.dropped += 1
            log.warning("secoda-listener: dropped held event %s (%s): %s", entry[0].get("event_id"), kind, reason)

    def retry_failed(self) -> int:
        return 0

    def count_pending(self) -> int:
        with self._lock:
            return len(self._records) + len(self._claimed)


class Outbox:
    """Spool on ``put``, deliver on ``flush``; one per process (see :func:`get_outbox`)."""

    def __init__(
        self,
        spool_dir: str | os.PathLike[str],
        *,
        resolve_endpoint: Callable[[str], Endpoint],
        max_bytes: int = 256 * 1024 * 1024,
        max_files: int = 100_000,
        fsync: bool = True,
        flush_timeout: float = 2.0,
        request_timeout: float = 1.0,
        hold_max_records: int = 1000,
        transport_factory: Callable[[], Transport] = Transport,
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

    def _start(self) -> None:
        """(Re)build everything this process owns."""
        self._pid = os.getpid()
        self._flush_lock = threading.Lock()
        self._transport = self._transport_factory()
        self._spool: Spool | None = None
        self._spool_sender: Sender | None = None
        self._hold = MemoryHold(self.hold_max_records, min(self.max_bytes, 16 * 1024 * 1024))
        # The hold's back-off stays in memory: there may be no spool to share it through.
        self._hold_sender = self._sender(self._hold, SharedBackoff(None))
        self._warned = False

    def _sender(self, spool: Any, backoff: SharedBackoff | None = None) -> Sender:
        return Sender(spool, self.resolve_endpoint, self._transport, backoff=backoff,
                      request_timeout=self.request_timeout)

    def _own(self) -> None:
        if os.getpid() != self._pid:
            self._start()

    def _open_spool(self) -> tuple[Spool | None, str]:
        """The disk spool, created on first use (and retried while it fails)."""
        if self._spool is None:
            try:
                self._spool = Spool(self.spool_dir, max_bytes=self.max_bytes,
                                    max_files=self.max_files, fsync=self.fsync)
            except SpoolError as exc:
                return None, str(exc)
            self._spool_sender = self._sender(self._spool)
        return self._spool, ""

    def put(self, record: Mapping[str, Any]) -> str:
        """Keep ``record`` for delivery; says where in a few words. Never raises."""
        try:
            self._own()
            spool, problem = self._open_spool()
            if spool is not None:
                try:
                    spool.write(record)
                    return "spooled"
                except InvalidRecordError:
                    raise
                except SpoolError as exc:
                    problem = str(exc)
            if not self._warned:
                self._warned = True
                log.warning("secoda-listener: %s; holding events in memory (at most %d) and sending "
                            "them directly at the end of the task", problem, self.hold_max_records)
            self._hold.add(record)
            return f"held in memory: spool unwritable ({problem})"
        except InvalidRecordError as exc:
            log.warning("secoda-listener: dropped an invalid event record: %s", exc)
            return f"dropped: {exc}"
        except Exception as exc:  # noqa: BLE001 - the hook path must never raise
            log.warning("secoda-listener: could not keep an event: %s: %s", type(exc).__name__, exc)
            return f"dropped: {type(exc).__name__}: {exc}"

    def flush(self, timeout: float | None = None) -> FlushResult:
        """Deliver within ``timeout`` (default ``flush_timeout``) seconds. Never raises."""
        try:
            self._own()
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
                    result += self._hold_sender.flush(deadline - time.monotonic())
                if spool is not None and self._spool_sender is not None:
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
_outbox_pid = 0
_outbox_lock = threading.Lock()


def _new_lock_after_fork() -> None:
    global _outbox_lock
    # A lock held by another thread at fork time would stay held in the child forever.
    _outbox_lock = threading.Lock()


os.register_at_fork(after_in_child=_new_lock_after_fork)


def get_outbox(factory: Callable[[], Outbox]) -> Outbox:
    """This process's outbox, made by ``factory`` on first use and again after a fork."""
    global _outbox, _outbox_pid
    with _outbox_lock:
        if _outbox is None or _outbox_pid != os.getpid():
            _outbox, _outbox_pid = factory(), os.getpid()
        return _outbox
