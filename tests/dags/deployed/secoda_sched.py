"""DAGs the scheduler end-to-end test triggers (tests/e2e/test_scheduler.py).

They import nothing from secoda_listener: the plugin must find them on its own.

* ``secoda_sched_success``: three tasks in a chain that all succeed.
* ``secoda_sched_failure``: one task that succeeds, then one that fails (no retries).
* ``secoda_sched_scheduler_only``: a lone EmptyOperator, which the scheduler marks
  successful without starting any task process; so its DAG-run events can only be
  delivered by the scheduler itself.
"""

from __future__ import annotations

import datetime as dt

try:  # Airflow 3
    from airflow.providers.standard.operators.bash import BashOperator
    from airflow.providers.standard.operators.empty import EmptyOperator
    from airflow.providers.standard.operators.python import PythonOperator
    from airflow.sdk import DAG
except ImportError:  # Airflow 2.10
    from airflow import DAG
    from airflow.operators.bash import BashOperator
    from airflow.operators.empty import EmptyOperator
    from airflow.operators.python import PythonOperator

START = dt.datetime(2024, 1, 1)
DEFAULT_ARGS = {"retries": 0}
TAGS = ["e2e", "scheduler"]


def _transform() -> int:
    return sum(range(10))


def _fail() -> None:
    raise ValueError("boom: the scheduled task failed on purpose")


with DAG(
    "secoda_sched_success",
    start_date=START,
    schedule=None,
    catchup=False,
    tags=TAGS,
    default_args=DEFAULT_ARGS,
    description="three tasks that succeed",
) as success_dag:
    extract = BashOperator(task_id="extract", bash_command="echo extracting")
    transform = PythonOperator(task_id="transform", python_callable=_transform)
    load = BashOperator(task_id="load", bash_command="echo loading")
    extract >> transform >> load

with DAG(
    "secoda_sched_failure",
    start_date=START,
    schedule=None,
    catchup=False,
    tags=TAGS,
    default_args=DEFAULT_ARGS,
    description="a task that succeeds, then one that fails",
) as failure_dag:
    prepare = BashOperator(task_id="prepare", bash_command="echo preparing")
    explode = PythonOperator(task_id="explode", python_callable=_fail)
    prepare >> explode

with DAG(
    "secoda_sched_scheduler_only",
    start_date=START,
    schedule=None,
    catchup=False,
    tags=TAGS,
    default_args=DEFAULT_ARGS,
    description="no task process ever starts",
) as scheduler_only_dag:
    EmptyOperator(task_id="nothing_to_run")
