"""The local Secoda stand-in: routes, auth, live store, fault injection, CLI."""

from __future__ import annotations

import json
import os
import signal
import socket
import ssl
import subprocess
import sys
import threading
import time
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
    resp = requests.post(
        rx.url + "integration/run_logs/it-1/ingest/",
        data=b'{"trunc',
        headers={"Authorization": f"Bearer {KEY}"},
        timeout=5,
    )
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
        requests.post(rx.url + "databuilder/jobs/", json={}, timeout=0.3, headers={"Authorization": f"Bearer {KEY}"})


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
        _post(
            rx,
            _event(
                "b",
                "task_success",
                inputs=[{"namespace": "postgres://db", "name": "public.src"}],
                outputs=[{"namespace": "postgres://db", "name": "public.dst"}],
            ),
            key=None,
        )
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
        [
            sys.executable,
            "-m",
            "secoda_listener",
            "receiver",
            "--port",
            "0",
            "--store",
            str(store),
            "--api-key",
            KEY,
            "--fault",
            json.dumps({"status": 502}),
        ],
        stdout=subprocess.PIPE,
        text=True,
        env=env,
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


# --- latency: a Secoda that far away -----------------------------------------------------------


def test_latency_delays_every_request_and_is_recorded(tmp_path: Path) -> None:
    with Receiver(tmp_path / "store.jsonl", api_key=KEY, latency=0.3) as rx:
        started = time.monotonic()
        assert _post(rx, _event("e1", "task_running")).status_code == 200
        assert time.monotonic() - started >= 0.3
        started = time.monotonic()
        assert requests.get(rx.base + "/healthcheck", timeout=5).status_code == 200
        assert time.monotonic() - started >= 0.3
        started = time.monotonic()
        assert requests.post(rx.url + "nope/", json={}, timeout=5).status_code == 404
        assert time.monotonic() - started >= 0.3
        [record] = rx.received()
    # Stored when it "arrived": half the round trip after the client sent it.
    assert record["received_at"] - record["sent_at"] >= 0.15


def test_latency_comes_before_a_fault_and_is_not_one(tmp_path: Path) -> None:
    """A status fault is still answered, only later; the fault queue is unchanged by latency."""
    with Receiver(tmp_path / "store.jsonl", api_key=KEY, latency=0.2, faults=[{"status": 503}]) as rx:
        started = time.monotonic()
        assert _post(rx, _event("e1", "x")).status_code == 503
        assert time.monotonic() - started >= 0.2
        assert _post(rx, _event("e1", "x")).status_code == 200
        assert rx.attempts == 2 and rx.pending_faults() == []


