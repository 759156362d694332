"""``secoda-listener backfill`` as a person runs it: a stand-in Airflow API, the real spool, sender and receiver.

The real Airflow APIs are in tests/e2e/test_backfill_e2e.py; here the command line,
the delivery through the spool (and its ledger) and the exit codes.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from secoda_listener.testing.receiver import Receiver
from tests.conftest import API_KEY
from tests.history.fake_airflow import FakeAirflow

REPO = Path(__file__).resolve().parents[2]
EVENTS = 5  # tests/history/fake_airflow.py: four finished tries and the run's final event


def cli(tmp_path: Path, rx: Receiver | None, *args: str, **env_vars: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW")}
    env.update(
        PYTHONPATH=str(REPO),
        AIRFLOW_HOME=str(tmp_path / "airflow_home"),
        AIRFLOW__SECODA__SPOOL_DIR=str(tmp_path / "spool"),
        AIRFLOW_API_USERNAME="user",
        AIRFLOW_API_PASSWORD="s3cret-pw",
    )
    if rx is not None:
        env["AIRFLOW_CONN_SECODA_DEFAULT"] = json.dumps(
            {"conn_type": "secoda", "host": rx.url, "password": API_KEY, "extra": {"integration_id": "it-1"}}
        )
    env.update(env_vars)
    return subprocess.run(
        [sys.executable, "-m", "secoda_listener", "backfill", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )


def _events(rx: Receiver) -> list[dict]:
    return [r for r in rx.received() if isinstance(r.get("body"), dict) and "event_type" in r["body"]]


def _spooled(tmp_path: Path) -> list[Path]:
    return [p for p in (tmp_path / "spool").rglob("*.json") if p.parent.name in ("new", "cur", "failed")]


def test_backfill_delivers_through_the_spool_and_a_second_run_sends_nothing(tmp_path: Path) -> None:
    with FakeAirflow(3) as fake, Receiver(store=tmp_path / "rx.jsonl", api_key=API_KEY) as rx:
        done = cli(tmp_path, rx, "--airflow-url", fake.url, "--since", "3650d", "--page-size", "2")
        assert done.returncode == 0, done.stderr
        got = _events(rx)
        assert len(got) == EVENTS and len({r["event_id"] for r in got}) == EVENTS
        # Every request names its event: the Idempotency-Key header is the event id.
        assert all(r["event_id"] == r["body"]["event_id"] and r["status"] == 200 for r in got)
        assert f"{EVENTS} events, 0 skipped" in done.stderr and f"sent {EVENTS}, left spooled 0" in done.stderr
        assert _spooled(tmp_path) == []
        limits = [query["limit"][0] for _, _, query, _ in fake.requests if "limit" in query]
        assert limits[0] == "1" and set(limits[1:]) == {"2"}  # the credentials probe, then the pages

        again = cli(tmp_path, rx, "--airflow-url", fake.url, "--since", "3650d")
        assert again.returncode == 0, again.stderr
        assert len(_events(rx)) == EVENTS
        assert f"0 events, {EVENTS} skipped (already delivered)" in again.stderr
        assert "s3cret-pw" not in done.stderr + again.stderr + (tmp_path / "rx.jsonl").read_text()


def test_dry_run_prints_the_events_and_spools_nothing(tmp_path: Path) -> None:
    with FakeAirflow(2) as fake, Receiver(store=tmp_path / "rx.jsonl", api_key=API_KEY) as rx:
        done = cli(tmp_path, rx, "--airflow-url", fake.url, "--since", "3650d", "--dry-run", "--dag", "backfill_*")
        assert done.returncode == 0, done.stderr
        printed = [json.loads(line) for line in done.stdout.splitlines()]
        assert len(printed) == EVENTS
        assert {body["event_type"] for body in printed} == {"task_success", "task_failed", "dag_run_failed"}
        assert "dry run" in done.stderr
        assert _events(rx) == [] and _spooled(tmp_path) == []


def test_a_window_with_no_runs_sends_nothing(tmp_path: Path) -> None:
    with FakeAirflow(3) as fake, Receiver(store=tmp_path / "rx.jsonl", api_key=API_KEY) as rx:
        done = cli(tmp_path, rx, "--airflow-url", fake.url, "--dag", "no_such_dag")
        assert done.returncode == 0, done.stderr
        assert "0 runs" in done.stderr and _events(rx) == []


def test_refused_or_missing_credentials_exit_2_and_spool_nothing(tmp_path: Path) -> None:
    with FakeAirflow(3) as fake, Receiver(store=tmp_path / "rx.jsonl", api_key=API_KEY) as rx:
        wrong = cli(tmp_path, rx, "--airflow-url", fake.url, AIRFLOW_API_PASSWORD="wrong-pw")
        assert wrong.returncode == 2
        assert "refused the username and password" in wrong.stderr and "wrong-pw" not in wrong.stderr
        missing = cli(tmp_path, rx, "--airflow-url", fake.url, AIRFLOW_API_PASSWORD="")
        assert missing.returncode == 2 and "AIRFLOW_API_TOKEN" in missing.stderr
        in_url = cli(tmp_path, rx, "--airflow-url", fake.url.replace("http://", "http://user:pw@"))
        assert in_url.returncode == 2 and "must not carry credentials" in in_url.stderr
        assert _events(rx) == [] and _spooled(tmp_path) == []


def test_bad_arguments_and_no_secoda_connection_exit_2(tmp_path: Path) -> None:
    with FakeAirflow(3) as fake:
        since = cli(tmp_path, None, "--airflow-url", fake.url, "--since", "last tuesday")
        assert since.returncode == 2 and "--since" in since.stderr
        no_secoda = cli(tmp_path, None, "--airflow-url", fake.url)
        assert no_secoda.returncode == 2 and "secoda_default" in no_secoda.stderr
        # Nothing was read from Airflow before the Secoda side was known to work.
        assert not any(path.startswith("/api/v2/dags") for _, path, _, _ in fake.requests)
