"""DAGs whose lineage is declared by their author (tests/e2e/test_declared_lineage_e2e.py).

They import nothing from secoda_listener: the plugin must find the lineage on its own.

* ``declared_lineage``: a Bash task with inlets and outlets (Assets; on Airflow 2.10 also
  the lineage entities ``Table`` and ``File``), and a Python task that emits asset events:
  an extra on its Asset outlet, and an asset attached to its alias outlet.
* ``declared_producer`` and ``declared_consumer``: the consumer is scheduled on the asset the
  producer writes; under a scheduler, the producer's event triggers a consumer run.
"""

from __future__ import annotations

import datetime as dt

try:  # Airflow 3
    from airflow.providers.standard.operators.bash import BashOperator
    from airflow.providers.standard.operators.python import PythonOperator
    from airflow.sdk import DAG, Asset, AssetAlias

    ENTITIES: list = []
except ImportError:  # Airflow 2.10
    from airflow import DAG
    from airflow.datasets import Dataset as Asset
    from airflow.datasets import DatasetAlias as AssetAlias
    from airflow.lineage.entities import File, Table
    from airflow.operators.bash import BashOperator
    from airflow.operators.python import PythonOperator

    ENTITIES = [Table(database="shop", cluster="postgres://db.internal:5432", name="public.customers")]
    ENTITY_OUTLETS = [File(url="s3://exports/entities/report.csv")]

START = dt.datetime(2024, 1, 1)
RAW_ORDERS = Asset("postgres://db.internal:5432/shop/public/raw_orders")
EXPORT = Asset("s3://exports/orders.csv")
REPORT = Asset("file:///tmp/declared-e2e/report.txt")
ALIAS = AssetAlias("declared-e2e-exports")
VIA_ALIAS = Asset("s3://exports/via-alias/2024-01-01.parquet")
DAILY = Asset("s3://exports/daily-orders.csv")


def _emit(*, outlet_events) -> None:
    outlet_events[REPORT].extra = {"rows": 3, "note": "written by the e2e test"}
    outlet_events[ALIAS].add(VIA_ALIAS, extra={"partition": "2024-01-01"})


with DAG("declared_lineage", start_date=START, schedule=None, catchup=False, tags=["e2e"]):
    declared_io = BashOperator(
        task_id="declared_io",
        bash_command="echo copying",
        inlets=[RAW_ORDERS, *ENTITIES],
        outlets=[EXPORT, *([] if not ENTITIES else ENTITY_OUTLETS)],
    )
    emit = PythonOperator(task_id="emit_events", python_callable=_emit, outlets=[REPORT, ALIAS])
    declared_io >> emit

with DAG("declared_producer", start_date=START, schedule=None, catchup=False, tags=["e2e"]):
    BashOperator(task_id="produce", bash_command="echo producing", outlets=[DAILY])

with DAG("declared_consumer", start_date=START, schedule=[DAILY], catchup=False, tags=["e2e"]):
    BashOperator(task_id="consume", bash_command="echo consuming", inlets=[DAILY])
