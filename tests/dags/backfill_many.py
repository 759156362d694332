"""Many finished task instances in one run, for benchmarks/bench_backfill.py.

``BACKFILL_MANY_TASKS`` (default 300) mapped Bash tries, each rendering a psql command
so backfill's lineage path (the shell finder, the SQL library) runs for every one.
"""

from __future__ import annotations

import datetime as dt
import os

from airflow import DAG

try:  # Airflow 3
    from airflow.providers.standard.operators.bash import BashOperator
except ImportError:  # Airflow 2.10
    from airflow.operators.bash import BashOperator

COUNT = int(os.environ.get("BACKFILL_MANY_TASKS", "300"))

with DAG(
    "backfill_many",
    start_date=dt.datetime(2024, 1, 1, tzinfo=dt.timezone.utc),
    schedule=None,
    catchup=False,
    default_args={"owner": "bench"},
):
    BashOperator.partial(task_id="copy_part").expand(
        bash_command=[
            f"true || psql -h db.bench -d shop -c 'INSERT INTO mart.part_{i} SELECT * FROM raw.part_{i}'"
            for i in range(COUNT)
        ]
    )
