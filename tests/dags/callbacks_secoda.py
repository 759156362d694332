"""A DAG still wired to the callback provider, as Secoda's docs for secoda-airflow show it:
``**dag_callbacks`` on the DAG and ``**task_callbacks`` in default_args. Task
``no_callbacks`` opts out of them. It imports nothing from secoda_listener."""

from __future__ import annotations

import datetime as dt

from secoda_airflow.callbacks import dag_callbacks, task_callbacks

try:  # Airflow 3
    from airflow.providers.standard.operators.bash import BashOperator
    from airflow.sdk import DAG
except ImportError:  # Airflow 2.10
    from airflow import DAG
    from airflow.operators.bash import BashOperator

with DAG(
    "callbacks_secoda",
    start_date=dt.datetime(2024, 1, 1),
    schedule=None,
    default_args={"owner": "data-eng", **task_callbacks},
    tags=["e2e"],
    **dag_callbacks,
) as callbacks_dag:
    with_callbacks = BashOperator(task_id="with_callbacks", bash_command="echo called back")
    no_callbacks = BashOperator(
        task_id="no_callbacks", bash_command="echo listened", on_success_callback=None, on_failure_callback=None
    )
    with_callbacks >> no_callbacks
