"""Extraction triggers: at most one per interval per connection, across processes,
through the same spool and sender as events, to a real receiver."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from secoda_listener.delivery import extraction_trigger as trigger
from secoda_listener.delivery.endpoint import ROUTE_EXTRACTION, Endpoint
from secoda_listener.delivery.outbox import Placement, PutResult
from secoda_listener.delivery.record import SpoolRecord
from secoda_listener.delivery.sender import Sender
from secoda_listener.delivery.spool import Spool
from secoda_listener.delivery.transport import Transport
from secoda_listener.testing.receiver import Receiver
from tests.conftest import API_KEY
from tests.delivery.conftest import FakeClock

REPO = Path(__file__).resolve().parents[2]
JOBS_PATH = "/api/v1/databuilder/jobs/"


@pytest.fixture
def spool_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    directory = tmp_path / "spool"
    monkeypatch.setenv("AIRFLOW__SECODA__SPOOL_DIR", str(directory))
    monkeypatch.setenv("AIRFLOW__SECODA__TRIGGER_EXTRACTION", "after_dag_run")
    return directory


def spooling_put(directory: Path):
    spool = Spool(directory, fsync=False)

    def put(record: SpoolRecord) -> PutResult:
        spool.write(record)
        return PutResult(Placement.SPOOLED)

    return put


def spooled_triggers(directory: Path) -> list[dict]:
    found = []
    for path in sorted((directory / "new").glob("*.json")):
        record = json.loads(path.read_text())
        if record["route"] == ROUTE_EXTRACTION:
            found.append(record)
    return found


def test_off_by_default_spools_and_creates_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AIRFLOW__SECODA__SPOOL_DIR", str(tmp_path / "spool"))
    monkeypatch.delenv("AIRFLOW__SECODA__TRIGGER_EXTRACTION", raising=False)
    calls: list[SpoolRecord] = []
    assert (
        trigger.maybe_trigger_extraction("secoda_default", lambda r: calls.append(r) or PutResult(Placement.SPOOLED))
        is False
    )
    assert calls == [] and not (tmp_path / "spool").exists()


def test_min_interval_is_respected_per_connection(
    spool_dir: Path, monkeypatch: pytest.MonkeyPatch, clock: FakeClock
) -> None:
    monkeypatch.setenv("AIRFLOW__SECODA__TRIGGER_MIN_INTERVAL", "1")
    put = spooling_put(spool_dir)
    clock.now = time.time()  # the stamps stay plausible wall-clock times
    assert trigger.maybe_trigger_extraction("secoda_default", put, clock=clock) is True
    clock.advance(0.99)
    assert trigger.maybe_trigger_extraction("secoda_default", put, clock=clock) is False
    # Another connection (another integration) has its own quiet period.
    assert trigger.maybe_trigger_extraction("secoda_other", put, clock=clock) is True
    assert len(spooled_triggers(spool_dir)) == 2
    clock.advance(0.02)  # 1.01 s after the first trigger: the interval is over
    assert trigger.maybe_trigger_extraction("secoda_default", put, clock=clock) is True
    records = spooled_triggers(spool_dir)
    assert [r["conn_id"] for r in records] == ["secoda_default", "secoda_other", "secoda_default"]
    for record in records:
        assert record["body"] == {"type": "metadata"}
        assert API_KEY not in json.dumps(record)
    # State lives in the spool, private to its owner.
    state = spool_dir / trigger.TRIGGER_DIR
    assert (state.stat().st_mode & 0o777) == 0o700
    assert (state / "secoda_default.last").stat().st_mode & 0o777 == 0o600
    assert trigger.last_trigger("secoda_default") == pytest.approx(clock.now, abs=1e-6)


def test_a_dropped_record_does_not_use_up_the_interval(spool_dir: Path) -> None:
    dropped = PutResult(Placement.DROPPED, "disk on fire")
    assert trigger.maybe_trigger_extraction("secoda_default", lambda r: dropped) is False
    assert trigger.last_trigger("secoda_default") is None
    assert trigger.maybe_trigger_extraction("secoda_default", spooling_put(spool_dir)) is True


def test_a_broken_put_never_raises(spool_dir: Path) -> None:
    def explode(record: SpoolRecord) -> PutResult:
        raise RuntimeError("no")

    assert trigger.maybe_trigger_extraction("secoda_default", explode) is False


_RACER = textwrap.dedent(
    """
    import os, sys, time
    from secoda_listener.delivery import process as delivery
    from secoda_listener.delivery import extraction_trigger as trigger
    delivery.get_outbox()  # imports and opens the spool before the start signal
    ready, go = sys.argv[1], sys.argv[2]
    open(ready, "w").close()
    while not os.path.exists(go):
        time.sleep(0.0005)
    print(trigger.maybe_trigger_extraction("secoda_default", delivery.put))
    """
)


def test_racing_processes_spool_one_trigger_and_secoda_gets_one_request(tmp_path: Path) -> None:
    spool = tmp_path / "spool"
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW")}
    env.update(
        PYTHONPATH=str(REPO),
        AIRFLOW_HOME=str(tmp_path / "airflow_home"),
        AIRFLOW__SECODA__SPOOL_DIR=str(spool),
        AIRFLOW__SECODA__TRIGGER_EXTRACTION="after_dag_run",
        AIRFLOW__SECODA__FLUSH_TIMEOUT="0",
    )
    go = tmp_path / "go"
    racers = []
    for index in range(8):
        ready = tmp_path / f"ready-{index}"
        racers.append(
            (
                ready,
                subprocess.Popen(
                    [sys.executable, "-c", _RACER, str(ready), str(go)],
                    env=env,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.PIPE,
                    text=True,
                ),
            )
        )
    deadline = time.monotonic() + 120
    while not all(ready.exists() for ready, _ in racers):
        assert time.monotonic() < deadline, "racers did not start"
        assert all(proc.poll() is None for _, proc in racers), [p.communicate() for _, p in racers]
        time.sleep(0.01)
    go.touch()
    outputs = [proc.communicate(timeout=60) for _, proc in racers]
    assert all(proc.returncode == 0 for _, proc in racers), outputs
    answers = [out.strip().splitlines()[-1] for out, _ in outputs]
    assert sorted(answers) == ["False"] * 7 + ["True"], outputs
    records = spooled_triggers(spool)
    assert len(records) == 1 and records[0]["conn_id"] == "secoda_default"

    # Delivered by the ordinary `flush` (the durable sender), once.
    with Receiver(tmp_path / "store.jsonl", api_key=API_KEY) as rx:
        env["AIRFLOW_CONN_SECODA_DEFAULT"] = json.dumps(
            {"conn_type": "secoda", "host": rx.url, "password": API_KEY, "extra": {"integration_id": "it-7"}}
        )
        flushed = subprocess.run(
            [sys.executable, "-m", "secoda_listener", "flush", "--timeout", "20"],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert flushed.returncode == 0, flushed.stdout + flushed.stderr
        received = rx.received()
    assert [(r["path"], r["status"], r["body"]["type"]) for r in received] == [(JOBS_PATH, 200, "metadata")]
    assert received[0]["event_id"] == records[0]["event_id"]
    assert API_KEY not in (tmp_path / "store.jsonl").read_text()


def test_the_sender_fills_the_integration_id_at_send_time(spool_dir: Path, tmp_path: Path) -> None:
    assert trigger.maybe_trigger_extraction("secoda_default", spooling_put(spool_dir)) is True
    with Receiver(tmp_path / "store.jsonl", api_key=API_KEY) as rx:
        endpoint = Endpoint(base_url=rx.url, api_key=API_KEY, integration_id="it-42")
        result = Sender(Spool(spool_dir, fsync=False), lambda conn_id: endpoint, Transport()).flush(10)
        received = rx.received()
    assert result.sent == 1
    assert received[0]["path"] == JOBS_PATH
    assert received[0]["body"] == {"integration_id": "it-42", "type": "metadata"}


def test_dag_runs_trigger_one_extraction_per_interval_end_to_end(run_dag, receiver) -> None:
    first = run_dag("secoda_e2e_success", trigger_extraction="after_dag_run")
    assert first.returncode == 0, first.output[-3000:]
    records = receiver.received()
    paths = [r["path"] for r in records]
    assert paths.count(JOBS_PATH) == 1, paths
    # Asked for after the run's own events, so Secoda processes them.
    assert paths[-1] == JOBS_PATH
    assert records[-1]["authorized"] and records[-1]["body"]["type"] == "metadata"
    assert any(r["body"].get("event_type") == "dag_run_success" for r in records[:-1])

    # A second run within trigger_min_interval (default 600 s), another process: no new trigger.
    second = run_dag("secoda_e2e_success", trigger_extraction="after_dag_run")
    assert second.returncode == 0, second.output[-3000:]
    paths = [r["path"] for r in receiver.received()]
    assert paths.count(JOBS_PATH) == 1 and len(paths) > len(records)
