"""ExtractorManager: precedence by Origin, and isolation. An extractor that raises, hangs,
returns the wrong thing or cannot even be imported is cut off, the reason lands in
lineage.errors, and nothing reaches the task.

No test waits on the clock: a hang is an Event nobody sets until the test is done, and
"cut off, not waited for" is checked by the extractor still running when the answer comes.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any, ClassVar

import pytest

from secoda_listener.extractors import BaseExtractor, Dataset, Lineage, manager
from secoda_listener.extractors import registry as registry_module
from secoda_listener.extractors.bash import BashExtractor
from secoda_listener.extractors.manager import ExtractorManager, Origin, Phase, TaskLineage

try:  # Airflow 3
    from airflow.providers.standard.operators.bash import BashOperator
    from airflow.sdk import BaseOperator
except ImportError:  # Airflow 2.10
    from airflow.models.baseoperator import BaseOperator
    from airflow.operators.bash import BashOperator

#: A hang guard only: no test takes this long unless the code under test is broken.
NEVER = 600.0


class Hold:
    """What a hanging extractor waits for, fresh for each test: a stale thread touches only its own."""

    def __init__(self) -> None:
        self.release = threading.Event()  # set at teardown: the hanging extractor's thread then ends
        self.ended = threading.Event()  # set by the hanging extractor once released


HOLD = Hold()


class CopyOperator(BaseOperator):
    def __init__(self, *, source: str, target: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.source, self.target = source, target

    def execute(self, context: Any) -> None:
        return None


def path_of(cls: type) -> str:
    return f"{cls.__module__}.{cls.__qualname__}"


class RaisingExtractor(BaseExtractor):
    operators = (path_of(CopyOperator),)

    def extract_on_start(self, task_instance: Any) -> Lineage:
        raise ValueError("the catalog said no")


class HangingExtractor(BaseExtractor):
    operators = (path_of(CopyOperator),)

    def extract_on_start(self, task_instance: Any) -> Lineage:
        hold = HOLD
        hold.release.wait(NEVER)
        hold.ended.set()
        return Lineage(outputs=[Dataset("late", "too.late")])


class WrongTypeExtractor(BaseExtractor):
    operators = (path_of(CopyOperator),)

    def extract_on_start(self, task_instance: Any) -> Any:
        return "warehouse.orders"


class PhaseExtractor(BaseExtractor):
    """Only start is overridden: complete and failure must default to it."""

    operators = (path_of(CopyOperator),)

    def extract_on_start(self, task_instance: Any) -> Lineage:
        task = task_instance.task
        return Lineage(inputs=[Dataset("file://", task.source)], outputs=[Dataset("file://", task.target)])


class CompleteExtractor(PhaseExtractor):
    def extract_on_complete(self, task_instance: Any) -> Lineage:
        return Lineage(outputs=[Dataset("file://", "written-on-complete")])


class BrokenBashExtractor(BashExtractor):
    """Keeps the built-in source code, then fails: the command must still be reported."""

    def extract_on_start(self, task_instance: Any) -> Lineage:
        raise RuntimeError("parser exploded")


class FakeTI:
    def __init__(self, task: Any, context: dict[str, Any] | None = None) -> None:
        self.task = task
        self._context = context

    def get_template_context(self) -> dict[str, Any]:
        return dict(self._context or {})


def lineage_for(task_instance: Any, phase: Phase | str) -> TaskLineage:
    """Through the module-level manager, as the listener calls it."""
    return manager.extractor_manager.lineage_for(task_instance, phase)


@pytest.fixture
def use(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., ExtractorManager]]:
    """Configure ``[secoda] extractors`` and put a fresh manager in place of the process's."""

    def apply(*extractors: type, timeout: str = "2.0", **options: Any) -> ExtractorManager:
        monkeypatch.setenv("AIRFLOW__SECODA__EXTRACTORS", ",".join(f"{__name__}:{cls.__name__}" for cls in extractors))
        monkeypatch.setenv("AIRFLOW__SECODA__EXTRACT_TIMEOUT", timeout)
        fresh = ExtractorManager(**options)
        monkeypatch.setattr(manager, "extractor_manager", fresh)
        return fresh

    hold = Hold()
    monkeypatch.setattr(sys.modules[__name__], "HOLD", hold)
    yield apply
    hold.release.set()


