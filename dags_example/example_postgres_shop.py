"""A small Postgres pipeline. Nothing here knows about Secoda: the plugin reports it.

Needs an Airflow connection ``postgres_shop`` (type postgres; its schema field
is the database name). ``secoda-listener`` derives this lineage from the SQL:

    create_tables        -> shop.public.customers, shop.public.raw_orders
    load_raw             -> shop.public.customers, shop.public.raw_orders
    build_daily_revenue  shop.public.raw_orders, shop.public.customers -> shop.analytics.daily_revenue
    export_with_psql     shop.analytics.daily_revenue ->   (a psql COPY ... TO STDOUT in Bash)
"""

from __future__ import annotations

import datetime as dt

from airflow.providers.common.sql.operators.sql import SQLExecuteQueryOperator

try:  # Airflow 3
    from airflow.providers.standard.operators.bash import BashOperator
    from airflow.sdk import DAG
except ImportError:  # Airflow 2.10
    from airflow import DAG
    from airflow.operators.bash import BashOperator

CONN = "postgres_shop"

with DAG(
    "example_postgres_shop",
    start_date=dt.datetime(2024, 1, 1),
    schedule=None,
    catchup=False,
    tags=["example", "postgres"],
    description="Orders and customers into a daily revenue table",
):
    create_tables = SQLExecuteQueryOperator(
        task_id="create_tables",
        conn_id=CONN,
        sql=[
            "CREATE SCHEMA IF NOT EXISTS analytics",
            "CREATE TABLE IF NOT EXISTS customers (id int PRIMARY KEY, region text)",
            "CREATE TABLE IF NOT EXISTS raw_orders (id int, customer_id int, amount numeric, ordered_at date)",
        ],
    )
    load_raw = SQLExecuteQueryOperator(
        task_id="load_raw",
        conn_id=CONN,
        sql="""
            INSERT INTO customers (id, region) VALUES (1, 'emea'), (2, 'amer')
                ON CONFLICT (id) DO UPDATE SET region = EXCLUDED.region;
            INSERT INTO raw_orders (id, customer_id, amount, ordered_at)
                VALUES (%(order_id)s, 1, 120.5, %(day)s), (%(order_id)s + 1, 2, 80, %(day)s);
        """,
        parameters={"order_id": 1, "day": "{{ ds }}"},
        split_statements=True,
    )
    build_daily_revenue = SQLExecuteQueryOperator(
        task_id="build_daily_revenue",
        conn_id=CONN,
        sql="""
            DROP TABLE IF EXISTS analytics.daily_revenue;
            CREATE TABLE analytics.daily_revenue AS
            WITH orders AS (  -- a CTE, not a table
                SELECT * FROM raw_orders WHERE ordered_at <= '{{ ds }}'
            )
            SELECT c.region, o.ordered_at, sum(o.amount) AS revenue
            FROM orders o JOIN customers c ON c.id = o.customer_id
            GROUP BY c.region, o.ordered_at;
        """,
        split_statements=True,
    )
    export_with_psql = BashOperator(
        task_id="export_with_psql",
        bash_command=(
            "psql -h {{ conn.postgres_shop.host }} -p {{ conn.postgres_shop.port }} "
            "-U {{ conn.postgres_shop.login }} -d {{ conn.postgres_shop.schema }} "
            '-c "COPY (SELECT * FROM analytics.daily_revenue) TO STDOUT WITH CSV" > /dev/null'
        ),
        env={"PGPASSWORD": "{{ conn.postgres_shop.password }}"},
        append_env=True,
    )
    create_tables >> load_raw >> build_daily_revenue >> export_with_psql
