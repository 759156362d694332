"""A DAG run's task instances, read from the metadata database off the hook.

A terminal DAG-run event lists every task instance of its run
(``dag_run.task_instances``): that is what closes the paths on which no
process fires a task hook (a killed task process, a task the triggerer
finished, tasks skipped without running). The hook cannot read them itself:
DAG-run hooks run inside the scheduler's critical section, and a query on its
session there crashed the scheduler ("UNEXPECTED COMMIT", design.md). So the
hook hands the event, built from loaded attributes only, to
:data:`pending_reads`, and a daemon thread reads the rows over a connection of
its own (never the scoped session of the hook's thread), bounded in time
(:data:`READ_TIMEOUT`) and size (``[secoda] dag_run_max_task_instances``),
then finishes the event.

Nothing is lost to the wait: the exit handler of the process settles every
read still pending (:meth:`PendingReads.settle`), and a read that fails, is
not possible here (no metadata database, as in an Airflow 3 task process) or
does not finish in time finishes the event without the list.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

import attrs

from secoda_listener import forks
from secoda_listener.event.model import RunTaskInstance, date_text
from secoda_listener.logs import warn_once

log = logging.getLogger(__name__)

#: Seconds one read may take before the event goes out without the list.
READ_TIMEOUT = 10.0

#: A try in one of these has not ended. A run the scheduler ends has none left; a run
#: set failed or success from outside (UI, REST API) fires its hook inside the
#: transaction that goes on to end its tries, so they are read again, after these
#: pauses (seconds), until none is left or the pauses run out.
UNFINISHED = frozenset({"", "running", "queued", "scheduled", "deferred", "up_for_reschedule", "restarting"})
REREAD_PAUSES = (0.25, 0.5, 1.0, 2.0)

_QUERY = (
    "SELECT task_id, map_index, try_number, state, start_date, end_date FROM task_instance"
    " WHERE dag_id = :dag_id AND run_id = :run_id ORDER BY task_id, map_index"
)
_COUNT = "SELECT count(*) FROM task_instance WHERE dag_id = :dag_id AND run_id = :run_id"


@attrs.frozen
class RunTasks:
    """What the read found: up to ``limit`` task instances, and the total when it cut the list."""

    task_instances: tuple[RunTaskInstance, ...]
    total: int | None = None  # set only when the list was cut


def metadata_engine() -> Any:
    """This process's metadata database engine, for reads on a connection of their own (never the hook's session)."""
    from airflow import settings

    engine = getattr(settings, "engine", None)
    if engine is None:
        raise LookupError("this process has no metadata database connection")
    return engine


def read_run_tasks(dag_id: str, run_id: str, limit: int) -> RunTasks:
    """The task instances of one DAG run, on a connection of this call's own. Raises on failure."""
    from sqlalchemy import text

    params = {"dag_id": dag_id, "run_id": run_id}
    with metadata_engine().connect() as connection:
        rows = connection.execute(text(_QUERY + " LIMIT :limit"), {**params, "limit": limit + 1}).fetchall()
        total = None
        if len(rows) > limit:
            total = int(connection.execute(text(_COUNT), params).scalar() or 0)
            rows = rows[:limit]
    return RunTasks(tuple(_entry(row) for row in rows), total)


def _entry(row: Any) -> RunTaskInstance:
    task_id, map_index, try_number, state, start_date, end_date = tuple(row)
    return RunTaskInstance(
        task_id=str(task_id),
        map_index=int(map_index if map_index is not None else -1),
        try_number=None if try_number is None else int(try_number),
        state=None if state is None else str(state),
        start_date=date_text(start_date),
        end_date=date_text(end_date),
    )


Finish = Callable[["RunTasks | None"], None]


class _Read:
    """One pending read; :meth:`finish` runs exactly once, whoever gets there first."""

    def __init__(self, finish: Finish) -> None:
        self._finish = finish
        self._lock = threading.Lock()
        self.done = threading.Event()

    def finish(self, found: RunTasks | None) -> None:
        with self._lock:
            if self.done.is_set():
                return
            try:
                self._finish(found)
            except Exception as exc:  # noqa: BLE001 - a thread of ours must not die with a traceback
                warn_once(
                    log,
                    ("run_tasks", "finish", type(exc).__name__),
                    "a DAG run's final event could not be kept: %s: %s",
                    type(exc).__name__,
                    exc,
                )
            finally:
                self.done.set()


class PendingReads:
    """The reads of this process still running; a forked child starts with none."""

    def __init__(
        self,
        read: Callable[[str, str, int], RunTasks] = read_run_tasks,
        pauses: tuple[float, ...] = REREAD_PAUSES,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._read = read
        self._pauses = pauses
        self._sleep = sleep
        self._pending: set[_Read] = set()
        self._lock = threading.Lock()

    def start(self, dag_id: str, run_id: str | None, limit: int, finish: Finish) -> None:
        """Read the run's task instances in a thread, then call ``finish`` with them (None: unknown)."""
        pending = _Read(finish)
        if not run_id or limit <= 0:
            pending.finish(None)
            return
        with self._lock:
            self._pending.add(pending)
        thread = threading.Thread(
            target=self._run, args=(pending, dag_id, run_id, limit), name="secoda-run-tasks", daemon=True
        )
        thread.start()

    def _run(self, pending: _Read, dag_id: str, run_id: str, limit: int) -> None:
        outcome: dict[str, RunTasks] = {}

        def read() -> None:
            try:
                outcome["found"] = found = self._read(dag_id, run_id, limit)
                for pause in self._pauses:
                    if not any((t.state or "") in UNFINISHED for t in found.task_instances):
                        break
                    self._sleep(pause)
                    outcome["found"] = found = self._read(dag_id, run_id, limit)
            except Exception as exc:  # noqa: BLE001 - the event goes out without the list
                warn_once(
                    log,
                    ("run_tasks", type(exc).__name__),
                    "could not read the task instances of a DAG run; its final event goes without them: %s: %s",
                    type(exc).__name__,
                    exc,
                )

        # The query runs in its own thread so that a database that hangs costs this
        # event its list after READ_TIMEOUT, never the event itself.
        worker = threading.Thread(target=read, name="secoda-run-tasks-query", daemon=True)
        worker.start()
        worker.join(READ_TIMEOUT)
        try:
            pending.finish(outcome.get("found"))
        finally:
            with self._lock:
                self._pending.discard(pending)

    def count(self) -> int:
        with self._lock:
            return len(self._pending)

    def settle(self, timeout: float) -> None:
        """Wait up to ``timeout`` s for pending reads; finish the rest without their list."""
        deadline = time.monotonic() + max(0.0, timeout)
        with self._lock:
            pending = list(self._pending)
        for read in pending:
            read.done.wait(max(0.0, deadline - time.monotonic()))
        for read in pending:
            read.finish(None)  # a no-op for those the thread finished


pending_reads = PendingReads()


def _after_fork_in_child() -> None:
    global pending_reads
    pending_reads = PendingReads()  # the parent's threads do not exist here; it finishes its own


forks.reset_in_child("capture.run_tasks", _after_fork_in_child)


def settle_pending(timeout: float) -> None:
    """:meth:`PendingReads.settle` of this process's reads: the exit handler's first step."""
    pending_reads.settle(timeout)
