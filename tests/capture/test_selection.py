"""Which DAGs and operators report: opt_out_tags, only_tags, disabled_for_operators."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import pytest

from secoda_listener.capture.selection import dag_selected, operator_selected

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
