"""The durable local spool: a maildir of events waiting for delivery.

Layout of the spool directory (0700; every file 0600, since events hold SQL)::

    tmp/     files being written; never read, swept when their writer is gone
    new/     complete records, waiting; oldest first by name
    cur/     records claimed by a sender
    failed/  records Secoda refused for good, with the reason inside
    backoff.json, counters.json, usage.json, .lock

A record reaches ``new/`` only by ``rename`` of a complete file, so a writer
killed mid-write leaves a ``tmp/`` file and never a partial record. Senders
claim with ``rename`` into ``cur/`` (atomic: of two senders exactly one wins)
and write their host, pid and process start time into the name, so a claim of
a dead process (or one older than the lease) can be handed back to ``new/``.
What each name says is in :mod:`~secoda_listener.delivery.names`; what a file
holds in :mod:`~secoda_listener.delivery.record`.
"""

from __future__ import annotations

import contextlib
import logging
import os
import secrets
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import attrs

from secoda_listener import conf
from secoda_listener.delivery.backoff import STATE_FILE as BACKOFF_FILE
from secoda_listener.delivery.files import write_atomic
from secoda_listener.delivery.limits import SpoolLimits
from secoda_listener.delivery.names import HOST, ClaimedName, FailedName, SpoolName, TmpName
from secoda_listener.delivery.procs import own_start, pid_alive
from secoda_listener.delivery.record import Failure, SpoolRecord
from secoda_listener.exceptions import InvalidRecordError, SpoolError

log = logging.getLogger(__name__)

SUBDIRS = ("tmp", "new", "cur", "failed")
MIB = 1024 * 1024

#: The caps and fsync a spool has unless told otherwise: the ``[secoda]`` defaults.
DEFAULT_MAX_BYTES = int(conf.default("spool_max_mb")) * MIB
DEFAULT_MAX_FILES = int(conf.default("spool_max_files"))
DEFAULT_FSYNC = bool(conf.default("spool_fsync"))
#: Seconds after which a claim is handed back even if its claimer looks alive
#: (another host's claimer cannot be checked at all).
DEFAULT_LEASE = 600.0


@attrs.frozen
class Claim:
    """A record this process took from ``new/``; ``name`` is its name there.

    ``path`` is where it sits while claimed (``None`` for an in-memory hold).
    """

    name: str
    path: Path | None


def _path_of(claim: Claim) -> Path:
    if claim.path is None:
        raise SpoolError(f"{claim.name} is not a claim of a spool on disk")
    return claim.path


@attrs.frozen
class SpoolStats:
    new: int
    claimed: int
    failed: int
    tmp: int
    bytes: int
    oldest_age: float | None
    failures_by_kind: dict[str, int]
    evictions: int
    max_bytes: int
    max_files: int


