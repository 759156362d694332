"""The spool's stand-in in memory, for when the disk spool cannot be written.

The outbox puts records here when the spool directory is read-only, full or
not a directory, and its sender delivers them at the end of the task like
spooled ones (or the outbox moves them into the spool once the disk is back).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable
from pathlib import Path

from secoda_listener.delivery.names import SpoolName
from secoda_listener.delivery.record import SpoolRecord
from secoda_listener.delivery.spool import Claim
from secoda_listener.exceptions import InvalidRecordError, SpoolError

log = logging.getLogger(__name__)

#: Bounds of a hold unless told otherwise: what a task process may keep in memory.
DEFAULT_MAX_RECORDS = 1000
DEFAULT_MAX_BYTES = 16 * 1024 * 1024


class MemoryHold:
    """A bounded, spool-shaped queue in memory (the ``SpoolLike`` the sender takes).

    Over its bounds the oldest record is evicted (counted, logged). A record
    Secoda refuses for good cannot go to ``failed/``: it is logged and dropped.
    """

    #: No spool directory to share a back-off through: the outbox keeps it in memory.
    backoff_path: Path | None = None

    def __init__(self, max_records: int = DEFAULT_MAX_RECORDS, max_bytes: int = DEFAULT_MAX_BYTES) -> None:
        self.max_records = max_records
        self.max_bytes = max_bytes
        self.evicted = 0
        self.dropped = 0
        self._lock = threading.Lock()
        self._records: dict[str, tuple[SpoolRecord, int]] = {}
        self._claimed: dict[str, tuple[SpoolRecord, int]] = {}
        self._bytes = 0
        self._seq = 0

    def add(self, record: SpoolRecord) -> None:
        if not isinstance(record, SpoolRecord):
            raise InvalidRecordError(f"a spool record is a SpoolRecord, not {type(record).__name__}")
        size = len(record.to_json())  # the same validation as the disk spool
        with self._lock:
            self._seq += 1
            # Named as on disk: the sender reads the connection key from the name.
            name = SpoolName.new(record.conn_id, f"{self._seq:08d}").format()
            self._records[name] = (record, size)
            self._bytes += size
            while self._records and (len(self._records) > self.max_records or self._bytes > self.max_bytes):
                oldest = min(self._records)
                victim, victim_size = self._records.pop(oldest)
                self._bytes -= victim_size
                self.evicted += 1
                log.warning(
                    "secoda-listener: in-memory hold full (%d events, %d bytes max): evicted event %s",
                    self.max_records,
                    self.max_bytes,
                    victim.event_id,
                )

    def take_all(self) -> list[SpoolRecord]:
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

    def read(self, claim: Claim) -> SpoolRecord:
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
            log.warning("secoda-listener: dropped held event %s (%s): %s", entry[0].event_id, kind, reason)

    def retry_failed(self) -> int:
        return 0

    def count_pending(self) -> int:
        with self._lock:
            return len(self._records) + len(self._claimed)
