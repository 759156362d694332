"""Declared lineage from real Airflow objects: inlets, outlets, aliases, lineage entities and the
asset events a try emitted (Airflow 3 keeps them in the task's context; 2.10 in the database,
read end to end in tests/e2e/test_declared_lineage_e2e.py)."""

from __future__ import annotations

from typing import Any

import pytest

from secoda_listener.event.datasets import Dataset, Lineage
from secoda_listener.extractors import declared
from secoda_listener.extractors.base import Phase
from tests.support.airflow_home import airflow_major

try:  # Airflow 3
    from airflow.providers.standard.operators.bash import BashOperator
    from airflow.sdk import Asset, AssetAlias
    from airflow.sdk.execution_time.context import OutletEventAccessors
except ImportError:  # Airflow 2.10
    from airflow.datasets import Dataset as Asset
    from airflow.datasets import DatasetAlias as AssetAlias
    from airflow.operators.bash import BashOperator
    from airflow.utils.context import OutletEventAccessors

AIRFLOW_3 = airflow_major() >= 3

ORDERS = "postgres://db.internal:5432/shop/public/orders"
ORDERS_DATASET = Dataset("postgres://db.internal:5432", "shop.public.orders")
EXPORT = "s3://exports/daily/orders.csv"
EXPORT_DATASET = Dataset("s3://exports", "daily/orders.csv")


class ContextTI:
    """What the listener gets on Airflow 3, as far as declared lineage reads it: the task,
    its identity, and the context it ran with (a real ``OutletEventAccessors``)."""

    def __init__(self, task: Any, outlet_events: Any = None) -> None:
        self.task = task
        self.dag_id, self.task_id, self.run_id, self.map_index = "d", task.task_id, "r1", -1
        self._cached_template_context = {"outlet_events": outlet_events}


def bash(**kwargs: Any) -> Any:
    return BashOperator(task_id=kwargs.pop("task_id", "t"), bash_command="true", **kwargs)


def test_inlets_are_inputs_and_outlets_are_outputs() -> None:
    task = bash(inlets=[Asset(ORDERS)], outlets=[Asset(EXPORT), Asset("file:///tmp/report.txt")])
    got = declared.declared_lineage(ContextTI(task), Phase.START)
    assert got.lineage == Lineage(inputs=[ORDERS_DATASET], outputs=[EXPORT_DATASET, Dataset("file", "/tmp/report.txt")])
    assert got.asset_events == ()  # nothing emitted before the task ran


def test_what_names_no_dataset_is_passed_over() -> None:
    # A name-only asset, Airflow 2's "auto", another task: nothing outside Airflow to name.
    other = bash(task_id="upstream")
    task = bash(inlets=[Asset("just_a_name"), other], outlets=[Asset(EXPORT)])
    got = declared.declared_lineage(ContextTI(task), Phase.START)
    assert got.lineage == Lineage(outputs=[EXPORT_DATASET])
    assert declared.dataset_of("auto") is None and declared.dataset_of(object()) is None


def test_an_alias_outlet_names_nothing_until_the_task_attaches_assets() -> None:
    task = bash(outlets=[AssetAlias("daily-exports")])
    assert declared.declared_lineage(ContextTI(task), Phase.START).lineage == Lineage()


def airflow2_reads_events_from_the_database() -> None:
    """Airflow 2.10 keeps the events of a try only in the database: declared lineage reads them
    there (tests/capture/test_asset_events.py, tests/e2e/test_declared_lineage_e2e.py), never
    from a context, for a real task instance with an asset outlet."""
    from airflow.models.taskinstance import TaskInstance

    ti = TaskInstance(bash(outlets=[Asset(EXPORT)]), run_id="r1")
    assert declared.reads_database(ti, Phase.COMPLETE)


