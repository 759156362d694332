"""End to end: the metadata keys Secoda's pull methods have, and a DAG still wired to the
callback provider (the real secoda-airflow package), through `airflow dags test` with the
plugin loaded by its entry point and the receiver standing in for Secoda."""

from __future__ import annotations

import json
from urllib.parse import quote

from tests.support.airflow_home import airflow_major

BASE = "https://airflow.example.com/team"


def _q(value: str) -> str:
    return quote(value, safe="")


def _base_env() -> dict[str, str]:
    # Airflow 3 links from [api] base_url, Airflow 2 from [webserver] base_url (trailing "/" dropped).
    section = "API" if airflow_major() >= 3 else "WEBSERVER"
    return {f"AIRFLOW__{section}__BASE_URL": BASE + "/"}


def _listener_events(receiver) -> list[dict]:
    return [r["body"] for r in receiver.received() if "event_type" in r["body"]]


def _expected_links(dag_id: str, run_id: str, task_id: str, map_index: int, try_number: int) -> dict[str, str]:
    if airflow_major() >= 3:
        run = f"{BASE}/dags/{dag_id}/runs/{_q(run_id)}"
        ti = f"{run}/tasks/{task_id}" + (f"/mapped/{map_index}" if map_index >= 0 else "")
        return {"dag": f"{BASE}/dags/{dag_id}", "run": run, "ti": ti, "log": f"{ti}?try_number={try_number}"}
    grid = f"{BASE}/dags/{dag_id}/grid"
    ti = f"{grid}?dag_run_id={_q(run_id)}&task_id={task_id}" + (f"&map_index={map_index}" if map_index >= 0 else "")
    # `dags test 2024-01-01`: the run's logical date is the grid's base_date, as Airflow links it.
    log = f"{ti}&base_date=2024-01-01T00%3A00%3A00%2B0000&tab=logs"
    return {"dag": grid, "run": f"{grid}?dag_run_id={_q(run_id)}", "ti": ti, "log": log}


def test_every_event_carries_owners_file_links_and_task_docs(run_dag, receiver):
    result = run_dag("metadata_dag", env=_base_env())
    assert result.returncode == 0, result.output[-3000:]
    events = _listener_events(receiver)
    kinds = sorted(
        (e["event_type"], e.get("task_instance", {}).get("task_id"), e.get("task_instance", {}).get("map_index"))
        for e in events
    )
    assert kinds == sorted(
        [("dag_run_success", None, None)]
        + [
            (kind, task, index)
            for kind in ("task_running", "task_success")
            for task, index in (("documented", -1), ("plain", -1), ("mapped", 0), ("mapped", 1))
        ]
    )
    run_id = events[0]["dag_run"]["run_id"]
    links = _expected_links("metadata_dag", run_id, "documented", -1, 1)
    for event in events:
        assert event["dag"]["owners"] == ["alice", "bob", "data-eng"]
        assert event["dag"]["fileloc"] == "metadata_dag.py"
        assert event["dag"]["url"] == links["dag"]
        assert event["dag_run"]["url"] == links["run"]
    expected = {
        # The doc went through the body's redaction like every other string.
        ("documented", -1): ("alice, bob", "Loads **orders**; the token is password=***"),
        ("plain", -1): ("data-eng", "plain doc"),
        ("mapped", 0): ("data-eng", None),
        ("mapped", 1): ("data-eng", None),
    }
    for event in events:
        ti = event.get("task_instance")
        if ti is None:
            continue
        key = (ti["task_id"], ti["map_index"])
        owner, description = expected[key]
        links = _expected_links("metadata_dag", run_id, ti["task_id"], ti["map_index"], ti["try_number"])
        assert (ti["owner"], ti["description"], ti["url"], ti["log_url"]) == (
            owner,
            description,
            links["ti"],
            links["log"],
        ), key
        assert ti["try_number"] == 1
    assert "hunter2" not in json.dumps([r["body"] for r in receiver.received()])


def test_a_dag_with_the_callback_providers_callbacks_is_reported_once(run_dag, receiver):
    result = run_dag("callbacks_secoda")
    assert result.returncode == 0, result.output[-3000:]
    records = receiver.received()
    # Everything that arrived was authorized: the callbacks use the same connection as the listener.
    assert all(r["status"] == 200 for r in records), records
    listener = sorted(
        (r["body"]["event_type"], r["body"]["task_instance"]["task_id"])
        for r in records
        if "event_type" in r["body"] and "task_instance" in r["body"]
    )
    # The listener reports only the task without the callbacks, and no DAG-run event.
    assert listener == [("task_running", "no_callbacks"), ("task_success", "no_callbacks")]
    assert [r for r in records if r["body"].get("event_type", "").startswith("dag_run")] == []
    callbacks = [r["body"] for r in records if "event_type" not in r["body"]]
    callback_tasks = sorted(b.get("task_instance", {}).get("task_id") for b in callbacks)
    if airflow_major() >= 3:
        # secoda-airflow 0.0.30's DAG callback fails on Airflow 3 (its context's task instance has
        # no start_date) and sends nothing; its task callback sends the task.
        assert callback_tasks == ["with_callbacks"]
    else:
        # Airflow 2's DAG callback context is the last task instance's: the provider sends it too.
        assert callback_tasks == ["no_callbacks", "with_callbacks"]
    for body in callbacks:
        assert body["dag"]["dag_id"] == "callbacks_secoda"
        assert body["task_instance"]["state"] == "success"
    # The task log says why, and how to migrate, once per DAG and kind.
    assert result.output.count("DAG callbacks_secoda still has the secoda-airflow callbacks: its tasks") == 1
    assert result.output.count("DAG callbacks_secoda still has the secoda-airflow callbacks: its DAG runs") == 1
