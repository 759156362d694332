"""The spool's bounds: how big it is, and evicting the oldest records when it is too big.

A full scan stats every file; on a large backlog that is too slow for the
hook path, so the usage is cached and shared with the other processes of the
host through ``usage.json``. Between scans other processes' writes are not
counted: the caps are exceeded by at most what the host writes in
``rescan_interval`` seconds. Evictions are counted spool-wide in
``counters.json`` (``secoda-listener status`` shows them).
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import attrs

from secoda_listener.delivery.files import flock
from secoda_listener.exceptions import SpoolError

log = logging.getLogger(__name__)

_COUNTERS_FILE = "counters.json"
_USAGE_FILE = "usage.json"
_LOCK_FILE = ".lock"
#: Where records are counted: claimed ones take space too, tmp/ files are not records yet.
_COUNTED = ("new", "cur", "failed")


@attrs.define
class Usage:
    files: int
    bytes: int
    at: float  # time of the scan, in seconds (the spool's clock)


def read_json(path: Path) -> dict[str, Any]:
    """A small JSON side file as a dict; ``{}`` if missing, torn or not an object."""
    try:
        data = json.loads(path.read_bytes())
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


class SpoolLimits:
    """The caps of the spool in ``directory``.

    ``now`` is the spool's clock (seconds) and ``write(path, data)`` its atomic
    write of a side file (raising :class:`SpoolError`).
    """

    def __init__(
        self,
        directory: Path,
        *,
        max_bytes: int,
        max_files: int,
        rescan_interval: float,
        now: Callable[[], float],
        write: Callable[[Path, bytes], None],
    ) -> None:
        self.directory = directory
        self.max_bytes = max_bytes
        self.max_files = max_files
        self.rescan_interval = rescan_interval
        self._now = now
        self._write = write
        #: Records this instance evicted (the spool-wide total is :meth:`evictions`).
        self.evicted = 0
        self._usage: Usage | None = None

    def _over(self, files: int, size: int) -> bool:
        return files > self.max_files or size > self.max_bytes

    def _replace_json(self, name: str, data: Mapping[str, Any]) -> None:
        self._write(self.directory / name, json.dumps(dict(data)).encode())

    def scan(self) -> Usage:
        """Count every record now (and share the result)."""
        files = size = 0
        for sub in _COUNTED:
            with os.scandir(self.directory / sub) as entries:
                for entry in entries:
                    with contextlib.suppress(FileNotFoundError):
                        size += entry.stat().st_size
                        files += 1
        usage = Usage(files, size, self._now())
        with contextlib.suppress(SpoolError):  # only a hint for other processes
            self._replace_json(_USAGE_FILE, attrs.asdict(usage))
        return usage

    def usage(self) -> Usage:
        """Files and bytes in the spool, from a cache no older than ``rescan_interval``."""
        now = self._now()
        if self._usage is None or now - self._usage.at > self.rescan_interval:
            hint = read_json(self.directory / _USAGE_FILE)
            try:
                self._usage = Usage(int(hint["files"]), int(hint["bytes"]), float(hint["at"]))
            except (KeyError, TypeError, ValueError):
                self._usage = None
            if self._usage is None or now - self._usage.at > self.rescan_interval:
                self._usage = self.scan()
        return self._usage

    def added(self, size: int) -> None:
        """This process wrote one record of ``size`` bytes: count it in the cache."""
        if self._usage is not None:
            self._usage.files += 1
            self._usage.bytes += size

    def make_room(self, size: int) -> None:
        """Before writing ``size`` bytes: evict if the record would not fit."""
        try:
            usage = self.usage()
            if self._over(usage.files + 1, usage.bytes + size):
                self.enforce(extra_files=1, extra_bytes=size)
        except (OSError, SpoolError) as exc:
            # Cannot measure or evict: the write itself will say if the disk is the problem.
            log.debug("secoda-listener: cannot enforce spool limits: %s", exc)

    def enforce_if_over(self) -> int:
        """Evict if the (cached) usage exceeds the caps; returns evictions."""
        usage = self.usage()
        return self.enforce() if self._over(usage.files, usage.bytes) else 0

    def enforce(self, extra_files: int = 0, extra_bytes: int = 0) -> int:
        """Evict the oldest records until the spool (plus ``extra_*``) fits its caps.

        ``failed/`` goes first: those records cannot be delivered without a
        person acting on them. Records claimed in ``cur/`` are being sent and
        are never evicted. Returns the number evicted by this call.
        """
        evicted = 0
        # Serialized across processes (and threads: one descriptor per call).
        with flock(self.directory / _LOCK_FILE):
            usage = self.scan()
            files, size = usage.files + extra_files, usage.bytes + extra_bytes
            for sub in ("failed", "new"):
                if not self._over(files, size):
                    break
                folder = self.directory / sub
                for name in sorted(os.listdir(folder)):
                    if not self._over(files, size):
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
                        self.directory,
                        self.max_files,
                        self.max_bytes,
                        sub,
                        name,
                    )
            if evicted:
                counters = read_json(self.directory / _COUNTERS_FILE)
                counters["evictions"] = int(counters.get("evictions", 0)) + evicted
                self._replace_json(_COUNTERS_FILE, counters)
                self._usage = Usage(files - extra_files, size - extra_bytes, self._now())
                self._replace_json(_USAGE_FILE, attrs.asdict(self._usage))
            else:
                self._usage = usage
        self.evicted += evicted
        return evicted

    def evictions(self) -> int:
        """Records evicted from this spool so far, by every process."""
        return int(read_json(self.directory / _COUNTERS_FILE).get("evictions", 0))
