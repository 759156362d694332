"""The REST API's JSON onto the listener's event: the same attrs blocks, the same ids.

No second event shape: every function here fills
:class:`~secoda_listener.event.model.TaskInstanceBlock`, ``DagBlock`` and
``DagRunBlock`` with what the live listener puts in them
(:mod:`secoda_listener.capture.airflow_objects`), and the ``event_id`` is
:func:`~secoda_listener.event.model.event_id_for` of the same tuple, so a try
the listener reported and the same try backfilled are one event. Airflow 2's
``/api/v1`` and Airflow 3's ``/api/v2`` differ in a few names, handled here.

What the API cannot give is null, as it is for the listener when an object
lacks it: ``task_instance.error`` (only the try's log has the exception).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any, TypeVar

import attrs

from secoda_listener.event import model as ev
from secoda_listener.event.datasets import Lineage

T = TypeVar("T")

#: A try's final state -> the event the listener sends for it. Other states are not final
#: (running, queued...) or are not reported by a task hook (skipped, removed, upstream_failed).
TERMINAL = {"success": ev.TASK_SUCCESS, "failed": ev.TASK_FAILED, "up_for_retry": ev.TASK_FAILED}
RUN_TERMINAL = {"success": ev.DAG_RUN_SUCCESS, "failed": ev.DAG_RUN_FAILED}
UP_FOR_RETRY = "up_for_retry"


def api_date(value: Any) -> str | None:
    """ISO-8601 text of the API as the listener writes dates: ``str(datetime)``."""
    if value is None or value == "":
        return None
    text = str(value)
    try:
        parsed = dt.datetime.fromisoformat(text[:-1] + "+00:00" if text.endswith("Z") else text)
    except ValueError:
        return text
    return ev.date_text(parsed)


def _int(value: Any) -> int | None:
    try:
        return None if value is None else int(value)
    except (TypeError, ValueError):
        return None


def _known(cls: type[T], **values: Any) -> T:
    """``cls(**values)`` without the keys ``cls`` does not have (yet).

    The metadata keys (owners, urls...) are added to the blocks by another change;
    until a block has a field, backfill leaves that value out rather than fail.
    """
    fields = attrs.fields_dict(cls)  # type: ignore[arg-type]
    return cls(**{key: value for key, value in values.items() if key in fields})


def _map_index(data: dict[str, Any]) -> int:
    value = _int(data.get("map_index"))
    return -1 if value is None else value


def run_id_of(data: dict[str, Any]) -> str | None:
    value = data.get("dag_run_id") or data.get("run_id")
    return None if value is None else str(value)


def logical_date_of(run: dict[str, Any]) -> Any:
    value = run.get("logical_date")
    return value if value is not None else run.get("execution_date")


def operator_path(task: dict[str, Any] | None, ti: dict[str, Any]) -> str | None:
    """``module.Class`` as the listener sends it, from the task's ``class_ref``; the bare class name otherwise."""
    ref = (task or {}).get("class_ref") or {}
    if ref.get("module_path") and ref.get("class_name"):
        return f"{ref['module_path']}.{ref['class_name']}"
    name = ti.get("operator") or (task or {}).get("operator_name")
    return None if name is None else str(name)


def _schedule_text(details: dict[str, Any]) -> str | None:
    # Airflow 2: {"__type": "CronExpression", "value": "@daily"} (or a TimeDelta); Airflow 3: the summary.
    schedule = details.get("schedule_interval")
    if isinstance(schedule, dict):
        if "value" in schedule:
            return str(schedule["value"])
        if schedule.get("__type") == "TimeDelta":
            delta = dt.timedelta(
                days=schedule.get("days") or 0,
                seconds=schedule.get("seconds") or 0,
                microseconds=schedule.get("microseconds") or 0,
            )
            return str(delta)
    if isinstance(schedule, str):
        return schedule
    summary = details.get("timetable_summary")
    return None if summary is None else str(summary)


def _tags(details: dict[str, Any]) -> tuple[str, ...]:
    names = (tag.get("name") if isinstance(tag, dict) else tag for tag in details.get("tags") or ())
    return tuple(sorted({str(name) for name in names if name}))


