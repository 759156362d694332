"""End to end: whatever is wrong with the set-up, the user's task is untouched
and the log says once, clearly, what to fix."""

from __future__ import annotations

import json
import subprocess
import sys

from tests.conftest import API_KEY
from tests.support.airflow_home import secoda_connection


def _task_states(output: str) -> str:
    return output


def test_missing_connection_warns_once_and_keeps_events(run_dag, receiver, airflow_home, tmp_path):
    result = run_dag("secoda_e2e_success", env={"AIRFLOW_CONN_SECODA_DEFAULT": ""}, conn_id="secoda_missing")
    assert result.returncode == 0, result.output[-3000:]
    assert receiver.received() == []
    assert "secoda_missing" in result.output
    assert "airflow connections add secoda_missing" in result.output
    # Nothing is lost: once the connection exists, a flush delivers every event
    # (including any a background flush had claimed when the process exited).
    env = airflow_home.env(
        {
            "AIRFLOW_CONN_SECODA_MISSING": secoda_connection(receiver.url, API_KEY),
            "AIRFLOW__SECODA__SPOOL_DIR": str(tmp_path / "spool"),
        }
    )
    flushed = subprocess.run(
        [sys.executable, "-m", "secoda_listener", "flush", "--timeout", "30"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert flushed.returncode == 0, flushed.stdout + flushed.stderr
    types = sorted(r["body"]["event_type"] for r in receiver.received() if r["status"] == 200)
    assert types == ["dag_run_success"] + ["task_running"] * 2 + ["task_success"] * 2


def test_incomplete_connection_names_what_is_missing(run_dag, receiver):
    incomplete = json.dumps({"conn_type": "secoda", "host": receiver.url})
    result = run_dag("secoda_e2e_success", env={"AIRFLOW_CONN_SECODA_DEFAULT": incomplete})
    assert result.returncode == 0
    assert "password (the Secoda API key)" in result.output
    assert "integration_id" in result.output
    assert receiver.received() == []


def test_plain_http_to_a_remote_host_is_refused(run_dag, receiver):
    remote = secoda_connection("http://secoda.example.invalid/api/v1/", API_KEY)
    result = run_dag("secoda_e2e_success", env={"AIRFLOW_CONN_SECODA_DEFAULT": remote})
    assert result.returncode == 0
    assert "refusing plain http://" in result.output
    assert "allow_insecure_http" in result.output


def test_unknown_config_value_is_named_and_the_default_used(run_dag, receiver):
    result = run_dag("secoda_e2e_success", flush_timeout="soon")
    assert "[secoda] flush_timeout = 'soon'" in result.output
    assert len(receiver.received()) >= 4


def test_api_key_never_appears_in_the_task_log(run_dag, receiver):
    result = run_dag("secoda_e2e_success")
    assert API_KEY not in result.output
    assert len(receiver.received()) >= 4


def test_hanging_secoda_keeps_the_task_time_bounded(run_dag, receiver):
    # Baseline in the same session, then every request hangs far longer than the flush budget.
    baseline = run_dag("secoda_e2e_success")
    receiver.received()
    receiver.add_fault({"delay": 30.0, "times": 1000})
    hanging = run_dag("secoda_e2e_success")
    assert hanging.returncode == 0, hanging.output[-3000:]
    # Two tasks plus the DAG run each spend at most one flush budget (2 s) and a
    # request timeout; a sender without bounds would take 30 s per request.
    assert hanging.seconds < baseline.seconds + 15, (baseline.seconds, hanging.seconds)
