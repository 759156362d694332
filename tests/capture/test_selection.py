"""Which DAGs and operators report: opt_out_tags, only_tags, disabled_for_operators."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path
from typing import Any

import pytest

from secoda_listener.capture.selection import dag_run_selected, dag_selected, operator_selected

try:  # Airflow 3
    from airflow.providers.standard.operators.bash import BashOperator
    from airflow.providers.standard.operators.python import PythonOperator
    from airflow.sdk import DAG
except ImportError:  # Airflow 2.10
    from airflow import DAG
    from airflow.operators.bash import BashOperator
    from airflow.operators.python import PythonOperator

START = dt.datetime(2024, 1, 1)


def dag(*tags: str) -> DAG:
    return DAG(f"d_{'_'.join(tags) or 'untagged'}".replace(":", "_"), start_date=START, schedule=None, tags=list(tags))


class NightlyBash(BashOperator):
    pass


def path_of(cls: type) -> str:
    return f"{cls.__module__}.{cls.__qualname__}"


@pytest.fixture(autouse=True)
def clean(monkeypatch: pytest.MonkeyPatch) -> None:
    for option in ("ONLY_TAGS", "OPT_OUT_TAGS", "DISABLED_FOR_OPERATORS"):
        monkeypatch.delenv(f"AIRFLOW__SECODA__{option}", raising=False)


def test_defaults_select_everything_but_the_default_opt_out_tag() -> None:
    assert dag_selected(dag()) and dag_selected(dag("team:data"))
    assert not dag_selected(dag("secoda:disabled", "team:data"))
    assert operator_selected(BashOperator(task_id="b", bash_command="true"))


def test_only_tags_keeps_dags_with_one_of_them(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AIRFLOW__SECODA__ONLY_TAGS", "secoda, finance")
    assert dag_selected(dag("secoda"))
    assert dag_selected(dag("finance", "other"))
    assert not dag_selected(dag("other"))
    assert not dag_selected(dag())


def test_opt_out_wins_over_only_tags(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AIRFLOW__SECODA__ONLY_TAGS", "secoda")
    monkeypatch.setenv("AIRFLOW__SECODA__OPT_OUT_TAGS", "sandbox")
    assert not dag_selected(dag("secoda", "sandbox"))
    assert dag_selected(dag("secoda", "secoda:disabled"))  # the default tag is replaced, not added to


def test_disabled_for_operators_covers_subclasses_and_nothing_else(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AIRFLOW__SECODA__DISABLED_FOR_OPERATORS", path_of(BashOperator))
    assert not operator_selected(BashOperator(task_id="b", bash_command="true"))
    assert not operator_selected(NightlyBash(task_id="n", bash_command="true"))
    assert operator_selected(PythonOperator(task_id="p", python_callable=lambda: None))
    assert operator_selected(None)


def test_disabling_a_subclass_leaves_its_base_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AIRFLOW__SECODA__DISABLED_FOR_OPERATORS", f"some.other.Op, {path_of(NightlyBash)}")
    assert not operator_selected(NightlyBash(task_id="n", bash_command="true"))
    assert operator_selected(BashOperator(task_id="b", bash_command="true"))


def test_a_reexported_import_path_works(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    # Users write the path they import from (a re-export), not where the class lives.
    (tmp_path / "acme_operators.py").write_text(f"from {__name__} import NightlyBash as Nightly\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    import acme_operators  # noqa: F401 - only to be in sys.modules, where selection looks

    monkeypatch.setenv("AIRFLOW__SECODA__DISABLED_FOR_OPERATORS", "acme_operators.Nightly")
    assert not operator_selected(NightlyBash(task_id="n", bash_command="true"))
    assert operator_selected(BashOperator(task_id="b", bash_command="true"))
    monkeypatch.delitem(sys.modules, "acme_operators")


# --- DAGs still wired to secoda-airflow (the callback provider) --------------------------------


def _round_trip(a_dag: Any) -> Any:
    """The DAG as the scheduler has it: serialized, callbacks reduced to has_on_*_callback flags."""
    try:  # Airflow 3
        from airflow.serialization.serialized_objects import DagSerialization as serializer
    except ImportError:  # Airflow 2
        from airflow.serialization.serialized_objects import SerializedDAG as serializer
    return serializer.from_dict(serializer.to_dict(a_dag))


def _own_callback(context: Any) -> None:
    pass


def _provider_dag(dag_id: str) -> Any:
    from secoda_airflow.callbacks import dag_callbacks, task_callbacks

    with DAG(dag_id, start_date=START, schedule=None, default_args=dict(task_callbacks), **dag_callbacks) as a_dag:
        BashOperator(task_id="wired", bash_command="true")
        BashOperator(task_id="unwired", bash_command="true", on_success_callback=None, on_failure_callback=None)
        BashOperator(
            task_id="mixed",
            bash_command="true",
            on_success_callback=[_own_callback, task_callbacks["on_success_callback"]],
        )
        BashOperator(task_id="own", bash_command="true", on_success_callback=_own_callback, on_failure_callback=None)
    return a_dag


def test_tasks_and_runs_with_the_providers_callbacks_are_left_to_them(caplog: pytest.LogCaptureFixture) -> None:
    from secoda_listener import logs

    logs.forget()
    a_dag = _provider_dag("provider_wired")
    tasks = a_dag.task_dict
    assert not operator_selected(tasks["wired"])
    assert not operator_selected(tasks["mixed"])  # one of a list is enough
    assert operator_selected(tasks["unwired"]) and operator_selected(tasks["own"])
    assert not dag_run_selected(a_dag)
    assert dag_selected(a_dag)  # the DAG itself is selected: its other tasks report
    assert operator_selected(tasks["wired"]) is False  # asked again: still left, said once
    said = [r.getMessage() for r in caplog.records if "secoda-airflow callbacks" in r.getMessage()]
    assert said == [
        "secoda-listener: DAG provider_wired still has the secoda-airflow callbacks: its tasks are left to them "
        "(this plugin does not report them, so Secoda gets each once, without lineage). To migrate, remove "
        "secoda_airflow's task_callbacks/dag_callbacks from the DAG and its default_args, and keep the secoda "
        "connection; `secoda-listener doctor` lists the DAGs that still have them",
        "secoda-listener: DAG provider_wired still has the secoda-airflow callbacks: its DAG runs are left to them "
        "(this plugin does not report them, so Secoda gets each once, without lineage). To migrate, remove "
        "secoda_airflow's task_callbacks/dag_callbacks from the DAG and its default_args, and keep the secoda "
        "connection; `secoda-listener doctor` lists the DAGs that still have them",
    ]


def test_other_callbacks_and_no_callbacks_report() -> None:
    with DAG("own_callbacks", start_date=START, schedule=None, on_success_callback=_own_callback) as a_dag:
        task = BashOperator(task_id="t", bash_command="true", on_failure_callback=_own_callback)
    assert operator_selected(task) and dag_run_selected(a_dag)
    assert dag_run_selected(dag()) and dag_run_selected(None)


def test_a_serialized_dag_is_judged_by_its_file(tmp_path: Path) -> None:
    # The scheduler's DAG keeps only flags: the DAG's file tells whose callbacks they are.
    wired = _provider_dag("provider_serialized")
    wired.fileloc = str(tmp_path / "wired.py")
    (tmp_path / "wired.py").write_text("from secoda_airflow.callbacks import dag_callbacks\n")
    scheduler_dag = _round_trip(wired)
    assert not getattr(scheduler_dag, "on_success_callback", None)  # really only flags
    assert not dag_run_selected(scheduler_dag)
    assert not operator_selected(scheduler_dag.task_dict["wired"])
    assert operator_selected(scheduler_dag.task_dict["unwired"])  # no callback at all: no flag

    with DAG("own_serialized", start_date=START, schedule=None, on_success_callback=_own_callback) as own:
        BashOperator(task_id="t", bash_command="true", on_success_callback=_own_callback)
    own.fileloc = str(tmp_path / "own.py")
    (tmp_path / "own.py").write_text("def my_callback(context): ...\n")
    scheduler_own = _round_trip(own)
    assert dag_run_selected(scheduler_own) and operator_selected(scheduler_own.task_dict["t"])
    # The file changed (the callbacks were removed from the wired DAG): read again.
    (tmp_path / "wired.py").write_text("# migrated: the listener reports this DAG now\n" * 3)
    assert dag_run_selected(scheduler_dag)
    # A file not on this host (a remote bundle): nothing to tell, the run is reported.
    wired.fileloc = str(tmp_path / "absent.py")
    assert dag_run_selected(_round_trip(wired))
