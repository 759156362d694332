"""End to end: real Airflow runs DAG files, the plugin (loaded through its entry
point) reports to the local receiver over HTTP, and we assert on what arrived."""

from __future__ import annotations

import datetime as dt
import json
import uuid

from tests.conftest import API_KEY


def _events(receiver) -> list[dict]:
    return [record["body"] for record in receiver.received()]


def _by_type(events: list[dict]) -> dict[str, list[dict]]:
    grouped: dict[str, list[dict]] = {}
    for body in events:
        grouped.setdefault(body["event_type"], []).append(body)
    return grouped


def test_successful_dag_reports_every_task_and_the_dag_run(run_dag, receiver):
    result = run_dag("secoda_e2e_success")
    assert result.returncode == 0, result.output[-3000:]
    events = _events(receiver)
    grouped = _by_type(events)
    tasks = {(e["task_instance"]["task_id"], e["event_type"]) for e in events if "task_instance" in e}
    assert tasks == {
        ("say_hello", "task_running"),
        ("say_hello", "task_success"),
        ("sleep_a_bit", "task_running"),
        ("sleep_a_bit", "task_success"),
    }
    # `airflow dags test` fires no dag_run_running (no scheduler); success it does.
    assert len(grouped["dag_run_success"]) == 1
    dag_event = grouped["dag_run_success"][0]
    assert dag_event["dag"]["dag_id"] == "secoda_e2e_success"
    assert "task_instance" not in dag_event and "lineage" not in dag_event
    assert dag_event["dag_run"]["state"] == "success"
    # The run's final word lists its task instances, as the metadata database has them.
    listed = dag_event["dag_run"]["task_instances"]
    assert sorted((t["task_id"], t["map_index"], t["state"]) for t in listed) == [
        ("say_hello", -1, "success"),
        ("sleep_a_bit", -1, "success"),
    ]
    # (Airflow 2.10's `dags test` never stores a start_date: what the database has, not more.)
    assert all(t["try_number"] >= 1 and t["end_date"] for t in listed), listed
    assert "task_instances_total" not in dag_event["dag_run"]  # nothing was cut

    # Every event id is a UUID, unique, and arrived once.
    ids = [e["event_id"] for e in events]
    assert len(ids) == len(set(ids))
    for event_id in ids:
        uuid.UUID(event_id)

    success = next(e for e in grouped["task_success"] if e["task_instance"]["task_id"] == "say_hello")
    ti = success["task_instance"]
    # The callback provider's keys keep their meaning...
    for key in ("task_id", "dag_id", "start_date", "end_date", "state", "try_number", "hostname", "max_tries", "sql"):
        assert key in ti
    assert ti["state"] == "success" and ti["dag_id"] == "secoda_e2e_success"
    assert ti["sql"] is None
    # ...and ours sit beside them.
    assert ti["operator"].endswith(".BashOperator")
    assert ti["map_index"] == -1
    assert ti["run_id"] == success["dag_run"]["run_id"]
    assert "error" not in ti
    assert success["producer"].startswith("secoda-listener/")
    assert dt.datetime.fromisoformat(success["event_time"]).tzinfo is not None
    assert set(success["dag"]["tags"]) == {"e2e", "team:data"}
    assert success["dag"]["description"] == "two tasks that succeed"
    # `echo hello` reads and writes no dataset, and nothing about it failed to parse.
    assert success["lineage"] == {"inputs": [], "outputs": [], "errors": []}
    assert success["dag_run"]["logical_date"] is not None


def test_requests_use_the_documented_path_and_bearer_key(run_dag, receiver):
    run_dag("secoda_e2e_success")
    records = receiver.received()
    assert records, "nothing arrived"
    assert all(r["path"] == "/api/v1/integration/run_logs/it-1/ingest/" for r in records)
    assert all(r.get("authorized", True) for r in records)
    assert API_KEY not in json.dumps(records)


def test_failing_task_reports_task_failed_with_the_error(run_dag, receiver):
    run_dag("secoda_e2e_failure")
    grouped = _by_type(_events(receiver))
    failed = grouped["task_failed"]
    assert len(failed) == 1
    ti = failed[0]["task_instance"]
    assert ti["task_id"] == "explode" and ti["state"] == "failed"
    assert "boom: the task failed on purpose" in ti["error"]
    assert len(grouped["dag_run_failed"]) == 1
    assert "task_success" not in grouped


def test_opted_out_dag_sends_nothing_and_writes_nothing(run_dag, receiver, tmp_path):
    result = run_dag("secoda_e2e_opted_out")
    assert result.returncode == 0, result.output[-3000:]
    assert receiver.received() == []
    spool = tmp_path / "spool"
    assert not spool.exists() or not any(p.is_file() for p in spool.rglob("*"))


def test_plugin_disabled_sends_nothing(run_dag, receiver):
    run_dag("secoda_e2e_success", enabled="False")
    assert receiver.received() == []


def test_dag_params_override_the_connection(run_dag, receiver):
    from tests.support.airflow_home import secoda_connection

    other = secoda_connection(receiver.url, API_KEY, integration_id="it-other")
    run_dag("secoda_e2e_conn_override", env={"AIRFLOW_CONN_SECODA_OTHER": other})
    records = receiver.received()
    assert records and all(r["integration_id"] == "it-other" for r in records)


def test_a_task_that_skips_itself_reports_task_skipped_where_airflow_says_so(run_dag, receiver, tmp_path):
    from tests.support.airflow_home import airflow_major

    result = run_dag("secoda_e2e_skip")
    assert result.returncode == 0, result.output[-3000:]
    types = [e["event_type"] for e in _events(receiver) if "task_instance" in e]
    if airflow_major() >= 3:
        assert types == ["task_running", "task_skipped"]
        skipped = next(e for e in _events(receiver) if e["event_type"] == "task_skipped")
        assert skipped["task_instance"]["state"] == "skipped"
    else:
        # Airflow 2.10 fires no listener for a skip, so no hook ends the task: its running
        # event was written and waits in the spool for the next delivery (nothing lost; a
        # claim the exiting process left in cur/ goes back to new/ once its owner is gone).
        spool = tmp_path / "spool"
        spooled = [json.loads(p.read_text())["body"] for sub in ("new", "cur") for p in (spool / sub).glob("*")]
        everything = types + [b["event_type"] for b in spooled if "task_instance" in b]
        # Both places may hold it: an exit flush sent it and was cut before deleting its claim.
        assert set(everything) == {"task_running"}


def test_a_failed_try_with_a_retry_left_is_up_for_retry_not_failed(run_dag, receiver):
    run_dag("secoda_e2e_retry")
    failed = [e["task_instance"] for e in _events(receiver) if e["event_type"] == "task_failed"]
    assert failed, _events(receiver)
    first = min(failed, key=lambda ti: ti["try_number"])
    assert first["state"] == "up_for_retry", failed
    ids = [e["event_id"] for e in _events(receiver)]
    assert len(ids) == len(set(ids))
    # A second try, where `airflow dags test` runs one, is the last: it failed for good.
    if len(failed) > 1:
        assert max(failed, key=lambda ti: ti["try_number"])["state"] == "failed"
