"""A background flusher for long-lived processes (the scheduler).

DAG-run hooks run inside the scheduler loop, which must never wait on Secoda.
They only write to the spool and :meth:`BackgroundFlusher.kick` this thread,
which delivers within the same deadline as a task would. One thread per
process; after a fork the child starts its own.
"""

from __future__ import annotations

import logging
import os
import threading

log = logging.getLogger(__name__)


class BackgroundFlusher:
    def __init__(self) -> None:
        self._wake = threading.Event()
        self._thread = threading.Thread(target=self._run, name="secoda-flusher", daemon=True)
        self._thread.start()

    def kick(self) -> None:
        self._wake.set()

    def _run(self) -> None:
        from secoda_listener.delivery import process as delivery

        while True:
            self._wake.wait()
            self._wake.clear()
            try:
                delivery.flush()
            except Exception as exc:  # the thread must outlive any one failure
                log.warning("secoda-listener: background flush failed: %s", exc)


_flusher: BackgroundFlusher | None = None
_flusher_pid: int | None = None


def background_flusher() -> BackgroundFlusher:
    """This process's flusher; a forked child gets a new one (threads do not survive fork)."""
    # No lock: DAG-run hooks are called from the scheduler's one loop thread,
    # and a lock held across a fork would deadlock the child.
    global _flusher, _flusher_pid
    if _flusher is None or _flusher_pid != os.getpid():
        _flusher, _flusher_pid = BackgroundFlusher(), os.getpid()
    return _flusher
