"""The walk of a backfill: DAGs -> their runs that ended in the window -> task instances -> tries.

Streaming: one page of each listing in memory at a time, plus (for the run's final
event) the small per-task summary of the run being read, capped like the listener's
(``[secoda] dag_run_max_task_instances``). Each event is checked against the ledger
of delivered ids, then handed to a :class:`Sink`: the spool (events are delivered
by the same sender, with its back-off) or, for ``--dry-run``, standard output.
"""

from __future__ import annotations

import functools
import json
import logging
import sys
import time
from collections.abc import Callable, Container, Iterator
from typing import IO, Any, Protocol

import attrs

from secoda_listener.event import model as ev
from secoda_listener.history import mapping
from secoda_listener.history.client import (
    AirflowApiDisabled,
    AirflowApiError,
    AirflowAuthError,
    AirflowClient,
    AirflowUnreachable,
    quoted,
)
from secoda_listener.history.lineage import ApiConnection, try_lineage
from secoda_listener.history.window import Window, api_time

log = logging.getLogger(__name__)

#: Errors that end the whole backfill: nothing further could be read either.
FATAL = (AirflowUnreachable, AirflowAuthError, AirflowApiDisabled)
#: Run-level task-instance summaries kept for a DAG-run event when the configuration is unreadable.
DEFAULT_MAX_RUN_TASKS = 1000


@attrs.define
class Summary:
    """What a backfill did, for the last line it prints."""

    dags: int = 0
    runs: int = 0
    tasks: int = 0  # task instances read
    events: int = 0  # events spooled (or printed with --dry-run)
    skipped: int = 0  # events already delivered from this host (the ledger)
    not_final: int = 0  # task instances left to the listener (skipped, running, queued...)
    errors: int = 0
    error_messages: list[str] = attrs.Factory(list)
    sent: int = 0
    left_spooled: int = 0

    def error(self, message: str) -> None:
        self.errors += 1
        if len(self.error_messages) < 10:
            self.error_messages.append(message)

    def line(self) -> str:
        return (
            f"{self.runs} runs, {self.tasks} task instances, {self.events} events, "
            f"{self.skipped} skipped (already delivered), {self.not_final} not final (left to the listener), "
            f"{self.errors} errors"
        )


class Sink(Protocol):
    def put(self, event: ev.Event) -> None: ...
    def finish(self, summary: Summary) -> None: ...


def record_body(event: ev.Event, secrets: tuple[str, ...]) -> dict[str, Any]:
    """The redacted body, as the listener spools it; the Airflow API credentials can never be in it."""
    from secoda_listener import conf
    from secoda_listener.event.redact import redact_event

    body = redact_event(event.to_body(), max_bytes=conf.max_event_bytes())
    text = json.dumps(body)
    # Belt and braces: the body is built from API answers, which never hold our token or password.
    if any(secret in text for secret in secrets if len(secret) >= 4):
        for secret in secrets:
            if len(secret) >= 4:
                text = text.replace(json.dumps(secret)[1:-1], "***")
        body = json.loads(text)
    return body


class PrintSink:
    """``--dry-run``: one JSON line per event that would be sent; nothing spooled."""

    def __init__(self, stream: IO[str], secrets: tuple[str, ...] = ()) -> None:
        self.stream = stream
        self.secrets = secrets

    def put(self, event: ev.Event) -> None:
        self.stream.write(json.dumps(record_body(event, self.secrets), sort_keys=True) + "\n")

    def finish(self, summary: Summary) -> None:
        self.stream.flush()


class Progress:
    """A one-line progress display on a terminal (stderr, only when it is a tty)."""

    def __init__(self, stream: Any = None, interval: float = 0.2) -> None:
        self.stream = stream if stream is not None else sys.stderr
        self.enabled = bool(getattr(self.stream, "isatty", lambda: False)())
        self.interval = interval
        self._last = 0.0

    def show(self, summary: Summary, where: str, force: bool = False) -> None:
        if not self.enabled:
            return
        now = time.monotonic()
        if not force and now - self._last < self.interval:
            return
        self._last = now
        text = f"backfill: {summary.dags} DAGs, {summary.runs} runs, {summary.tasks} tasks, {summary.events} events"
        self.stream.write(f"\r\x1b[2K{text} - {where[:60]}")
        self.stream.flush()

    def done(self) -> None:
        if self.enabled:
            self.stream.write("\r\x1b[2K")
            self.stream.flush()


