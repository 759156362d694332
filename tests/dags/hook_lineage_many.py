"""DAG of tests/e2e/test_hook_lineage_e2e.py: a hook reporting thousands of objects, and hundreds of
tables, to Airflow's real collector. It uploads nothing: it stands for an object-store hook that
reports one asset per uploaded file. It imports nothing from secoda_listener.
"""

from __future__ import annotations

import datetime as dt

try:  # Airflow 3
    from airflow.sdk import BaseHook, dag, task
except ImportError:  # Airflow 2.10
    from airflow.decorators import dag, task
    from airflow.hooks.base import BaseHook

START = dt.datetime(2024, 1, 1)
BUCKET = "hook-lineage-bucket"
PREFIX = "exports/2024-01-01"


class ExportHook(BaseHook):
    def report_outputs(self, uris) -> None:
        from airflow.providers.common.compat.lineage.hook import get_hook_lineage_collector

        collector = get_hook_lineage_collector()
        for uri in uris:
            collector.add_output_asset(context=self, uri=uri)


@dag("hook_lineage_many", start_date=START, schedule=None, tags=["e2e"])
def hook_lineage_many() -> None:
    @task
    def export_parts() -> None:
        ExportHook().report_outputs(f"s3://{BUCKET}/{PREFIX}/part-{i:05d}.csv" for i in range(5000))

    @task
    def load_tables() -> None:
        ExportHook().report_outputs(f"postgres://warehouse:5432/shop/public/t_{i:03d}" for i in range(300))

    export_parts() >> load_tables()


hook_lineage_many()
