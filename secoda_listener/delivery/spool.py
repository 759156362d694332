"""The durable local spool: a maildir of events waiting for delivery.

Layout of the spool directory (0700; every file 0600, since events hold SQL)::

    tmp/     files being written; never read, swept when their writer is gone
    new/     complete records, waiting; oldest first by name
    cur/     records claimed by a sender: "<name>@<host>.<pid>.<start>.<claimed_ns>"
    failed/  records Secoda refused for good: "<stem>~<kind>.json", with the reason inside
    backoff.json, counters.json, usage.json, .lock

A record reaches ``new/`` only by ``rename`` of a complete file, so a writer
killed mid-write leaves a ``tmp/`` file and never a partial record. Senders
claim with ``rename`` into ``cur/`` (atomic: of two senders exactly one wins)
and write their host, pid and process start time into the name, so a claim of
a dead process (or one older than the lease) can be handed back to ``new/``.

Names are ``<time_ns>_<host>_<pid>_<random>_<tag>.json``: sorting them is
oldest-first, the writer can be told apart in ``tmp/``, and ``tag`` (the
connection id, or a hash of it) lets a sender skip a connection that is
backing off without opening its files.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import logging
import os
import re
import secrets
import socket
import time
from pathlib import Path
from typing import Any, Iterable, Iterator, Mapping

import attrs

from secoda_listener.delivery.endpoint import ROUTE_EXTRACTION, ROUTE_INGEST
from secoda_listener.exceptions import InvalidRecordError, SpoolError
from secoda_listener.delivery.backoff import STATE_FILE as BACKOFF_FILE

log = logging.getLogger(__name__)

SUBDIRS = ("tmp", "new", "cur", "failed")
ROUTES = (ROUTE_INGEST, ROUTE_EXTRACTION)
_COUNTERS_FILE = "counters.json"
_USAGE_FILE = "usage.json"
_LOCK_FILE = ".lock"

HOST = re.sub(r"[^A-Za-z0-9-]", "-", socket.gethostname())[:63] or "host"
_SAFE_TAG = re.compile(r"^[A-Za-z0-9.-][A-Za-z0-9._-]{0,63}$")
_HAS_PROC = os.path.isdir("/proc/self")


def conn_tag(conn_id: str) -> str:
    """A file-name-safe, stable stand-in for a connection id."""
    if _SAFE_TAG.match(conn_id):
        return conn_id
    return "h-" + hashlib.sha1(conn_id.encode()).hexdigest()[:16]


def record_name(conn_id: str, unique: str) -> str:
    """A new record's file name: sorts oldest first, names its writer and connection."""
    return f"{time.time_ns():019d}_{HOST}_{os.getpid()}_{unique}_{conn_tag(conn_id)}.json"


def tag_of(name: str) -> str:
    """The connection tag of a spool file name (``""`` for a foreign file)."""
    parts = name.split("@", 1)[0].removesuffix(".json").split("_", 4)
    return parts[4] if len(parts) == 5 else ""


def _writer_of(name: str) -> tuple[int, str, int]:
    """``(time_ns, host, pid)`` of a spool file name; zeros for a foreign name."""
    parts = name.split("_", 4)
    try:
        return int(parts[0]), parts[1], int(parts[2])
    except (IndexError, ValueError):
        return 0, "", 0