@attrs.frozen
class Links:
    """Where the Airflow UI is (``--airflow-url``) and which UI it is (the major version)."""

    base_url: str
    major: int

    def dag(self, dag_id: str) -> str | None:
        from secoda_listener.capture import ui_links

        return ui_links.dag_url(self.base_url, dag_id, self.major)

    def dag_run(self, dag_id: str, run_id: str | None) -> str | None:
        from secoda_listener.capture import ui_links

        return None if not run_id else ui_links.dag_run_url(self.base_url, dag_id, run_id, self.major)

    def task(self, dag_id: str, run_id: str | None, task_id: str, map_index: int) -> str | None:
        from secoda_listener.capture import ui_links

        if not run_id:
            return None
        return ui_links.task_instance_url(self.base_url, dag_id, run_id, task_id, map_index, self.major)

    def log(
        self, dag_id: str, run_id: str | None, task_id: str, map_index: int, try_number: int | None, logical: Any
    ) -> str | None:
        from secoda_listener.capture import ui_links

        if not run_id:
            return None
        return ui_links.log_url(self.base_url, dag_id, run_id, task_id, map_index, try_number, self.major, logical)


def _owners(values: Iterable[Any]) -> tuple[str, ...]:
    """Owner strings split on commas, sorted: the listener's ``dag.owners``."""
    found = {part.strip() for value in values if isinstance(value, str) for part in value.split(",")}
    return tuple(sorted(owner for owner in found if owner))


def dag_block(
    details: dict[str, Any], links: Links, dag_id: str | None = None, tasks: Iterable[dict[str, Any]] = ()
) -> ev.DagBlock:
    """``/dags/{dag_id}/details`` (and the DAG's ``/tasks``) as the listener's ``dag`` block."""
    from secoda_listener.capture.airflow_objects import relative_fileloc

    the_id = str(details.get("dag_id") or dag_id or "")
    # The listener lists the owners of the DAG's tasks; the DAG's own list when no task is known.
    owners = _owners(task.get("owner") for task in tasks) or _owners(details.get("owners") or ())
    # Airflow 3 says where the file is inside its DAG bundle; Airflow 2 gives the absolute path,
    # made relative when this host's [core] dags_folder holds it (as the listener does).
    fileloc = details.get("relative_fileloc") or relative_fileloc(details.get("fileloc"))
    return _known(
        ev.DagBlock,
        dag_id=the_id,
        start_date=api_date(details.get("start_date")),
        end_date=api_date(details.get("end_date")),
        schedule_interval=_schedule_text(details),
        catchup=details.get("catchup"),
        is_paused_upon_creation=details.get("is_paused_upon_creation"),
        description=details.get("description"),
        max_active_tasks=_int(details.get("max_active_tasks", details.get("concurrency"))),
        max_active_runs=_int(details.get("max_active_runs")),
        tags=_tags(details),
        owners=owners,
        fileloc=fileloc,
        url=links.dag(the_id),
    )


def run_task_instances(tis: Iterable[dict[str, Any]]) -> tuple[ev.RunTaskInstance, ...]:
    """A run's task instances as a final DAG-run event lists them (ordered as the listener reads them)."""
    found = [
        ev.RunTaskInstance(
            task_id=str(ti.get("task_id")),
            map_index=_map_index(ti),
            try_number=_int(ti.get("try_number")),
            state=None if ti.get("state") is None else str(ti.get("state")),
            start_date=api_date(ti.get("start_date")),
            end_date=api_date(ti.get("end_date")),
        )
        for ti in tis
    ]
    return tuple(sorted(found, key=lambda item: (item.task_id, item.map_index)))


def dag_run_block(
    run: dict[str, Any],
    links: Links,
    task_instances: tuple[ev.RunTaskInstance, ...] | None = None,
    task_instances_total: int | None = None,
) -> ev.DagRunBlock:
    run_id = run_id_of(run)
    return _known(
        ev.DagRunBlock,
        run_id=run_id,
        logical_date=api_date(logical_date_of(run)),
        run_type=run.get("run_type"),
        state=run.get("state"),
        start_date=api_date(run.get("start_date")),
        end_date=api_date(run.get("end_date")),
        task_instances=task_instances,
        task_instances_total=task_instances_total,
        url=links.dag_run(str(run.get("dag_id") or ""), run_id),
    )


