"""The local Secoda stand-in: routes, auth, live store, fault injection, CLI."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from secoda_listener.cli import main
from secoda_listener.testing.receiver import Receiver, read_store

KEY = "sk-test-0123456789"


def _event(event_id: str, event_type: str, task_id: str | None = "t1", **lineage: list) -> dict:
    body: dict = {"event_id": event_id, "event_type": event_type, "dag": {"dag_id": "d1"}}
    if task_id:
        body["task_instance"] = {"dag_id": "d1", "task_id": task_id, "state": "success"}
    if lineage:
        body["lineage"] = lineage
    return body


@pytest.fixture
def rx(tmp_path: Path):
    with Receiver(tmp_path / "store.jsonl", api_key=KEY) as receiver:
        yield receiver


def _post(rx: Receiver, body, key: str | None = KEY, path: str = "integration/run_logs/it-1/ingest/"):
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    return requests.post(rx.url + path, json=body, headers=headers, timeout=10)


def test_healthcheck_and_unknown_path(rx: Receiver) -> None:
    assert requests.get(rx.base + "/healthcheck", timeout=5).json() == {"status": "OK"}
    assert requests.post(rx.url + "nope/", json={}, timeout=5).status_code == 404


def test_ingest_and_jobs_are_stored_live(rx: Receiver) -> None:
    assert _post(rx, _event("e1", "task_running")).status_code == 200
    # Another reader sees the line without the receiver stopping.
    assert [r["event_id"] for r in read_store(rx.store_path)] == ["e1"]
    resp = _post(rx, {"integration_id": "it-1", "type": "metadata"}, path="databuilder/jobs/")
    assert resp.status_code == 200
    records = rx.received()
    assert [r["integration_id"] for r in records] == ["it-1", None]
    assert records[0]["path"] == "/api/v1/integration/run_logs/it-1/ingest/"
    assert records[0]["body"]["event_type"] == "task_running"
    assert all(r["authorized"] and r["status"] == 200 for r in records)
    assert isinstance(records[0]["received_at"], float)


def test_wrong_or_missing_key_is_401_and_key_never_stored(rx: Receiver) -> None:
    assert _post(rx, _event("e1", "x"), key="sk-wrong-key").status_code == 401
    assert _post(rx, _event("e2", "x"), key=None).status_code == 401
    records = rx.received()
    assert [(r["authorized"], r["status"]) for r in records] == [(False, 401), (False, 401)]
    text = rx.store_path.read_text()
    assert "sk-wrong-key" not in text and KEY not in text


def test_malformed_body_is_refused_but_visible(rx: Receiver) -> None:
    resp = requests.post(rx.url + "integration/run_logs/it-1/ingest/", data=b'{"trunc',
                         headers={"Authorization": f"Bearer {KEY}"}, timeout=5)
    assert resp.status_code == 400
    assert rx.received()[0]["status"] == 400


def test_status_fault_queue_with_retry_after(rx: Receiver) -> None:
    rx.add_fault(status=429, retry_after=2, times=2)
    rx.add_fault({"status": 503})
    answers = [_post(rx, _event(f"e{i}", "x")) for i in range(4)]
    assert [a.status_code for a in answers] == [429, 429, 503, 200]
    assert answers[0].headers["Retry-After"] == "2"
    assert "Retry-After" not in answers[2].headers
    assert [r["event_id"] for r in rx.received()] == ["e3"]
    assert rx.attempts == 4


def test_reset_fault_drops_connection(rx: Receiver) -> None:
    rx.add_fault(reset=True)
    with pytest.raises(requests.ConnectionError):
        _post(rx, _event("e1", "x"))
    assert _post(rx, _event("e1", "x")).status_code == 200
    assert len(rx.received()) == 1


def test_delay_fault_makes_client_time_out(rx: Receiver) -> None:
    rx.add_fault(delay=3.0)
    with pytest.raises(requests.Timeout):
        requests.post(rx.url + "databuilder/jobs/", json={}, timeout=0.3,
                      headers={"Authorization": f"Bearer {KEY}"})


def test_control_endpoint_sets_and_clears_faults(rx: Receiver) -> None:
    resp = requests.post(rx.base + "/_control/faults", json=[{"status": 500, "times": 3}], timeout=5)
    assert resp.json() == [{"status": 500, "times": 3}]
    assert _post(rx, _event("e1", "x")).status_code == 500
    assert rx.pending_faults() == [{"status": 500, "times": 2}]
    assert requests.delete(rx.base + "/_control/faults", timeout=5).status_code == 200
    assert _post(rx, _event("e1", "x")).status_code == 200
    bad = requests.post(rx.base + "/_control/faults", json={"colour": "red"}, timeout=5)
    assert bad.status_code == 400


def test_summary_groups_by_dag_and_task_and_flags_duplicates(tmp_path: Path, capsys) -> None:
    store = tmp_path / "s.jsonl"
    with Receiver(store) as rx:
        _post(rx, _event("a", "task_running"), key=None)
        _post(rx, _event("b", "task_success", inputs=[{"namespace": "postgres://db", "name": "public.src"}],
                         outputs=[{"namespace": "postgres://db", "name": "public.dst"}]), key=None)
        _post(rx, _event("b", "task_success"), key=None)
        _post(rx, _event("c", "dag_run_success", task_id="t1"), key=None)
    assert main(["receiver", "--summary", "--store", str(store)]) == 0
    out = capsys.readouterr().out
    assert "events accepted: 4" in out
    assert "duplicate b x2" in out
    task_block = out.split("task t1")[1]
    assert task_block.index("task_running") < task_block.index("task_success")
    assert "in: postgres://db/public.src  out: postgres://db/public.dst" in out
    assert "(dag run)\n    dag_run_success" in out


def test_cli_serves_until_sigterm(tmp_path: Path) -> None:
    store = tmp_path / "cli.jsonl"
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    proc = subprocess.Popen(
        [sys.executable, "-m", "secoda_listener", "receiver", "--port", "0", "--store", str(store),
         "--api-key", KEY, "--fault", json.dumps({"status": 502})],
        stdout=subprocess.PIPE, text=True, env=env,
    )
    try:
        line = proc.stdout.readline()
        assert line.startswith("listening on http://127.0.0.1:")
        url = line.split()[2]
        headers = {"Authorization": f"Bearer {KEY}"}
        target = url + "integration/run_logs/it-9/ingest/"
        assert requests.post(target, json={"event_id": "x"}, headers=headers, timeout=5).status_code == 502
        assert requests.post(target, json={"event_id": "x"}, headers=headers, timeout=5).status_code == 200
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=20) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
    assert [r["integration_id"] for r in read_store(store)] == ["it-9"]
