"""End to end: SQL operators really run (a real Postgres on loopback, Snowflake
through fakesnow) and the lineage derived from their SQL reaches the receiver."""

from __future__ import annotations

import json

from tests.support.postgres import LocalPostgres
from tests.support.received import bodies_by_task, dataset_names


def _postgres_conn(server: LocalPostgres) -> str:
    return json.dumps(
        {
            "conn_type": "postgres",
            "host": "127.0.0.1",
            "port": server.port,
            "login": server.user,
            "password": server.password,
            "schema": server.database,
        }
    )


def test_postgres_dag_runs_and_reports_table_lineage(run_dag, receiver, postgres: LocalPostgres):
    result = run_dag("example_postgres_shop", env={"AIRFLOW_CONN_POSTGRES_SHOP": _postgres_conn(postgres)})
    assert result.returncode == 0, result.output[-4000:]
    # The pipeline really ran against Postgres.
    assert postgres.psql(postgres.database, "SELECT count(*) FROM analytics.daily_revenue").strip() == "2"

    ns = f"postgres://127.0.0.1:{postgres.port}"
    success = bodies_by_task(receiver, "task_success")
    assert set(success) == {"create_tables", "load_raw", "build_daily_revenue", "export_with_psql"}

    create = success["create_tables"]["lineage"]
    assert dataset_names(create["outputs"]) == {(ns, "shop.public.customers"), (ns, "shop.public.raw_orders")}
    assert create["inputs"] == []

    load = success["load_raw"]["lineage"]
    assert dataset_names(load["outputs"]) == {(ns, "shop.public.customers"), (ns, "shop.public.raw_orders")}
    assert load["errors"] == []  # %(name)s placeholders parse

    build = success["build_daily_revenue"]["lineage"]
    assert dataset_names(build["inputs"]) == {(ns, "shop.public.raw_orders"), (ns, "shop.public.customers")}
    assert dataset_names(build["outputs"]) == {(ns, "shop.analytics.daily_revenue")}

    export = success["export_with_psql"]
    assert dataset_names(export["lineage"]["inputs"]) == {(ns, "shop.analytics.daily_revenue")}
    assert export["lineage"]["outputs"] == []
    assert "COPY (SELECT * FROM analytics.daily_revenue)" in export["task_instance"]["source_code"]

    # The rendered SQL is sent as the callback provider sent it, templates filled in.
    sql = success["build_daily_revenue"]["task_instance"]["sql"]
    assert "CREATE TABLE analytics.daily_revenue AS" in sql and "{{" not in sql
    # Lineage is already there when the task starts.
    running = bodies_by_task(receiver, "task_running")
    assert dataset_names(running["build_daily_revenue"]["lineage"]["outputs"]) == {(ns, "shop.analytics.daily_revenue")}
    # The connection password never leaves.
    assert postgres.password not in json.dumps(receiver.received())


def test_snowflake_dag_runs_on_fakesnow_and_reports_table_lineage(run_dag, receiver):
    conn = json.dumps(
        {
            "conn_type": "snowflake",
            "login": "fake",
            "password": "fake-snow-password",
            "schema": "S1",
            "extra": {"account": "fakesnow", "database": "DB1", "warehouse": "WH"},
        }
    )
    result = run_dag("example_snowflake_sales", env={"AIRFLOW_CONN_SNOWFLAKE_SALES": conn}, fakesnow=True)
    assert result.returncode == 0, result.output[-4000:]
    success = bodies_by_task(receiver, "task_success")
    assert set(success) == {"create_raw", "load_raw", "summarise"}, result.output[-4000:]
    ns = "snowflake://fakesnow"
    assert dataset_names(success["create_raw"]["lineage"]["outputs"]) == {(ns, "DB1.S1.RAW_SALES")}
    assert dataset_names(success["load_raw"]["lineage"]["outputs"]) == {(ns, "DB1.S1.RAW_SALES")}
    summary = success["summarise"]["lineage"]
    assert dataset_names(summary["inputs"]) == {(ns, "DB1.S1.RAW_SALES")}
    assert dataset_names(summary["outputs"]) == {(ns, "DB1.S1.SALES_BY_REGION")}
    assert not any(body["event_type"] == "task_failed" for body in (r["body"] for r in receiver.received()))
