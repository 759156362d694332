"""DAGs of tests/e2e/test_hook_lineage_e2e.py: files read and written through
ObjectStoragePath and through a hook, in the directory HOOK_LINEAGE_DIR names.

They import nothing from secoda_listener.
"""

from __future__ import annotations

import datetime as dt
import os

try:  # Airflow 3
    from airflow.sdk import BaseHook, dag, task
except ImportError:  # Airflow 2.10
    from airflow.decorators import dag, task
    from airflow.hooks.base import BaseHook

START = dt.datetime(2024, 1, 1)


class LocalFileHook(BaseHook):
    """A small real hook: writes a local file and tells Airflow's collector, as provider hooks do."""

    def write(self, path: str, text: str) -> None:
        from airflow.providers.common.compat.lineage.hook import get_hook_lineage_collector

        with open(path, "w") as out:
            out.write(text)
        get_hook_lineage_collector().add_output_asset(context=self, uri=f"file://{path}")


def _storage_path(path: str):
    try:  # Airflow 3
        from airflow.sdk import ObjectStoragePath
    except ImportError:  # Airflow 2.10
        from airflow.io.path import ObjectStoragePath
    return ObjectStoragePath(f"file://{path}")


@dag("hook_lineage_files", start_date=START, schedule=None, tags=["e2e"])
def hook_lineage_files() -> None:
    @task
    def upper_case_report() -> None:
        base = os.environ["HOOK_LINEAGE_DIR"]
        with _storage_path(f"{base}/input.csv").open("r") as source:
            text = source.read()
        with _storage_path(f"{base}/report.csv").open("w") as target:
            target.write(text.upper())

    @task
    def write_with_hook() -> None:
        LocalFileHook().write(f"{os.environ['HOOK_LINEAGE_DIR']}/hook_out.csv", "a,b\n1,2\n")

    upper_case_report() >> write_with_hook()


hook_lineage_files()
