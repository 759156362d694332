"""The API JSON onto the listener's blocks: same keys, same dates, same ids."""

from __future__ import annotations

import datetime as dt
import json

from secoda_listener.event import model as ev
from secoda_listener.event.datasets import Dataset, Lineage
from secoda_listener.history import mapping
from secoda_listener.history.lineage import ApiConnection, try_lineage
from tests.history import fake_airflow as fx

LINKS3 = mapping.Links("http://airflow.internal:8080", 3)
LINKS2 = mapping.Links("http://airflow.internal:8080/", 2)


def _json(body: dict) -> dict:
    """The body as Secoda gets it (tuples are JSON arrays)."""
    return json.loads(json.dumps(body))


def test_api_dates_become_the_listeners_str_of_datetime() -> None:
    when = dt.datetime(2026, 12, 1, 23, 40, 24, 644585, tzinfo=dt.timezone.utc)
    assert mapping.api_date("2026-12-01T23:40:24.644585Z") == str(when)  # Airflow 3
    assert mapping.api_date("2026-12-01T23:40:24.644585+00:00") == str(when)  # Airflow 2
    assert mapping.api_date(None) is None
    assert mapping.api_date("not a date") == "not a date"


def test_the_dag_block_from_dag_details() -> None:
    block = mapping.dag_block(fx.DETAILS, LINKS3)
    assert block.dag_id == fx.DAG_ID
    assert block.tags == ("backfill", "e2e")  # sorted, as the listener sends them
    assert block.start_date == "2024-01-01 00:00:00+00:00"
    assert block.max_active_tasks == 16
    assert block.description.startswith("A run with")
    body = _json(ev.Event(event_type=ev.DAG_RUN_FAILED, dag=block, dag_run=None).to_body())["dag"]
    if "owners" in body:  # the metadata keys (another change adds them to the block)
        assert body["owners"] == ["data-eng"]
        assert body["fileloc"] == "backfill_history.py"
        assert body["url"] == "http://airflow.internal:8080/dags/backfill_history"


def test_airflow_2_schedule_and_fileloc() -> None:
    details = {
        **fx.DETAILS,
        "relative_fileloc": None,
        "schedule_interval": {"__type": "CronExpression", "value": "@daily"},
    }
    block = mapping.dag_block(details, LINKS2)
    assert block.schedule_interval == "@daily"
    delta = {**details, "schedule_interval": {"__type": "TimeDelta", "days": 1, "seconds": 3600, "microseconds": 0}}
    assert mapping.dag_block(delta, LINKS2).schedule_interval == "1 day, 1:00:00"
    if "fileloc" in ev.DagBlock.__attrs_attrs__.__dict__ or hasattr(block, "fileloc"):
        assert block.fileloc == "/dags/backfill_history.py"  # Airflow 2 gives only the absolute path


def test_a_retried_failure_is_up_for_retry_then_failed() -> None:
    ti = fx.TASK_INSTANCES[2]
    tries = mapping.finished_tries(ti, fx.TRIES["flaky"])
    assert [(t.data["try_number"], t.event_type, t.state) for t in tries] == [
        (1, ev.TASK_FAILED, "up_for_retry"),  # Airflow 3's history says "failed"; the listener said this
        (2, ev.TASK_FAILED, "failed"),
    ]
    # The current try is the TI's own JSON (it has the rendered fields).
    assert tries[1].data is ti


def test_a_try_waiting_for_its_retry_is_reported_from_its_history() -> None:
    ti = {**fx.TASK_INSTANCES[2], "state": "up_for_retry", "try_number": 1}
    history = [{**ti, "state": "up_for_retry"}]
    assert [(t.event_type, t.state) for t in mapping.finished_tries(ti, history)] == [(ev.TASK_FAILED, "up_for_retry")]


def test_states_the_listener_owns_are_not_final() -> None:
    for state in ("running", "queued", "skipped", "scheduled", "upstream_failed", None):
        assert mapping.finished_tries({**fx.TASK_INSTANCES[0], "state": state}) == []


