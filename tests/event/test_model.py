"""The event body: the callback provider's keys kept, ours beside them."""

from __future__ import annotations

import json
import uuid

import attrs
import pytest

from secoda_listener.event import model as ev
from secoda_listener.event.datasets import Dataset, Lineage


def _ti(**overrides):
    values = dict(
        task_id="t",
        dag_id="d",
        run_id="r",
        map_index=-1,
        try_number=1,
        max_tries=0,
        state="failed",
        start_date="2024-01-01 00:00:00",
        end_date=None,
        hostname="h",
        operator="m.Op",
        sql="select 1",
        error="ValueError: x",
    )
    values.update(overrides)
    return ev.TaskInstanceBlock(**values)


def test_task_failed_body_is_json_and_complete():
    event = ev.Event(
        event_type=ev.TASK_FAILED,
        dag=ev.DagBlock(dag_id="d", tags=("a",)),
        dag_run=ev.DagRunBlock("r", "2024-01-01", "manual", "running", None, None),
        task_instance=_ti(),
        lineage=Lineage(inputs=[Dataset("postgres://h:5432", "db.public.a")], outputs=[], errors=["e"]),
    )
    body = json.loads(json.dumps(event.to_body()))
    assert uuid.UUID(body["event_id"])
    assert body["task_instance"]["error"] == "ValueError: x"
    assert body["task_instance"]["sql"] == "select 1"
    assert "source_code" not in body["task_instance"]
    assert body["lineage"] == {
        "inputs": [{"namespace": "postgres://h:5432", "name": "db.public.a"}],
        "outputs": [],
        "errors": ["e"],
    }
    assert body["dag"]["tags"] == ["a"]
    assert body["producer"].startswith("secoda-listener/")


def test_error_is_only_on_failed_events():
    event = ev.Event(event_type=ev.TASK_SUCCESS, dag=ev.DagBlock(dag_id="d"), dag_run=None, task_instance=_ti())
    assert "error" not in event.to_body()["task_instance"]


def test_dag_run_events_have_no_task_blocks():
    body = ev.Event(event_type=ev.DAG_RUN_SUCCESS, dag=ev.DagBlock(dag_id="d"), dag_run=None).to_body()
    assert "task_instance" not in body and "lineage" not in body


def test_event_id_is_stable_and_type_checked():
    event = ev.Event(event_type=ev.DAG_RUN_FAILED, dag=ev.DagBlock(dag_id="d"), dag_run=None)
    assert event.to_body()["event_id"] == event.to_body()["event_id"] == event.event_id
    with pytest.raises(ValueError):
        ev.Event(event_type="task_exploded", dag=ev.DagBlock(dag_id="d"), dag_run=None)
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        event.event_id = "other"  # type: ignore[misc]


def test_lineage_deduplicates_in_order():
    a, b = Dataset("n", "a"), Dataset("n", "b")
    assert Lineage(inputs=[a, b, a]).inputs == (a, b)


def _task_event(event_type=ev.TASK_SUCCESS, **ti):
    return ev.Event(event_type=event_type, dag=ev.DagBlock(dag_id="d"), dag_run=None, task_instance=_ti(**ti))


def test_the_same_task_event_has_the_same_id_wherever_it_is_made():
    first, again = _task_event(), _task_event(state="success", hostname="another-process")
    assert first.event_id == again.event_id
    assert uuid.UUID(first.event_id).version == 5


@pytest.mark.parametrize(
    "change",
    [
        {"event_type": ev.TASK_FAILED},
        {"try_number": 2},
        {"map_index": 0},
        {"task_id": "t2"},
        {"run_id": "r2"},
        {"dag_id": "d2"},
    ],
)
def test_every_part_of_a_tasks_identity_changes_the_id(change):
    event_type = change.pop("event_type", ev.TASK_SUCCESS)
    assert _task_event(event_type, **change).event_id != _task_event().event_id


def test_dag_run_event_ids_come_from_the_run_and_type():
    run = ev.DagRunBlock("r", "2024-01-01", "manual", "success", None, None)
    success = ev.Event(event_type=ev.DAG_RUN_SUCCESS, dag=ev.DagBlock(dag_id="d"), dag_run=run)
    assert success.event_id == ev.event_id_for(ev.DAG_RUN_SUCCESS, "d", "r")
    failed = ev.Event(event_type=ev.DAG_RUN_FAILED, dag=ev.DagBlock(dag_id="d"), dag_run=run)
    assert failed.event_id != success.event_id
    # A task of that run never shares an id with the run.
    assert ev.event_id_for(ev.DAG_RUN_SUCCESS, "d", "r", "t", -1, 1) != success.event_id


def test_without_a_run_id_ids_are_random_not_shared():
    assert ev.event_id_for(ev.DAG_RUN_SUCCESS, "d", None) != ev.event_id_for(ev.DAG_RUN_SUCCESS, "d", None)
