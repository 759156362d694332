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

import functools
import os
import sys
from typing import Any

from secoda_listener.capture import ui_links
from secoda_listener.event.model import DagBlock, DagRunBlock, TaskInstanceBlock, date_text

#: A task's doc is free text written by people: at most this much of it goes in an event.
MAX_DESCRIPTION_CHARS = 20_000
#: Where Airflow keeps a task's doc, in the order its UI prefers them.
DOC_ATTRIBUTES = ("doc_md", "doc", "doc_rst", "doc_json", "doc_yaml")

_dags_folder: list[str] = []


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


def dag_owners(dag: Any) -> tuple[str, ...]:
    """The owners of the DAG's tasks, as Airflow's UI lists them: each owner string split on commas.

    Airflow stores ``", ".join`` of its tasks' owners (``DagModel.owners``) and its UI
    splits it; here sorted, so the same DAG always gives the same list.
    """
    owners: set[str] = set()
    tasks = getattr(dag, "tasks", None) or ()
    if tasks:
        for task in tasks:
            owners.update(_split_owners(getattr(task, "owner", None)))
    else:  # no tasks at hand: what the DAG says of itself (``DAG.owner``)
        owners.update(_split_owners(getattr(dag, "owner", None)))
    return tuple(sorted(owners))


def _split_owners(value: Any) -> list[str]:
    if not value or not isinstance(value, str):
        return []
    return [part.strip() for part in value.split(",") if part.strip()]


def dags_folder() -> str | None:
    """``[core] dags_folder``, read once per process."""
    if not _dags_folder:
        folder = ""
        try:
            from airflow import settings

            folder = str(getattr(settings, "DAGS_FOLDER", "") or "")
        except Exception:  # noqa: BLE001 - no Airflow settings: paths stay absolute
            folder = ""
        _dags_folder.append(os.path.realpath(os.path.expanduser(folder)) if folder else "")
    return _dags_folder[0] or None


def relative_fileloc(fileloc: Any, folder: str | None = None) -> str | None:
    """``fileloc`` relative to the DAGs folder when inside it, else as it is (absolute)."""
    if not fileloc:
        return None
    folder = dags_folder() if folder is None else folder
    return _relative(str(fileloc), folder or "")


@functools.lru_cache(maxsize=4096)
def _relative(path: str, folder: str) -> str:
    # Cached: every event of a DAG asks for the same file, and realpath costs system calls.
    if not folder or not os.path.isabs(path):
        return path
    real = os.path.realpath(path)
    for candidate in (path, real):
        try:
            if os.path.commonpath([candidate, folder]) == folder:
                return os.path.relpath(candidate, folder)
        except ValueError:  # different drives, or a relative against an absolute path
            continue
    return path


def dag_block(dag: Any, dag_id: str | None = None) -> DagBlock:
    the_id = str(getattr(dag, "dag_id", None) or dag_id or "")
    return DagBlock(
        dag_id=the_id,
        start_date=date_text(getattr(dag, "start_date", None)),
        end_date=date_text(getattr(dag, "end_date", None)),
        schedule_interval=_schedule_text(dag) if dag is not None else None,
        catchup=getattr(dag, "catchup", None),
        is_paused_upon_creation=getattr(dag, "is_paused_upon_creation", None),
        description=getattr(dag, "description", None),
        max_active_tasks=_int(getattr(dag, "max_active_tasks", None)),
        max_active_runs=_int(getattr(dag, "max_active_runs", None)),
        tags=tuple(sorted(dag_tags(dag))),
        owners=dag_owners(dag),
        fileloc=relative_fileloc(getattr(dag, "fileloc", None)),
        url=ui_links.dag_url(ui_links.configured_base_url(), the_id, ui_links.airflow_major()) if the_id else None,
    )


def _logical_date(dag_run: Any) -> Any:
    value = getattr(dag_run, "logical_date", None)
    return value if value is not None else getattr(dag_run, "execution_date", None)


