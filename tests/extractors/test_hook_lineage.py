"""Hook-level lineage read off Airflow's real collector: URIs to datasets, folding, caps,
bounded reading, and SQL a real PostgresHook ran against the local Postgres."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from secoda_listener.event.datasets import Dataset, Lineage
from secoda_listener.extractors import hook_lineage
from secoda_listener.extractors.hook_lineage import collected_lineage
from tests.support.airflow_home import airflow_major

REPO = Path(__file__).resolve().parents[2]
PG_CONN = "hook_lineage_pg"


def collector_class() -> Any:
    try:  # Airflow 3
        from airflow.sdk.lineage import HookLineageCollector
    except ImportError:  # Airflow 2.10
        from airflow.lineage.hook import HookLineageCollector
    return HookLineageCollector


class ExportHook:
    """Stands for the hook instance a collector entry names as its context."""


def add(collector: Any, direction: str, uri: str, context: Any) -> None:
    """Through the collector's public API: ``add_*_asset`` on Airflow 3, ``add_*_dataset`` on 2.10."""
    method = getattr(collector, f"add_{direction}_asset", None) or getattr(collector, f"add_{direction}_dataset")
    method(context=context, uri=uri)


@pytest.fixture
def collector(monkeypatch: pytest.MonkeyPatch) -> Any:
    """A fresh real collector, holding as many assets as a test gives it (Airflow 3 keeps 100 by default)."""
    if airflow_major() >= 3:
        import airflow.sdk.lineage

        monkeypatch.setattr(airflow.sdk.lineage, "MAX_COLLECTED_ASSETS", 100_000)
    return collector_class()()


@pytest.fixture(autouse=True)
def defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    for key in ("HOOK_LINEAGE_FOLD_THRESHOLD", "HOOK_LINEAGE_MAX_DATASETS"):
        monkeypatch.delenv(f"AIRFLOW__SECODA__{key}", raising=False)


def names(datasets: tuple[Dataset, ...]) -> list[tuple[str, str]]:
    return [(d.namespace, d.name) for d in datasets]


# --- assets by URI ----------------------------------------------------------------------------


def test_assets_are_named_by_openlineage_conventions(collector: Any) -> None:
    hook = ExportHook()
    add(collector, "input", "s3://bucket/a/b.csv", hook)
    add(collector, "input", "postgres://h:5432/db/schema/t", hook)
    add(collector, "input", "orders", hook)  # an asset named, not located: not a dataset
    add(collector, "output", "file:///tmp/x", hook)
    add(collector, "output", "snowflake://Acme-XY123/db1/s1/raw_sales", hook)
    got = collected_lineage(None, collector=collector)
    assert names(got.inputs) == [("s3://bucket", "a/b.csv"), ("postgres://h:5432", "db.schema.t")]
    assert names(got.outputs) == [("file", "/tmp/x"), ("snowflake://acme-xy123", "DB1.S1.RAW_SALES")]
    assert got.errors == ("hook lineage: 1 assets named without a URI scheme are not datasets; left out",)


def test_an_object_written_by_two_hooks_is_one_dataset(collector: Any) -> None:
    add(collector, "output", "s3://bucket/k.csv", ExportHook())
    add(collector, "output", "s3://bucket/k.csv", ExportHook())  # Airflow keeps one entry per hook
    assert collected_lineage(None, collector=collector) == Lineage(outputs=[Dataset("s3://bucket", "k.csv")])


def test_each_call_returns_only_what_was_collected_since_the_last(collector: Any) -> None:
    # `airflow dags test` runs every task in one process, with one collector.
    add(collector, "output", "s3://bucket/first.csv", ExportHook())
    assert names(collected_lineage(None, collector=collector).outputs) == [("s3://bucket", "first.csv")]
    assert collected_lineage(None, collector=collector) == Lineage()
    add(collector, "input", "s3://bucket/second.csv", ExportHook())
    assert collected_lineage(None, collector=collector) == Lineage(inputs=[Dataset("s3://bucket", "second.csv")])