def test_a_task_event_has_the_listeners_id_and_body() -> None:
    ti = fx.TASK_INSTANCES[1]
    dag = mapping.dag_block(fx.DETAILS, LINKS3)
    run = mapping.dag_run_block(fx.RUN, LINKS3)
    lineage = Lineage(inputs=[Dataset("postgres://h:5432", "shop.public.raw_orders")])
    (finished,) = mapping.finished_tries(ti)
    event = mapping.task_event(
        finished, dag=dag, run=run, task=fx.TASKS[1], rendered_fields=ti["rendered_fields"],
        lineage=lineage, source_code=None, links=LINKS3,
    )  # fmt: skip
    assert event.event_id == ev.event_id_for(ev.TASK_SUCCESS, fx.DAG_ID, fx.RUN_ID, "load_mart", -1, 1)
    body = _json(event.to_body())
    block = body["task_instance"]
    assert block["operator"] == "airflow.providers.common.sql.operators.sql.SQLExecuteQueryOperator"
    assert block["sql"] == fx.SQL
    assert block["state"] == "success" and block["try_number"] == 1 and block["map_index"] == -1
    assert block["start_date"] == "2026-12-01 23:40:24.644585+00:00"
    assert "error" not in block and "source_code" not in block
    assert body["dag_run"]["run_id"] == fx.RUN_ID and body["dag_run"]["state"] == "failed"
    assert body["lineage"]["inputs"] == [{"namespace": "postgres://h:5432", "name": "shop.public.raw_orders"}]
    if "owner" in block:
        assert block["owner"] == "data-eng"
        assert block["description"] == "Copies raw orders into the mart."
        assert block["url"] == (
            "http://airflow.internal:8080/dags/backfill_history/runs/"
            "manual__2026-12-01T23%3A40%3A15.088736%2B00%3A00/tasks/load_mart"
        )
        assert block["log_url"] == block["url"] + "?try_number=1"


def test_the_runs_final_event_lists_its_task_instances_in_the_listeners_order() -> None:
    listed = mapping.run_task_instances(reversed(fx.TASK_INSTANCES))
    assert [t.task_id for t in listed] == sorted(t["task_id"] for t in fx.TASK_INSTANCES)
    run = mapping.dag_run_block(fx.RUN, LINKS3, task_instances=listed)
    event = mapping.dag_run_event(mapping.dag_block(fx.DETAILS, LINKS3), run)
    assert event is not None and event.event_type == ev.DAG_RUN_FAILED
    assert event.event_id == ev.event_id_for(ev.DAG_RUN_FAILED, fx.DAG_ID, fx.RUN_ID)
    assert event.to_body()["dag_run"]["task_instances"][0]["task_id"] == "export_orders"
    assert mapping.dag_run_event(mapping.dag_block(fx.DETAILS, LINKS3), mapping.dag_run_block(
        {**fx.RUN, "state": "running"}, LINKS3)) is None  # fmt: skip


def test_airflow_2_run_ids_and_logical_dates() -> None:
    run = {**fx.RUN, "logical_date": None, "execution_date": "2024-01-01T00:00:00+00:00"}
    block = mapping.dag_run_block(run, LINKS2)
    assert block.logical_date == "2024-01-01 00:00:00+00:00"


def test_sql_lineage_uses_the_connection_the_api_describes() -> None:
    connection = ApiConnection.from_api(fx.CONNECTION)
    assert not hasattr(connection, "password")
    found = try_lineage(fx.TASK_INSTANCES[1]["rendered_fields"], None, {"backfill_pg": connection}.get)
    ns = "postgres://127.0.0.1:5999"
    assert {(d.namespace, d.name) for d in found.lineage.inputs} == {(ns, "shop.public.raw_orders")}
    assert {(d.namespace, d.name) for d in found.lineage.outputs} == {(ns, "shop.public.mart_orders")}


def test_sql_on_an_unreadable_connection_says_so() -> None:
    found = try_lineage(fx.TASK_INSTANCES[1]["rendered_fields"], None, lambda conn_id: None)
    assert found.lineage.inputs == () and "cannot be read" in found.lineage.errors[0]


def test_snowflake_connection_extra_gives_the_account_namespace() -> None:
    conn = ApiConnection.from_api(
        {"conn_type": "snowflake", "host": None, "schema": "S1", "extra": '{"account": "acme", "database": "DB1"}'}
    )
    found = try_lineage({"sql": "INSERT INTO t SELECT * FROM s", "snowflake_conn_id": "sf"}, None, {"sf": conn}.get)
    assert {d.name for d in found.lineage.outputs} == {"DB1.S1.T"}
    assert found.lineage.outputs[0].namespace == "snowflake://acme"


def test_bash_lineage_and_source_code_from_the_rendered_command() -> None:
    found = try_lineage(fx.TASK_INSTANCES[0]["rendered_fields"], None, lambda conn_id: None)
    assert {(d.namespace, d.name) for d in found.lineage.outputs} == {
        ("postgres://127.0.0.1:5999", "shop.public.orders_copy")
    }
    assert found.source_code == fx.BASH


def test_tasks_without_sql_or_bash_have_empty_lineage() -> None:
    assert try_lineage({"op_args": []}, None, lambda conn_id: None).lineage == Lineage()
    assert try_lineage(None, None, lambda conn_id: None).lineage == Lineage()
