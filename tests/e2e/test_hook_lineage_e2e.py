"""End to end: hook-level lineage (AIP-62). Real ``airflow dags test`` runs, the plugin loaded
through its entry point, @task code using PostgresHook against the local Postgres,
ObjectStoragePath and small real hooks; what the Secoda stand-in received is checked."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.support.airflow_home import REPO, airflow_major
from tests.support.postgres import LocalPostgres
from tests.support.received import bodies_by_task, dataset_names


def _pg_env(server: LocalPostgres, database: str) -> dict[str, str]:
    conn = {
        "conn_type": "postgres",
        "host": "127.0.0.1",
        "port": server.port,
        "login": server.user,
        "password": server.password,
        "schema": database,
    }
    return {"AIRFLOW_CONN_HOOK_LINEAGE_PG": json.dumps(conn)}


def _doctor(tmp_path: Path) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW")}
    env.update(PYTHONPATH=str(REPO), AIRFLOW_HOME=str(tmp_path / "doctor_home"))
    result = subprocess.run(
        [sys.executable, "-m", "secoda_listener", "doctor"], capture_output=True, text=True, env=env, timeout=120
    )
    return result.stdout


def test_postgres_hook_in_a_task_reports_its_tables(run_dag, receiver, postgres: LocalPostgres, tmp_path: Path):
    database = postgres.create_database("hook_lineage_e2e")
    result = run_dag("hook_lineage_postgres", env=_pg_env(postgres, database))
    assert result.returncode == 0, result.output[-4000:]
    assert postgres.psql(database, "SELECT count(*) FROM hl_big_orders").strip() == "1"  # the SQL really ran

    success = bodies_by_task(receiver, "task_success")
    assert set(success) == {"prepare", "copy_big_orders"}
    prepare, copy = success["prepare"]["lineage"], success["copy_big_orders"]["lineage"]
    doctor = _doctor(tmp_path)
    if airflow_major() >= 3:  # common-sql 2.4: every DbApiHook.run records its SQL
        ns = f"postgres://127.0.0.1:{postgres.port}"
        assert prepare["inputs"] == []
        assert dataset_names(prepare["outputs"]) == {
            (ns, f"{database}.public.hl_orders"),
            (ns, f"{database}.public.hl_big_orders"),
        }
        # The second task's own SQL only, not the first task's (one process runs both).
        assert dataset_names(copy["inputs"]) == {
            (ns, f"{database}.public.hl_orders"),
            (ns, f"{database}.public.hl_big_orders"),
        }
        assert dataset_names(copy["outputs"]) == {(ns, f"{database}.public.hl_big_orders")}
        assert copy["errors"] == [] and prepare["errors"] == []
        assert "ok       SQL run through hooks is read (apache-airflow-providers-common-sql" in doctor
    else:  # common-sql 1.23 predates SQL recording: nothing is seen, and doctor says so
        for lineage in (prepare, copy):
            assert lineage == {"inputs": [], "outputs": [], "errors": []}
        assert doctor.count("predates SQL recording") == 1
        assert (
            "apache-airflow-providers-common-sql 1.23.0 predates SQL recording (added in 1.32.0): SQL run "
            "through hooks in Python code, e.g. PostgresHook(...).run(...) in a @task, is not seen; reported "
            "anyway: files and objects read or written through ObjectStoragePath"
        ) in doctor
    # Hook lineage is known once the task ran: the start event has none of it.
    running = bodies_by_task(receiver, "task_running")
    assert running["copy_big_orders"]["lineage"]["outputs"] == []
    assert postgres.password not in json.dumps(receiver.received())


def test_a_failing_task_reports_what_its_hooks_did_before_failing(run_dag, receiver, postgres: LocalPostgres):
    database = postgres.create_database("hook_lineage_fail")
    postgres.psql(database, "CREATE TABLE hl_orders (id int, amount numeric)")
    run_dag("hook_lineage_postgres_failure", env=_pg_env(postgres, database))
    assert postgres.psql(database, "SELECT count(*) FROM hl_archive").strip() == "0"  # it ran, then failed

    failed = bodies_by_task(receiver, "task_failed")
    assert set(failed) == {"archive_then_fail"}
    assert "failed on purpose after archiving" in failed["archive_then_fail"]["task_instance"]["error"]
    lineage = failed["archive_then_fail"]["lineage"]
    if airflow_major() >= 3:
        ns = f"postgres://127.0.0.1:{postgres.port}"
        assert dataset_names(lineage["inputs"]) == {(ns, f"{database}.public.hl_orders")}
        assert dataset_names(lineage["outputs"]) == {(ns, f"{database}.public.hl_archive")}
    else:
        assert lineage == {"inputs": [], "outputs": [], "errors": []}


def test_a_task_after_an_sql_operator_reports_only_its_own_hook_lineage(run_dag, receiver, postgres: LocalPostgres):
    # One process runs both tasks; the operator's hook records its SQL into the same collector.
    database = postgres.create_database("hook_lineage_after")
    result = run_dag("hook_lineage_after_operator", env=_pg_env(postgres, database))
    assert result.returncode == 0, result.output[-4000:]
    success = bodies_by_task(receiver, "task_success")
    table = (f"postgres://127.0.0.1:{postgres.port}", f"{database}.public.hl_made_by_operator")
    assert dataset_names(success["make_table"]["lineage"]["outputs"]) == {table}  # the SQL operator extractor's
    read = success["read_it"]["lineage"]
    if airflow_major() >= 3:
        assert dataset_names(read["inputs"]) == {table}
    else:
        assert read["inputs"] == []
    assert read["outputs"] == []  # not the operator's CREATE TABLE


def test_files_written_through_object_storage_path_and_a_hook_are_datasets(run_dag, receiver, tmp_path: Path):
    base = tmp_path / "files"
    base.mkdir()
    (base / "input.csv").write_text("a,b\n1,2\n")
    result = run_dag("hook_lineage_files", env={"HOOK_LINEAGE_DIR": str(base)})
    assert result.returncode == 0, result.output[-4000:]
    assert (base / "report.csv").read_text() == "A,B\n1,2\n" and (base / "hook_out.csv").exists()

    success = bodies_by_task(receiver, "task_success")
    report = success["upper_case_report"]["lineage"]
    assert dataset_names(report["inputs"]) == {("file", f"{base}/input.csv")}
    assert dataset_names(report["outputs"]) == {("file", f"{base}/report.csv")}
    hooked = success["write_with_hook"]["lineage"]
    assert hooked == {"inputs": [], "outputs": [{"namespace": "file", "name": f"{base}/hook_out.csv"}], "errors": []}


def test_thousands_of_objects_are_folded_and_hundreds_of_tables_capped(run_dag, receiver):
    # Airflow 3's collector keeps 100 assets per direction unless told otherwise; 2.10's has no cap.
    result = run_dag("hook_lineage_many", env={"AIRFLOW__LINEAGE__MAX_ASSETS_PER_COLLECTOR": "10000"})
    assert result.returncode == 0, result.output[-4000:]
    success = bodies_by_task(receiver, "task_success")

    export = success["export_parts"]["lineage"]
    assert export["outputs"] == [{"namespace": "s3://hook-lineage-bucket", "name": "exports/2024-01-01"}]
    assert export["inputs"] == []
    assert export["errors"] == [
        "hook lineage: 5,000 output objects under s3://hook-lineage-bucket/exports/2024-01-01/ folded into one "
        "dataset (s3://hook-lineage-bucket, exports/2024-01-01): more than [secoda] hook_lineage_fold_threshold = 50"
    ]

    tables = success["load_tables"]["lineage"]
    assert len(tables["outputs"]) == 200  # [secoda] hook_lineage_max_datasets
    assert tables["outputs"][0] == {"namespace": "postgres://warehouse:5432", "name": "shop.public.t_000"}
    assert tables["errors"] == [
        "hook lineage: 100 of 300 datasets left out (0 inputs, 100 outputs): "
        "more than [secoda] hook_lineage_max_datasets = 200"
    ]
