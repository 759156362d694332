"""A deferrable the triggerer finishes itself (``end_from_trigger=True``).

Airflow (2.10 and 3) refuses this DAG at parse time whenever any listener plugin
is installed, ours or OpenLineage's: "Listeners are not supported with
end_from_trigger=True for deferrable operators". tests/e2e/test_paths.py checks
that this is what a deployment with secoda-listener reports for the file.
"""

from __future__ import annotations

import datetime as dt

try:  # Airflow 3
    from airflow.providers.standard.sensors.time_delta import TimeDeltaSensorAsync
    from airflow.sdk import DAG
except ImportError:  # Airflow 2.10
    from airflow import DAG
    from airflow.sensors.time_delta import TimeDeltaSensorAsync

with DAG(
    "secoda_paths_end_from_trigger",
    start_date=dt.datetime(2024, 1, 1),
    schedule=None,
    catchup=False,
    tags=["e2e", "paths"],
):
    TimeDeltaSensorAsync(task_id="wait_in_triggerer", delta=dt.timedelta(seconds=2), end_from_trigger=True)
