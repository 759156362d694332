"""Reading Airflow's objects: every field from real DAGs and operators, nulls where a field is missing."""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from secoda_listener.capture import airflow_objects as objects

try:  # Airflow 3
    from airflow.sdk import DAG
except ImportError:  # Airflow 2
    from airflow import DAG
try:
    from airflow.providers.standard.operators.bash import BashOperator
except ImportError:
    from airflow.operators.bash import BashOperator  # type: ignore[import-not-found,no-redef]

START = dt.datetime(2024, 1, 1, tzinfo=dt.timezone.utc)


class State(enum.Enum):
    RUNNING = "running"


def test_dag_block_reads_a_real_dag() -> None:
    dag = DAG(
        "objects_dag",
        start_date=START,
        schedule="@daily",
        tags=["b", "a"],
        description="d",
        max_active_runs=3,
        catchup=False,
    )
    block = objects.dag_block(dag)
    assert block.dag_id == "objects_dag"
    assert block.start_date == str(START)
    assert block.tags == ("a", "b")  # sorted: stable across parses
    assert block.description == "d"
    assert block.max_active_runs == 3
    assert block.catchup is False
    assert block.schedule_interval == "@daily"


def test_dag_block_of_nothing_keeps_the_id_it_was_given() -> None:
    block = objects.dag_block(None, "from_the_run")
    assert block.dag_id == "from_the_run"
    assert block.tags == () and block.start_date is None and block.schedule_interval is None


def test_operator_path_names_the_class_where_it_is_defined() -> None:
    dag = DAG("objects_op", start_date=START, schedule=None)
    task = BashOperator(task_id="t", bash_command="echo", dag=dag)
    path = objects.operator_path(task)
    assert path is not None and path.endswith(".BashOperator")
    assert path.startswith("airflow.")
    assert objects.operator_path(None) is None


def test_dag_params_are_plain_values() -> None:
    dag = DAG("objects_params", start_date=START, schedule=None, params={"secoda_conn_id": "other", "n": 3})
    assert objects.dag_params(dag) == {"secoda_conn_id": "other", "n": 3}
    assert objects.dag_params(None) == {}


class BrokenParams:
    @property
    def params(self) -> Any:
        raise RuntimeError("no params for you")


def test_unreadable_params_are_empty_not_an_error() -> None:
    assert objects.dag_params(BrokenParams()) == {}


def test_task_sql_keeps_strings_and_lists_as_sent() -> None:
    class Task:
        sql: Any = None

    task = Task()
    assert objects.task_sql(task) is None
    task.sql = "SELECT 1"
    assert objects.task_sql(task) == "SELECT 1"
    task.sql = ("SELECT 1", "SELECT 2")
    assert objects.task_sql(task) == ["SELECT 1", "SELECT 2"]


class Run:
    run_id = "manual__1"
    execution_date = START  # Airflow 2 spelling only
    run_type = "manual"
    state = State.RUNNING
    start_date = START
    end_date = None


def test_dag_run_block_reads_enums_and_the_airflow_2_date() -> None:
    block = objects.dag_run_block(Run())
    assert block is not None
    assert block.state == "running"  # the enum's wire value, not "State.RUNNING"
    assert block.logical_date == str(START)
    assert block.end_date is None
    assert objects.dag_run_block(None) is None


class TaskInstance:
    task_id = "t"
    dag_id = "d"
    run_id = "r"
    map_index = "3"
    try_number = 2
    max_tries = "not a number"
    start_date = START
    end_date = None
    hostname = "h"


def test_task_instance_block_tolerates_odd_values() -> None:
    block = objects.task_instance_block(TaskInstance(), "success", error=KeyError("k"))
    assert block.map_index == 3
    assert block.try_number == 2
    assert block.max_tries is None
    assert block.operator is None  # no .task
    assert block.error == "KeyError: 'k'"


def test_dag_run_of_task_prefers_the_attribute_then_the_context() -> None:
    class Airflow2:
        dag_run = "from-attribute"

    class Airflow3:
        def get_template_context(self) -> dict[str, Any]:
            return {"dag_run": "from-context"}

    class Broken:
        def get_template_context(self) -> dict[str, Any]:
            raise RuntimeError("outside a task")

    assert objects.dag_run_of_task(Airflow2()) == "from-attribute"
    assert objects.dag_run_of_task(Airflow3()) == "from-context"
    assert objects.dag_run_of_task(Broken()) is None
    assert objects.dag_run_of_task(object()) is None


# --- what Secoda's pull methods show: owners, file, docs, UI links ---------------------------