def test_marking_a_task_start_leaves_earlier_entries_to_earlier_tasks(collector: Any) -> None:
    # A task whose lineage came from another extractor never read its hooks' entries.
    add(collector, "output", "s3://bucket/earlier-task.csv", ExportHook())
    hook_lineage.mark_task_start(None, collector=collector)
    add(collector, "input", "s3://bucket/this-task.csv", ExportHook())
    assert collected_lineage(None, collector=collector) == Lineage(inputs=[Dataset("s3://bucket", "this-task.csv")])


def test_marking_the_start_without_a_collector_costs_nothing() -> None:
    hook_lineage.mark_task_start(None, collector=Broken())  # never raises
    assert hook_lineage.mark_task_start(None) is None


# --- folding ----------------------------------------------------------------------------------


def test_five_thousand_objects_under_one_prefix_fold_into_it_with_their_count(collector: Any) -> None:
    hook = ExportHook()
    for i in range(5000):
        add(collector, "output", f"s3://bucket/exports/2024-01-01/part-{i:05d}.csv", hook)
    add(collector, "output", "postgres://h:5432/db/public/loads", hook)  # a table never folds
    got = collected_lineage(None, collector=collector)
    assert names(got.outputs) == [("s3://bucket", "exports/2024-01-01"), ("postgres://h:5432", "db.public.loads")]
    assert got.errors == (
        "hook lineage: 5,000 output objects under s3://bucket/exports/2024-01-01/ folded into one dataset "
        "(s3://bucket, exports/2024-01-01): more than [secoda] hook_lineage_fold_threshold = 50",
    )


def test_up_to_the_threshold_every_object_is_its_own_dataset(collector: Any) -> None:
    for i in range(50):
        add(collector, "output", f"file:///data/out/{i}.csv", ExportHook())
    got = collected_lineage(None, collector=collector)
    assert len(got.outputs) == 50 and got.errors == ()


def test_directories_over_the_threshold_fold_each_into_its_own(collector: Any, monkeypatch) -> None:
    monkeypatch.setenv("AIRFLOW__SECODA__HOOK_LINEAGE_FOLD_THRESHOLD", "3")
    hook = ExportHook()
    for directory in ("a", "b"):
        for i in range(4):
            add(collector, "input", f"file:///data/{directory}/{i}.csv", hook)
    add(collector, "input", "file:///etc/lookup.csv", hook)
    got = collected_lineage(None, collector=collector)
    assert names(got.inputs) == [("file", "/data/a"), ("file", "/data/b"), ("file", "/etc/lookup.csv")]
    assert [e.split(" folded")[0] for e in got.errors] == [
        "hook lineage: 4 input objects under file:///data/a/",
        "hook lineage: 4 input objects under file:///data/b/",
    ]


def test_many_small_directories_fold_into_their_longest_common_directory(collector: Any, monkeypatch) -> None:
    monkeypatch.setenv("AIRFLOW__SECODA__HOOK_LINEAGE_FOLD_THRESHOLD", "3")
    for day in range(1, 6):
        for part in range(2):
            add(collector, "output", f"gs://lake/events/day={day}/part-{part}.parquet", ExportHook())
    add(collector, "output", "gs://other-bucket/x.parquet", ExportHook())  # another namespace, under the threshold
    got = collected_lineage(None, collector=collector)
    assert names(got.outputs) == [("gs://lake", "events"), ("gs://other-bucket", "x.parquet")]
    assert len(got.errors) == 1 and got.errors[0].startswith("hook lineage: 10 output objects under gs://lake/events/")


def test_objects_with_nothing_in_common_fold_into_the_root(collector: Any, monkeypatch) -> None:
    monkeypatch.setenv("AIRFLOW__SECODA__HOOK_LINEAGE_FOLD_THRESHOLD", "1")
    add(collector, "output", "file:///tmp/a.csv", ExportHook())
    add(collector, "output", "file:///var/b.csv", ExportHook())
    got = collected_lineage(None, collector=collector)
    assert names(got.outputs) == [("file", "/")]
    assert "2 output objects under file:/// folded" in got.errors[0]


# --- caps and bounds --------------------------------------------------------------------------


