"""Is a process still alive? What a claim or a ``tmp/`` file says about its writer is
only worth something if the writer can be checked: by pid and, where ``/proc``
exists, by start time, so a reused pid is not mistaken for the original process.
"""

from __future__ import annotations

import os

from secoda_listener import forks

_HAS_PROC = os.path.isdir("/proc/self")


def proc_start(pid: int) -> str | None:
    """Start time (clock ticks since boot) of a live process; None if gone or a zombie."""
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
        now_start = proc_start(pid)
        return now_start is not None and (not start or now_start == start)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


_own_start: str | None = None


def own_start() -> str:
    """This process's start time ("" without ``/proc``), read once per process."""
    global _own_start
    if _own_start is None:
        _own_start = proc_start(os.getpid()) or ""
    return _own_start


def _forget_own_start() -> None:
    global _own_start
    _own_start = None  # a forked child is another process, started later


forks.reset_in_child("delivery.procs", _forget_own_start)