@pytest.fixture
def base_url(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    import airflow

    from secoda_listener.capture import ui_links

    section = "API" if int(airflow.__version__.split(".")[0]) >= 3 else "WEBSERVER"
    monkeypatch.setenv(f"AIRFLOW__{section}__BASE_URL", "https://af.example.com/")
    ui_links.reset_cache()
    yield "https://af.example.com"
    ui_links.reset_cache()


def _major() -> int:
    import airflow

    return int(airflow.__version__.split(".")[0])


def test_dag_owners_are_its_tasks_owners_split_as_the_ui_does() -> None:
    dag = DAG("owners_dag", start_date=START, schedule=None, default_args={"owner": "data-eng"})
    BashOperator(task_id="a", bash_command="echo", owner="alice, bob", dag=dag)
    BashOperator(task_id="b", bash_command="echo", dag=dag)
    BashOperator(task_id="c", bash_command="echo", owner="alice", dag=dag)
    assert objects.dag_owners(dag) == ("alice", "bob", "data-eng")
    assert objects.dag_block(dag).owners == ("alice", "bob", "data-eng")
    # A DAG without tasks has Airflow's default owner on no task: no owners.
    assert objects.dag_owners(DAG("no_tasks", start_date=START, schedule=None)) == ()
    assert objects.dag_owners(None) == ()


def test_fileloc_is_relative_to_the_dags_folder_when_inside_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    inside = tmp_path / "dags" / "team" / "etl.py"
    assert objects.relative_fileloc(str(inside), str(tmp_path / "dags")) == "team/etl.py"
    outside = tmp_path / "elsewhere" / "etl.py"
    assert objects.relative_fileloc(str(outside), str(tmp_path / "dags")) == str(outside)
    # A sibling whose name starts like the folder is not inside it.
    assert objects.relative_fileloc(str(tmp_path / "dags2" / "x.py"), str(tmp_path / "dags")) == str(
        tmp_path / "dags2" / "x.py"
    )
    assert objects.relative_fileloc(None) is None
    # A real DAG's file (this test module), against the configured folder.
    here = Path(__file__).resolve()
    monkeypatch.setattr(objects, "_dags_folder", [str(here.parent.parent)])
    dag = DAG("file_dag", start_date=START, schedule=None)
    assert objects.dag_block(dag).fileloc == "capture/test_airflow_objects.py"
    monkeypatch.setattr(objects, "_dags_folder", [str(tmp_path)])
    assert objects.dag_block(dag).fileloc == str(here)


def test_task_description_is_its_doc_bounded() -> None:
    dag = DAG("doc_dag", start_date=START, schedule=None)
    md = BashOperator(task_id="md", bash_command="echo", doc_md="# Orders\nloads them", dag=dag)
    rst = BashOperator(task_id="rst", bash_command="echo", doc_rst="Orders\n======", dag=dag)
    plain = BashOperator(task_id="plain", bash_command="echo", doc="plain", dag=dag)
    none = BashOperator(task_id="none", bash_command="echo", dag=dag)
    big = BashOperator(task_id="big", bash_command="echo", doc_md="x" * (objects.MAX_DESCRIPTION_CHARS + 5), dag=dag)
    assert objects.task_description(md) == "# Orders\nloads them"
    assert objects.task_description(rst) == "Orders\n======"
    assert objects.task_description(plain) == "plain"
    assert objects.task_description(none) is None
    text = objects.task_description(big)
    assert text is not None and text.startswith("x" * objects.MAX_DESCRIPTION_CHARS)
    assert text.endswith("…[truncated 5 chars by secoda-listener]")


class LinkedTaskInstance:
    dag_id = "d"
    task_id = "t"
    run_id = "manual__2024-01-01T00:00:00+00:00"
    map_index = 2
    try_number = 3
    max_tries = 3
    start_date = START
    end_date = None
    hostname = "h"
    execution_date = START


def test_blocks_carry_ui_links_and_the_tasks_owner_and_doc(base_url: str) -> None:
    dag = DAG("links_dag", start_date=START, schedule=None)
    ti = LinkedTaskInstance()
    ti.task = BashOperator(task_id="t", bash_command="echo", owner="alice", doc_md="doc", dag=dag)  # type: ignore[attr-defined]
    block = objects.task_instance_block(ti, "success")
    run = "manual__2024-01-01T00%3A00%3A00%2B00%3A00"
    assert (block.owner, block.description) == ("alice", "doc")
    if _major() >= 3:
        assert block.url == f"{base_url}/dags/d/runs/{run}/tasks/t/mapped/2"
        assert block.log_url == f"{base_url}/dags/d/runs/{run}/tasks/t/mapped/2?try_number=3"
        assert objects.dag_block(dag).url == f"{base_url}/dags/links_dag"
        assert objects.dag_run_block(LinkedRun()).url == f"{base_url}/dags/d/runs/{run}"
    else:
        grid = f"{base_url}/dags/d/grid?dag_run_id={run}&task_id=t&map_index=2"
        assert block.url == grid
        assert block.log_url == f"{grid}&base_date=2024-01-01T00%3A00%3A00%2B0000&tab=logs"
        assert objects.dag_block(dag).url == f"{base_url}/dags/links_dag/grid"
        assert objects.dag_run_block(LinkedRun()).url == f"{base_url}/dags/d/grid?dag_run_id={run}"
    # Without ids there is nothing to link to.
    assert objects.task_instance_block(object(), "success").url is None
    assert objects.dag_run_block(Run()).url is None


class LinkedRun:
    dag_id = "d"
    run_id = "manual__2024-01-01T00:00:00+00:00"
    state = "success"
