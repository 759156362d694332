"""A background flusher for long-lived processes (the scheduler).

DAG-run hooks run inside the scheduler loop, which must never wait on Secoda.
They only write to the spool and :meth:`BackgroundFlusher.kick` this thread,
which delivers within the same deadline as a task would. One thread per
process; a forked child (which inherits no thread) starts its own.

The thread is a daemon (it must never keep a process alive), so the process's
exit handler calls :func:`wait_for_background_flush` first: a daemon thread
killed by interpreter shutdown in the middle of a request leaves Secoda a
request whose body never came, and the record claimed until a later flush.
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
        # One condition guards both flags, so "kicked" and "idle" never disagree.
        self._state = threading.Condition()
        self._kicked = False
        self._busy = False
        self._thread = threading.Thread(target=self._run, name="secoda-flusher", daemon=True)
        self._thread.start()

    def kick(self) -> None:
        with self._state:
            self._kicked = True
            self._state.notify_all()

    def is_alive(self) -> bool:
        return self._thread.is_alive()

    def wait_idle(self, timeout: float) -> bool:
        """Wait up to ``timeout`` s until no flush runs or is asked for; True if so."""
        with self._state:
            return self._state.wait_for(lambda: not (self._kicked or self._busy), timeout=max(0.0, timeout))

    def _run(self) -> None:
        while True:
            with self._state:
                self._state.wait_for(lambda: self._kicked)
                self._kicked, self._busy = False, True
            try:
                self._flush()
            except Exception as exc:  # noqa: BLE001 - the thread must outlive any one failure
                log.warning("secoda-listener: background flush failed: %s", exc)
            finally:
                with self._state:
                    self._busy = False
                    self._state.notify_all()


_flusher: BackgroundFlusher | None = None


def background_flusher() -> BackgroundFlusher:
    """This process's flusher, started on first use."""
    # No lock: DAG-run hooks are called from the scheduler's one loop thread,
    # and a lock held across a fork would deadlock the child.
    global _flusher
    if _flusher is None:
        _flusher = BackgroundFlusher()
    return _flusher


def wait_for_background_flush(timeout: float) -> bool:
    """Let this process's flusher, if it has one, finish within ``timeout`` s; True when idle."""
    flusher = _flusher
    return flusher is None or not flusher.is_alive() or flusher.wait_idle(timeout)


def _forget_flusher() -> None:
    global _flusher
    _flusher = None  # the parent's thread does not exist in a forked child: the next kick starts one


forks.reset_in_child("delivery.background", _forget_flusher)
