"""A throwaway Airflow home, and DAG runs in it through Airflow's own CLI.

Each DAG run is a separate ``airflow dags test`` process, so the plugin is
loaded exactly as in production: through its ``airflow.plugins`` entry point,
never imported by the test.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Mapping
from pathlib import Path

import attrs

REPO = Path(__file__).resolve().parents[2]
EXAMPLE_DAGS = REPO / "dags_example"
TEST_DAGS = REPO / "tests" / "dags"
#: DAGs for the deployments under a real scheduler, each copied by its own test: kept out of
#: TEST_DAGS' top level, which every `airflow dags test` home gets and parses whole.
DEPLOYED_DAGS = TEST_DAGS / "deployed"
BIN = Path(sys.executable).parent


def airflow_major() -> int:
    from airflow import __version__

    return int(__version__.split(".")[0])


@attrs.define
class DagRun:
    """What one ``airflow dags test`` printed and how long it took."""

    returncode: int
    output: str
    seconds: float


@attrs.define
class AirflowHome:
    path: Path
    dags_folder: Path

    @classmethod
    def with_dags(cls, root: Path, *dag_files: Path) -> AirflowHome:
        """A fresh home under ``root`` whose DAG folder holds only ``dag_files`` (a deployment's)."""
        dags = root / "dags"
        dags.mkdir()
        for dag_file in dag_files:
            shutil.copy(dag_file, dags / dag_file.name)
        home = cls(path=root / "airflow_home", dags_folder=dags)
        home.path.mkdir()
        return home

    def env(self, extra: Mapping[str, str] | None = None) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW")}
        env.update(
            {
                "AIRFLOW_HOME": str(self.path),
                "AIRFLOW__CORE__DAGS_FOLDER": str(self.dags_folder),
                "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
                "AIRFLOW__CORE__UNIT_TEST_MODE": "False",
                "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{self.path / 'airflow.db'}",
                "AIRFLOW__LOGGING__LOGGING_LEVEL": "INFO",
                "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
                "PYTHONPATH": os.pathsep.join([str(REPO / "dags_example"), str(REPO)]),
            }
        )
        env.update(extra or {})
        return env

    def airflow(
        self,
        *args: str,
        extra_env: Mapping[str, str] | None = None,
        timeout: float = 300,
        fakesnow: bool = False,
    ) -> DagRun:
        """Run Airflow's CLI; with ``fakesnow`` Snowflake connections reach DuckDB instead."""
        command = [sys.executable, "-m", "tests.support.fakesnow_airflow"] if fakesnow else [str(BIN / "airflow")]
        started = time.monotonic()
        proc = subprocess.run(
            [*command, *args],
            env=self.env(extra_env),
            cwd=self.path,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            timeout=timeout,
        )
        return DagRun(proc.returncode, proc.stdout, time.monotonic() - started)

    def migrate(self) -> None:
        result = self.airflow("db", "migrate")
        if result.returncode != 0:
            raise RuntimeError("airflow db migrate failed:\n" + result.output[-4000:])

    def dags_test(self, dag_id: str, extra_env: Mapping[str, str] | None = None, fakesnow: bool = False) -> DagRun:
        return self.airflow("dags", "test", dag_id, "2024-01-01", extra_env=extra_env, fakesnow=fakesnow)


def secoda_connection(url: str, api_key: str, integration_id: str = "it-1") -> str:
    """An ``AIRFLOW_CONN_*`` value for a Secoda connection at ``url``."""
    return json.dumps(
        {
            "conn_type": "secoda",
            "host": url,
            "password": api_key,
            "extra": {"integration_id": integration_id},
        }
    )
