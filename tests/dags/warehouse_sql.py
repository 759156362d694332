"""SQL on MySQL and Redshift connections for tests/e2e/test_warehouse_lineage_e2e.py.

No such server runs here: the test points both connections at a closed port on 127.0.0.1,
so each task fails when it connects, after its lineage was read at its start.
It imports nothing from secoda_listener.
"""

from __future__ import annotations

import datetime as dt

from airflow.providers.common.sql.operators.sql import SQLExecuteQueryOperator

try:  # Airflow 3
    from airflow.sdk import DAG
except ImportError:  # Airflow 2.10
    from airflow import DAG

with DAG(
    "warehouse_sql",
    start_date=dt.datetime(2024, 1, 1),
    schedule=None,
    tags=["e2e"],
    params={"day": "2024_01_01"},
) as dag:
    SQLExecuteQueryOperator(
        task_id="mysql_daily",
        conn_id="warehouse_mysql",
        sql=(
            "INSERT INTO daily_{{ params.day }} SELECT o.id, c.name FROM orders o "
            "JOIN crm.`Customers` c ON c.id = o.customer_id"
        ),
    )
    SQLExecuteQueryOperator(
        task_id="redshift_mart",
        conn_id="warehouse_redshift",
        sql=[
            "CREATE TABLE mart.revenue_{{ params.day }} AS SELECT * FROM raw_orders",
            'INSERT INTO "Mart"."Totals" SELECT sum(amount) FROM mart.revenue_{{ params.day }}',
        ],
    )
