"""DAGs the end-to-end tests run. They import nothing from secoda_listener."""

from __future__ import annotations

import datetime as dt

try:  # Airflow 3
    from airflow.providers.standard.operators.bash import BashOperator
    from airflow.providers.standard.operators.python import PythonOperator
    from airflow.sdk import DAG
except ImportError:  # Airflow 2.10
    from airflow import DAG
    from airflow.operators.bash import BashOperator
    from airflow.operators.python import PythonOperator

START = dt.datetime(2024, 1, 1)


def _fail() -> None:
    raise ValueError("boom: the task failed on purpose")


def _sleep() -> None:
    import time

    time.sleep(0.1)


with DAG(
    "secoda_e2e_success",
    start_date=START,
    schedule=None,
    tags=["e2e", "team:data"],
    description="two tasks that succeed",
) as success_dag:
    first = BashOperator(task_id="say_hello", bash_command="echo hello")
    second = PythonOperator(task_id="sleep_a_bit", python_callable=_sleep)
    first >> second

with DAG("secoda_e2e_failure", start_date=START, schedule=None, tags=["e2e"]) as failure_dag:
    PythonOperator(task_id="explode", python_callable=_fail)

with DAG("secoda_e2e_opted_out", start_date=START, schedule=None, tags=["e2e", "secoda:disabled"]) as out_dag:
    BashOperator(task_id="quiet", bash_command="echo nobody hears me")

with DAG(
    "secoda_e2e_conn_override", start_date=START, schedule=None, tags=["e2e"], params={"secoda_conn_id": "secoda_other"}
) as override_dag:
    BashOperator(task_id="elsewhere", bash_command="echo other connection")


def _skip() -> None:
    try:  # Airflow 3
        from airflow.sdk.exceptions import AirflowSkipException
    except ImportError:  # Airflow 2.10
        from airflow.exceptions import AirflowSkipException
    raise AirflowSkipException("nothing to do today")


with DAG("secoda_e2e_skip", start_date=START, schedule=None, tags=["e2e"]) as skip_dag:
    PythonOperator(task_id="skip_me", python_callable=_skip)

with DAG("secoda_e2e_retry", start_date=START, schedule=None, tags=["e2e"]) as retry_dag:
    PythonOperator(task_id="flaky", python_callable=_fail, retries=1, retry_delay=dt.timedelta(seconds=0))
