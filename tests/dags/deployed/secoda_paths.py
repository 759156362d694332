"""DAGs for the paths a real Airflow takes to a try's final state (tests/e2e/test_paths.py).

They import nothing from secoda_listener. One DAG per path, one or two tasks each:

* ``secoda_paths_retry``: ``flaky`` fails its first try and succeeds on its retry.
* ``secoda_paths_kill``: ``doomed`` SIGKILLs its own task process (an OOM kill looks alike).
* ``secoda_paths_skip_self``: ``skipper`` raises AirflowSkipException.
* ``secoda_paths_branch``: ``gate`` (ShortCircuitOperator) returns False, so ``after_gate``
  is skipped by the scheduler without ever running.
* ``secoda_paths_mapped``: ``square`` mapped over three values.
* ``secoda_paths_deferred``: ``wait_in_worker`` defers and comes back to a worker to finish.
  (A deferrable the triggerer finishes itself, ``end_from_trigger=True``, is in
  secoda_paths_end_from_trigger.py: Airflow refuses that file when any listener is installed.)
* ``secoda_paths_marked``: ``long_sleep`` runs until the test marks it success through the
  REST API (Airflow 3), after which its process is terminated.
* ``secoda_paths_run_marked``: ``long_sleep`` runs until the test marks the whole DAG run
  failed through the REST API (Airflow 3).
"""

from __future__ import annotations

import datetime as dt
import os
import signal
import time

try:  # Airflow 3
    from airflow.providers.standard.operators.python import PythonOperator, ShortCircuitOperator
    from airflow.providers.standard.sensors.time_delta import TimeDeltaSensorAsync
    from airflow.sdk import DAG
except ImportError:  # Airflow 2.10
    from airflow import DAG
    from airflow.operators.python import PythonOperator, ShortCircuitOperator
    from airflow.sensors.time_delta import TimeDeltaSensorAsync
from airflow.exceptions import AirflowSkipException

START = dt.datetime(2024, 1, 1)
TAGS = ["e2e", "paths"]
DEFAULT_ARGS = {"retries": 0}


def _fail_first_try(**context) -> str:
    if context["ti"].try_number < 2:
        raise RuntimeError("first try fails on purpose")
    return "second try"


def _kill_myself() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


def _skip() -> None:
    raise AirflowSkipException("nothing to do today")


def _square(value: int) -> int:
    return value * value


def _sleep_long() -> None:
    time.sleep(300)  # ended from outside long before


def _dag(dag_id: str, **kwargs) -> DAG:
    return DAG(dag_id, start_date=START, schedule=None, catchup=False, tags=TAGS, default_args=DEFAULT_ARGS, **kwargs)


with _dag("secoda_paths_retry"):
    PythonOperator(task_id="flaky", python_callable=_fail_first_try, retries=1, retry_delay=dt.timedelta(seconds=1))

with _dag("secoda_paths_kill"):
    PythonOperator(task_id="doomed", python_callable=_kill_myself)

with _dag("secoda_paths_skip_self"):
    PythonOperator(task_id="skipper", python_callable=_skip)

with _dag("secoda_paths_branch"):
    gate = ShortCircuitOperator(task_id="gate", python_callable=lambda: False)
    gate >> PythonOperator(task_id="after_gate", python_callable=lambda: None)

with _dag("secoda_paths_mapped"):
    PythonOperator.partial(task_id="square", python_callable=_square).expand(op_args=[[1], [2], [3]])

with _dag("secoda_paths_deferred"):
    TimeDeltaSensorAsync(task_id="wait_in_worker", delta=dt.timedelta(seconds=2))

with _dag("secoda_paths_marked"):
    PythonOperator(task_id="long_sleep", python_callable=_sleep_long)

with _dag("secoda_paths_run_marked"):
    PythonOperator(task_id="long_sleep", python_callable=_sleep_long)
