"""A DAG with what Secoda's pull methods show: owners, task docs, a mapped task.
It imports nothing from secoda_listener."""

from __future__ import annotations

import datetime as dt

try:  # Airflow 3
    from airflow.providers.standard.operators.bash import BashOperator
    from airflow.sdk import DAG
except ImportError:  # Airflow 2.10
    from airflow import DAG
    from airflow.operators.bash import BashOperator

with DAG(
    "metadata_dag",
    start_date=dt.datetime(2024, 1, 1),
    schedule=None,
    default_args={"owner": "data-eng"},
    tags=["e2e"],
) as metadata_dag:
    documented = BashOperator(
        task_id="documented",
        bash_command="echo documented",
        owner="alice, bob",
        doc_md="Loads **orders**; the token is password=hunter2-not-real",
    )
    plain = BashOperator(task_id="plain", bash_command="echo plain", doc="plain doc")
    mapped = BashOperator.partial(task_id="mapped").expand(bash_command=["echo 0", "echo 1"])
    documented >> plain >> mapped
