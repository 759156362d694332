"""History for `secoda-listener backfill` (tests/e2e/test_backfill_e2e.py): a run that fails and one that succeeds.

``backfill_history``: a Bash task whose psql call gives lineage, a SQL task on the
``backfill_pg`` connection (stored in the metadata database, where the REST API can
read it), and a task that fails its first try, is retried and fails again.
``backfill_ok``: a documented success and a task that skips itself (left to the listener).
"""

from __future__ import annotations

import datetime as dt

from airflow import DAG

try:  # Airflow 3
    from airflow.providers.standard.operators.bash import BashOperator
    from airflow.providers.standard.operators.python import PythonOperator
except ImportError:  # Airflow 2.10
    from airflow.operators.bash import BashOperator
    from airflow.operators.python import PythonOperator
from airflow.exceptions import AirflowSkipException
from airflow.providers.common.sql.operators.sql import SQLExecuteQueryOperator


def _always_fails() -> None:
    raise RuntimeError("the flaky task fails on every try")


def _skips() -> None:
    raise AirflowSkipException("nothing to do today")


with DAG(
    "backfill_history",
    start_date=dt.datetime(2024, 1, 1, tzinfo=dt.timezone.utc),
    schedule=None,
    catchup=False,
    tags=["backfill", "e2e"],
    description="A run with a Bash task, a SQL task and a retried failure",
    default_args={"owner": "data-eng"},
):
    BashOperator(
        task_id="export_orders",
        # psql may not be on PATH: the lineage comes from the command, not from running it.
        bash_command=(
            "command -v psql >/dev/null && "
            "psql -h 127.0.0.1 -p 5999 -d shop -c 'INSERT INTO public.orders_copy SELECT * FROM public.orders' "
            "|| echo 'no psql here'"
        ),
    )
    SQLExecuteQueryOperator(
        task_id="load_mart",
        conn_id="backfill_pg",
        sql=(
            "CREATE TABLE IF NOT EXISTS raw_orders (id int); "
            "CREATE TABLE IF NOT EXISTS mart_orders (id int); "
            "INSERT INTO mart_orders SELECT id FROM raw_orders"
        ),
        doc_md="Copies raw orders into the mart.",
    )
    PythonOperator(
        task_id="flaky",
        python_callable=_always_fails,
        retries=1,
        retry_delay=dt.timedelta(seconds=0),
    )

with DAG(
    "backfill_ok",
    start_date=dt.datetime(2024, 1, 1, tzinfo=dt.timezone.utc),
    schedule=None,
    catchup=False,
    doc_md="A DAG that succeeds.",
    default_args={"owner": "analytics"},
):
    BashOperator(task_id="say_done", bash_command="echo done")
    PythonOperator(task_id="skip_me", python_callable=_skips)
