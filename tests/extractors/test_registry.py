"""Which extractor handles a task: the extractor levels of precedence (hook-level lineage and
declared lineage: tests/extractors/test_precedence.py), subclass matching,
extractors that cannot be loaded, and discovery through a real installed distribution."""

from __future__ import annotations

import importlib.metadata
import logging
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from secoda_listener.extractors import BaseExtractor, Dataset, Lineage, manager
from secoda_listener.extractors import registry as registry_module
from secoda_listener.extractors.manager import ExtractorManager, TaskLineage
from secoda_listener.extractors.registry import ENTRY_POINT_GROUP, Origin, Registry, class_paths, matches

try:  # Airflow 3
    from airflow.providers.standard.operators.bash import BashOperator
    from airflow.sdk import BaseOperator
except ImportError:  # Airflow 2.10
    from airflow.models.baseoperator import BaseOperator
    from airflow.operators.bash import BashOperator

# The built-in Bash extractor finds this INSERT; every other level names its own dataset.
LADDER_COMMAND = 'psql -h db.internal -d shop -c "INSERT INTO level.builtin SELECT 1"'
BUILTIN_OUTPUT = Dataset("postgres://db.internal:5432", "shop.level.builtin")


def _openlineage(name: str) -> SimpleNamespace:
    """Shaped like the OpenLineage provider's OperatorLineage (not installed here)."""
    return SimpleNamespace(inputs=[], outputs=[SimpleNamespace(namespace="level", name=name)], run_facets={})


class LadderOperator(BashOperator):
    """Handled at every level at once; each step of the ladder takes the top one away."""

    def get_secoda_lineage(self, context: Any) -> Lineage:
        return Lineage(outputs=[Dataset("level", "3-method")])

    def get_openlineage_facets_on_start(self) -> SimpleNamespace:
        return _openlineage("5-openlineage")


class SubLadderOperator(LadderOperator):
    pass


class OpenLineageBashOperator(BashOperator):
    """A built-in extractor and OpenLineage methods: the built-in must win."""

    def get_openlineage_facets_on_start(self) -> SimpleNamespace:
        return _openlineage("5-openlineage")


class OpenLineageOnlyOperator(BaseOperator):
    def get_openlineage_facets_on_start(self) -> SimpleNamespace:
        return _openlineage("5-openlineage")

    def execute(self, context: Any) -> None:
        return None


def path_of(cls: type) -> str:
    return f"{cls.__module__}.{cls.__qualname__}"


class ConfigExtractor(BaseExtractor):
    operators = (path_of(LadderOperator),)

    def extract_on_start(self, task_instance: Any) -> Lineage:
        return Lineage(outputs=[Dataset("level", "1-config")])


class SecondConfigExtractor(BaseExtractor):
    operators = (path_of(LadderOperator),)

    def extract_on_start(self, task_instance: Any) -> Lineage:
        return Lineage(outputs=[Dataset("level", "1-config-second")])


class NotAnExtractor:
    operators = (path_of(LadderOperator),)


CONFIG = f"{__name__}:ConfigExtractor"
SECOND_CONFIG = f"{__name__}:SecondConfigExtractor"


class FakeTI:
    """What the extractors read from a task instance: the operator."""

    def __init__(self, task: Any) -> None:
        self.task = task


