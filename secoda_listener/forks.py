"""One at-fork hook, and the registry of what a forked child must start afresh.

A child made by ``fork`` inherits its parent's memory but not its threads: a
lock another thread held stays held forever, a background sender's thread is
gone while its object says it runs, a pooled socket would carry two
processes' requests. Airflow forks a lot (LocalExecutor workers, Celery's
prefork pool, Airflow 2.10's task runner). Instead of comparing pids wherever
per-process state is used, each owner registers a reset here, once, and the
single ``os.register_at_fork`` hook calls them all in the child.

Resets run in the child right after ``fork``, while it is still single
threaded: they must only drop or rebuild state (new locks, ``None`` for a
thread or session to make lazily), never start threads or do I/O.
"""

from __future__ import annotations

import logging
import os
from typing import Callable

log = logging.getLogger(__name__)

_resets: dict[str, Callable[[], None]] = {}


def reset_in_child(name: str, reset: Callable[[], None]) -> None:
    """Call ``reset`` in every child forked from now on; ``name`` keeps it registered once."""
    _resets[name] = reset


def start_afresh() -> None:
    """Run every registered reset now: this process forgets its per-process delivery state.

    What a forked child does first; tests call it to isolate one test's spool,
    connection and threads from the next.
    """
    for name, reset in list(_resets.items()):
        try:
            reset()
        except Exception as exc:  # noqa: BLE001 - a failed reset must not kill the child Airflow forked
            log.debug("secoda-listener: at-fork reset %s failed: %s", name, exc)


os.register_at_fork(after_in_child=start_afresh)
