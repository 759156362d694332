"""One precedence, level by level: a user's extractor ([secoda] extractors, then entry points) >
the operator's get_secoda_lineage > built-in extractors > OpenLineage methods > hook-level lineage;
the first level that handles a task wins alone, and the lineage declared on the task (inlets,
outlets) is always added to it, deduplicated, each dataset saying where it came from."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from types import SimpleNamespace
from typing import Any

import pytest

from secoda_listener.extractors import BaseExtractor, Dataset, Lineage, hook_lineage, manager
from secoda_listener.extractors import registry as registry_module
from secoda_listener.extractors.manager import ExtractorManager, Origin, Phase, TaskLineage

try:  # Airflow 3
    from airflow.sdk import Asset, BaseOperator
except ImportError:  # Airflow 2.10
    from airflow.datasets import Dataset as Asset
    from airflow.models.baseoperator import BaseOperator

PRECEDENCE = [
    Origin.CONFIG,
    Origin.ENTRY_POINT,
    Origin.OPERATOR_METHOD,
    Origin.BUILT_IN,
    Origin.OPENLINEAGE,
    Origin.HOOK_LINEAGE,
]
DECLARED_IN = Dataset("s3://landing", "orders.csv")
DECLARED_OUT = Dataset("postgres://db.internal:5432", "shop.public.orders")


class FakeTI:
    """The task and its context: what every level reads."""

    def __init__(self, task: Any) -> None:
        self.task = task
        self.dag_id, self.task_id, self.run_id, self.map_index = "d", task.task_id, "r", -1

    def get_template_context(self) -> dict[str, Any]:
        return {}


class LevelOperator(BaseOperator):
    def execute(self, context: Any) -> None:
        return None


def level_dataset(origin: Origin) -> Dataset:
    return Dataset("level", origin.name)


class LevelExtractor(BaseExtractor):
    operators = (f"{LevelOperator.__module__}.{LevelOperator.__qualname__}",)
    origin = Origin.CONFIG

    def extract_on_start(self, task_instance: Any) -> Lineage:
        return Lineage(outputs=[level_dataset(self.origin)])


class ConfigLevel(LevelExtractor):
    origin = Origin.CONFIG


class EntryPointLevel(LevelExtractor):
    origin = Origin.ENTRY_POINT


class BuiltinLevel(LevelExtractor):
    origin = Origin.BUILT_IN


class RaisingConfigLevel(LevelExtractor):
    def extract_on_start(self, task_instance: Any) -> Lineage:
        raise RuntimeError("the catalog is down")


def task_with(levels: set[Origin], **kwargs: Any) -> Any:
    """A LevelOperator subclass with the operator methods of ``levels``."""
    namespace: dict[str, Any] = {}
    if Origin.OPERATOR_METHOD in levels:
        namespace["get_secoda_lineage"] = lambda self, context: Lineage(outputs=[level_dataset(Origin.OPERATOR_METHOD)])
    if Origin.OPENLINEAGE in levels:
        namespace["get_openlineage_facets_on_start"] = lambda self: SimpleNamespace(
            inputs=[], outputs=[SimpleNamespace(namespace="level", name=Origin.OPENLINEAGE.name)]
        )
    return type("Levels", (LevelOperator,), namespace)(task_id="levels", **kwargs)


@pytest.fixture
def levels(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., ExtractorManager]]:
    """A fresh manager whose extractor levels are those given (hook lineage: a stand-in module)."""

    def apply(available: set[Origin], config: type = ConfigLevel) -> ExtractorManager:
        paths = [f"{__name__}:{config.__name__}"] if Origin.CONFIG in available else []
        monkeypatch.setenv("AIRFLOW__SECODA__EXTRACTORS", ",".join(paths))
        entry_points = [("level", f"{__name__}:EntryPointLevel")] if Origin.ENTRY_POINT in available else []
        monkeypatch.setattr(registry_module, "_entry_points", lambda: iter(entry_points))
        builtin = (f"{__name__}:BuiltinLevel",) if Origin.BUILT_IN in available else ()
        monkeypatch.setattr(registry_module, "BUILTIN", builtin)
        # What the task's hooks reported: the reading itself is tested in test_hook_lineage.py
        # (a real collector) and tests/e2e/test_hook_lineage_e2e.py; here only its rank.
        collected = (
            Lineage(outputs=[level_dataset(Origin.HOOK_LINEAGE)]) if Origin.HOOK_LINEAGE in available else Lineage()
        )
        monkeypatch.setattr(hook_lineage, "collected_lineage", lambda task_instance: collected)
        fresh = ExtractorManager()
        monkeypatch.setattr(manager, "extractor_manager", fresh)
        return fresh

    yield apply


def lineage_for(task: Any, phase: Phase = Phase.COMPLETE) -> TaskLineage:
    return manager.extractor_manager.lineage_for(FakeTI(task), phase)


@pytest.mark.parametrize(("higher", "lower"), list(zip(PRECEDENCE, PRECEDENCE[1:])), ids=lambda o: o.name)
def test_of_two_adjacent_levels_the_higher_one_wins(
    levels: Callable[..., ExtractorManager], higher: Origin, lower: Origin
) -> None:
    assert list(Origin) == PRECEDENCE
    levels({higher, lower})
    task = task_with({higher, lower})
    got = lineage_for(task)
    assert got.origin is higher, got
    assert got.lineage.outputs == (level_dataset(higher),)
    # And the lower one alone is what it reports without the higher one.
    levels({lower})
    alone = lineage_for(task_with({lower}))
    assert (alone.origin, alone.lineage.outputs) == (lower, (level_dataset(lower),))


@pytest.mark.parametrize("winner", PRECEDENCE, ids=lambda o: o.name)
def test_declared_inlets_and_outlets_are_added_to_whatever_level_won(
    levels: Callable[..., ExtractorManager], winner: Origin
) -> None:
    below = set(PRECEDENCE[PRECEDENCE.index(winner) :])
    levels(below)
    task = task_with(
        below, inlets=[Asset("s3://landing/orders.csv")], outlets=[Asset("postgres://db.internal/shop/public/orders")]
    )
    got = lineage_for(task)
    assert got.origin is winner
    assert got.lineage == Lineage(inputs=[DECLARED_IN], outputs=[level_dataset(winner), DECLARED_OUT])
    assert [(s.direction, s.dataset, s.label) for s in got.sources] == [
        ("inputs", DECLARED_IN, "declared"),
        ("outputs", level_dataset(winner), str(winner)),
        ("outputs", DECLARED_OUT, "declared"),
    ]


def test_declared_is_added_when_nothing_handles_the_task_and_when_the_winner_fails(
    levels: Callable[..., ExtractorManager],
) -> None:
    levels(set())
    task = task_with(set(), outlets=[Asset("postgres://db.internal/shop/public/orders")])
    got = lineage_for(task)
    assert (got.origin, got.lineage) == (None, Lineage(outputs=[DECLARED_OUT]))
    assert [s.label for s in got.sources] == ["declared"]

    levels({Origin.CONFIG, Origin.BUILT_IN}, config=RaisingConfigLevel)
    failed = lineage_for(task_with({Origin.BUILT_IN}, outlets=[Asset("postgres://db.internal/shop/public/orders")]))
    assert failed.origin is Origin.CONFIG  # the winner failed: no fall-through to a lower level
    assert failed.lineage.outputs == (DECLARED_OUT,)
    assert any("the catalog is down" in error for error in failed.lineage.errors)


class ReportsWhatItDeclares(LevelOperator):
    def get_secoda_lineage(self, context: Any) -> Lineage:
        return Lineage(outputs=[DECLARED_OUT])


def test_a_dataset_found_by_the_winner_and_declared_too_is_one_dataset_of_both_sources(
    levels: Callable[..., ExtractorManager],
) -> None:
    levels({Origin.OPERATOR_METHOD})
    task = ReportsWhatItDeclares(task_id="both", outlets=[Asset("postgres://db.internal/shop/public/orders")])
    got = lineage_for(task)
    assert got.lineage.outputs == (DECLARED_OUT,)
    (source,) = got.sources
    assert (source.origin, source.declared, source.label) == (Origin.OPERATOR_METHOD, True, "operator method, declared")


def test_hook_level_lineage_only_at_the_end_and_only_when_nothing_else_handles_the_task(
    levels: Callable[..., ExtractorManager],
) -> None:
    levels({Origin.HOOK_LINEAGE})
    task = task_with(set())
    assert lineage_for(task, Phase.START) == TaskLineage(Lineage())  # hooks have not run yet
    for phase in (Phase.COMPLETE, Phase.FAILURE):
        got = lineage_for(task, phase)
        assert (got.origin, got.lineage.outputs) == (Origin.HOOK_LINEAGE, (level_dataset(Origin.HOOK_LINEAGE),))
    # Every other level beats it, one at a time.
    for higher in PRECEDENCE[:-1]:
        levels({higher, Origin.HOOK_LINEAGE})
        assert lineage_for(task_with({higher})).origin is higher


def test_hook_level_lineage_that_saw_nothing_handles_nothing(levels: Callable[..., ExtractorManager]) -> None:
    levels(set())  # the hooks reported nothing
    assert lineage_for(task_with(set())) == TaskLineage(Lineage())
