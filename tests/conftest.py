"""Shared fixtures: a migrated Airflow home, the local receiver, a spool directory."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Callable

import pytest

from tests.support.airflow_home import EXAMPLE_DAGS, TEST_DAGS, AirflowHome, DagRun, secoda_connection

if TYPE_CHECKING:  # imported where used, only when a test asks for the fixture
    from secoda_listener.testing.receiver import Receiver
    from tests.support.postgres import LocalPostgres

API_KEY = "sk-test-THE-API-KEY-must-not-leak"


@pytest.fixture(scope="session")
def airflow_home(tmp_path_factory: pytest.TempPathFactory) -> AirflowHome:
    """An Airflow home with a migrated SQLite database and the example and test DAGs."""
    root = tmp_path_factory.mktemp("airflow_home")
    dags = root / "dags"
    dags.mkdir()
    for source in (EXAMPLE_DAGS, TEST_DAGS):
        for item in source.iterdir():
            if item.suffix in (".py", ".sql") or item.name == ".airflowignore":
                shutil.copy(item, dags / item.name)
    home = AirflowHome(path=root, dags_folder=dags)
    home.migrate()
    return home


@pytest.fixture
def receiver(tmp_path: Path) -> Iterator[Receiver]:
    from secoda_listener.testing.receiver import Receiver

    with Receiver(store=tmp_path / "received.jsonl", api_key=API_KEY) as running:
        yield running


@pytest.fixture
def rx(receiver):
    """Short name the delivery tests use for the receiver."""
    return receiver


@pytest.fixture
def run_dag(airflow_home: AirflowHome, receiver, tmp_path: Path) -> Callable[..., DagRun]:
    """Run a DAG with the plugin pointed at the receiver; extra ``[secoda]`` options as kwargs."""

    def run(dag_id: str, env: dict[str, str] | None = None, fakesnow: bool = False, **secoda_options: str) -> DagRun:
        extra = {
            "AIRFLOW_CONN_SECODA_DEFAULT": secoda_connection(receiver.url, API_KEY),
            "AIRFLOW__SECODA__SPOOL_DIR": str(tmp_path / "spool"),
            # These tests check what arrived once `airflow dags test` returned, so each task
            # delivers at its end (as in a KubernetesExecutor pod). The delivery agent, the
            # default, is tested under a real scheduler (e2e/test_scheduler.py) and in
            # e2e/test_agent.py; a test may pass delivery="agent".
            "AIRFLOW__SECODA__DELIVERY": "inline",
        }
        extra.update({f"AIRFLOW__SECODA__{key.upper()}": str(value) for key, value in secoda_options.items()})
        extra.update(env or {})
        return airflow_home.dags_test(dag_id, extra_env=extra, fakesnow=fakesnow)

    return run


@pytest.fixture(scope="session")
def postgres() -> Iterator[LocalPostgres]:
    """A real Postgres server on 127.0.0.1 for the whole session."""
    from tests.support.postgres import LocalPostgres

    server = LocalPostgres.start()
    try:
        yield server
    finally:
        server.stop()