def copy_task() -> FakeTI:
    return FakeTI(CopyOperator(task_id="copy", source="/data/in.csv", target="/data/out.csv"))


def test_a_raising_extractor_becomes_an_error_line(use: Callable[..., ExtractorManager]) -> None:
    use(RaisingExtractor)
    got = lineage_for(copy_task(), "start")
    assert got.lineage.inputs == () and got.lineage.outputs == ()
    (error,) = got.lineage.errors
    assert f"{__name__}:RaisingExtractor" in error
    assert "ValueError: the catalog said no" in error


def test_a_hanging_extractor_is_cut_off_at_extract_timeout(use: Callable[..., ExtractorManager]) -> None:
    use(HangingExtractor, timeout="0.3")
    got = lineage_for(copy_task(), "start")
    assert got.lineage.outputs == ()
    (error,) = got.lineage.errors
    assert "HangingExtractor" in error and "extract_timeout = 0.3 s" in error and "cut off" in error
    # Cut off, not waited for: the answer came while the extractor is still held.
    assert not HOLD.ended.is_set()
    assert (got.extractor, got.origin) == (f"{__name__}:HangingExtractor", Origin.CONFIG)


def test_the_wrong_return_type_is_reported_not_swallowed(use: Callable[..., ExtractorManager]) -> None:
    use(WrongTypeExtractor)
    (error,) = lineage_for(copy_task(), "start").lineage.errors
    assert "TypeError" in error and "returned str, not a Lineage" in error


def test_complete_and_failure_default_to_start(use: Callable[..., ExtractorManager]) -> None:
    use(PhaseExtractor)
    expected = Lineage(inputs=[Dataset("file://", "/data/in.csv")], outputs=[Dataset("file://", "/data/out.csv")])
    for phase in ("start", "complete", "failure"):
        assert lineage_for(copy_task(), phase).lineage == expected

    use(CompleteExtractor)
    assert [d.name for d in lineage_for(copy_task(), "complete").lineage.outputs] == ["written-on-complete"]
    assert [d.name for d in lineage_for(copy_task(), "failure").lineage.outputs] == ["/data/out.csv"]


def test_source_code_survives_a_failing_lineage(use: Callable[..., ExtractorManager]) -> None:
    use(BrokenBashExtractor)
    got = lineage_for(FakeTI(BashOperator(task_id="b", bash_command="echo kept")), "start")
    assert got.source_code == "echo kept"
    assert any("parser exploded" in error for error in got.lineage.errors)


