"""Reading Airflow's objects: every field from real DAGs and operators, nulls where a field is missing."""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any

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
