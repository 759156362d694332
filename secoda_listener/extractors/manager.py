"""Run the right extractor for a task, isolated from the task.

An extractor is user code or parses user SQL: it may raise or hang. It runs in
a daemon thread bounded by ``[secoda] extract_timeout``; whatever goes wrong
becomes a line in ``lineage.errors`` and the task never notices.
"""

from __future__ import annotations

import functools
import threading
from typing import Any, Callable

import attrs

from secoda_listener import conf
from secoda_listener.extractors.registry import Registry
from secoda_listener.event.datasets import Dataset, Lineage

_registry = Registry()

PHASES = ("start", "complete", "failure")

#: Least time the first use in a process gets to import the extractors.
LOAD_TIMEOUT = 10.0


@attrs.frozen
class Extraction:
    lineage: Lineage
    source_code: str | None = None
    extractor: str | None = None  # where the lineage came from, for the task log


def registry() -> Registry:
    return _registry


def _bounded(call: Callable[[], Any], timeout: float, what: str, bound: str = "[secoda] extract_timeout") -> Any:
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
        raise TimeoutError(f"{what} ran past {bound} = {timeout:g} s and was cut off")
    if "error" in outcome:
        raise outcome["error"]
    return outcome.get("value")


def _as_lineage(value: Any) -> Lineage:
    """Accept our Lineage or anything shaped like it (OpenLineage's OperatorLineage)."""
    if value is None:
        return Lineage()
    if isinstance(value, Lineage):
        return value
    if not hasattr(value, "inputs") and not hasattr(value, "outputs"):
        # A wrong return type is the extractor's bug: say so rather than report no lineage.
        raise TypeError(f"returned {type(value).__name__}, not a Lineage")

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
    """The operator's OpenLineage method for ``phase``, called as the OpenLineage provider does.

    As there, failure falls back to complete and complete to start; start takes
    no argument, the other two the task instance.
    """
    order = {"start": ("start",), "complete": ("complete", "start"), "failure": ("failure", "complete", "start")}
    for candidate in order[phase]:
        method = getattr(task, _OPENLINEAGE_METHODS[candidate], None)
        if callable(method):
            return method if candidate == "start" else functools.partial(method, task_instance)
    return None


def _extractor_call(extractor: Any, task_instance: Any, phase: str, partial: dict[str, Any]) -> Callable[[], Any]:
    """Source code first, kept in ``partial``: it survives the lineage raising or running late."""

    def call() -> tuple[Any, str | None]:
        partial["source_code"] = extractor.source_code(task_instance)
        return extractor.extract(task_instance, phase), partial["source_code"]

    return call


@attrs.frozen
class Choice:
    """The extractor that handles a task: its label, where it came from, and how to run it."""

    label: str
    origin: str  # "config ...", "entry point ...", "operator method", "built-in", "OpenLineage methods"
    call: Callable[[], Any]  # call() gives (lineage, source code)


def choose(task_instance: Any, phase: str, partial: dict[str, Any] | None = None) -> Choice | None:
    """The extractor that wins for ``task_instance`` at ``phase`` (precedence in the registry doc), or None.

    ``partial`` receives what the call produced before failing (its source code).
    """
    partial = {} if partial is None else partial
    task = getattr(task_instance, "task", None)
    if task is None:
        return None
    operator_class = type(task)

    user = _registry.first_match(operator_class, ("config", "entry point"))
    if user is not None:
        return Choice(user.path, user.origin, _extractor_call(user.extractor, task_instance, phase, partial))
    own_method = getattr(task, "get_secoda_lineage", None)
    if callable(own_method):
        label = f"{operator_class.__name__}.get_secoda_lineage"
        return Choice(label, "operator method", lambda: (own_method(_template_context(task_instance)), None))
    builtin = _registry.first_match(operator_class, ("built-in",))
    if builtin is not None:
        return Choice(builtin.path, builtin.origin, _extractor_call(builtin.extractor, task_instance, phase, partial))
    openlineage = _openlineage_call(task, task_instance, phase)
    if openlineage is not None:
        return Choice(f"{operator_class.__name__} OpenLineage methods", "OpenLineage methods",
                      lambda: (openlineage(), None))
    return None


def extract(task_instance: Any, phase: str) -> Extraction:
    """The lineage (and source code) of ``task_instance`` at ``phase``; never raises."""
    timeout = conf.extract_timeout()
    partial: dict[str, Any] = {}
    try:
        if not _registry.loaded:
            # First use in this process imports users' extractors, which can hang as
            # well as raise: bounded too, but by more than extract_timeout, since a
            # legitimate import (pandas, a cold disk) can take seconds.
            load_timeout = max(timeout, LOAD_TIMEOUT)
            _bounded(lambda: _registry.registered, load_timeout, "loading extractors", "the load limit")
        chosen = choose(task_instance, phase, partial)
    except Exception as exc:
        return Extraction(Lineage(errors=(f"choosing an extractor failed: {type(exc).__name__}: {exc}",)))
    if chosen is None:
        return Extraction(Lineage())
    label, call = chosen.label, chosen.call
    try:
        if chosen.origin == "built-in":
            # Ours are bounded by construction (the SQL library has its own time
            # budget, the shell parser is linear): run them inline, sparing every
            # event a thread start and join on the task's path.
            lineage, source_code = call()
        else:
            lineage, source_code = _bounded(call, timeout, label)
        lineage = _as_lineage(lineage)
    except TimeoutError as exc:
        return Extraction(Lineage(errors=(str(exc),)), _text(partial.get("source_code")), label)
    except BaseException as exc:  # noqa: BLE001 - an extractor's failure is data, not a task failure
        message = f"extractor {label} raised {type(exc).__name__}: {exc}"
        return Extraction(Lineage(errors=(message,)), _text(partial.get("source_code")), label)
    return Extraction(lineage, _text(source_code), label)


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None
