"""Read what an event needs from Airflow's objects, on Airflow 2.10 and 3.x alike.

The listener hooks receive different objects per version and per process:

* Airflow 3 task process: a ``RuntimeTaskInstance`` (``ti.task`` is the real
  operator, templates rendered; no ``ti.dag_run``: the template context has it).
* Airflow 2 task process: an ORM ``TaskInstance`` with ``.task`` and ``.dag_run``.
* Scheduler (DAG-run hooks, both versions): an ORM ``DagRun``. Only attributes
  already loaded may be touched: a lazy load from inside the hook crashed the
  scheduler ("UNEXPECTED COMMIT"), so nothing here queries the database.

Everything is read with ``getattr`` defaults: a missing attribute is a null in
the event, never an exception.
"""

from __future__ import annotations

import sys
from typing import Any

from secoda_listener.event.model import DagBlock, DagRunBlock, TaskInstanceBlock, date_text


def _text(value: Any) -> str | None:
    if value is None:
        return None
    # Enums (TaskInstanceState, DagRunType...) carry their wire value in .value.
    return str(getattr(value, "value", value))


def _int(value: Any) -> int | None:
    try:
        return None if value is None else int(value)
    except (TypeError, ValueError):
        return None


def operator_path(task: Any) -> str | None:
    """``module.Class`` of the operator, e.g. ``airflow.providers.standard.operators.bash.BashOperator``."""
    if task is None:
        return None
    cls = type(task)
    return f"{cls.__module__}.{cls.__qualname__}"


def dag_of_task(task_instance: Any) -> Any:
    task = getattr(task_instance, "task", None)
    return getattr(task, "dag", None) or getattr(task_instance, "dag", None)


def dag_tags(dag: Any) -> frozenset[str]:
    tags = getattr(dag, "tags", None) or ()
    return frozenset(str(tag) for tag in tags)


def dag_params(dag: Any) -> dict[str, Any]:
    """A DAG's params as plain values (Airflow wraps them in ``Param`` objects)."""
    # A DAG's params are user objects: reading them may raise anything.
    try:
        params = getattr(dag, "params", None)
        if not params:
            return {}
        dump = params.dump() if hasattr(params, "dump") else dict(params)
        return dict(dump)
    except Exception:  # noqa: BLE001 - user objects may raise anything; a listener must not
        return {}


def _schedule_text(dag: Any) -> str | None:
    # Airflow 2 has schedule_interval; Airflow 3 only `schedule` / a timetable.
    for attribute in ("schedule_interval", "schedule"):
        value = getattr(dag, attribute, None)
        if value is not None and not callable(value):
            return str(getattr(value, "summary", value))
    timetable = getattr(dag, "timetable", None)
    summary = getattr(timetable, "summary", None)
    return None if summary is None else str(summary)


def dag_block(dag: Any, dag_id: str | None = None) -> DagBlock:
    return DagBlock(
        dag_id=str(getattr(dag, "dag_id", None) or dag_id or ""),
        start_date=date_text(getattr(dag, "start_date", None)),
        end_date=date_text(getattr(dag, "end_date", None)),
        schedule_interval=_schedule_text(dag) if dag is not None else None,
        catchup=getattr(dag, "catchup", None),
        is_paused_upon_creation=getattr(dag, "is_paused_upon_creation", None),
        description=getattr(dag, "description", None),
        max_active_tasks=_int(getattr(dag, "max_active_tasks", None)),
        max_active_runs=_int(getattr(dag, "max_active_runs", None)),
        tags=tuple(sorted(dag_tags(dag))),
    )


def _logical_date(dag_run: Any) -> Any:
    value = getattr(dag_run, "logical_date", None)
    return value if value is not None else getattr(dag_run, "execution_date", None)


def dag_run_block(dag_run: Any) -> DagRunBlock | None:
    if dag_run is None:
        return None
    return DagRunBlock(
        run_id=_text(getattr(dag_run, "run_id", None)),
        logical_date=date_text(_logical_date(dag_run)),
        run_type=_text(getattr(dag_run, "run_type", None)),
        state=_text(getattr(dag_run, "state", None)),
        start_date=date_text(getattr(dag_run, "start_date", None)),
        end_date=date_text(getattr(dag_run, "end_date", None)),
    )