def test_an_import_that_hangs_is_cut_off_too(
    use: Callable[..., ExtractorManager], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    gate = SimpleNamespace(OPEN=threading.Event())  # what ``import slow_lineage_gate`` gives
    monkeypatch.setitem(sys.modules, "slow_lineage_gate", gate)
    (tmp_path / "slow_lineage_module.py").write_text(
        "import slow_lineage_gate\n"
        f"slow_lineage_gate.OPEN.wait({NEVER})\n"
        "from secoda_listener.extractors import BaseExtractor\n"
        "class SlowExtractor(BaseExtractor):\n"
        "    operators = ()\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "slow_lineage_module", raising=False)
    fresh = use(timeout="0.3", load_timeout=0.3)
    monkeypatch.setenv("AIRFLOW__SECODA__EXTRACTORS", "slow_lineage_module:SlowExtractor")
    try:
        first = lineage_for(copy_task(), "start")
        assert any("loading extractors" in e and "cut off" in e for e in first.lineage.errors), first
        (loader,) = [t for t in threading.enumerate() if t.name == "secoda-extract:loading extractors"]
        # The load still runs in its thread: the next hook does not wait for it again.
        second = lineage_for(copy_task(), "complete")
        assert any("still loading" in e for e in second.lineage.errors), second
        assert loader.is_alive() and not fresh.registry.loaded
    finally:
        gate.OPEN.set()
    loader.join(NEVER)
    assert fresh.registry.loaded
    assert lineage_for(copy_task(), "start").lineage.errors == ()


def test_get_secoda_lineage_gets_the_template_context(use: Callable[..., ExtractorManager]) -> None:
    class DatedCopy(CopyOperator):
        def get_secoda_lineage(self, context: dict[str, Any]) -> Lineage:
            return Lineage(outputs=[Dataset("s3://bucket", f"exports/{context['ds']}/orders.csv")])

    use()
    ti = FakeTI(DatedCopy(task_id="c", source="a", target="b"), context={"ds": "2024-01-01"})
    got = lineage_for(ti, "start")
    assert got.lineage.outputs == (Dataset("s3://bucket", "exports/2024-01-01/orders.csv"),)
    assert got.extractor == "DatedCopy.get_secoda_lineage"


class OpenLineageCopy(CopyOperator):
    """Shaped like an operator of a provider with OpenLineage support."""

    calls: ClassVar[list[tuple[str, Any]]] = []

    def get_openlineage_facets_on_start(self) -> Any:
        self.calls.append(("start", None))
        return SimpleNamespace(
            inputs=[SimpleNamespace(namespace="s3://raw", name="orders/2024.csv", facets={})],
            outputs=[SimpleNamespace(namespace="postgres://db:5432", name="shop.public.orders", facets={})],
            run_facets={},
            job_facets={},
        )

    def get_openlineage_facets_on_complete(self, task_instance: Any) -> Any:
        self.calls.append(("complete", task_instance))
        return SimpleNamespace(inputs=[], outputs=[SimpleNamespace(namespace="postgres://db:5432", name="shop.x")])


def test_openlineage_methods_are_translated_with_the_provider_s_fallbacks(use: Callable[..., ExtractorManager]) -> None:
    use()
    OpenLineageCopy.calls.clear()
    ti = FakeTI(OpenLineageCopy(task_id="ol", source="a", target="b"))
    start = lineage_for(ti, "start")
    assert start.lineage == Lineage(
        inputs=[Dataset("s3://raw", "orders/2024.csv")], outputs=[Dataset("postgres://db:5432", "shop.public.orders")]
    )
    assert start.extractor == "OpenLineageCopy OpenLineage methods"
    assert lineage_for(ti, "complete").lineage.outputs == (Dataset("postgres://db:5432", "shop.x"),)
    # No on_failure: the provider falls back to on_complete, with the task instance.
    assert lineage_for(ti, "failure").lineage.outputs == (Dataset("postgres://db:5432", "shop.x"),)
    assert OpenLineageCopy.calls == [("start", None), ("complete", ti), ("complete", ti)]


def test_no_extractor_means_empty_lineage_and_no_error(use: Callable[..., ExtractorManager]) -> None:
    use()
    got = lineage_for(copy_task(), "start")
    assert got == TaskLineage(Lineage())
    assert got.origin is None and got.extractor is None
    assert lineage_for(SimpleNamespace(), "start") == TaskLineage(Lineage())


def test_an_unknown_phase_is_an_error_line_not_an_exception(use: Callable[..., ExtractorManager]) -> None:
    use(PhaseExtractor)
    (error,) = lineage_for(copy_task(), "retry").lineage.errors
    assert error.startswith("choosing an extractor failed: ValueError")
    assert lineage_for(copy_task(), Phase.FAILURE) == lineage_for(copy_task(), "failure")


# --- precedence ---------------------------------------------------------------------------


class LevelOperator(BaseOperator):
    """Base of the operators the precedence test builds; every extractor below names it."""

    def execute(self, context: Any) -> None:
        return None


def _level(origin: Origin) -> Lineage:
    return Lineage(outputs=[Dataset("level", origin.name)])


class LevelExtractor(BaseExtractor):
    """Answers with the origin it was registered under; notes the thread it ran in."""

    operators = (path_of(LevelOperator),)
    origin: ClassVar[Origin]
    threads: ClassVar[list[str]] = []

    def extract_on_start(self, task_instance: Any) -> Lineage:
        self.threads.append(threading.current_thread().name)
        return _level(self.origin)


class ConfigLevel(LevelExtractor):
    origin = Origin.CONFIG


class EntryPointLevel(LevelExtractor):
    origin = Origin.ENTRY_POINT


class BuiltinLevel(LevelExtractor):
    origin = Origin.BUILT_IN


def _operator_with(levels: set[Origin]) -> Any:
    """A LevelOperator subclass with the operator's own methods of ``levels``."""
    namespace: dict[str, Any] = {}
    if Origin.OPERATOR_METHOD in levels:
        namespace["get_secoda_lineage"] = lambda self, context: _level(Origin.OPERATOR_METHOD)
    if Origin.OPENLINEAGE in levels:
        namespace["get_openlineage_facets_on_start"] = lambda self: SimpleNamespace(
            inputs=[], outputs=[SimpleNamespace(namespace="level", name=Origin.OPENLINEAGE.name)]
        )
    return type("Levels", (LevelOperator,), namespace)(task_id="levels")


def test_precedence_is_the_order_of_origin_and_the_first_level_that_handles_the_task_wins(
    use: Callable[..., ExtractorManager], monkeypatch: pytest.MonkeyPatch
) -> None:
    assert list(Origin) == [
        Origin.CONFIG,
        Origin.ENTRY_POINT,
        Origin.OPERATOR_METHOD,
        Origin.BUILT_IN,
        Origin.OPENLINEAGE,
        Origin.HOOK_LINEAGE,
    ]
    LevelExtractor.threads = []
    # At start: hook-level lineage applies at a task's end only (tests/extractors/test_precedence.py).
    available = set(Origin) - {Origin.HOOK_LINEAGE}
    for expected in [
        origin for origin in Origin if origin is not Origin.HOOK_LINEAGE
    ]:  # each round takes the winner away
        entry_points = [("level", f"{__name__}:EntryPointLevel")] if Origin.ENTRY_POINT in available else []
        monkeypatch.setattr(registry_module, "_entry_points", lambda entry_points=entry_points: iter(entry_points))
        builtin = (f"{__name__}:BuiltinLevel",) if Origin.BUILT_IN in available else ()
        monkeypatch.setattr(registry_module, "BUILTIN", builtin)
        fresh = use(*([ConfigLevel] if Origin.CONFIG in available else []))
        task = FakeTI(_operator_with(available))

        chosen = fresh.choose(task, Phase.START)
        assert chosen is not None and chosen.origin is expected
        got = lineage_for(task, Phase.START)
        assert (got.origin, [d.name for d in got.lineage.outputs]) == (expected, [expected.name])
        available.discard(expected)

    # Nothing left: no lineage, no error.
    assert lineage_for(FakeTI(_operator_with(set())), Phase.START) == TaskLineage(Lineage())
    # Users' extractors ran in the bounded thread, the built-in one inline.
    assert [name.startswith("secoda-extract:") for name in LevelExtractor.threads] == [True, True, False]


def test_each_origin_is_described_with_its_detail_for_people(use: Callable[..., ExtractorManager]) -> None:
    fresh = use(ConfigLevel)
    chosen = fresh.choose(FakeTI(_operator_with(set())), "start")
    assert chosen is not None
    assert (chosen.origin, chosen.detail, chosen.origin_text) == (
        Origin.CONFIG,
        "[secoda] extractors",
        "config [secoda] extractors",
    )
    assert [str(origin) for origin in Origin] == [
        "config",
        "entry point",
        "operator method",
        "built-in",
        "OpenLineage methods",
        "hook lineage",
    ]