def dag_run_event(dag: ev.DagBlock, run: ev.DagRunBlock) -> ev.Event | None:
    """The final event of a finished run (None for a run that did not finish)."""
    event_type = RUN_TERMINAL.get(str(run.state))
    return None if event_type is None else ev.Event(event_type=event_type, dag=dag, dag_run=run)


@attrs.frozen
class FinishedTry:
    """One finished try of a task instance: its JSON (a TI or a try-history entry) and how it ended."""

    data: dict[str, Any]
    event_type: str
    state: str  # the state the listener reports: "up_for_retry" for a failed try that was retried


def finished_tries(ti: dict[str, Any], history: Iterable[dict[str, Any]] = ()) -> list[FinishedTry]:
    """Every finished try of a task instance, oldest first, once each.

    ``history`` is the ``.../tries`` listing (earlier tries, and on both versions the
    current one unless it waits for a retry). A failed try followed by another try
    was retried: the listener said ``up_for_retry`` for it (Airflow 3's history
    keeps it as ``failed``), and so does backfill.
    """
    by_try: dict[int, dict[str, Any]] = {}
    for entry in history:
        number = _int(entry.get("try_number"))
        if number is not None:
            by_try[number] = entry
    current = _int(ti.get("try_number"))
    if current is not None and (current not in by_try or ti.get("state") != UP_FOR_RETRY):
        by_try[current] = ti  # the current try as the TI has it (with its rendered fields)
    last = max(by_try) if by_try else None
    tries = []
    for number in sorted(by_try):
        data = by_try[number]
        state = str(data.get("state") or "")
        if state == "failed" and last is not None and number < last:
            state = UP_FOR_RETRY
        if state == UP_FOR_RETRY and number == last and ti.get("state") not in (UP_FOR_RETRY, None):
            state = "failed"  # pragma: no cover - a history entry newer than its TI: trust the TI
        event_type = TERMINAL.get(state)
        if event_type is not None:
            tries.append(FinishedTry(data, event_type, state))
    return tries


def task_event(
    finished: FinishedTry,
    *,
    dag: ev.DagBlock,
    run: ev.DagRunBlock,
    task: dict[str, Any] | None,
    rendered_fields: Any,
    lineage: Lineage,
    source_code: str | None,
    links: Links,
) -> ev.Event:
    """The ``task_success`` / ``task_failed`` event of one finished try, as the listener sends it."""
    data = finished.data
    dag_id = str(data.get("dag_id") or dag.dag_id)
    run_id = run_id_of(data) or run.run_id
    task_id = str(data.get("task_id"))
    map_index = _map_index(data)
    try_number = _int(data.get("try_number"))
    fields = rendered_fields if isinstance(rendered_fields, dict) else {}
    block = _known(
        ev.TaskInstanceBlock,
        task_id=task_id,
        dag_id=dag_id,
        run_id=run_id,
        map_index=map_index,
        try_number=try_number,
        max_tries=_int(data.get("max_tries")),
        state=finished.state,
        start_date=api_date(data.get("start_date")),
        end_date=api_date(data.get("end_date")),
        hostname=data.get("hostname") or None,
        operator=operator_path(task, data),
        sql=_sql(fields.get("sql")),
        source_code=source_code,
        error=None,
        owner=_text((task or {}).get("owner")),
        description=_description(task),
        url=links.task(dag_id, run_id, task_id, map_index),
        log_url=links.log(dag_id, run_id, task_id, map_index, try_number, run.logical_date),
    )
    return ev.Event(event_type=finished.event_type, dag=dag, dag_run=run, task_instance=block, lineage=lineage)


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _description(task: dict[str, Any] | None) -> str | None:
    """The task's doc as the listener reads it (the API gives ``doc_md``), capped the same way."""
    from types import SimpleNamespace

    from secoda_listener.capture.airflow_objects import task_description

    docs = {key: value for key, value in (task or {}).items() if key.startswith("doc")}
    return task_description(SimpleNamespace(**docs))


def _sql(value: Any) -> str | list[str] | None:
    """The rendered ``sql`` as the listener sends it (:func:`~secoda_listener.capture.airflow_objects.task_sql`)."""
    if value is None or value == "":
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, (list, tuple)):
        return [str(statement) for statement in value]
    return str(value)
