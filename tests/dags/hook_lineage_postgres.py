"""DAGs of tests/e2e/test_hook_lineage_e2e.py: @task code running SQL through PostgresHook.

They import nothing from secoda_listener; whatever lineage they get comes from Airflow's
hook-level lineage collector. The connection comes from AIRFLOW_CONN_HOOK_LINEAGE_PG.
"""

from __future__ import annotations

import datetime as dt

try:  # Airflow 3
    from airflow.sdk import dag, task
except ImportError:  # Airflow 2.10
    from airflow.decorators import dag, task

CONN_ID = "hook_lineage_pg"
START = dt.datetime(2024, 1, 1)


def _hook():  # imported in the task: every e2e DAG run parses this file
    from airflow.providers.postgres.hooks.postgres import PostgresHook

    return PostgresHook(postgres_conn_id=CONN_ID)


@dag("hook_lineage_postgres", start_date=START, schedule=None, tags=["e2e"])
def hook_lineage_postgres() -> None:
    @task
    def prepare() -> None:
        _hook().run(
            [
                "CREATE TABLE hl_orders (id int, amount numeric)",
                "CREATE TABLE hl_big_orders (id int, amount numeric)",
                "INSERT INTO hl_orders VALUES (1, 10), (2, 200)",
            ]
        )

    @task
    def copy_big_orders() -> int:
        hook = _hook()
        hook.run("INSERT INTO hl_big_orders SELECT id, amount FROM hl_orders WHERE amount > 100")
        return len(hook.get_records("SELECT id FROM hl_big_orders"))

    prepare() >> copy_big_orders()


hook_lineage_postgres()


@dag("hook_lineage_postgres_failure", start_date=START, schedule=None, tags=["e2e"])
def hook_lineage_postgres_failure() -> None:
    @task
    def archive_then_fail() -> None:
        _hook().run("CREATE TABLE hl_archive AS SELECT * FROM hl_orders")
        raise ValueError("failed on purpose after archiving")

    archive_then_fail()


hook_lineage_postgres_failure()


@dag("hook_lineage_after_operator", start_date=START, schedule=None, tags=["e2e"])
def hook_lineage_after_operator() -> None:
    from airflow.providers.common.sql.operators.sql import SQLExecuteQueryOperator

    # Its lineage comes from the SQL operator extractor; its hook records the same SQL too.
    made = SQLExecuteQueryOperator(
        task_id="make_table", conn_id=CONN_ID, sql="CREATE TABLE hl_made_by_operator AS SELECT 1 AS x"
    )

    @task
    def read_it() -> None:
        _hook().get_records("SELECT x FROM hl_made_by_operator")

    made >> read_it()


hook_lineage_after_operator()
