"""A small Snowflake pipeline. Nothing here knows about Secoda: the plugin reports it.

Needs an Airflow connection ``snowflake_sales`` (type snowflake, the schema in
its schema field, extras ``account`` and ``database``). Without a Snowflake account, the
example runner executes it against fakesnow (DuckDB behind the real Snowflake
connector). Lineage, named the OpenLineage way (upper case unless quoted):

    create_raw      -> DB1.S1.RAW_SALES
    load_raw        -> DB1.S1.RAW_SALES
    summarise       DB1.S1.RAW_SALES -> DB1.S1.SALES_BY_REGION
"""

from __future__ import annotations

import datetime as dt

from airflow.providers.common.sql.operators.sql import SQLExecuteQueryOperator

try:  # Airflow 3
    from airflow.sdk import DAG
except ImportError:  # Airflow 2.10
    from airflow import DAG

CONN = "snowflake_sales"

with DAG(
    "example_snowflake_sales",
    start_date=dt.datetime(2024, 1, 1),
    schedule=None,
    catchup=False,
    tags=["example", "snowflake"],
):
    create_raw = SQLExecuteQueryOperator(
        task_id="create_raw",
        conn_id=CONN,
        sql="CREATE TABLE IF NOT EXISTS raw_sales (region VARCHAR, amount NUMBER(10, 2), sold_on DATE)",
    )
    load_raw = SQLExecuteQueryOperator(
        task_id="load_raw",
        conn_id=CONN,
        sql=(
            "INSERT INTO raw_sales (region, amount, sold_on) VALUES ('emea', 10.5, '{{ ds }}'), ('amer', 7, '{{ ds }}')"
        ),
    )
    summarise = SQLExecuteQueryOperator(
        task_id="summarise",
        conn_id=CONN,
        sql="""
            CREATE OR REPLACE TABLE sales_by_region AS
            SELECT region, SUM(amount) AS total
            FROM raw_sales
            WHERE sold_on = '{{ ds }}'
            GROUP BY region
        """,
    )
    create_raw >> load_raw >> summarise