def test_the_cap_per_task_shares_room_and_says_what_it_left_out(collector: Any) -> None:
    hook = ExportHook()
    for i in range(10):
        add(collector, "input", f"postgres://h:5432/db/public/in_{i}", hook)
    for i in range(300):
        add(collector, "output", f"postgres://h:5432/db/public/out_{i:03d}", hook)
    got = collected_lineage(None, collector=collector)
    assert len(got.inputs) == 10 and len(got.outputs) == 190  # the default cap: 200
    assert got.outputs[0].name == "db.public.out_000"
    assert got.errors == (
        "hook lineage: 110 of 310 datasets left out (0 inputs, 110 outputs): "
        "more than [secoda] hook_lineage_max_datasets = 200",
    )


def test_when_both_sides_overflow_each_keeps_half(collector: Any, monkeypatch) -> None:
    monkeypatch.setenv("AIRFLOW__SECODA__HOOK_LINEAGE_MAX_DATASETS", "10")
    for i in range(30):
        add(collector, "input", f"mysql://h/db/in_{i}", ExportHook())
        add(collector, "output", f"mysql://h/db/out_{i}", ExportHook())
    got = collected_lineage(None, collector=collector)
    assert (len(got.inputs), len(got.outputs)) == (5, 5)
    assert "50 of 60 datasets left out (25 inputs, 25 outputs)" in got.errors[0]


def test_zero_datasets_turns_hook_lineage_off(collector: Any, monkeypatch) -> None:
    monkeypatch.setenv("AIRFLOW__SECODA__HOOK_LINEAGE_MAX_DATASETS", "0")
    add(collector, "output", "s3://bucket/k.csv", ExportHook())
    assert collected_lineage(None, collector=collector) == Lineage()


def test_reading_is_bounded_and_what_is_left_belongs_to_this_task(collector: Any, monkeypatch) -> None:
    monkeypatch.setattr(hook_lineage, "MAX_ENTRIES_READ", 1000)
    monkeypatch.setenv("AIRFLOW__SECODA__HOOK_LINEAGE_MAX_DATASETS", "5000")
    for i in range(1500):
        add(collector, "output", f"redshift://c:5439/dev/public/t{i}", ExportHook())
    got = collected_lineage(None, collector=collector)
    assert len(got.outputs) == 1000
    assert got.errors == ("hook lineage: read the first 1,000 of 1,500 outputs collected; the rest left out",)
    assert collected_lineage(None, collector=collector) == Lineage()  # not the next task's


def test_airflow_3_collector_is_full_at_its_own_cap_and_that_is_said() -> None:
    real = collector_class()()  # Airflow's own default cap: [lineage] max_assets_per_collector
    for i in range(150):
        add(real, "output", f"s3://bucket/k{i}.csv", ExportHook())
    got = collected_lineage(None, collector=real)
    if airflow_major() >= 3:
        import airflow.sdk.lineage

        assert airflow.sdk.lineage.MAX_COLLECTED_ASSETS == 100  # Airflow's default
        assert len(got.outputs) == 1  # the 100 Airflow kept, folded
        assert got.errors[0] == (
            "hook lineage: Airflow's collector is full (100 outputs, [lineage] max_assets_per_collector = 100): "
            "Airflow dropped any later ones"
        )
        assert got.errors[1].startswith("hook lineage: 100 output objects under s3://bucket/ folded")
    else:  # Airflow 2.10's collector keeps everything
        assert names(got.outputs) == [("s3://bucket", "/")]
        assert got.errors == (
            "hook lineage: 150 output objects under s3://bucket/ folded into one dataset (s3://bucket, /): "
            "more than [secoda] hook_lineage_fold_threshold = 50",
        )


class Broken:
    @property
    def _inputs(self) -> dict:
        raise RuntimeError("collector gone")


def test_a_collector_that_fails_costs_a_line_never_the_task() -> None:
    got = collected_lineage(None, collector=Broken())
    assert got == Lineage(errors=["hook lineage: reading Airflow's collector failed: RuntimeError: collector gone"])


def test_no_collector_is_made_for_a_task_whose_hooks_never_used_it(tmp_path: Path) -> None:
    # Making one on Airflow 3 loads every provider's asset factories: not at every task's end.
    code = (
        "from secoda_listener.extractors.hook_lineage import airflow_collector, collected_lineage\n"
        "print(airflow_collector(), collected_lineage(None))\n"
        "from airflow.providers.common.compat.lineage.hook import get_hook_lineage_collector\n"
        "made = get_hook_lineage_collector()\n"
        "print(type(made).__name__, airflow_collector() is made)\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW")}
    env.update(AIRFLOW_HOME=str(tmp_path), PYTHONPATH=str(REPO))
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    # Our plugin's reader (entry point) is what makes Airflow's collector a collecting one.
    assert result.stdout.splitlines() == [
        "None Lineage(inputs=(), outputs=(), errors=())",
        "HookLineageCollector True",
    ]


