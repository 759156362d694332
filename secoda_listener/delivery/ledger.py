"""The ledger: ids of the events Secoda accepted from this host, one ledger per spool directory.

The sender appends an event's id when Secoda answered 2xx for it;
``secoda-listener backfill`` reads the ledger before spooling, so a second
backfill over the same window (or one over a period the listener already
reported) sends nothing Secoda already has. Ids are the deterministic
``event_id`` of :func:`secoda_listener.event.model.event_id_for`.

* **Bounded:** at most :data:`MAX_IDS` ids are kept. The file grows by appends
  until it holds :data:`COMPACT_AT` lines, then the newest :data:`MAX_IDS` are
  rewritten with :func:`~secoda_listener.delivery.files.write_atomic`. An id
  that aged out is at worst sent again: Secoda de-duplicates on the
  ``Idempotency-Key`` header, the ledger only saves the requests.
* **Crash-safe:** one line per id, appended with ``O_APPEND`` under
  :func:`~secoda_listener.delivery.files.flock`; a line torn by a crash is not an
  id and is ignored on reading; compaction is an atomic replace.
* **Never in the way:** a ledger that cannot be written costs a log line, never
  a delivery (the sender calls :meth:`Ledger.record` after the 2xx).
"""

from __future__ import annotations

import logging
import os
import re
from collections import deque
from collections.abc import Iterable
from pathlib import Path

from secoda_listener.delivery.files import FILE_MODE, flock, write_atomic
from secoda_listener.exceptions import SpoolError

log = logging.getLogger(__name__)

#: The ledger's file name inside the spool directory (not a maildir subdirectory: never sent).
LEDGER_FILE = "delivered.ledger"
LOCK_FILE = "delivered.ledger.lock"
#: Ids kept after a compaction (a uuid line is 37 bytes: ~3.7 MB on disk).
MAX_IDS = 100_000
#: Lines the file may reach before it is compacted back to MAX_IDS (a quarter more: compactions stay rare).
COMPACT_AT = MAX_IDS + MAX_IDS // 4
_LINE_BYTES = 37
_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


class Ledger:
    """The delivered-ids ledger of the spool in ``directory``."""

    def __init__(
        self, directory: str | os.PathLike[str], *, max_ids: int = MAX_IDS, compact_at: int | None = None
    ) -> None:
        self.directory = Path(directory)
        self.path = self.directory / LEDGER_FILE
        self.lock_path = self.directory / LOCK_FILE
        self.max_ids = max_ids
        self.compact_at = (
            compact_at if compact_at is not None else (COMPACT_AT if max_ids == MAX_IDS else max_ids + max_ids // 4)
        )

    def record(self, event_ids: Iterable[str]) -> None:
        """Append ``event_ids`` (accepted by Secoda); compact when the file is over its bound.

        Raises :class:`SpoolError` when the file cannot be written.
        """
        lines = "".join(f"{event_id}\n" for event_id in event_ids if _UUID.match(event_id))
        if not lines:
            return
        try:
            with flock(self.lock_path):
                fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_CLOEXEC, FILE_MODE)
                try:
                    end = os.fstat(fd).st_size
                    if end and os.pread(fd, 1, end - 1) != b"\n":
                        lines = "\n" + lines  # a line torn by a crash stays alone: it never eats this id
                    os.write(fd, lines.encode("ascii"))
                    size = os.fstat(fd).st_size
                finally:
                    os.close(fd)
                # The size says roughly how many lines there are, without reading them.
                if size // _LINE_BYTES >= self.compact_at:
                    self._compact()
        except OSError as exc:
            raise SpoolError(f"cannot write the delivered-events ledger {self.path}: {exc.strerror or exc}") from exc

    def _compact(self) -> None:
        """Keep the newest ``max_ids`` ids (called under the lock)."""
        newest = deque(self._read_lines(), maxlen=self.max_ids)
        data = "".join(f"{event_id}\n" for event_id in newest).encode("ascii")
        write_atomic(self.path, data, what="the delivered-events ledger")

    def _read_lines(self) -> Iterable[str]:
        try:
            with open(self.path, encoding="ascii", errors="replace") as handle:
                for line in handle:
                    text = line.strip()
                    if _UUID.match(text):  # a torn last line is no id
                        yield text
        except FileNotFoundError:
            return

    def delivered(self) -> frozenset[str]:
        """Every id in the ledger (at most ``compact_at`` of them). Empty when there is no ledger."""
        try:
            return frozenset(self._read_lines())
        except OSError as exc:
            log.warning("secoda-listener: cannot read the delivered-events ledger %s: %s", self.path, exc)
            return frozenset()


def ledger_of(spool: object) -> Ledger | None:
    """The ledger of a sender's spool: the maildir's directory; None for the in-memory hold."""
    directory = getattr(spool, "directory", None)
    return Ledger(directory) if isinstance(directory, Path) else None
