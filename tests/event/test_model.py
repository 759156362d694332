"""The event body: the callback provider's keys kept, ours beside them."""

from __future__ import annotations

import json
import uuid

import attrs
import pytest

from secoda_listener.event import model as ev
from secoda_listener.event.datasets import Dataset, Lineage


def _ti(**overrides):
    values = dict(task_id="t", dag_id="d", run_id="r", map_index=-1, try_number=1, max_tries=0, state="failed",
                  start_date="2024-01-01 00:00:00", end_date=None, hostname="h", operator="m.Op", sql="select 1",
                  error="ValueError: x")
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
        "inputs": [{"namespace": "postgres://h:5432", "name": "db.public.a"}], "outputs": [], "errors": ["e"],
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