def dag_run_of_task(task_instance: Any) -> Any:
    """The task's DAG run: ``ti.dag_run`` on Airflow 2, the template context on Airflow 3."""
    dag_run = getattr(task_instance, "dag_run", None)
    if dag_run is not None:
        return dag_run
    get_context = getattr(task_instance, "get_template_context", None)
    if get_context is None:
        return None
    try:
        return get_context().get("dag_run")
    except Exception:  # noqa: BLE001 - building the context may raise anything; a listener must not
        return None


def error_text(error: Any) -> str | None:
    if error is None:
        return None
    if isinstance(error, BaseException):
        return f"{type(error).__name__}: {error}"
    return str(error)


def task_sql(task: Any) -> str | list[str] | None:
    """The operator's rendered ``sql``, as the callback provider sent it."""
    sql = getattr(task, "sql", None)
    if sql is None:
        return None
    if isinstance(sql, str):
        return sql
    if isinstance(sql, (list, tuple)):
        return [str(statement) for statement in sql]
    return str(sql)


def task_instance_block(
    task_instance: Any,
    state: str,
    *,
    source_code: str | None = None,
    error: Any = None,
) -> TaskInstanceBlock:
    task = getattr(task_instance, "task", None)
    map_index = _int(getattr(task_instance, "map_index", None))
    return TaskInstanceBlock(
        task_id=str(getattr(task_instance, "task_id", "")),
        dag_id=str(getattr(task_instance, "dag_id", "")),
        run_id=_text(getattr(task_instance, "run_id", None)),
        map_index=-1 if map_index is None else map_index,
        try_number=_int(getattr(task_instance, "try_number", None)),
        max_tries=_int(getattr(task_instance, "max_tries", None)),
        state=state,
        start_date=date_text(getattr(task_instance, "start_date", None)),
        end_date=date_text(getattr(task_instance, "end_date", None)),
        hostname=getattr(task_instance, "hostname", None),
        operator=operator_path(task),
        sql=task_sql(task),
        source_code=source_code,
        error=error_text(error),
    )


def state_of(task_instance: Any) -> str | None:
    """The task instance's state as Airflow's wire value (``"up_for_retry"``), if it has one."""
    return _text(getattr(task_instance, "state", None))


def is_resuming_from_deferral(task_instance: Any) -> bool:
    """True when a deferred task comes back to a worker: its try has already started.

    Airflow fires ``on_task_instance_running`` again for the same try; the first
    one already said so. Airflow 2 keeps ``next_method`` on the task instance,
    Airflow 3 in the context the server sent with the task.
    """
    if getattr(task_instance, "next_method", None):
        return True
    context = getattr(task_instance, "_ti_context_from_server", None)
    return bool(getattr(context, "next_method", None))


def is_airflow_job(component: Any) -> bool:
    """Is ``on_starting``'s component one of Airflow's jobs (scheduler, triggerer, task job...)?"""
    job_module = sys.modules.get("airflow.jobs.job")
    job_class = getattr(job_module, "Job", None)
    return isinstance(job_class, type) and isinstance(component, job_class)


#: What a person or the API can set a running try to that is not a failure.
SET_FROM_OUTSIDE = frozenset({"success", "skipped"})


def state_on_server(task_instance: Any) -> str | None:
    """The try's state as the API server has it (Airflow 3 task processes), else None.

    One round trip through the task's supervisor, asked only when a try fails:
    if a person or the API marked the running try success (or skipped), the
    supervisor terminated the process and its failure is an echo of that, not
    the truth. Airflow 2.10 and stand-ins without ``get_task_states`` say None.
    """
    get_task_states = getattr(type(task_instance), "get_task_states", None)
    task_id, run_id = getattr(task_instance, "task_id", None), getattr(task_instance, "run_id", None)
    if get_task_states is None or not task_id or not run_id:
        return None
    map_index = _int(getattr(task_instance, "map_index", None))
    map_index = -1 if map_index is None else map_index
    states = get_task_states(
        dag_id=getattr(task_instance, "dag_id", None), map_index=map_index, task_ids=[task_id], run_ids=[run_id]
    )
    # Keyed by run id, then by task id (``<task_id>_<map_index>`` for a mapped try).
    key = task_id if map_index < 0 else f"{task_id}_{map_index}"
    return _text(((states or {}).get(run_id) or {}).get(key))
