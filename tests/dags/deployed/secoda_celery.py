"""DAGs the CeleryExecutor end-to-end test runs (tests/e2e/test_celery.py).

They import nothing from secoda_listener: the plugin must find them on its own.
Each runs once, as soon as the scheduler sees it (``@once``, not paused upon
creation), so the test triggers them without a CLI round trip per DAG.

* ``secoda_celery_success``: one task that succeeds.
* ``secoda_celery_failure``: one task that fails, no retries.
* ``secoda_celery_retry``: one task that fails its first try and succeeds its
  second (retries=1, retry_delay 1 s).
* ``secoda_celery_kill``: one task that SIGKILLs its own process, no retries:
  no hook of that process runs after it.
* ``secoda_celery_mapped``: one task mapped over three values.
"""

from __future__ import annotations

import datetime as dt
import os
import signal
from typing import Any

try:  # Airflow 3
    from airflow.providers.standard.operators.python import PythonOperator
    from airflow.sdk import DAG
except ImportError:  # Airflow 2.10
    from airflow import DAG
    from airflow.operators.python import PythonOperator

START = dt.datetime(2024, 1, 1)
TAGS = ["e2e", "celery"]


def _succeed() -> int:
    return sum(range(10))


def _fail() -> None:
    raise ValueError("boom: the celery task failed on purpose")


def _fail_first_try(**context: Any) -> str:
    try_number = context["ti"].try_number
    if try_number == 1:
        raise RuntimeError("first try fails on purpose; the retry succeeds")
    return f"succeeded on try {try_number}"


def _kill_myself() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


def _square(value: int) -> int:
    return value * value


def _dag(dag_id: str, description: str, retries: int = 0) -> DAG:
    return DAG(
        dag_id,
        start_date=START,
        schedule="@once",
        catchup=False,
        is_paused_upon_creation=False,
        tags=TAGS,
        default_args={"retries": retries, "retry_delay": dt.timedelta(seconds=1)},
        description=description,
    )


with _dag("secoda_celery_success", "one task that succeeds") as success_dag:
    PythonOperator(task_id="work", python_callable=_succeed)

with _dag("secoda_celery_failure", "one task that fails") as failure_dag:
    PythonOperator(task_id="explode", python_callable=_fail)

with _dag("secoda_celery_retry", "fails its first try, succeeds its second", retries=1) as retry_dag:
    PythonOperator(task_id="flaky", python_callable=_fail_first_try)

with _dag("secoda_celery_kill", "a task that SIGKILLs its own process") as kill_dag:
    PythonOperator(task_id="killed", python_callable=_kill_myself)

with _dag("secoda_celery_mapped", "one task mapped over three values") as mapped_dag:
    PythonOperator.partial(task_id="square", python_callable=_square).expand(op_args=[[1], [2], [3]])