# --- SQL through a real PostgresHook ----------------------------------------------------------


@pytest.fixture(scope="module")
def pg_database(postgres) -> str:
    database = postgres.create_database("hook_lineage")
    postgres.psql(
        database, "CREATE TABLE hl_src (id int, amount numeric); CREATE TABLE hl_dst (id int, amount numeric)"
    )
    postgres.psql(database, "INSERT INTO hl_src VALUES (1, 10), (2, 20)")
    return database


@pytest.fixture
def pg_hook(postgres, pg_database: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    from airflow.providers.postgres.hooks.postgres import PostgresHook

    conn = {
        "conn_type": "postgres",
        "host": "127.0.0.1",
        "port": postgres.port,
        "login": postgres.user,
        "password": postgres.password,
        "schema": pg_database,
    }
    monkeypatch.setenv(f"AIRFLOW_CONN_{PG_CONN.upper()}", json.dumps(conn))
    yield PostgresHook(postgres_conn_id=PG_CONN)


def records_sql() -> bool:
    try:
        from airflow.providers.common.sql.hooks.lineage import send_sql_hook_lineage  # noqa: F401
    except ImportError:
        return False
    return True


def test_sql_a_postgres_hook_runs_is_read_with_its_connection(postgres, pg_hook: Any, pg_database: str) -> None:
    collected_lineage(None)  # what earlier tests of this process left in Airflow's collector
    pg_hook.run("INSERT INTO hl_dst SELECT id, amount FROM hl_src WHERE amount > 5")
    assert postgres.psql(pg_database, "SELECT count(*) FROM hl_dst").strip() != "0"  # it really ran
    got = collected_lineage(None)
    ns = f"postgres://127.0.0.1:{postgres.port}"
    if airflow_major() >= 3:
        assert records_sql()  # common-sql 2.4
        assert got == Lineage(
            inputs=[Dataset(ns, f"{pg_database}.public.hl_src")], outputs=[Dataset(ns, f"{pg_database}.public.hl_dst")]
        )
    else:  # common-sql 1.23 predates SQL recording: the hook reports nothing, so nothing is seen
        assert not records_sql()
        assert got == Lineage()
    assert postgres.password not in repr(got)


def test_hook_sql_is_deduplicated_bounded_and_uses_the_recorded_defaults(pg_hook: Any, postgres, monkeypatch) -> None:
    # What send_sql_hook_lineage records, as (hook, value) pairs: run on both Airflow versions.
    monkeypatch.setattr(hook_lineage, "MAX_SQL_STATEMENTS", 3)
    jobs = [
        (pg_hook, {"sql": "INSERT INTO a SELECT * FROM b", "sql_parameters": (1,)}),
        (pg_hook, {"sql": "INSERT INTO a SELECT * FROM b", "sql_parameters": (2,)}),  # same text: read once
        (pg_hook, {"sql": "DELETE FROM c", "default_db": "other", "default_schema": "mart"}),
        (pg_hook, {"sql": "TRUNCATE d"}),
        (pg_hook, {"sql": "TRUNCATE e"}),
        (pg_hook, {"sql": ""}),
        (ExportHook(), {"sql": "DROP TABLE f"}),  # a hook without a connection
    ]
    errors: list[str] = []
    got = hook_lineage._sql_lineage(jobs, errors)
    ns = f"postgres://127.0.0.1:{postgres.port}"
    database = pg_hook.get_connection(pg_hook.get_conn_id()).schema
    assert names(got.inputs) == [(ns, f"{database}.public.b")]
    assert names(got.outputs) == [(ns, f"{database}.public.a"), (ns, f"{database}.public.d"), (ns, "other.mart.c")]
    assert errors == [
        "hook lineage: SQL run through ExportHook: LookupError: ExportHook names no connection id; "
        "its tables are not reported",
        "hook lineage: 1 more SQL statements not read: at most 3 per task",
    ]