def dag_run_block(dag_run: Any) -> DagRunBlock | None:
    if dag_run is None:
        return None
    dag_id = _text(getattr(dag_run, "dag_id", None))
    run_id = _text(getattr(dag_run, "run_id", None))
    url = None
    if dag_id and run_id:
        url = ui_links.dag_run_url(ui_links.configured_base_url(), dag_id, run_id, ui_links.airflow_major())
    return DagRunBlock(
        run_id=_text(getattr(dag_run, "run_id", None)),
        logical_date=date_text(_logical_date(dag_run)),
        run_type=_text(getattr(dag_run, "run_type", None)),
        state=_text(getattr(dag_run, "state", None)),
        start_date=date_text(getattr(dag_run, "start_date", None)),
        end_date=date_text(getattr(dag_run, "end_date", None)),
        url=url,
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


def task_description(task: Any) -> str | None:
    """The task's doc (``doc_md``, ``doc``, ``doc_rst``...: the first set), at most MAX_DESCRIPTION_CHARS."""
    for attribute in DOC_ATTRIBUTES:
        value = getattr(task, attribute, None)
        if isinstance(value, str) and value.strip():
            if len(value) <= MAX_DESCRIPTION_CHARS:
                return value
            cut = len(value) - MAX_DESCRIPTION_CHARS
            return value[:MAX_DESCRIPTION_CHARS] + f"…[truncated {cut} chars by secoda-listener]"
    return None


def task_owner(task: Any) -> str | None:
    owner = getattr(task, "owner", None)
    return owner if isinstance(owner, str) and owner else None


def _task_links(task_instance: Any, map_index: int, try_number: int | None) -> tuple[str | None, str | None]:
    dag_id = _text(getattr(task_instance, "dag_id", None))
    run_id = _text(getattr(task_instance, "run_id", None))
    task_id = _text(getattr(task_instance, "task_id", None))
    if not (dag_id and run_id and task_id):
        return None, None
    base, major = ui_links.configured_base_url(), ui_links.airflow_major()
    logical_date = None
    if major < 3:  # only Airflow 2's grid link has it (base_date); ti.dag_run is loaded there
        try:  # a detached ORM object may raise on a relationship: the link then goes without it
            logical_date = _logical_date(getattr(task_instance, "dag_run", None))
            if logical_date is None:
                logical_date = getattr(task_instance, "execution_date", None)
        except Exception:  # noqa: BLE001 - see above
            logical_date = None
    return (
        ui_links.task_instance_url(base, dag_id, run_id, task_id, map_index, major),
        ui_links.log_url(base, dag_id, run_id, task_id, map_index, try_number, major, logical_date),
    )


def task_instance_block(
    task_instance: Any,
    state: str,
    *,
    source_code: str | None = None,
    error: Any = None,
) -> TaskInstanceBlock:
    task = getattr(task_instance, "task", None)
    map_index = _int(getattr(task_instance, "map_index", None))
    map_index = -1 if map_index is None else map_index
    try_number = _int(getattr(task_instance, "try_number", None))
    url, log_url = _task_links(task_instance, map_index, try_number)
    return TaskInstanceBlock(
        task_id=str(getattr(task_instance, "task_id", "")),
        dag_id=str(getattr(task_instance, "dag_id", "")),
        run_id=_text(getattr(task_instance, "run_id", None)),
        map_index=map_index,
        try_number=try_number,
        max_tries=_int(getattr(task_instance, "max_tries", None)),
        state=state,
        start_date=date_text(getattr(task_instance, "start_date", None)),
        end_date=date_text(getattr(task_instance, "end_date", None)),
        hostname=getattr(task_instance, "hostname", None),
        operator=operator_path(task),
        sql=task_sql(task),
        source_code=source_code,
        error=error_text(error),
        owner=task_owner(task),
        description=task_description(task),
        url=url,
        log_url=log_url,
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
