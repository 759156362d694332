"""Run the right extractor for a task, isolated from the task.

An extractor is user code or parses user SQL: it may raise or hang. It runs in
a daemon thread bounded by ``[secoda] extract_timeout``; whatever goes wrong
becomes a line in ``lineage.errors`` and the task never notices.
"""

from __future__ import annotations

import threading
from typing import Any, Callable

import attrs

from secoda_listener import conf
from secoda_listener.extractors.registry import Registry
from secoda_listener.lineage import Dataset, Lineage

_registry = Registry()

PHASES = ("start", "complete", "failure")


@attrs.frozen
class Extraction:
    lineage: Lineage
    source_code: str | None = None
    extractor: str | None = None  # where the lineage came from, for the task log


def registry() -> Registry:
    return _registry


def _bounded(call: Callable[[], Any], timeout: float, what: str) -> Any:
    """Run ``call`` in a daemon thread; raise TimeoutError past ``timeout``."""
    outcome: dict[str, Any] = {}

    def target() -> None:
        try:
            outcome["value"] = call()
        except BaseException as exc:  # noqa: BLE001 - everything is reported, nothing escapes
            outcome["error"] = exc

    worker = threading.Thread(target=target, name=f"secoda-extract:{what}", daemon=True)
    worker.start()
    worker.join(timeout)
    if worker.is_alive():
        raise TimeoutError(f"{what} ran past [secoda] extract_timeout = {timeout:g} s and was cut off")
    if "error" in outcome:
        raise outcome["error"]
    return outcome.get("value")


def _as_lineage(value: Any) -> Lineage:
    """Accept our Lineage or anything shaped like it (OpenLineage's OperatorLineage)."""
    if value is None:
        return Lineage()
    if isinstance(value, Lineage):
        return value

    def datasets(items: Any) -> list[Dataset]:
        return [Dataset(item.namespace, item.name) for item in (items or ())]

    return Lineage(inputs=datasets(getattr(value, "inputs", ())), outputs=datasets(getattr(value, "outputs", ())))


def _template_context(task_instance: Any) -> Any:
    get_context = getattr(task_instance, "get_template_context", None)
    return get_context() if get_context is not None else {}


_OPENLINEAGE_METHODS = {
    "start": "get_openlineage_facets_on_start",
    "complete": "get_openlineage_facets_on_complete",
    "failure": "get_openlineage_facets_on_failure",
}


def _openlineage_call(task: Any, task_instance: Any, phase: str) -> Callable[[], Any] | None:
    method = getattr(task, _OPENLINEAGE_METHODS[phase], None)
    if method is None and phase != "start":
        method = getattr(task, _OPENLINEAGE_METHODS["start"], None)
        return (lambda: method()) if method is not None else None
    if method is None:
        return None
    return (lambda: method()) if phase == "start" else (lambda: method(task_instance))


def _extractor_call(extractor: Any, task_instance: Any, phase: str) -> Callable[[], Any]:
    return lambda: (extractor.extract(task_instance, phase), extractor.source_code(task_instance))


def _choose(task_instance: Any, phase: str) -> tuple[str, Callable[[], Any]] | None:
    """(label, call) of the extractor that wins, or None. ``call()`` gives (lineage, source code)."""
    task = getattr(task_instance, "task", None)
    if task is None:
        return None
    operator_class = type(task)

    user = _registry.first_match(operator_class, ("config", "entry point"))
    if user is not None:
        return user.path, _extractor_call(user.extractor, task_instance, phase)
    own_method = getattr(task, "get_secoda_lineage", None)
    if callable(own_method):
        label = f"{operator_class.__name__}.get_secoda_lineage"
        return label, lambda: (own_method(_template_context(task_instance)), None)
    builtin = _registry.first_match(operator_class, ("built-in",))
    if builtin is not None:
        return builtin.path, _extractor_call(builtin.extractor, task_instance, phase)
    openlineage = _openlineage_call(task, task_instance, phase)
    if openlineage is not None:
        return f"{operator_class.__name__} OpenLineage methods", lambda: (openlineage(), None)
    return None


def extract(task_instance: Any, phase: str) -> Extraction:
    """The lineage (and source code) of ``task_instance`` at ``phase``; never raises."""
    try:
        chosen = _choose(task_instance, phase)
    except Exception as exc:
        return Extraction(Lineage(errors=(f"choosing an extractor failed: {type(exc).__name__}: {exc}",)))
    if chosen is None:
        return Extraction(Lineage())
    label, call = chosen
    try:
        lineage, source_code = _bounded(call, conf.extract_timeout(), label)
        lineage = _as_lineage(lineage)
    except TimeoutError as exc:
        return Extraction(Lineage(errors=(str(exc),)), extractor=label)
    except BaseException as exc:  # noqa: BLE001 - an extractor's failure is data, not a task failure
        message = f"extractor {label} raised {type(exc).__name__}: {exc}"
        return Extraction(Lineage(errors=(message,)), extractor=label)
    return Extraction(lineage, source_code if isinstance(source_code, str) else None, label)