def test_concurrent_requests_wait_the_latency_at_the_same_time(tmp_path: Path) -> None:
    """Each request waits on its own thread: their waits overlap (server-side times, no wall-clock bound)."""
    latency = 1.0
    with Receiver(tmp_path / "store.jsonl", api_key=KEY, latency=latency) as rx:
        barrier = threading.Barrier(2)
        answers: list[int] = []

        def send(event_id: str) -> None:
            barrier.wait()
            answers.append(_post(rx, _event(event_id, "x")).status_code)

        threads = [threading.Thread(target=send, args=(f"e{i}",)) for i in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
        records = rx.received()
    assert answers == [200, 200]
    assert len(records) == 2
    for record in records:
        assert record["received_at"] - record["sent_at"] >= latency / 2
    # Both had been sent before either arrived: the two waits ran at once, not one after the other.
    assert max(r["sent_at"] for r in records) < min(r["received_at"] for r in records)


def test_latency_can_change_while_serving(rx: Receiver) -> None:
    assert requests.get(rx.base + "/_control/latency", timeout=5).json() == {"latency": 0.0}
    resp = requests.post(rx.base + "/_control/latency", json={"latency": 0.25}, timeout=5)
    assert resp.json() == {"latency": 0.25} and rx.latency == 0.25
    started = time.monotonic()
    _post(rx, _event("e1", "x"))
    assert time.monotonic() - started >= 0.25
    for bad in ({"latency": -1}, {"latency": "soon"}, {"delay": 1}):
        assert requests.post(rx.base + "/_control/latency", json=bad, timeout=5).status_code == 400
    rx.latency = 0
    assert rx.latency == 0.0
    with pytest.raises(ValueError):
        rx.latency = -0.5
    with pytest.raises(ValueError):
        Receiver(rx.store_path, latency=float("nan"))


# --- TLS ---------------------------------------------------------------------------------------


@pytest.fixture
def tls_rx(tmp_path: Path):
    with Receiver(tmp_path / "tls.jsonl", api_key=KEY, tls=True) as receiver:
        yield receiver


def test_tls_certificate_is_verified_against_ca_path_and_refused_without(tls_rx: Receiver) -> None:
    assert tls_rx.url.startswith("https://127.0.0.1:") and tls_rx.base.startswith("https://")
    ca = str(tls_rx.ca_path)
    assert "BEGIN CERTIFICATE" in tls_rx.ca_path.read_text()
    target = tls_rx.url + "integration/run_logs/it-1/ingest/"
    headers = {"Authorization": f"Bearer {KEY}"}
    with pytest.raises(requests.exceptions.SSLError):
        requests.post(target, json=_event("e0", "x"), headers=headers, timeout=10, verify=True)
    # The certificate names 127.0.0.1 and localhost only.
    context = ssl.create_default_context(cafile=ca)
    sock = socket.create_connection(("127.0.0.1", tls_rx.port), timeout=10)
    try:
        with pytest.raises(ssl.SSLCertVerificationError):
            context.wrap_socket(sock, server_hostname="api.secoda.co")
    finally:
        sock.close()
    # A refused handshake leaves the server serving; a client trusting the CA gets through.
    assert requests.post(target, json=_event("e1", "x"), headers=headers, timeout=10, verify=ca).status_code == 200
    assert requests.get(
        tls_rx.base.replace("127.0.0.1", "localhost") + "/healthcheck", timeout=10, verify=ca
    ).json() == {"status": "OK"}
    with pytest.raises(requests.ConnectionError):
        requests.get(tls_rx.base.replace("https://", "http://") + "/healthcheck", timeout=10)
    assert [r["event_id"] for r in tls_rx.received()] == ["e1"]


def test_tls_trusted_through_requests_ca_bundle(tls_rx: Receiver, monkeypatch: pytest.MonkeyPatch) -> None:
    """What the plugin's transport reads: REQUESTS_CA_BUNDLE pointing at ``ca_path``."""
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(tls_rx.ca_path))
    with requests.Session() as session:
        for i in range(3):  # one connection, kept alive
            assert (
                session.post(
                    tls_rx.url + "integration/run_logs/it-1/ingest/",
                    json=_event(f"e{i}", "x"),
                    headers={"Authorization": f"Bearer {KEY}"},
                    timeout=10,
                ).status_code
                == 200
            )
    assert [r["event_id"] for r in tls_rx.received()] == ["e0", "e1", "e2"]


def test_tls_api_key_never_reaches_the_store(tls_rx: Receiver) -> None:
    ca = str(tls_rx.ca_path)
    target = tls_rx.url + "integration/run_logs/it-1/ingest/"
    assert (
        requests.post(
            target, json=_event("e1", "x"), headers={"Authorization": f"Bearer {KEY}"}, timeout=10, verify=ca
        ).status_code
        == 200
    )
    assert (
        requests.post(
            target, json=_event("e2", "x"), headers={"Authorization": "Bearer sk-wrong-key"}, timeout=10, verify=ca
        ).status_code
        == 401
    )
    assert [(r["event_id"], r["status"]) for r in tls_rx.received()] == [("e1", 200), ("e2", 401)]
    text = tls_rx.store_path.read_text()
    assert KEY not in text and "sk-wrong-key" not in text


def test_tls_material_is_removed_at_stop(tmp_path: Path) -> None:
    rx = Receiver(tmp_path / "s.jsonl", tls=True).start()
    ca = rx.ca_path
    assert ca is not None and ca.exists()
    rx.stop()
    assert not ca.parent.exists()
    assert Receiver(tmp_path / "plain.jsonl").ca_path is None


def test_cli_tls_and_latency(tmp_path: Path) -> None:
    store = tmp_path / "cli-tls.jsonl"
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "secoda_listener",
            "receiver",
            "--port",
            "0",
            "--store",
            str(store),
            "--api-key",
            KEY,
            "--tls",
            "--latency",
            "0.2",
        ],
        stdout=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        line = proc.stdout.readline()
        assert line.startswith("listening on https://127.0.0.1:"), line
        url = line.split()[2]
        ca = line.rsplit("ca: ", 1)[1].rstrip().rstrip(")")
        assert Path(ca).exists()
        started = time.monotonic()
        resp = requests.post(
            url + "integration/run_logs/it-9/ingest/",
            json={"event_id": "x"},
            headers={"Authorization": f"Bearer {KEY}"},
            timeout=10,
            verify=ca,
        )
        assert resp.status_code == 200
        assert time.monotonic() - started >= 0.2
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=20) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
    assert not Path(ca).exists()
    assert [r["event_id"] for r in read_store(store)] == ["x"]