def _proc_start(pid: int) -> str | None:
    """Start time (clock ticks) of a live process; None if gone or a zombie."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            fields = fh.read().rsplit(b")", 1)[1].split()
    except (OSError, IndexError):
        return None
    if fields[0] in (b"Z", b"X"):  # killed but not yet reaped: as good as dead
        return None
    return fields[19].decode()


def pid_alive(pid: int, start: str = "") -> bool:
    """Is ``pid`` (started at ``start``, when known) still running on this host?

    The start time guards against pid reuse: a claim of a dead process whose
    pid now belongs to another one is still reclaimed.
    """
    if pid <= 0:
        return False
    if _HAS_PROC:
        now_start = _proc_start(pid)
        return now_start is not None and (not start or now_start == start)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def encode(record: Mapping[str, Any]) -> bytes:
    """Validate a record and serialize it; raises :class:`InvalidRecordError`."""
    if not isinstance(record, Mapping):
        raise InvalidRecordError(f"a spool record is a mapping, not {type(record).__name__}")
    for key, kind in (("event_id", str), ("conn_id", str), ("route", str), ("body", dict)):
        if not isinstance(record.get(key), kind):
            raise InvalidRecordError(f"spool record needs {key!r} of type {kind.__name__}")
    if record["route"] not in ROUTES:
        raise InvalidRecordError(f"unknown route {record['route']!r}")
    full = {"created_at": time.time(), **record}
    try:
        return json.dumps(full, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode()
    except (TypeError, ValueError) as exc:
        raise InvalidRecordError(f"spool record is not JSON-able: {exc}") from exc


def decode(data: bytes) -> dict[str, Any]:
    """Parse a spooled file; raises :class:`InvalidRecordError` if it is not a record."""
    try:
        record = json.loads(data)
    except ValueError as exc:
        raise InvalidRecordError(f"corrupt spool file: {exc}") from exc
    if not isinstance(record, dict) or not all(k in record for k in ("event_id", "conn_id", "route", "body")):
        raise InvalidRecordError("corrupt spool file: not a record")
    return record


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


@attrs.define
class _Usage:
    files: int
    bytes: int
    at: float  # time.time() of the scan


class Spool:
    """The maildir spool in ``directory``. Safe to share between processes.

    Raises :class:`SpoolError` when the directory cannot be created.
    """

    def __init__(
        self,
        directory: str | os.PathLike[str],
        *,
        max_bytes: int = 256 * 1024 * 1024,
        max_files: int = 100_000,
        fsync: bool = True,
        lease: float = 600.0,
        tmp_grace: float = 60.0,
        rescan_interval: float = 10.0,
    ) -> None:
        self.directory = Path(directory)
        self.max_bytes = max_bytes
        self.max_files = max_files
        self.fsync = fsync
        self.lease = lease
        self.tmp_grace = tmp_grace
        self.rescan_interval = rescan_interval
        self.backoff_path: Path | None = self.directory / BACKOFF_FILE
        #: Records this instance evicted (the spool-wide total is in stats()).
        self.evicted = 0
        self._usage: _Usage | None = None
        self._claimer_pid = 0
        self._claimer_id = ""
        try:
            self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
            for sub in SUBDIRS:
                (self.directory / sub).mkdir(mode=0o700, exist_ok=True)
        except OSError as exc:
            raise SpoolError(f"cannot create spool directory {self.directory}: {exc.strerror or exc}") from exc

    # --- writing (the hook path) ---------------------------------------------

    def write(self, record: Mapping[str, Any]) -> Path:
        """Durably add one record; returns its path in ``new/``."""
        data = encode(record)
        if len(data) > self.max_bytes:
            raise SpoolError(f"a record of {len(data)} bytes is larger than the whole spool ({self.max_bytes})")
        self._make_room(len(data))
        target = self.directory / "new" / record_name(record["conn_id"], secrets.token_hex(4))
        self._write_atomic(target, data)
        if self._usage is not None:
            self._usage.files += 1
            self._usage.bytes += len(data)
        return target

    def _write_atomic(self, target: Path, data: bytes) -> None:
        # The tmp name carries *this* process's pid (not the record's writer's):
        # sweep_tmp() removes a tmp file only once the process writing it is gone.
        tmp = self.directory / "tmp" / f"{time.time_ns():019d}_{HOST}_{os.getpid()}_{secrets.token_hex(4)}.tmp"
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600)
            try:
                view = memoryview(data)
                while view:
                    view = view[os.write(fd, view):]
                if self.fsync:
                    os.fsync(fd)
            finally:
                os.close(fd)
            os.rename(tmp, target)
        except OSError as exc:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise SpoolError(f"cannot write to spool {self.directory}: {exc.strerror or exc}") from exc
        if self.fsync:
            # The rename is only durable once the directory entry is. The record
            # is in new/ already: a failure here must not make the caller keep a
            # second copy (that would be sent twice).
            try:
                dir_fd = os.open(target.parent, os.O_RDONLY | os.O_DIRECTORY)
                try:
                    os.fsync(dir_fd)
                finally:
                    os.close(dir_fd)
            except OSError as exc:
                log.debug("secoda-listener: cannot fsync %s: %s", target.parent, exc)

    # --- bounds ------------------------------------------------------------

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        """Serialize evictions across processes (and threads: one fd per call)."""
        fd = os.open(self.directory / _LOCK_FILE, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)

    def _scan(self) -> _Usage:
        files = size = 0
        for sub in ("new", "cur", "failed"):
            with os.scandir(self.directory / sub) as entries:
                for entry in entries:
                    with contextlib.suppress(FileNotFoundError):
                        size += entry.stat().st_size
                        files += 1
        usage = _Usage(files, size, time.time())
        with contextlib.suppress(OSError):
            self._replace_json(_USAGE_FILE, attrs.asdict(usage))
        return usage

    def _usage_now(self) -> _Usage:
        """Files and bytes in the spool, from a cache no older than ``rescan_interval``.

        A full scan stats every file; on a large backlog that is too slow for
        the hook path, so scans are shared through ``usage.json``. Between
        scans other processes' writes are not counted: the caps are exceeded
        by at most what the host writes in ``rescan_interval`` seconds.
        """
        now = time.time()
        if self._usage is None or now - self._usage.at > self.rescan_interval:
            hint = self._read_json(_USAGE_FILE)
            try:
                self._usage = _Usage(int(hint["files"]), int(hint["bytes"]), float(hint["at"]))
            except (KeyError, TypeError, ValueError):
                self._usage = None
            if self._usage is None or now - self._usage.at > self.rescan_interval:
                self._usage = self._scan()
        return self._usage

    def _make_room(self, size: int) -> None:
        try:
            usage = self._usage_now()
            if usage.files + 1 > self.max_files or usage.bytes + size > self.max_bytes:
                self.enforce_limits(extra_files=1, extra_bytes=size)
        except OSError as exc:
            # Cannot measure or evict: the write itself will say if the disk is the problem.
            log.debug("secoda-listener: cannot enforce spool limits: %s", exc)

    def enforce_limits(self, extra_files: int = 0, extra_bytes: int = 0) -> int:
        """Evict the oldest records until the spool (plus ``extra_*``) fits its caps.

        ``failed/`` goes first: those records cannot be delivered without a
        person acting on them. Records claimed in ``cur/`` are being sent and
        are never evicted. Returns the number evicted by this call.
        """
        evicted = 0
        with self._locked():
            usage = self._scan()
            files, size = usage.files + extra_files, usage.bytes + extra_bytes
            for sub in ("failed", "new"):
                if files <= self.max_files and size <= self.max_bytes:
                    break
                folder = self.directory / sub
                for name in sorted(os.listdir(folder)):
                    if files <= self.max_files and size <= self.max_bytes:
                        break
                    path = folder / name
                    try:
                        victim_size = path.stat().st_size
                        path.unlink()
                    except FileNotFoundError:
                        continue  # claimed or delivered meanwhile
                    files -= 1
                    size -= victim_size
                    evicted += 1
                    log.warning(
                        "secoda-listener: spool %s over its limit (%d files, %d bytes max): evicted %s/%s",
                        self.directory, self.max_files, self.max_bytes, sub, name,
                    )
            if evicted:
                counters = self._read_json(_COUNTERS_FILE)
                counters["evictions"] = int(counters.get("evictions", 0)) + evicted
                self._replace_json(_COUNTERS_FILE, counters)
                self._usage = _Usage(files - extra_files, size - extra_bytes, time.time())
                self._replace_json(_USAGE_FILE, attrs.asdict(self._usage))
            else:
                self._usage = usage
        self.evicted += evicted
        return evicted

    def maintain(self) -> int:
        """Housekeeping before a flush: sweep ``tmp/``, reclaim stale claims,
        enforce the caps if the (cached) usage exceeds them. Returns evictions."""
        self.sweep_tmp()
        self.reclaim_stale()
        usage = self._usage_now()
        if usage.files > self.max_files or usage.bytes > self.max_bytes:
            return self.enforce_limits()
        return 0

    # --- claiming (the sender) -----------------------------------------------

    def list_new(self) -> list[str]:
        """Names waiting in ``new/``, oldest first (names only: memory stays small)."""
        with os.scandir(self.directory / "new") as entries:
            return sorted(e.name for e in entries if e.name.endswith(".json"))

    def _claimer(self) -> str:
        pid = os.getpid()
        if pid != self._claimer_pid:  # computed once per process, again after a fork
            self._claimer_pid = pid
            self._claimer_id = f"{HOST}.{pid}.{_proc_start(pid) or ''}"
        return self._claimer_id

    def claim(self, limit: int = 1, names: Iterable[str] | None = None) -> list[Claim]:
        """Take up to ``limit`` records from ``names`` (default: all of ``new/``), in order.

        A name another sender took first is skipped. ``names`` may be an
        iterator; it is consumed only as far as needed.
        """
        claims: list[Claim] = []
        if limit <= 0:
            return claims
        for name in self.list_new() if names is None else names:
            target = self.directory / "cur" / f"{name}@{self._claimer()}.{time.time_ns()}"
            try:
                os.rename(self.directory / "new" / name, target)
            except FileNotFoundError:
                continue
            claims.append(Claim(name, target))
            if len(claims) >= limit:
                break
        return claims

    def read(self, claim: Claim) -> dict[str, Any]:
        """The claimed record. :class:`InvalidRecordError` if corrupt,
        :class:`SpoolError` if the claim was lost (reclaimed past its lease)."""
        try:
            data = _path_of(claim).read_bytes()
        except OSError as exc:
            raise SpoolError(f"cannot read claimed {claim.name}: {exc.strerror or exc}") from exc
        return decode(data)

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
        kind = re.sub(r"[^a-z0-9-]+", "-", kind.lower()).strip("-")[:32] or "error"
        target = self.directory / "failed" / f"{claim.name.removesuffix('.json')}~{kind}.json"
        try:
            record = decode(_path_of(claim).read_bytes())
        except InvalidRecordError:
            os.rename(_path_of(claim), target)  # keep the evidence as it is
            return
        except FileNotFoundError:
            return
        record["failure"] = {"kind": kind, "reason": reason[:2000], "at": time.time()}
        self._write_atomic(target, json.dumps(record, separators=(",", ":"), ensure_ascii=False).encode())
        self.delete(claim)

    def retry_failed(self) -> int:
        """Move every record in ``failed/`` back to ``new/``; returns how many."""
        moved = 0
        for name in os.listdir(self.directory / "failed"):
            original = name.rsplit("~", 1)[0] + ".json" if "~" in name else name
            with contextlib.suppress(FileNotFoundError):
                os.rename(self.directory / "failed" / name, self.directory / "new" / original)
                moved += 1
        return moved

    def reclaim_stale(self) -> int:
        """Hand back claims of dead processes on this host, and any past the lease."""
        reclaimed = 0
        now_ns = time.time_ns()
        for name in os.listdir(self.directory / "cur"):
            original, _, claimer = name.partition("@")
            host, pid, start, claimed_ns = (claimer.split(".") + ["", "", "", ""])[:4]
            try:
                expired = now_ns - int(claimed_ns) > self.lease * 1e9
                dead = host == HOST and not pid_alive(int(pid), start)
            except ValueError:
                expired, dead = True, False  # not a claim name we wrote
            if expired or dead:
                with contextlib.suppress(FileNotFoundError):
                    os.rename(self.directory / "cur" / name, self.directory / "new" / original)
                    reclaimed += 1
                    log.info("secoda-listener: reclaimed %s from %s (%s)", original, claimer,
                             "dead process" if dead else "lease expired")
        return reclaimed

    def sweep_tmp(self) -> int:
        """Remove ``tmp/`` files whose writer died (or older than ``tmp_grace``)."""
        swept = 0
        now = time.time()
        with os.scandir(self.directory / "tmp") as entries:
            for entry in entries:
                _, host, pid = _writer_of(entry.name)
                try:
                    stale = now - entry.stat().st_mtime > self.tmp_grace
                    if stale or (host == HOST and not pid_alive(pid)):
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
        counts = {sub: 0 for sub in SUBDIRS}
        kinds: dict[str, int] = {}
        oldest_ns = 0
        for sub in SUBDIRS:
            with os.scandir(self.directory / sub) as entries:
                for entry in entries:
                    counts[sub] += 1
                    if sub == "failed":
                        kind = entry.name.removesuffix(".json").rpartition("~")[2]
                        kinds[kind] = kinds.get(kind, 0) + 1
                    elif sub in ("new", "cur"):
                        written_ns = _writer_of(entry.name)[0]
                        if written_ns and (not oldest_ns or written_ns < oldest_ns):
                            oldest_ns = written_ns
        usage = self._scan()
        return SpoolStats(
            new=counts["new"], claimed=counts["cur"], failed=counts["failed"], tmp=counts["tmp"],
            bytes=usage.bytes, oldest_age=(time.time_ns() - oldest_ns) / 1e9 if oldest_ns else None,
            failures_by_kind=kinds, evictions=int(self._read_json(_COUNTERS_FILE).get("evictions", 0)),
            max_bytes=self.max_bytes, max_files=self.max_files,
        )

    def failures(self, limit: int = 10) -> list[dict[str, Any]]:
        """The ``limit`` most recent failed records' id, kind and reason (not bodies)."""
        out = []
        for name in sorted(os.listdir(self.directory / "failed"), reverse=True)[:limit]:
            try:
                record = decode((self.directory / "failed" / name).read_bytes())
                failure = record.get("failure") or {}
                out.append({"event_id": record["event_id"], "conn_id": record["conn_id"], **failure})
            except (OSError, InvalidRecordError):
                out.append({"file": name, "kind": name.removesuffix(".json").rpartition("~")[2]})
        return out

    # --- small JSON side files -------------------------------------------------

    def _read_json(self, name: str) -> dict[str, Any]:
        try:
            data = json.loads((self.directory / name).read_bytes())
        except (OSError, ValueError):
            return {}
        return data if isinstance(data, dict) else {}

    def _replace_json(self, name: str, data: Mapping[str, Any]) -> None:
        tmp = self.directory / "tmp" / f".{name}.{os.getpid()}.{secrets.token_hex(4)}"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(data, fh)
        os.replace(tmp, self.directory / name)
