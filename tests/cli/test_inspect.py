"""``secoda-listener inspect`` as a person runs it: a real subprocess on a real DAG file,
env-var connections, a throwaway AIRFLOW_HOME. Nothing may run, spool or be sent."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

DAG_FILE = textwrap.dedent(
    """
    import datetime as dt

    from airflow.providers.common.sql.operators.sql import SQLExecuteQueryOperator

    try:
        from airflow.providers.standard.operators.bash import BashOperator
        from airflow.providers.standard.operators.python import PythonOperator
        from airflow.sdk import DAG, Asset, BaseOperator
    except ImportError:
        from airflow import DAG
        from airflow.datasets import Dataset as Asset
        from airflow.models.baseoperator import BaseOperator
        from airflow.operators.bash import BashOperator
        from airflow.operators.python import PythonOperator


    class OwnLineageOperator(BaseOperator):
        def execute(self, context):
            return None

        def get_secoda_lineage(self, context):
            from secoda_listener.extractors import Dataset, Lineage

            return Lineage(outputs=[Dataset("s3://bucket", "exports/" + context["ds"])])


    with DAG("inspected", start_date=dt.datetime(2024, 1, 1), schedule=None,
             params={"source": "orders"}) as dag:
        BashOperator(
            task_id="psql_load",
            bash_command="touch {marker} && psql -h db.internal -d shop "
                         "-c 'INSERT INTO daily_{{ ds_nodash }} SELECT * FROM {{ params.source }}'",
            outlets=[Asset("s3://exports/daily.csv")],
        )
        BashOperator(task_id="needs_a_run", bash_command="echo {{ ti.xcom_pull(task_ids='psql_load') }}")
        BashOperator(
            task_id="uses_a_connection",
            bash_command='psql -h {{ conn.secoda_pg.host }} -c "TRUNCATE t" # {{ conn.secoda_pg.password }}',
        )
        SQLExecuteQueryOperator(
            task_id="sql_known_conn", conn_id="secoda_pg",
            sql="INSERT INTO mart.revenue SELECT * FROM raw.payments WHERE day = '{{ ds }}'",
        )
        SQLExecuteQueryOperator(
            task_id="sql_missing_conn", conn_id="nowhere",
            sql="CREATE STAGE s URL='s3://b/' "
                "CREDENTIALS=(AWS_KEY_ID='AKIAINSPECT0001' AWS_SECRET_KEY='inspect-secret-99')",
        )
        OwnLineageOperator(task_id="own_method")
        PythonOperator(task_id="python_only", python_callable=print)
        PythonOperator(
            task_id="declared_only", python_callable=print,
            inlets=[Asset("postgres://pg.internal:5433/shop/raw/payments")], outlets=[Asset("file:///tmp/report.txt")],
        )

    with DAG("opted_out", start_date=dt.datetime(2024, 1, 1), schedule=None, tags=["secoda:disabled"]):
        BashOperator(task_id="quiet", bash_command="echo hi")
    """
)

USER_EXTRACTOR = textwrap.dedent(
    """
    from secoda_listener.extractors import BaseExtractor, Dataset, Lineage


    class EchoExtractor(BaseExtractor):
        operators = ("airflow.providers.standard.operators.bash.BashOperator", "airflow.operators.bash.BashOperator")

        def extract_on_start(self, task_instance):
            return Lineage(inputs=[Dataset("file://local", "user-extractor")])
    """
)


@pytest.fixture
def dag_file(tmp_path: Path) -> Path:
    path = tmp_path / "dags" / "inspected.py"
    path.parent.mkdir()
    path.write_text(DAG_FILE.replace("{marker}", str(tmp_path / "marker-ran")))
    return path


def inspect(tmp_path: Path, *args: str, **env_vars: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW")}
    env.update(
        PYTHONPATH=os.pathsep.join([str(REPO), str(tmp_path)]),
        AIRFLOW_HOME=str(tmp_path / "airflow_home"),
        AIRFLOW__CORE__LOAD_EXAMPLES="False",
        AIRFLOW__SECODA__SPOOL_DIR=str(tmp_path / "spool"),
        AIRFLOW_CONN_SECODA_PG=json.dumps(
            {
                "conn_type": "postgres",
                "host": "pg.internal",
                "port": 5433,
                "schema": "shop",
                "login": "etl",
                "password": "pg-pw-unused",
            }
        ),
    )
    env.update(env_vars)
    return subprocess.run(
        [sys.executable, "-m", "secoda_listener", "inspect", *args],
        capture_output=True,
        check=False,
        text=True,
        env=env,
        timeout=180,
    )


def test_every_task_with_its_extractor_rendered_sql_and_lineage(tmp_path: Path, dag_file: Path) -> None:
    result = inspect(tmp_path, str(dag_file), "--logical-date", "2024-03-05")
    out = result.stdout
    assert result.returncode == 0, out + result.stderr
    blocks = {block.split()[0]: block for block in out.split("\n  task ")[1:]}

    psql = blocks["psql_load"]
    assert "extractor: secoda_listener.extractors.bash:BashExtractor (built-in)" in psql
    assert "templates rendered: bash_command" in psql
    assert "INSERT INTO daily_20240305 SELECT * FROM orders" in psql
    # Each dataset with its source: the level that found it, or the DAG author's declaration.
    assert "inputs:  postgres://db.internal:5432/shop.public.orders [built-in]" in psql
    assert (
        "outputs: postgres://db.internal:5432/shop.public.daily_20240305 [built-in], "
        "s3://exports/daily.csv [declared]" in psql
    )

    needs_run = blocks["needs_a_run"]
    assert "template NOT rendered, shown as written: bash_command: UndefinedError" in needs_run
    assert "echo {{ ti.xcom_pull(task_ids='psql_load') }}" in needs_run

    # Connections render (as a run would), and their secrets are masked in the output.
    with_conn = blocks["uses_a_connection"]
    assert "templates rendered: bash_command" in with_conn
    assert "psql -h pg.internal" in with_conn
    assert "outputs: postgres://pg.internal:5432/public.t" in with_conn
    assert "pg-pw-unused" not in with_conn

    known = blocks["sql_known_conn"]
    assert "SqlExecuteQueryExtractor (built-in)" in known
    assert "WHERE day = '2024-03-05'" in known
    assert "inputs:  postgres://pg.internal:5433/shop.public.payments" not in known  # schema given: raw
    assert "inputs:  postgres://pg.internal:5433/shop.raw.payments" in known
    assert "outputs: postgres://pg.internal:5433/shop.mart.revenue" in known

    # A connection that does not exist here is that task's error, not a crash; the SQL is shown redacted.
    missing = blocks["sql_missing_conn"]
    assert "lineage error:" in missing and "nowhere" in missing
    assert "CREDENTIALS=(AWS_KEY_ID='***' AWS_SECRET_KEY='***')" in missing
    assert "AKIAINSPECT0001" not in out and "inspect-secret-99" not in out

    assert "extractor: OwnLineageOperator.get_secoda_lineage (operator method)" in blocks["own_method"]
    assert "outputs: s3://bucket/exports/2024-03-05" in blocks["own_method"]
    assert "extractor: none (the event carries no lineage)" in blocks["python_only"]
    declared = blocks["declared_only"]
    assert "extractor: none (only the declared lineage)" in declared
    assert "inputs:  postgres://pg.internal:5433/shop.raw.payments [declared]" in declared
    assert "outputs: file//tmp/report.txt [declared]" in declared

    assert "DAG opted_out  (NOT reported: opted out by tag)" in out
    # Nothing ran, nothing was spooled.
    assert not (tmp_path / "marker-ran").exists()
    assert not (tmp_path / "spool").exists()


def test_json_for_one_task_and_a_user_extractor_from_config(tmp_path: Path, dag_file: Path) -> None:
    (tmp_path / "my_extractors.py").write_text(USER_EXTRACTOR)
    result = inspect(
        tmp_path,
        str(dag_file),
        "--task",
        "psql_load",
        "--dag",
        "inspected",
        "--json",
        AIRFLOW__SECODA__EXTRACTORS="my_extractors:EchoExtractor",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    report = json.loads(result.stdout)
    [dag] = report["dags"]
    [task] = dag["tasks"]
    assert task["task_id"] == "psql_load" and task["reported"] is True
    assert task["extractor"] == {"label": "my_extractors:EchoExtractor", "origin": "config [secoda] extractors"}
    assert task["lineage"]["inputs"] == [{"namespace": "file://local", "name": "user-extractor"}]
    assert task["sources"] == [
        {"direction": "inputs", "namespace": "file://local", "name": "user-extractor", "source": "config"},
        {"direction": "outputs", "namespace": "s3://exports", "name": "daily.csv", "source": "declared"},
    ]
    assert task["source_code"] is None  # the user's extractor offers none: the event carries none
    assert task["templates"] == {"rendered": ["bash_command"], "not_rendered": {}}


def test_disabled_operator_is_shown_as_not_reported(tmp_path: Path, dag_file: Path) -> None:
    result = inspect(
        tmp_path,
        str(dag_file),
        "--task",
        "python_only",
        AIRFLOW__SECODA__DISABLED_FOR_OPERATORS="airflow.providers.standard.operators.python."
        "PythonOperator,airflow.operators.python.PythonOperator",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "NOT reported: operator in [secoda] disabled_for_operators" in result.stdout


def test_unknown_task_broken_file_and_missing_file(tmp_path: Path, dag_file: Path) -> None:
    unknown = inspect(tmp_path, str(dag_file), "--task", "nope")
    assert unknown.returncode == 1 and "error: no task 'nope'" in unknown.stdout

    broken = tmp_path / "broken.py"
    broken.write_text("from airflow import DAG\nraise RuntimeError('this DAG file is broken')\n")
    result = inspect(tmp_path, str(broken))
    assert result.returncode == 1
    assert "import error in" in result.stdout and "this DAG file is broken" in result.stdout

    missing = inspect(tmp_path, str(tmp_path / "absent.py"))
    assert missing.returncode == 2 and "no such file" in missing.stderr
