"""Airflow UI links: each version's routes, quoting, and the base URL from Airflow's configuration."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from pathlib import Path

import pytest

from secoda_listener.capture import ui_links

BASE = "https://airflow.example.com/prefix/"
RUN = "manual__2025-01-01T00:00:00+00:00"
QRUN = "manual__2025-01-01T00%3A00%3A00%2B00%3A00"
REPO = Path(__file__).resolve().parents[2]


def test_airflow_3_routes() -> None:
    root = "https://airflow.example.com/prefix"
    assert ui_links.dag_url(BASE, "d", 3) == f"{root}/dags/d"
    assert ui_links.dag_run_url(BASE, "d", RUN, 3) == f"{root}/dags/d/runs/{QRUN}"
    assert ui_links.task_instance_url(BASE, "d", RUN, "g.t", -1, 3) == f"{root}/dags/d/runs/{QRUN}/tasks/g.t"
    assert ui_links.task_instance_url(BASE, "d", RUN, "t", 4, 3) == f"{root}/dags/d/runs/{QRUN}/tasks/t/mapped/4"
    assert ui_links.log_url(BASE, "d", RUN, "t", -1, 2, 3) == f"{root}/dags/d/runs/{QRUN}/tasks/t?try_number=2"
    assert ui_links.log_url(BASE, "d", RUN, "t", 0, 1, 3) == f"{root}/dags/d/runs/{QRUN}/tasks/t/mapped/0?try_number=1"
    # A try that never started (try 0) has no try to pick: the task instance's own page.
    assert ui_links.log_url(BASE, "d", RUN, "t", -1, 0, 3) == f"{root}/dags/d/runs/{QRUN}/tasks/t"


def test_airflow_2_routes_are_the_grid() -> None:
    root = "https://airflow.example.com/prefix/dags/d/grid"
    assert ui_links.dag_url(BASE, "d", 2) == root
    assert ui_links.dag_run_url(BASE, "d", RUN, 2) == f"{root}?dag_run_id={QRUN}"
    assert ui_links.task_instance_url(BASE, "d", RUN, "t", -1, 2) == f"{root}?dag_run_id={QRUN}&task_id=t"
    assert ui_links.task_instance_url(BASE, "d", RUN, "t", 3, 2) == f"{root}?dag_run_id={QRUN}&task_id=t&map_index=3"
    # The grid cannot select a try; base_date keeps an old run in its window, as Airflow 2 links.
    when = dt.datetime(2025, 1, 1, tzinfo=dt.timezone.utc)
    expected = f"{root}?dag_run_id={QRUN}&task_id=t&base_date=2025-01-01T00%3A00%3A00%2B0000&tab=logs"
    assert ui_links.log_url(BASE, "d", RUN, "t", -1, 5, 2, when) == expected
    # The REST API's ISO text gives the very same link (backfill and the listener agree).
    assert ui_links.log_url(BASE, "d", RUN, "t", -1, 5, 2, "2025-01-01T00:00:00Z") == expected
    assert ui_links.log_url(BASE, "d", RUN, "t", -1, 5, 2, "2025-01-01T00:00:00+00:00") == expected
    assert ui_links.log_url(BASE, "d", RUN, "t", -1, 5, 2) == f"{root}?dag_run_id={QRUN}&task_id=t&tab=logs"


def test_ids_are_quoted_whole() -> None:
    url = ui_links.task_instance_url("http://h", "d", "a/b?c&d=e#f g", "t", -1, 3)
    assert url == "http://h/dags/d/runs/a%2Fb%3Fc%26d%3De%23f%20g/tasks/t"
    url = ui_links.dag_run_url("http://h", "d", "x&task_id=evil", 2)
    assert url == "http://h/dags/d/grid?dag_run_id=x%26task_id%3Devil"


def test_no_base_is_airflows_default() -> None:
    assert ui_links.dag_url("", "d", 3) == "http://localhost:8080/dags/d"


def _configured(env: dict[str, str]) -> str:
    # A fresh interpreter: the base is read once per process, from Airflow's own configuration.
    code = (
        "from secoda_listener.capture import ui_links; print(ui_links.configured_base_url(), ui_links.airflow_major())"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120, check=True
    )
    return result.stdout.strip().splitlines()[-1]


@pytest.mark.parametrize("configured", [None, "https://af.example.com/x/"])
def test_the_base_comes_from_the_versions_section(tmp_path: Path, configured: str | None) -> None:
    import os

    import airflow

    major = int(airflow.__version__.split(".")[0])
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW")}
    env.update(AIRFLOW_HOME=str(tmp_path), PYTHONPATH=str(REPO))
    if configured is not None:
        env["AIRFLOW__API__BASE_URL" if major >= 3 else "AIRFLOW__WEBSERVER__BASE_URL"] = configured
        # The other version's section is not read.
        env["AIRFLOW__WEBSERVER__BASE_URL" if major >= 3 else "AIRFLOW__API__BASE_URL"] = "https://wrong.example.com"
    expected = "https://af.example.com/x" if configured else "http://localhost:8080"
    assert _configured(env) == f"{expected} {major}"
