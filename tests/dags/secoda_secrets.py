"""A DAG that touches secrets through every path a task can, for tests/e2e/test_secrets.py.

It imports nothing from secoda_listener. Secrets Airflow knows about arrive
from the environment the test sets (a connection ``secoda_secrets_pg`` and a
Variable ``secoda_db_password``); the literal ones are written below, as a
careless DAG author would.
"""

from __future__ import annotations

import datetime as dt

from airflow.providers.common.sql.operators.sql import SQLExecuteQueryOperator

try:  # Airflow 3
    from airflow.providers.standard.operators.bash import BashOperator
    from airflow.providers.standard.operators.python import PythonOperator
    from airflow.sdk import DAG, BaseHook
except ImportError:  # Airflow 2.10
    from airflow import DAG
    from airflow.hooks.base import BaseHook
    from airflow.operators.bash import BashOperator
    from airflow.operators.python import PythonOperator


class StageSqlOperator(SQLExecuteQueryOperator):
    """An SQL operator whose statement is rendered and reported but never executed
    (there is no Snowflake here): the event path is the real one, only execute() is not."""

    def execute(self, context):
        return None


def _fail_with_secrets() -> None:
    password = BaseHook.get_connection("secoda_secrets_pg").password
    raise RuntimeError(
        f"could not connect to postgresql://etl:{password}@db.internal:5432/shop; "
        "retried with postgresql://etl:exc-uri-pw-5150@db-replica.internal/shop "
        "and password=exc-literal-pw-3131"
    )


with DAG("secoda_secrets", start_date=dt.datetime(2024, 1, 1), schedule=None, tags=["e2e"]) as secrets_dag:
    # 1. A connection password reaching the command through templating (Airflow masks it).
    BashOperator(
        task_id="conn_password",
        bash_command='test -n "{{ conn.secoda_secrets_pg.password }}" && echo "connection password is set"',
    )
    # 2. A Variable whose name makes Airflow mask it.
    BashOperator(
        task_id="masked_variable",
        bash_command='test -n "{{ var.value.secoda_db_password }}" && echo "variable is set"',
    )
    # 3. Literals in a Bash command (Airflow knows nothing about them). curl is a no-op function here.
    BashOperator(
        task_id="bash_literals",
        bash_command=(
            "curl() { :; }\n"
            "export DB_PASSWORD=bash-literal-pw-4242\n"
            'curl -s -H "Authorization: Bearer bash-bearer-token-9f8e7d" https://api.example.invalid/v1/ping\n'
            "echo literals done"
        ),
    )
    # 4. Literals in SQL: a Snowflake stage with AWS credentials, templated, reported, not executed.
    StageSqlOperator(
        task_id="sql_literal",
        conn_id="secoda_secrets_snow",
        sql=(
            "CREATE OR REPLACE STAGE raw.landing URL='s3://acme-landing/events/{{ ds }}/' "
            "CREDENTIALS=(AWS_KEY_ID='AKIASQLLITERAL0001' AWS_SECRET_KEY='sql-literal-aws-secret-Zz9') "
            "FILE_FORMAT=(TYPE=JSON)"
        ),
    )
    # 5. A failure whose message carries secrets (one Airflow knows, two it does not).
    PythonOperator(task_id="fails_with_secrets", python_callable=_fail_with_secrets)
