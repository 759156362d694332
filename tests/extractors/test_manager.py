"""extract(): an extractor that raises, hangs, returns the wrong thing or cannot even be
imported is cut off, the reason lands in lineage.errors, and nothing reaches the task."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any, Callable, Iterator

import pytest

from secoda_listener.extractors import manager as extract_module
from secoda_listener.extractors.manager import extract
from secoda_listener.extractors import BaseExtractor, Dataset, Lineage
from secoda_listener.extractors.bash import BashExtractor
from secoda_listener.extractors.registry import Registry

try:  # Airflow 3
    from airflow.providers.standard.operators.bash import BashOperator
    from airflow.sdk import BaseOperator
except ImportError:  # Airflow 2.10
    from airflow.models.baseoperator import BaseOperator
    from airflow.operators.bash import BashOperator

RELEASE = threading.Event()  # set at teardown: the hanging extractor's thread then ends


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
        RELEASE.wait(60)
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


@pytest.fixture
def use(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., None]]:
    def apply(*extractors: type, timeout: str = "2.0") -> None:
        monkeypatch.setenv("AIRFLOW__SECODA__EXTRACTORS", ",".join(f"{__name__}:{cls.__name__}" for cls in extractors))
        monkeypatch.setenv("AIRFLOW__SECODA__EXTRACT_TIMEOUT", timeout)
        monkeypatch.setattr(extract_module, "_registry", Registry())

    RELEASE.clear()
    yield apply
    RELEASE.set()


def copy_task() -> FakeTI:
    return FakeTI(CopyOperator(task_id="copy", source="/data/in.csv", target="/data/out.csv"))


def test_a_raising_extractor_becomes_an_error_line(use: Callable[..., None]) -> None:
    use(RaisingExtractor)
    got = extract(copy_task(), "start")
    assert got.lineage.inputs == () and got.lineage.outputs == ()
    (error,) = got.lineage.errors
    assert f"{__name__}:RaisingExtractor" in error
    assert "ValueError: the catalog said no" in error


def test_a_hanging_extractor_is_cut_off_at_extract_timeout(use: Callable[..., None]) -> None:
    use(HangingExtractor, timeout="0.3")
    extract(copy_task(), "complete")  # loads the registry; not what is measured
    started = time.monotonic()
    got = extract(copy_task(), "start")
    elapsed = time.monotonic() - started
    assert got.lineage.outputs == ()
    (error,) = got.lineage.errors
    assert "HangingExtractor" in error and "extract_timeout = 0.3 s" in error and "cut off" in error
    assert elapsed < 30  # cut off, not waited for (the extractor itself waits 60 s)


def test_the_wrong_return_type_is_reported_not_swallowed(use: Callable[..., None]) -> None:
    use(WrongTypeExtractor)
    (error,) = extract(copy_task(), "start").lineage.errors
    assert "TypeError" in error and "returned str, not a Lineage" in error


def test_complete_and_failure_default_to_start(use: Callable[..., None]) -> None:
    use(PhaseExtractor)
    expected = Lineage(inputs=[Dataset("file://", "/data/in.csv")], outputs=[Dataset("file://", "/data/out.csv")])
    for phase in ("start", "complete", "failure"):
        assert extract(copy_task(), phase).lineage == expected

    use(CompleteExtractor)
    assert [d.name for d in extract(copy_task(), "complete").lineage.outputs] == ["written-on-complete"]
    assert [d.name for d in extract(copy_task(), "failure").lineage.outputs] == ["/data/out.csv"]


def test_source_code_survives_a_failing_lineage(use: Callable[..., None]) -> None:
    use(BrokenBashExtractor)
    got = extract(FakeTI(BashOperator(task_id="b", bash_command="echo kept")), "start")
    assert got.source_code == "echo kept"
    assert any("parser exploded" in error for error in got.lineage.errors)


def test_an_import_that_hangs_is_cut_off_too(use: Callable[..., None], monkeypatch: pytest.MonkeyPatch,
                                             tmp_path: Path) -> None:  # fmt: skip
    flag = tmp_path / "release"
    (tmp_path / "slow_lineage_module.py").write_text(
        "import os, time\n"
        f"while not os.path.exists({str(flag)!r}):\n"
        "    time.sleep(0.02)\n"
        "from secoda_listener.extractors import BaseExtractor\n"
        "class SlowExtractor(BaseExtractor):\n"
        "    operators = ()\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    use()
    monkeypatch.setenv("AIRFLOW__SECODA__EXTRACTORS", "slow_lineage_module:SlowExtractor")
    monkeypatch.setattr(extract_module, "LOAD_TIMEOUT", 0.3)
    try:
        first = extract(copy_task(), "start")
        assert any("loading extractors" in e and "cut off" in e for e in first.lineage.errors), first
        # The load still runs in its thread: the next hook does not wait for it again.
        second = extract(copy_task(), "complete")
        assert any("still loading" in e for e in second.lineage.errors), second
    finally:
        flag.write_text("go")
    deadline = time.monotonic() + 30
    while not extract_module.registry().loaded and time.monotonic() < deadline:
        time.sleep(0.05)
    assert extract_module.registry().loaded
    assert extract(copy_task(), "start").lineage.errors == ()


def test_get_secoda_lineage_gets_the_template_context(use: Callable[..., None]) -> None:
    class DatedCopy(CopyOperator):
        def get_secoda_lineage(self, context: dict[str, Any]) -> Lineage:
            return Lineage(outputs=[Dataset("s3://bucket", f"exports/{context['ds']}/orders.csv")])

    use()
    ti = FakeTI(DatedCopy(task_id="c", source="a", target="b"), context={"ds": "2024-01-01"})
    got = extract(ti, "start")
    assert got.lineage.outputs == (Dataset("s3://bucket", "exports/2024-01-01/orders.csv"),)
    assert got.extractor == "DatedCopy.get_secoda_lineage"


class OpenLineageCopy(CopyOperator):
    """Shaped like an operator of a provider with OpenLineage support."""

    calls: list[tuple[str, Any]] = []

    def get_openlineage_facets_on_start(self) -> Any:
        self.calls.append(("start", None))
        return SimpleNamespace(
            inputs=[SimpleNamespace(namespace="s3://raw", name="orders/2024.csv", facets={})],
            outputs=[SimpleNamespace(namespace="postgres://db:5432", name="shop.public.orders", facets={})],
            run_facets={}, job_facets={},
        )  # fmt: skip

    def get_openlineage_facets_on_complete(self, task_instance: Any) -> Any:
        self.calls.append(("complete", task_instance))
        return SimpleNamespace(inputs=[], outputs=[SimpleNamespace(namespace="postgres://db:5432", name="shop.x")])


def test_openlineage_methods_are_translated_with_the_provider_s_fallbacks(use: Callable[..., None]) -> None:
    use()
    OpenLineageCopy.calls.clear()
    ti = FakeTI(OpenLineageCopy(task_id="ol", source="a", target="b"))
    start = extract(ti, "start")
    assert start.lineage == Lineage(
        inputs=[Dataset("s3://raw", "orders/2024.csv")], outputs=[Dataset("postgres://db:5432", "shop.public.orders")]
    )
    assert start.extractor == "OpenLineageCopy OpenLineage methods"
    assert extract(ti, "complete").lineage.outputs == (Dataset("postgres://db:5432", "shop.x"),)
    # No on_failure: the provider falls back to on_complete, with the task instance.
    assert extract(ti, "failure").lineage.outputs == (Dataset("postgres://db:5432", "shop.x"),)
    assert OpenLineageCopy.calls == [("start", None), ("complete", ti), ("complete", ti)]


def test_no_extractor_means_empty_lineage_and_no_error(use: Callable[..., None]) -> None:
    use()
    got = extract(copy_task(), "start")
    assert got == extract_module.Extraction(Lineage())
    assert extract(SimpleNamespace(), "start") == extract_module.Extraction(Lineage())