def test_events_a_successful_try_emitted_from_its_context() -> None:
    if not AIRFLOW_3:
        airflow2_reads_events_from_the_database()
        return
    alias = AssetAlias("daily-exports")
    task = bash(outlets=[Asset(ORDERS), alias])
    events = OutletEventAccessors()
    events[Asset(ORDERS)].extra = {"rows": 42}
    events[alias].add(Asset(EXPORT), extra={"format": "csv"})
    events[alias].add(Asset("gs://archive/orders.parquet"))
    ti = ContextTI(task, events)

    got = declared.declared_lineage(ti, Phase.COMPLETE)
    assert got.lineage.outputs == (ORDERS_DATASET, EXPORT_DATASET, Dataset("gs://archive", "orders.parquet"))
    direct, via_alias, plain = got.asset_events
    assert (direct.dataset, direct.uri, direct.extra, direct.source_aliases) == (
        ORDERS_DATASET,
        ORDERS,
        {"rows": 42},
        (),
    )
    assert (direct.source_dag_id, direct.source_task_id, direct.source_run_id, direct.source_map_index) == (
        "d",
        "t",
        "r1",
        -1,
    )
    assert (via_alias.dataset, via_alias.extra, via_alias.source_aliases) == (
        EXPORT_DATASET,
        {"format": "csv"},
        ("daily-exports",),
    )
    assert plain.extra is None
    # A failed try emits nothing: the outlets are still declared, no alias target is.
    failed = declared.declared_lineage(ti, Phase.FAILURE)
    assert failed.lineage.outputs == (ORDERS_DATASET,) and failed.asset_events == ()


def test_an_asset_attached_to_two_aliases_with_one_extra_is_one_event() -> None:
    if not AIRFLOW_3:
        airflow2_reads_events_from_the_database()
        return
    first, second = AssetAlias("a1"), AssetAlias("a2")
    events = OutletEventAccessors()
    events[first].add(Asset(EXPORT), extra={"v": 1})
    events[second].add(Asset(EXPORT), extra={"v": 1})
    got = declared.declared_lineage(ContextTI(bash(outlets=[first, second]), events), Phase.COMPLETE)
    (event,) = got.asset_events
    assert event.source_aliases == ("a1", "a2") and got.lineage.outputs == (EXPORT_DATASET,)


def test_airflow2_lineage_entities() -> None:
    if AIRFLOW_3:  # Airflow 3 removed them: there is nothing more to read
        with pytest.raises(ImportError):
            import airflow.lineage.entities  # noqa: F401
        return
    from airflow.lineage.entities import File, Table

    table = Table(database="shop", cluster="postgres://db.internal:5432", name="public.orders")
    task = bash(inlets=[table], outlets=[File(url=EXPORT)])
    got = declared.declared_lineage(ContextTI(task), Phase.START)
    assert got.lineage == Lineage(inputs=[ORDERS_DATASET], outputs=[EXPORT_DATASET])


def test_only_a_successful_try_with_asset_outlets_reads_the_database() -> None:
    class OrmLike:  # reads_database looks at the class's module, as for Airflow 2's ORM TaskInstance
        pass

    OrmLike.__module__ = "airflow.models.taskinstance"
    ti = OrmLike()
    ti.task = bash(outlets=[Asset(EXPORT)])  # type: ignore[attr-defined]
    assert declared.reads_database(ti, Phase.COMPLETE) is (not AIRFLOW_3)
    assert not declared.reads_database(ti, Phase.START) and not declared.reads_database(ti, Phase.FAILURE)
    ti.task = bash()  # type: ignore[attr-defined]
    assert not declared.reads_database(ti, Phase.COMPLETE)


def test_bounded_and_never_confused_by_odd_values() -> None:
    many = [Asset(f"s3://bucket/part-{i}") for i in range(declared.MAX_DECLARED + 50)]
    task = bash(outlets=many)
    got = declared.declared_lineage(ContextTI(task), Phase.START)
    assert len(got.lineage.outputs) == declared.MAX_DECLARED
    assert declared.declared_lineage(object(), Phase.START) == declared.Declared()