def _write_distribution(site: Path, name: str, entry_points: dict[str, str], module_source: str) -> None:
    """A real installed distribution: ``<name>-1.0.dist-info`` with entry points, plus its module."""
    dist_info = site / f"{name}-1.0.dist-info"
    dist_info.mkdir(parents=True)
    (dist_info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.0\n")
    lines = [f"[{ENTRY_POINT_GROUP}]"] + [f"{key} = {value}" for key, value in entry_points.items()]
    (dist_info / "entry_points.txt").write_text("\n".join(lines) + "\n")
    (site / f"{name.replace('-', '_')}.py").write_text(module_source)


PLUGIN_SOURCE = textwrap.dedent(
    """
    from secoda_listener.extractors import BaseExtractor, Dataset, Lineage

    class EntryPointExtractor(BaseExtractor):
        operators = ({operator!r},)

        def extract_on_start(self, task_instance):
            return Lineage(outputs=[Dataset("level", "2-entry-point")])
    """
)


@pytest.fixture
def configure(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Callable[..., Registry]:
    """Set ``[secoda] extractors``, install or uninstall the test distribution, start a fresh registry."""
    site = tmp_path / "site"
    _write_distribution(
        site,
        "acme-lineage-plugin",
        {"acme": "acme_lineage_plugin:EntryPointExtractor", "broken": "acme_lineage_plugin:Missing"},
        PLUGIN_SOURCE.format(operator=path_of(LadderOperator)),
    )

    def apply(*, config: tuple[str, ...] = (), entry_point: bool = False) -> Registry:
        monkeypatch.setenv("AIRFLOW__SECODA__EXTRACTORS", ",".join(config))
        if entry_point and str(site) not in sys.path:
            monkeypatch.syspath_prepend(str(site))
        elif not entry_point and str(site) in sys.path:
            sys.path.remove(str(site))
        registry = Registry()
        monkeypatch.setattr(manager, "extractor_manager", ExtractorManager(registry))
        return registry

    return apply


def extract(task_instance: Any, phase: str) -> TaskLineage:
    """Through the module-level manager, as the listener calls it."""
    return manager.extractor_manager.lineage_for(task_instance, phase)


def outputs(task: Any) -> list[str]:
    return [dataset.name for dataset in extract(FakeTI(task), "start").lineage.outputs]


def test_precedence_ladder_each_level_beats_the_ones_below(configure: Callable[..., Registry]) -> None:
    ladder = LadderOperator(task_id="ladder", bash_command=LADDER_COMMAND)

    configure(config=(CONFIG,), entry_point=True)
    got = extract(FakeTI(ladder), "start")
    assert [d.name for d in got.lineage.outputs] == ["1-config"], got
    assert (got.extractor, got.origin) == (CONFIG, Origin.CONFIG)

    configure(entry_point=True)
    got = extract(FakeTI(ladder), "start")
    assert [d.name for d in got.lineage.outputs] == ["2-entry-point"]
    assert got.extractor == "acme_lineage_plugin:EntryPointExtractor"
    assert got.origin is Origin.ENTRY_POINT

    configure()
    assert outputs(ladder) == ["3-method"]
    assert extract(FakeTI(ladder), "start").origin is Origin.OPERATOR_METHOD

    # No user extractor, no method: the built-in Bash extractor, though OpenLineage methods exist.
    got = extract(FakeTI(OpenLineageBashOperator(task_id="b", bash_command=LADDER_COMMAND)), "start")
    assert got.lineage.outputs == (BUILTIN_OUTPUT,), got
    assert got.extractor == "secoda_listener.extractors.bash:BashExtractor"
    assert got.origin is Origin.BUILT_IN

    # Nothing else knows the operator: its OpenLineage methods.
    assert outputs(OpenLineageOnlyOperator(task_id="ol")) == ["5-openlineage"]
    assert extract(FakeTI(OpenLineageOnlyOperator(task_id="ol")), "start").origin is Origin.OPENLINEAGE


def test_config_order_decides_between_two_config_extractors(configure: Callable[..., Registry]) -> None:
    configure(config=(SECOND_CONFIG, CONFIG))
    assert outputs(LadderOperator(task_id="t", bash_command="true")) == ["1-config-second"]


def test_subclasses_match_by_their_bases(configure: Callable[..., Registry]) -> None:
    configure(config=(CONFIG,))
    assert outputs(SubLadderOperator(task_id="sub", bash_command="true")) == ["1-config"]
    assert path_of(LadderOperator) in class_paths(SubLadderOperator)
    assert not matches(ConfigExtractor(), BashOperator)  # bases match, never the other way round


def test_a_reexported_path_matches_once_its_module_is_imported(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    (tmp_path / "acme_public_api.py").write_text(f"from {LadderOperator.__module__} import LadderOperator\n")
    monkeypatch.syspath_prepend(str(tmp_path))

    class ReexportExtractor(BaseExtractor):
        operators = ("acme_public_api.LadderOperator",)

    assert not matches(ReexportExtractor(), LadderOperator)  # matching imports nothing
    import acme_public_api  # noqa: F401 - only to be in sys.modules, where matching looks

    assert matches(ReexportExtractor(), LadderOperator)
    monkeypatch.delitem(sys.modules, "acme_public_api")


def test_a_path_that_cannot_be_imported_warns_once_and_the_rest_still_work(
    configure: Callable[..., Registry], caplog: pytest.LogCaptureFixture
) -> None:
    broken = "acme_nowhere.lineage:CopyExtractor"
    not_ours = f"{__name__}:NotAnExtractor"
    configure(config=(broken, not_ours, CONFIG), entry_point=True)
    ladder = LadderOperator(task_id="ladder", bash_command=LADDER_COMMAND)
    with caplog.at_level(logging.WARNING, logger="secoda_listener"):
        for phase in ("start", "complete", "start"):
            assert [d.name for d in extract(FakeTI(ladder), phase).lineage.outputs] == ["1-config"]

    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len([w for w in warnings if broken in w]) == 1, warnings
    assert any(broken in w and "ModuleNotFoundError" in w for w in warnings)
    assert len([w for w in warnings if not_ours in w and "not a subclass" in w]) == 1, warnings
    # The distribution's broken entry point is named too; its good one is loaded.
    assert len([w for w in warnings if "acme_lineage_plugin:Missing" in w]) == 1, warnings
    loaded = [entry.path for entry in manager.extractor_manager.registry.registered]
    assert loaded[:2] == [CONFIG, "acme_lineage_plugin:EntryPointExtractor"]
    assert broken not in loaded and not_ours not in loaded


def test_entry_point_discovery_reports_its_origin(configure: Callable[..., Registry]) -> None:
    registry = configure(entry_point=True)
    entry = registry.first_match(LadderOperator, (Origin.ENTRY_POINT,))
    assert entry is not None
    assert (entry.origin, entry.detail) == (Origin.ENTRY_POINT, f"{ENTRY_POINT_GROUP}:acme")
    assert entry.origin_text == f"entry point {ENTRY_POINT_GROUP}:acme"
    assert type(entry.extractor).__name__ == "EntryPointExtractor"
    # Uninstalled: gone.
    assert configure().first_match(LadderOperator, (Origin.ENTRY_POINT,)) is None


def test_builtins_are_always_registered_after_user_ones(configure: Callable[..., Registry]) -> None:
    registry = configure(config=(CONFIG,), entry_point=True)
    origins = [entry.origin for entry in registry.registered]
    assert origins == [Origin.CONFIG, Origin.ENTRY_POINT] + [Origin.BUILT_IN] * len(registry_module.BUILTIN)
    assert registry.registered[0].origin_text == "config [secoda] extractors"


# --- Python 3.9: no entry_points(group=...) -------------------------------------------------


def _install_twice(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The test distribution in two directories of sys.path, as an editable install beside a copy."""
    for site in (tmp_path / "site-a", tmp_path / "site-b"):
        _write_distribution(
            site,
            "acme-lineage-plugin",
            {"acme": "acme_lineage_plugin:EntryPointExtractor", "broken": "acme_lineage_plugin:Missing"},
            PLUGIN_SOURCE.format(operator=path_of(LadderOperator)),
        )
        monkeypatch.syspath_prepend(str(site))


def test_the_python_3_9_branch_reads_the_same_entry_points(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _install_twice(tmp_path, monkeypatch)
    selected = list(registry_module._entry_points())
    assert [(n, v) for n, v in selected if v.startswith("acme_")] == [
        ("acme", "acme_lineage_plugin:EntryPointExtractor"),
        ("broken", "acme_lineage_plugin:Missing"),
    ]

    # What Python 3.9 lacks is gone: entry_points(group=...) must not be called.
    monkeypatch.setattr(registry_module, "SELECTABLE_ENTRY_POINTS", False)

    def no_selection(**params: Any) -> Any:
        raise AssertionError(f"entry_points({params}) called on the Python 3.9 branch")

    monkeypatch.setattr(importlib.metadata, "entry_points", no_selection)
    # Each distribution once (found twice on sys.path), in the same order as 3.10+ gives.
    assert list(registry_module._entry_points()) == selected


def test_the_python_3_9_branch_loads_each_extractor_once(
    configure: Callable[..., Registry],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.setattr(registry_module, "SELECTABLE_ENTRY_POINTS", False)
    registry = configure()
    _install_twice(tmp_path, monkeypatch)
    with caplog.at_level(logging.WARNING, logger="secoda_listener"):
        entry_points = [entry for entry in registry.registered if entry.origin is Origin.ENTRY_POINT]
    assert [entry.path for entry in entry_points] == ["acme_lineage_plugin:EntryPointExtractor"]
    warnings = [r.getMessage() for r in caplog.records if "acme_lineage_plugin:Missing" in r.getMessage()]
    assert len(warnings) == 1, warnings
    assert outputs(LadderOperator(task_id="ladder", bash_command="true")) == ["2-entry-point"]


BASH = "secoda_listener.extractors.bash:BashExtractor"


def test_entry_points_discovered_ahead_are_read_from_the_snapshot(monkeypatch: pytest.MonkeyPatch) -> None:
    """An Airflow job discovers them at its start; the task processes it forks do not scan again."""
    monkeypatch.setattr(registry_module, "_discovered", None)
    monkeypatch.setattr(registry_module, "_entry_points", lambda: iter([("mine", BASH)]))
    registry_module.discover_entry_points()

    def no_scan() -> Any:
        raise AssertionError("scanned the distributions again")

    monkeypatch.setattr(registry_module, "_entry_points", no_scan)
    registered, problems = registry_module.load_all()
    entry = [r for r in registered if r.origin is Origin.ENTRY_POINT]
    assert [(r.path, r.detail) for r in entry] == [(BASH, "secoda_listener.extractors:mine")]
    assert problems == []
