"""BashOperator and @task.bash: the rendered command as source code, and lineage for the SQL
it runs through psql or snowsql, namespaced by what the command line names."""

from __future__ import annotations

import datetime as dt
import textwrap
from pathlib import Path
from typing import Any

import pytest

from secoda_listener.event.datasets import Dataset, Lineage
from secoda_listener.extractors import manager
from secoda_listener.extractors.bash import MAX_SOURCE_CHARS, BashExtractor
from secoda_listener.extractors.manager import ExtractorManager, Origin, TaskLineage

try:  # Airflow 3
    from airflow.providers.standard.operators.bash import BashOperator
    from airflow.sdk import DAG, task
except ImportError:  # Airflow 2.10
    from airflow import DAG
    from airflow.decorators import task
    from airflow.operators.bash import BashOperator

PG = "postgres://db.internal:5433"


class FakeTI:
    def __init__(self, task: Any) -> None:
        self.task = task


def extract(task_instance: Any, phase: str) -> TaskLineage:
    """Through the module-level manager, as the listener calls it."""
    return manager.extractor_manager.lineage_for(task_instance, phase)


@pytest.fixture(autouse=True)
def fresh_registry(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AIRFLOW__SECODA__EXTRACTORS", raising=False)
    monkeypatch.setattr(manager, "extractor_manager", ExtractorManager())


def lineage_of(command: str, **kwargs: Any) -> Lineage:
    got = extract(FakeTI(BashOperator(task_id="b", bash_command=command, **kwargs)), "start")
    assert (got.extractor, got.origin) == ("secoda_listener.extractors.bash:BashExtractor", Origin.BUILT_IN)
    assert got.source_code == command
    return got.lineage


def test_psql_c_with_host_port_database() -> None:
    got = lineage_of('psql -h db.internal -p 5433 -d shop -c "INSERT INTO mart.orders SELECT * FROM raw.orders"')
    assert got == Lineage(inputs=[Dataset(PG, "shop.raw.orders")], outputs=[Dataset(PG, "shop.mart.orders")])


def test_psql_that_never_runs_still_parses_and_the_command_runs() -> None:
    # What the e2e DAG uses: a real command that succeeds without a database.
    got = lineage_of('true || psql -h db.internal -p 5433 -d shop -c "INSERT INTO a SELECT * FROM b"')
    assert got.outputs == (Dataset(PG, "shop.public.a"),) and got.inputs == (Dataset(PG, "shop.public.b"),)


def test_psql_f_reads_the_file_from_cwd(tmp_path: Path) -> None:
    (tmp_path / "load.sql").write_text("INSERT INTO mart.daily SELECT * FROM raw.events;\n")
    got = lineage_of("psql postgresql://etl@db.internal:5433/shop -f load.sql", cwd=str(tmp_path))
    assert got == Lineage(inputs=[Dataset(PG, "shop.raw.events")], outputs=[Dataset(PG, "shop.mart.daily")])


def test_psql_f_relative_without_cwd_is_not_read_from_here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # BashOperator without cwd runs in a fresh temporary directory, not in ours.
    (tmp_path / "load.sql").write_text("INSERT INTO wrong.table SELECT 1;\n")
    monkeypatch.chdir(tmp_path)
    got = lineage_of("psql -d shop -f load.sql")
    assert got.outputs == ()
    assert any("load.sql" in error and "not known statically" in error for error in got.errors)
    # An absolute cd first makes it known again.
    got = lineage_of(f"cd {tmp_path} && psql -h db.internal -p 5433 -d shop -f load.sql")
    assert got.outputs == (Dataset(PG, "shop.wrong.table"),)


def test_psql_heredoc() -> None:
    command = textwrap.dedent(
        """\
        set -euo pipefail
        psql -h db.internal -p 5433 -d shop <<'SQL'
        DELETE FROM mart.totals;
        INSERT INTO mart.totals SELECT customer, sum(amount) FROM raw.payments GROUP BY customer;
        SQL
        echo done
        """
    )
    got = lineage_of(command)
    assert got.inputs == (Dataset(PG, "shop.raw.payments"),)
    assert got.outputs == (Dataset(PG, "shop.mart.totals"),)


def test_snowsql_q_account_database_schema() -> None:
    got = lineage_of('snowsql -a ACME-XY12345 -d ANALYTICS -s RAW -q "INSERT INTO mart.orders SELECT * FROM orders"')
    sf = "snowflake://acme-xy12345"
    assert got == Lineage(inputs=[Dataset(sf, "ANALYTICS.RAW.ORDERS")], outputs=[Dataset(sf, "ANALYTICS.MART.ORDERS")])


def test_snowsql_f_and_heredoc(tmp_path: Path) -> None:
    (tmp_path / "merge.sql").write_text(
        "MERGE INTO mart.customers t USING stage.customers s ON t.id = s.id "
        "WHEN MATCHED THEN UPDATE SET name = s.name;\n"
    )
    command = (
        "snowsql --accountname acme-xy12345 --dbname ANALYTICS -f merge.sql\n"
        "snowsql -a acme-xy12345 -d ANALYTICS <<EOF\n"
        "CREATE TABLE mart.snapshot AS SELECT * FROM mart.customers;\n"
        "EOF\n"
    )
    got = lineage_of(command, cwd=str(tmp_path))
    sf = "snowflake://acme-xy12345"
    assert set(got.inputs) == {Dataset(sf, "ANALYTICS.STAGE.CUSTOMERS"), Dataset(sf, "ANALYTICS.MART.CUSTOMERS")}
    assert set(got.outputs) == {Dataset(sf, "ANALYTICS.MART.CUSTOMERS"), Dataset(sf, "ANALYTICS.MART.SNAPSHOT")}


def test_a_command_without_sql_has_source_code_and_no_lineage() -> None:
    assert lineage_of("echo hello && ls /tmp") == Lineage()


def test_unparseable_sql_is_an_error_not_an_exception() -> None:
    got = lineage_of('psql -d shop -c "INSERT INTO (((("')
    assert got.outputs == () and got.errors


def test_source_code_is_capped() -> None:
    command = "echo " + "x" * (MAX_SOURCE_CHARS + 50)
    code = BashExtractor().source_code(FakeTI(BashOperator(task_id="big", bash_command=command)))
    assert code is not None and code.startswith("echo xxx") and len(code) < MAX_SOURCE_CHARS + 100
    assert "truncated" in code


def test_subclasses_of_bash_operator_are_handled() -> None:
    class NightlyBash(BashOperator):
        pass

    got = extract(FakeTI(NightlyBash(task_id="n", bash_command='psql -d shop -c "TRUNCATE mart.t"')), "start")
    assert got.lineage.outputs == (Dataset("postgres://localhost:5432", "shop.mart.t"),)


def test_task_bash_reports_the_command_once_it_exists() -> None:
    @task.bash
    def load() -> str:
        return 'psql -h db.internal -p 5433 -d shop -c "INSERT INTO mart.x SELECT * FROM raw.x"'

    with DAG("bash_decorated", start_date=dt.datetime(2024, 1, 1), schedule=None):
        operator = load().operator
    assert isinstance(operator, BashOperator)

    # Before execute the command is a sentinel: no source code, no lineage, no error.
    before = extract(FakeTI(operator), "start")
    assert before.extractor == "secoda_listener.extractors.bash:BashExtractor"
    assert (before.source_code, before.lineage) == (None, Lineage())

    # execute() sets bash_command from the callable; the complete event sees it.
    operator.bash_command = operator.python_callable()
    after = extract(FakeTI(operator), "complete")
    assert after.source_code == operator.bash_command
    assert after.lineage == Lineage(inputs=[Dataset(PG, "shop.raw.x")], outputs=[Dataset(PG, "shop.mart.x")])
