"""DAGs for benchmarks/bench_scheduler.py: the same tasks, reported and opted out.

``bench_sched_on`` reports to Secoda; ``bench_sched_off`` carries the
``secoda:disabled`` tag (the plugin's default opt-out), so it is the control: a
task of it pays the tag lookup and nothing else. Both are a chain of a
``sleeper`` task (sleeps ``BENCH_SCHED_SLEEP`` seconds, default 5: long enough
to see whether ``task_running`` reaches Secoda before the task ends) and
``BENCH_SCHED_TASKS`` (default 10) BashOperator tasks that only echo two
lines. The benchmark reads the start-of-task and end-of-task cost from the
task logs' timestamps around the operator's own first and last lines.

The environment variables are read when the file is parsed (the DAG processor's
environment); the DAGs import nothing from secoda_listener.
"""

from __future__ import annotations

import datetime
import os

try:  # Airflow 3 (standard provider)
    from airflow.providers.standard.operators.bash import BashOperator
    from airflow.sdk import DAG
except ImportError:  # Airflow 2
    from airflow import DAG
    from airflow.operators.bash import BashOperator

TASKS = int(os.environ.get("BENCH_SCHED_TASKS", "10"))
SLEEP = float(os.environ.get("BENCH_SCHED_SLEEP", "5"))
START_MARK, END_MARK = "bench:operator-start", "bench:operator-end"


def _command(seconds: float) -> str:
    middle = f" && sleep {seconds:g}" if seconds > 0 else ""
    return f"echo {START_MARK}{middle} && echo {END_MARK}"


for dag_id, tags in (("bench_sched_on", ["benchmark"]), ("bench_sched_off", ["benchmark", "secoda:disabled"])):
    with DAG(
        dag_id=dag_id,
        start_date=datetime.datetime(2024, 1, 1),
        schedule=None,
        catchup=False,
        max_active_runs=1,
        default_args={"retries": 0},
        tags=tags,
    ) as dag:
        previous = BashOperator(task_id="sleeper", bash_command=_command(SLEEP))
        for i in range(TASKS):
            task = BashOperator(task_id=f"t{i:02d}", bash_command=_command(0))
            previous >> task
            previous = task
    globals()[dag_id] = dag
