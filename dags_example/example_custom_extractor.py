"""A DAG whose custom operator gets lineage from a custom extractor.

The operator and its extractor live in my_company_lineage.py; switch the
extractor on with ``[secoda] extractors = my_company_lineage:CopyExtractor``
(or AIRFLOW__SECODA__EXTRACTORS). The DAG itself needs no change.
"""

from __future__ import annotations

import datetime as dt
import os
import tempfile

from my_company_lineage import CopyOperator

try:  # Airflow 3
    from airflow.providers.standard.operators.python import PythonOperator
    from airflow.sdk import DAG
except ImportError:  # Airflow 2.10
    from airflow import DAG
    from airflow.operators.python import PythonOperator

WORKDIR = os.path.join(tempfile.gettempdir(), "secoda_example")


def _write_orders(ds: str) -> None:
    os.makedirs(os.path.join(WORKDIR, "landing"), exist_ok=True)
    with open(os.path.join(WORKDIR, "landing", f"orders_{ds}.csv"), "w") as handle:
        handle.write("id,amount\n1,9.99\n")


with DAG(
    "example_custom_extractor",
    start_date=dt.datetime(2024, 1, 1),
    schedule=None,
    tags=["example", "secoda"],
    description="a custom operator reported through a custom extractor",
):
    land = PythonOperator(task_id="land_orders", python_callable=_write_orders, op_kwargs={"ds": "{{ ds }}"})
    archive = CopyOperator(
        task_id="archive_orders",
        source=os.path.join(WORKDIR, "landing", "orders_{{ ds }}.csv"),
        target=os.path.join(WORKDIR, "archive", "orders_{{ ds }}.csv"),
    )
    land >> archive
