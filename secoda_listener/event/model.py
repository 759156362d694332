"""The event: what one run-log request to Secoda carries.

Immutable attrs classes, one per block of the body. The keys and meanings of
``task_instance`` and ``dag`` are those of the callback provider this plugin
replaces (Secoda parses them, including the rendered ``sql``); everything
else is added beside them. :meth:`Event.to_body` is the JSON body.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import attrs

from secoda_listener import __version__
from secoda_listener.event.datasets import Dataset, Lineage

PRODUCER = f"secoda-listener/{__version__}"

TASK_RUNNING = "task_running"
TASK_SUCCESS = "task_success"
TASK_FAILED = "task_failed"
TASK_SKIPPED = "task_skipped"
DAG_RUN_RUNNING = "dag_run_running"
DAG_RUN_SUCCESS = "dag_run_success"
DAG_RUN_FAILED = "dag_run_failed"
EVENT_TYPES = (
    TASK_RUNNING,
    TASK_SUCCESS,
    TASK_FAILED,
    TASK_SKIPPED,
    DAG_RUN_RUNNING,
    DAG_RUN_SUCCESS,
    DAG_RUN_FAILED,
)


def date_text(value: Any) -> str | None:
    """Dates as the callback provider sent them: ``str(datetime)``, or null."""
    return None if value is None else str(value)


@attrs.frozen
class TaskInstanceBlock:
    task_id: str
    dag_id: str
    run_id: str | None
    map_index: int
    try_number: int | None
    max_tries: int | None
    state: str | None
    start_date: str | None
    end_date: str | None
    hostname: str | None
    operator: str | None
    sql: str | list[str] | None = None
    source_code: str | None = None
    error: str | None = None
    # What Secoda's pull methods show for a task: its owner, its doc, its UI links.
    owner: str | None = None
    description: str | None = None
    url: str | None = None
    log_url: str | None = None


@attrs.frozen
class DagBlock:
    dag_id: str
    start_date: str | None = None
    end_date: str | None = None
    schedule_interval: str | None = None
    catchup: bool | None = None
    is_paused_upon_creation: bool | None = None
    description: str | None = None
    max_active_tasks: int | None = None
    max_active_runs: int | None = None
    tags: tuple[str, ...] = ()
    # Owners of the DAG's tasks (as Airflow's UI lists them), its file (relative to the
    # DAGs folder when inside it) and its page in the Airflow UI.
    owners: tuple[str, ...] = ()
    fileloc: str | None = None
    url: str | None = None


@attrs.frozen
class RunTaskInstance:
    """One task instance of a DAG run, as the metadata database has it when the run ends."""

    task_id: str
    map_index: int
    try_number: int | None
    state: str | None
    start_date: str | None
    end_date: str | None


@attrs.frozen
class AssetEventBlock:
    """One asset event (a Dataset event on Airflow 2): its asset, who emitted it, when.

    On a task event, an event the task emitted; on a DAG run's final event, one of
    the events that triggered the run. ``dataset`` is the asset named by OpenLineage
    conventions (None when its URI names nothing outside Airflow); ``uri`` is the
    asset's as Airflow has it, without credentials; ``extra`` is what the task
    attached (``outlet_events[asset].extra``); ``source_aliases`` the asset aliases
    it was emitted through. Unknown fields are null.
    """

    dataset: Dataset | None
    uri: str | None
    extra: dict[str, Any] | None = None
    source_dag_id: str | None = None
    source_task_id: str | None = None
    source_run_id: str | None = None
    source_map_index: int | None = None
    timestamp: str | None = None
    source_aliases: tuple[str, ...] = ()


@attrs.frozen
class DagRunBlock:
    run_id: str | None
    logical_date: str | None
    run_type: str | None
    state: str | None
    start_date: str | None
    end_date: str | None
    # The run's page in the Airflow UI.
    url: str | None = None
    # Terminal DAG-run events only (None elsewhere, and left out of the body): every
    # task instance of the run, at most [secoda] dag_run_max_task_instances of them;
    # ``task_instances_total`` is set when the list was cut.
    task_instances: tuple[RunTaskInstance, ...] | None = None
    task_instances_total: int | None = None
    # A run triggered by asset events (None otherwise, and left out of the body): those
    # events, oldest first, at most MAX_TRIGGERING_EVENTS; the total when the list was cut.
    triggering_events: tuple[AssetEventBlock, ...] | None = None
    triggering_events_total: int | None = None


#: At most this many triggering events on a DAG-run event, and emitted events on a task event.
MAX_TRIGGERING_EVENTS = 100


#: The namespace of event ids (uuid5): fixed forever, or ids stop matching across versions.
EVENT_ID_NAMESPACE = uuid.UUID("6f1c1d52-8a4e-5c7e-9b0a-5ec0da11f0e1")


def event_id_for(
    event_type: str,
    dag_id: str,
    run_id: str | None,
    task_id: str | None = None,
    map_index: int | None = None,
    try_number: int | None = None,
) -> str:
    """The id of the thing an event states, the same whichever process states it and however often.

    A task event is named by its try (DAG, run, task, map index, try number) and its
    type; a DAG-run event by its run and type. Secoda, the receiver and the ledger
    de-duplicate on it, so the same state told twice (a resumed deferrable, the
    API server and a task process, a retry of a request) is one event. Without a
    run id there is nothing stable to derive from: a random id, as before.
    """
    if not run_id:
        return str(uuid.uuid4())
    parts = [event_type, dag_id, run_id]
    if task_id is not None:
        parts += [task_id, str(-1 if map_index is None else map_index), str(try_number)]
    # The unit separator cannot appear in Airflow ids, so no two tuples share a name.
    return str(uuid.uuid5(EVENT_ID_NAMESPACE, "\x1f".join(parts)))


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat()


@attrs.frozen
class Event:
    """One run-log event. ``event_id`` is derived from what it states (:func:`event_id_for`)."""

    event_type: str = attrs.field(validator=attrs.validators.in_(EVENT_TYPES))
    dag: DagBlock
    dag_run: DagRunBlock | None
    task_instance: TaskInstanceBlock | None = None
    lineage: Lineage | None = None
    # Task events: the asset events the task emitted (None, and left out, when none).
    asset_events: tuple[AssetEventBlock, ...] | None = None
    event_id: str = attrs.field()
    event_time: str = attrs.field(factory=_now)
    producer: str = PRODUCER

    @event_id.default
    def _derived_event_id(self) -> str:
        ti = self.task_instance
        if ti is not None:
            return event_id_for(self.event_type, ti.dag_id, ti.run_id, ti.task_id, ti.map_index, ti.try_number)
        run_id = self.dag_run.run_id if self.dag_run is not None else None
        return event_id_for(self.event_type, self.dag.dag_id, run_id)

    def to_body(self) -> dict[str, Any]:
        """The JSON-able request body. Task-only keys are left out of DAG-run events."""
        body = attrs.asdict(self, recurse=True)
        if self.task_instance is None:
            del body["task_instance"]
        if self.lineage is None:
            del body["lineage"]
        if not self.asset_events:
            del body["asset_events"]
        run = body.get("dag_run")
        if run is not None:
            for key in ("task_instances", "task_instances_total", "triggering_events", "triggering_events_total"):
                if run.get(key) is None:
                    run.pop(key, None)
        ti = body.get("task_instance")
        if ti is not None:
            # `error` is for failed tasks only; `source_code` only where there is some.
            if self.event_type != TASK_FAILED:
                ti.pop("error", None)
            if ti.get("source_code") is None:
                ti.pop("source_code", None)
        return body