class Backfill:
    """One backfill of ``client``'s deployment over ``window``, into ``sink``."""

    def __init__(
        self,
        client: AirflowClient,
        window: Window,
        sink: Sink,
        *,
        delivered: Container[str] = frozenset(),
        page_size: int = 100,
        max_run_tasks: int = DEFAULT_MAX_RUN_TASKS,
        progress: Progress | None = None,
    ) -> None:
        self.client = client
        self.window = window
        self.sink = sink
        self.delivered = delivered
        self.page_size = page_size
        self.max_run_tasks = max_run_tasks
        self.progress = progress or Progress(stream=_NoTty())
        self.links = mapping.Links(client.base_url, client.major)
        self.summary = Summary()
        self._connections: dict[str, ApiConnection | None] = {}

    # --- the walk ------------------------------------------------------------------------

    def run(self) -> Summary:
        try:
            for dag_id in self._dag_ids():
                self._guarded(f"DAG {dag_id}", functools.partial(self._dag, dag_id))
        finally:
            self.progress.done()
        self.sink.finish(self.summary)
        return self.summary

    def _guarded(self, what: str, step: Callable[[], None]) -> None:
        """A failure of one DAG or run is counted and reported; the backfill goes on."""
        try:
            step()
        except FATAL:
            raise
        except AirflowApiError as exc:
            self.summary.error(f"{what}: {exc}")
            log.warning("secoda-listener backfill: %s: %s", what, exc)

    def _dag_ids(self) -> Iterator[str]:
        for dag in self.client.pages("/dags", "dags", page_size=self.page_size):
            dag_id = str(dag.get("dag_id") or "")
            if dag_id and self.window.dag_selected(dag_id):
                yield dag_id

    def _dag(self, dag_id: str) -> None:
        path = f"/dags/{quoted(dag_id)}"
        params = {
            "end_date_gte": api_time(self.window.since),
            "end_date_lte": api_time(self.window.until),
            "state": ["success", "failed"],
        }
        runs = self.client.pages(f"{path}/dagRuns", "dag_runs", params, page_size=self.page_size)
        first = next(runs, None)
        if first is None:
            return  # no finished run in the window: not even the DAG's details are needed
        self.summary.dags += 1
        details = self.client.get_optional(f"{path}/details") or {"dag_id": dag_id}
        tasks_page = self.client.get_optional(f"{path}/tasks") or {}
        tasks = {str(task.get("task_id")): task for task in tasks_page.get("tasks") or ()}
        dag = mapping.dag_block(details, self.links, dag_id, tasks.values())
        for run in _chain(first, runs):
            run_id = mapping.run_id_of(run) or ""
            self._guarded(f"run {dag_id} {run_id}", functools.partial(self._run, dag, tasks, run))

    def _run(self, dag: ev.DagBlock, tasks: dict[str, dict[str, Any]], run: dict[str, Any]) -> None:
        run_id = mapping.run_id_of(run)
        if not run_id:
            return
        self.summary.runs += 1
        run.setdefault("dag_id", dag.dag_id)
        run_block = mapping.dag_run_block(run, self.links)
        path = f"/dags/{quoted(dag.dag_id)}/dagRuns/{quoted(run_id)}/taskInstances"
        listed: list[dict[str, Any]] = []
        total = 0
        for ti in self.client.pages(path, "task_instances", page_size=self.page_size):
            total += 1
            if len(listed) < self.max_run_tasks:
                listed.append(_run_task_fields(ti))
            self._task_instance(dag, run_block, tasks, ti, path)
            self.progress.show(self.summary, f"{dag.dag_id} {run_id}")
        run_tasks = mapping.run_task_instances(listed)
        final = mapping.dag_run_block(
            run, self.links, task_instances=run_tasks, task_instances_total=total if total > len(listed) else None
        )
        event = mapping.dag_run_event(dag, final)
        if event is not None:
            self._emit(event)

    def _task_instance(
        self, dag: ev.DagBlock, run: ev.DagRunBlock, tasks: dict[str, dict[str, Any]], ti: dict[str, Any], path: str
    ) -> None:
        self.summary.tasks += 1
        state = ti.get("state")
        try_number = ti.get("try_number") or 0
        if state not in mapping.TERMINAL:
            self.summary.not_final += 1
            return
        history: list[dict[str, Any]] = []
        if (isinstance(try_number, int) and try_number > 1) or state == mapping.UP_FOR_RETRY:
            history = self._tries(path, ti)
        task = tasks.get(str(ti.get("task_id")))
        operator = mapping.operator_path(task, ti)
        rendered = ti.get("rendered_fields")
        found = try_lineage(rendered, operator, self._connection)
        for finished in mapping.finished_tries(ti, history):
            self._emit(
                mapping.task_event(
                    finished,
                    dag=dag,
                    run=run,
                    task=task,
                    rendered_fields=rendered,
                    lineage=found.lineage,
                    source_code=found.source_code,
                    links=self.links,
                )
            )

    def _tries(self, path: str, ti: dict[str, Any]) -> list[dict[str, Any]]:
        map_index = ti.get("map_index")
        task_path = f"{path}/{quoted(ti.get('task_id'))}"
        if isinstance(map_index, int) and map_index >= 0:
            task_path += f"/{map_index}"
        return list(self.client.pages(f"{task_path}/tries", "task_instances", page_size=self.page_size))

    def _connection(self, conn_id: str) -> ApiConnection | None:
        """The task's connection, non-secret fields only, read once per backfill."""
        if conn_id not in self._connections:
            data = self.client.get_optional(f"/connections/{quoted(conn_id)}")
            self._connections[conn_id] = None if data is None else ApiConnection.from_api(data)
        return self._connections[conn_id]

    def _emit(self, event: ev.Event) -> None:
        if event.event_id in self.delivered:
            self.summary.skipped += 1
            return
        self.sink.put(event)
        self.summary.events += 1


def _run_task_fields(ti: dict[str, Any]) -> dict[str, Any]:
    keys = ("task_id", "map_index", "try_number", "state", "start_date", "end_date")
    return {key: ti.get(key) for key in keys}


def _chain(first: dict[str, Any], rest: Iterator[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    yield first
    yield from rest


class _NoTty:
    def isatty(self) -> bool:
        return False

    def write(self, text: str) -> int:  # pragma: no cover - never called: not a tty
        return len(text)

    def flush(self) -> None:  # pragma: no cover
        pass
