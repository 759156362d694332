"""DAGs for benchmarks/bench_dag_overhead.py: chains of BashOperator ``true`` tasks.

``bench_chain_20`` and ``bench_chain_50`` are the DAGs the overhead is measured on;
``bench_chain_2`` is the short one used where every event costs seconds
(OpenLineage with its backend down or hanging).
"""

from __future__ import annotations

import datetime

from airflow import DAG

try:  # Airflow 3 (standard provider)
    from airflow.providers.standard.operators.bash import BashOperator
except ImportError:  # Airflow 2
    from airflow.operators.bash import BashOperator

for size in (50, 20, 2):
    with DAG(
        dag_id=f"bench_chain_{size}",
        start_date=datetime.datetime(2024, 1, 1),
        schedule=None,
        catchup=False,
        tags=["benchmark"],
    ) as dag:
        previous = None
        for i in range(size):
            task = BashOperator(task_id=f"t{i:02d}", bash_command="true")
            if previous is not None:
                previous >> task
            previous = task
    globals()[dag.dag_id] = dag
