"""``secoda-listener flush`` and ``status`` as a person runs them, against a Receiver."""

from __future__ import annotations

import collections
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

from secoda_listener.delivery.backoff import SharedBackoff
from secoda_listener.delivery.record import Route, SpoolRecord
from secoda_listener.delivery.spool import Spool
from secoda_listener.testing.receiver import Receiver
from tests.conftest import API_KEY

REPO = Path(__file__).resolve().parents[2]
KEY = API_KEY
#: The fixture's events were written this long ago (by the spool's clock, which dates their names).
WRITTEN_AGO = 5


@pytest.fixture
def spool(tmp_path: Path) -> Spool:
    written = Spool(tmp_path / "spool", fsync=False, clock_ns=lambda: time.time_ns() - WRITTEN_AGO * 10**9)
    for i in range(5):
        written.write(
            SpoolRecord(
                event_id=f"ev-{i}",
                conn_id="secoda_default",
                route=Route.INGEST,
                body={"event_id": f"ev-{i}", "event_type": "task_success"},
            )
        )
    return Spool(written.directory, fsync=False)


def cli(tmp_path: Path, rx: Receiver | None, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW")}
    env.update(PYTHONPATH=str(REPO), AIRFLOW_HOME=str(tmp_path / "airflow_home"))
    if rx is not None:
        env["AIRFLOW_CONN_SECODA_DEFAULT"] = json.dumps(
            {"conn_type": "secoda", "host": rx.url, "password": KEY, "extra": {"integration_id": "it-1"}}
        )
    return subprocess.run(
        [sys.executable, "-m", "secoda_listener", *args], capture_output=True, text=True, env=env, timeout=120
    )


def delivered(rx: Receiver) -> collections.Counter:
    return collections.Counter(r["event_id"] for r in rx.received() if r["status"] == 200)


def test_flush_delivers_refusals_show_in_status_and_retry_failed_resends(
    tmp_path: Path, rx: Receiver, spool: Spool
) -> None:
    rx.add_fault(status=400, body={"detail": "bad event"})
    first = cli(tmp_path, rx, "flush", "--spool-dir", str(spool.directory))
    assert first.returncode == 0, first.stderr
    assert "sent 4, refused 1, left spooled 0" in first.stdout

    status = cli(tmp_path, rx, "status", "--spool-dir", str(spool.directory), "--json")
    data = json.loads(status.stdout)
    assert (data["new"], data["failed"], data["failures_by_kind"]) == (0, 1, {"http-400": 1})
    assert "bad event" in data["recent_failures"][0]["reason"]

    again = cli(tmp_path, rx, "flush", "--retry-failed", "--spool-dir", str(spool.directory))
    assert again.returncode == 0 and "sent 1, refused 0" in again.stdout
    assert delivered(rx) == {f"ev-{i}": 1 for i in range(5)}


def test_flush_ignores_the_shared_backoff(tmp_path: Path, rx: Receiver, spool: Spool) -> None:
    SharedBackoff(spool.backoff_path).record_failure("secoda_default", reason="HTTP 429", retry_after=600)
    status = cli(tmp_path, rx, "status", "--spool-dir", str(spool.directory))
    assert "back-off secoda_default: " in status.stdout and "HTTP 429" in status.stdout
    result = cli(tmp_path, rx, "flush", "--spool-dir", str(spool.directory))
    assert result.returncode == 0 and "sent 5" in result.stdout
    assert SharedBackoff(spool.backoff_path).get("secoda_default") is None  # success cleared it


def test_flush_exits_1_while_secoda_is_down(tmp_path: Path, rx: Receiver, spool: Spool) -> None:
    rx.add_fault(status=503, retry_after=600, times=1000)
    result = cli(tmp_path, rx, "flush", "--timeout", "3", "--spool-dir", str(spool.directory))
    assert result.returncode == 1
    assert "left spooled 5" in result.stdout and "HTTP 503" in result.stdout
    assert delivered(rx) == {}


def test_flush_without_a_connection_keeps_events_and_says_why(tmp_path: Path, spool: Spool) -> None:
    result = cli(tmp_path, None, "flush", "--timeout", "5", "--spool-dir", str(spool.directory))
    assert result.returncode == 1
    assert "left spooled 5" in result.stdout and "secoda_default" in result.stdout
    assert len(spool.list_new()) == 5


def test_status_text_output_and_no_secrets(tmp_path: Path, rx: Receiver, spool: Spool) -> None:
    result = cli(tmp_path, rx, "status", "--spool-dir", str(spool.directory))
    assert result.returncode == 0
    assert "waiting: 5" in result.stdout and "back-off: none" in result.stdout
    oldest = re.search(r"oldest: (\d+)s", result.stdout)
    # The age comes from the names' time, on the status process's own clock.
    assert oldest is not None and int(oldest.group(1)) >= 1
    assert WRITTEN_AGO <= int(oldest.group(1)) < WRITTEN_AGO + 60
    assert KEY not in result.stdout + result.stderr
    assert "task_success" not in result.stdout  # no bodies


def test_status_of_a_missing_spool_creates_nothing(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere"
    result = cli(tmp_path, None, "status", "--json", "--spool-dir", str(missing))
    assert json.loads(result.stdout) == {"spool_dir": str(missing), "exists": False}
    assert not missing.exists()
