"""A background flusher for long-lived processes (the scheduler).

DAG-run hooks run inside the scheduler loop, which must never wait on Secoda.
They only write to the spool and :meth:`BackgroundFlusher.kick` this thread,
which delivers within the same deadline as a task would. One thread per
process; a forked child (which inherits no thread) starts its own.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from secoda_listener import forks

log = logging.getLogger(__name__)


def _process_flush() -> object:
    from secoda_listener.delivery import process as delivery

    return delivery.flush()


class BackgroundFlusher:
    """A daemon thread that runs ``flush`` (default: this process's outbox) after each :meth:`kick`.

    Kicks that arrive while a flush runs fold into one more flush after it.
    """

    def __init__(self, flush: Callable[[], object] = _process_flush) -> None:
        self._flush = flush
        self._wake = threading.Event()
        self._thread = threading.Thread(target=self._run, name="secoda-flusher", daemon=True)
        self._thread.start()

    def kick(self) -> None:
        self._wake.set()

    def is_alive(self) -> bool:
        return self._thread.is_alive()

    def _run(self) -> None:
        while True:
            self._wake.wait()
            self._wake.clear()
            try:
                self._flush()
            except Exception as exc:  # noqa: BLE001 - the thread must outlive any one failure
                log.warning("secoda-listener: background flush failed: %s", exc)


_flusher: BackgroundFlusher | None = None


def background_flusher() -> BackgroundFlusher:
    """This process's flusher, started on first use."""
    # No lock: DAG-run hooks are called from the scheduler's one loop thread,
    # and a lock held across a fork would deadlock the child.
    global _flusher
    if _flusher is None:
        _flusher = BackgroundFlusher()
    return _flusher


def _forget_flusher() -> None:
    global _flusher
    _flusher = None  # the parent's thread does not exist in a forked child: the next kick starts one


forks.reset_in_child("delivery.background", _forget_flusher)