class Spool:
    """The maildir spool in ``directory``. Safe to share between processes.

    ``clock_ns`` (default ``time.time_ns``) dates names, claims and scans; it is
    wall-clock time because other processes compare it. Raises
    :class:`SpoolError` when the directory cannot be created.
    """

    def __init__(
        self,
        directory: str | os.PathLike[str],
        *,
        max_bytes: int = DEFAULT_MAX_BYTES,
        max_files: int = DEFAULT_MAX_FILES,
        fsync: bool = DEFAULT_FSYNC,
        lease: float = DEFAULT_LEASE,
        tmp_grace: float = 60.0,
        rescan_interval: float = 10.0,
        clock_ns: Callable[[], int] = time.time_ns,
    ) -> None:
        self.directory = Path(directory)
        self.max_bytes = max_bytes
        self.max_files = max_files
        self.fsync = fsync
        self.lease = lease
        self.tmp_grace = tmp_grace
        self.rescan_interval = rescan_interval
        self._clock_ns = clock_ns
        self.backoff_path: Path | None = self.directory / BACKOFF_FILE
        self.limits = SpoolLimits(
            self.directory,
            max_bytes=max_bytes,
            max_files=max_files,
            rescan_interval=rescan_interval,
            now=self._now,
            write=lambda path, data: self._write(path, data, fsync=False),
        )
        try:
            self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
            for sub in SUBDIRS:
                (self.directory / sub).mkdir(mode=0o700, exist_ok=True)
        except OSError as exc:
            raise SpoolError(f"cannot create spool directory {self.directory}: {exc.strerror or exc}") from exc

    def _now(self) -> float:
        return self._clock_ns() / 1e9

    def _write(self, target: Path, data: bytes, fsync: bool) -> None:
        write_atomic(
            target,
            data,
            tmp_dir=self.directory / "tmp",
            fsync=fsync,
            tmp_name=TmpName.new(secrets.token_hex(4), self._clock_ns()).format(),
            what=f"to spool {self.directory}",
        )

    # --- writing (the hook path) ---------------------------------------------

    def write(self, record: SpoolRecord) -> Path:
        """Durably add one record; returns its path in ``new/``."""
        if not isinstance(record, SpoolRecord):
            raise InvalidRecordError(f"a spool record is a SpoolRecord, not {type(record).__name__}")
        data = record.to_json()
        if len(data) > self.max_bytes:
            raise SpoolError(f"a record of {len(data)} bytes is larger than the whole spool ({self.max_bytes})")
        self.limits.make_room(len(data))
        name = SpoolName.new(record.conn_id, secrets.token_hex(4), self._clock_ns())
        target = self.directory / "new" / name.format()
        self._write(target, data, self.fsync)
        self.limits.added(len(data))
        return target

    # --- bounds (see limits.py) ------------------------------------------------

    @property
    def evicted(self) -> int:
        """Records this instance evicted (the spool-wide total is in stats())."""
        return self.limits.evicted

    def enforce_limits(self, extra_files: int = 0, extra_bytes: int = 0) -> int:
        """Evict the oldest records (``failed/`` first, never claimed ones) until the spool fits."""
        return self.limits.enforce(extra_files, extra_bytes)

    def maintain(self) -> int:
        """Housekeeping before a flush: sweep ``tmp/``, reclaim stale claims,
        enforce the caps if the (cached) usage exceeds them. Returns evictions."""
        self.sweep_tmp()
        self.reclaim_stale()
        return self.limits.enforce_if_over()

    # --- claiming (the sender) -----------------------------------------------

    def list_new(self) -> list[str]:
        """Names waiting in ``new/``, oldest first (names only: memory stays small)."""
        with os.scandir(self.directory / "new") as entries:
            return sorted(e.name for e in entries if e.name.endswith(".json"))

    def claim(self, limit: int = 1, names: Iterable[str] | None = None) -> list[Claim]:
        """Take up to ``limit`` records from ``names`` (default: all of ``new/``), in order.

        A name another sender took first is skipped. ``names`` may be an
        iterator; it is consumed only as far as needed.
        """
        claims: list[Claim] = []
        if limit <= 0:
            return claims
        for name in self.list_new() if names is None else names:
            claimed = ClaimedName(name, HOST, os.getpid(), own_start(), self._clock_ns())
            target = self.directory / "cur" / claimed.format()
            try:
                os.rename(self.directory / "new" / name, target)
            except FileNotFoundError:
                continue
            claims.append(Claim(name, target))
            if len(claims) >= limit:
                break
        return claims

    def read(self, claim: Claim) -> SpoolRecord:
        """The claimed record. :class:`InvalidRecordError` if corrupt,
        :class:`SpoolError` if the claim was lost (reclaimed past its lease)."""
        try:
            data = _path_of(claim).read_bytes()
        except OSError as exc:
            raise SpoolError(f"cannot read claimed {claim.name}: {exc.strerror or exc}") from exc
        return SpoolRecord.from_json(data)

    def release(self, claim: Claim) -> None:
        """Put a claimed record back, unchanged, for a later flush."""
        with contextlib.suppress(FileNotFoundError):
            os.rename(_path_of(claim), self.directory / "new" / claim.name)

    def delete(self, claim: Claim) -> None:
        """Forget a delivered record (only after a 2xx)."""
        with contextlib.suppress(FileNotFoundError):
            _path_of(claim).unlink()

    def fail(self, claim: Claim, kind: str, reason: str) -> None:
        """Move a claimed record to ``failed/``, the reason written into it."""
        kind = FailedName.clean_kind(kind)
        target = self.directory / "failed" / FailedName(claim.name, kind).format()
        try:
            record = SpoolRecord.from_json(_path_of(claim).read_bytes())
        except InvalidRecordError:
            os.rename(_path_of(claim), target)  # keep the evidence as it is
            return
        except FileNotFoundError:
            return
        failed = attrs.evolve(record, failure=Failure(kind, reason[:2000], self._now()))
        self._write(target, failed.to_json(), self.fsync)
        self.delete(claim)

    def retry_failed(self) -> int:
        """Move every record in ``failed/`` back to ``new/``; returns how many."""
        moved = 0
        for name in os.listdir(self.directory / "failed"):
            failed = FailedName.parse(name)
            original = failed.original if failed is not None else name  # a foreign file goes back as it is
            with contextlib.suppress(FileNotFoundError):
                os.rename(self.directory / "failed" / name, self.directory / "new" / original)
                moved += 1
        return moved

    def reclaim_stale(self) -> int:
        """Hand back claims of dead processes on this host, and any past the lease."""
        reclaimed = 0
        now_ns = self._clock_ns()
        for name in os.listdir(self.directory / "cur"):
            claimed = ClaimedName.parse(name)
            if claimed is None:
                expired, dead = True, False  # not a claim name we wrote
            else:
                expired = now_ns - claimed.claimed_ns > self.lease * 1e9
                dead = claimed.host == HOST and not pid_alive(claimed.pid, claimed.start)
            if expired or dead:
                original = ClaimedName.original_of(name)
                with contextlib.suppress(FileNotFoundError):
                    os.rename(self.directory / "cur" / name, self.directory / "new" / original)
                    reclaimed += 1
                    log.info(
                        "secoda-listener: reclaimed %s from %s (%s)",
                        original,
                        claimed.claimer if claimed is not None else "an unknown claimer",
                        "dead process" if dead else "lease expired",
                    )
        return reclaimed

    def sweep_tmp(self) -> int:
        """Remove ``tmp/`` files whose writer died (or older than ``tmp_grace``)."""
        swept = 0
        now = self._now()
        with os.scandir(self.directory / "tmp") as entries:
            for entry in entries:
                writer = TmpName.parse(entry.name)
                try:
                    stale = now - entry.stat().st_mtime > self.tmp_grace
                    if stale or (writer is not None and writer.host == HOST and not pid_alive(writer.pid)):
                        os.unlink(entry.path)
                        swept += 1
                except FileNotFoundError:
                    continue  # renamed into new/ meanwhile
        return swept

    # --- looking ---------------------------------------------------------------

    def count_pending(self) -> int:
        """Records not yet delivered nor failed (``new/`` plus claimed)."""
        return sum(len(os.listdir(self.directory / sub)) for sub in ("new", "cur"))

    def stats(self) -> SpoolStats:
        counts = dict.fromkeys(SUBDIRS, 0)
        kinds: dict[str, int] = {}
        oldest_ns = 0
        for sub in SUBDIRS:
            with os.scandir(self.directory / sub) as entries:
                for entry in entries:
                    counts[sub] += 1
                    if sub == "failed":
                        kind = FailedName.kind_of(entry.name)
                        kinds[kind] = kinds.get(kind, 0) + 1
                    elif sub in ("new", "cur"):
                        written = SpoolName.parse(ClaimedName.original_of(entry.name) if sub == "cur" else entry.name)
                        if written is not None and (not oldest_ns or written.time_ns < oldest_ns):
                            oldest_ns = written.time_ns
        return SpoolStats(
            new=counts["new"],
            claimed=counts["cur"],
            failed=counts["failed"],
            tmp=counts["tmp"],
            bytes=self.limits.scan().bytes,
            oldest_age=(self._clock_ns() - oldest_ns) / 1e9 if oldest_ns else None,
            failures_by_kind=kinds,
            evictions=self.limits.evictions(),
            max_bytes=self.max_bytes,
            max_files=self.max_files,
        )

    def failures(self, limit: int = 10) -> list[dict[str, Any]]:
        """The ``limit`` most recent failed records' id, kind and reason (not bodies)."""
        out: list[dict[str, Any]] = []
        for name in sorted(os.listdir(self.directory / "failed"), reverse=True)[:limit]:
            try:
                record = SpoolRecord.from_json((self.directory / "failed" / name).read_bytes())
            except (OSError, InvalidRecordError):
                out.append({"file": name, "kind": FailedName.kind_of(name)})
                continue
            failure = record.failure.to_dict() if record.failure is not None else {}
            out.append({"event_id": record.event_id, "conn_id": record.conn_id, **failure})
        return out
