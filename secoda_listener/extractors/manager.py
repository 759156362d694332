"""The lineage of a task at one phase of its run: which extractor, and running it isolated.

:class:`ExtractorManager` owns the process's :class:`Registry` and the
dispatch: it picks the extractor by :class:`Origin`, in precedence order
(``[secoda] extractors`` -> entry points -> the operator's
``get_secoda_lineage(context)`` -> built-in extractors -> the operator's
OpenLineage methods -> hook-level lineage, the last at the task's end only),
and runs it. The first level that handles the task wins alone. Then, whatever
won (or when nothing did), the lineage declared on the task (``inlets``,
``outlets``, the asset events it emitted: extractors/declared.py) is added,
deduplicated; :attr:`TaskLineage.sources` says where each dataset came from.

An extractor is user code or parses user SQL: it may raise or hang. It runs in
a daemon thread bounded by ``[secoda] extract_timeout``; whatever goes wrong
becomes a line in ``lineage.errors`` and the task never notices. The listener
uses the module-level :data:`extractor_manager`.

(Not to be confused with Secoda's extraction, the server-side job
``delivery/extraction_trigger.py`` starts.)
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from typing import Any

import attrs

from secoda_listener import conf
from secoda_listener.event.datasets import Dataset, Lineage
from secoda_listener.event.model import AssetEventBlock
from secoda_listener.extractors import declared
from secoda_listener.extractors.base import Phase
from secoda_listener.extractors.registry import Origin, Registered, Registry

#: Least time the first use in a process gets to import the extractors.
LOAD_TIMEOUT = 10.0

#: Ours are bounded by construction (the SQL library has its own time budget, the
#: shell parser is linear, hook lineage reads a bounded number of entries): run inline,
#: sparing every event a thread start and join.
_RUN_INLINE = frozenset({Origin.BUILT_IN, Origin.HOOK_LINEAGE})


#: Hook-level lineage is what the task's hooks did: known once it ran.
_HOOK_LINEAGE_PHASES = frozenset({Phase.COMPLETE, Phase.FAILURE})

#: The source label of a dataset the DAG author declared (the others are Origin labels).
DECLARED = "declared"


@attrs.frozen
class DatasetSource:
    """Where one dataset of a task's lineage came from: the winning level, the declaration, or both."""

    direction: str  # "inputs" or "outputs", as in the lineage block
    dataset: Dataset
    origin: Origin | None  # the extractor level that found it; None if only declared
    declared: bool

    @property
    def label(self) -> str:
        """``"built-in"``, ``"declared"``, ``"built-in, declared"``: for people."""
        labels = ([str(self.origin)] if self.origin is not None else []) + ([DECLARED] if self.declared else [])
        return ", ".join(labels)


@attrs.frozen
class TaskLineage:
    """What the event of one task at one phase carries: its extractor's lineage plus the declared one."""

    lineage: Lineage  # merged, deduplicated: what the event carries
    source_code: str | None = None
    extractor: str | None = None  # the extractor's label, for the task log
    origin: Origin | None = None  # None when no extractor handles the task
    sources: tuple[DatasetSource, ...] = ()  # one per dataset of ``lineage``, in its order
    asset_events: tuple[AssetEventBlock, ...] = ()  # the asset events the try emitted


def _sources(found: Lineage, origin: Origin | None, declared_lineage: Lineage) -> tuple[DatasetSource, ...]:
    out = []
    for direction in ("inputs", "outputs"):
        by_extractor = set(getattr(found, direction))
        by_declaration = set(getattr(declared_lineage, direction))
        for dataset in dict.fromkeys(getattr(found, direction) + getattr(declared_lineage, direction)):
            from_extractor = origin if dataset in by_extractor else None
            out.append(DatasetSource(direction, dataset, from_extractor, dataset in by_declaration))
    return tuple(out)


@attrs.frozen
class Choice:
    """The extractor that handles a task: its label, where it came from, and how to run it."""

    label: str
    origin: Origin
    call: Callable[[], Any]  # call() gives (lineage, source code)
    detail: str = ""  # for messages, with the origin: "[secoda] extractors", "<group>:<name>"

    @property
    def origin_text(self) -> str:
        return self.origin.describe(self.detail)


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


def _failed(message: str) -> Lineage:
    return Lineage().with_error(message)


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _template_context(task_instance: Any) -> Any:
    get_context = getattr(task_instance, "get_template_context", None)
    return get_context() if get_context is not None else {}


_OPENLINEAGE_METHODS = {
    Phase.START: "get_openlineage_facets_on_start",
    Phase.COMPLETE: "get_openlineage_facets_on_complete",
    Phase.FAILURE: "get_openlineage_facets_on_failure",
}
# As in the OpenLineage provider: failure falls back to complete, complete to start.
_OPENLINEAGE_FALLBACKS = {
    Phase.START: (Phase.START,),
    Phase.COMPLETE: (Phase.COMPLETE, Phase.START),
    Phase.FAILURE: (Phase.FAILURE, Phase.COMPLETE, Phase.START),
}


def _openlineage_call(task: Any, task_instance: Any, phase: Phase) -> Callable[[], Any] | None:
    """The operator's OpenLineage method for ``phase``, called as the OpenLineage provider does.

    Start takes no argument, the other two the task instance.
    """
    for candidate in _OPENLINEAGE_FALLBACKS[phase]:
        method = getattr(task, _OPENLINEAGE_METHODS[candidate], None)
        if callable(method):
            return method if candidate is Phase.START else functools.partial(method, task_instance)
    return None


def _extractor_call(extractor: Any, task_instance: Any, phase: Phase, partial: dict[str, Any]) -> Callable[[], Any]:
    """Source code first, kept in ``partial``: it survives the lineage raising or running late."""

    def call() -> tuple[Any, str | None]:
        partial["source_code"] = extractor.source_code(task_instance)
        return extractor.extract(task_instance, phase), partial["source_code"]

    return call


class ExtractorManager:
    """The process's extractors and the one way a task's lineage is derived from them."""

    def __init__(self, registry: Registry | None = None, *, load_timeout: float = LOAD_TIMEOUT) -> None:
        self.registry = Registry() if registry is None else registry
        self.load_timeout = load_timeout

    def choose(self, task_instance: Any, phase: Phase | str, partial: dict[str, Any] | None = None) -> Choice | None:
        """The extractor that wins for ``task_instance`` at ``phase``, or None.

        Each :class:`Origin` in precedence order, the first that handles the task wins.
        ``partial`` receives what the call produced before failing (its source code).
        """
        phase = Phase(phase)
        partial = {} if partial is None else partial
        task = getattr(task_instance, "task", None)
        if task is None:
            return None
        for origin in Origin:
            chosen = self._choice(origin, task, task_instance, phase, partial)
            if chosen is not None:
                return chosen
        return None

    def _choice(
        self, origin: Origin, task: Any, task_instance: Any, phase: Phase, partial: dict[str, Any]
    ) -> Choice | None:
        """The extractor of level ``origin`` for the task, if that level has one."""
        operator_class = type(task)
        if origin is Origin.HOOK_LINEAGE:
            if phase not in _HOOK_LINEAGE_PHASES:
                return None
            # Imported here: most tasks end through a higher level and never read the collector.
            from secoda_listener.extractors import hook_lineage

            return Choice("hook-level lineage", origin, lambda: (hook_lineage.collected_lineage(task_instance), None))
        if origin is Origin.OPERATOR_METHOD:
            own_method = getattr(task, "get_secoda_lineage", None)
            if not callable(own_method):
                return None
            label = f"{operator_class.__name__}.get_secoda_lineage"
            return Choice(label, origin, lambda: (own_method(_template_context(task_instance)), None))
        if origin is Origin.OPENLINEAGE:
            openlineage = _openlineage_call(task, task_instance, phase)
            if openlineage is None:
                return None
            return Choice(f"{operator_class.__name__} OpenLineage methods", origin, lambda: (openlineage(), None))
        entry: Registered | None = self.registry.first_match(operator_class, (origin,))
        if entry is None:
            return None
        return Choice(entry.path, origin, _extractor_call(entry.extractor, task_instance, phase, partial), entry.detail)

    def lineage_for(self, task_instance: Any, phase: Phase | str) -> TaskLineage:
        """The lineage (and source code) of ``task_instance`` at ``phase``; never raises.

        The winning level's lineage, then the declared one added to it.
        """
        timeout = conf.extract_timeout()
        if phase == Phase.START:
            from secoda_listener.extractors import hook_lineage

            # What Airflow's collector holds now is not this task's (``dags test`` runs every
            # task in one process); its end reads only what comes after this mark.
            hook_lineage.mark_task_start(task_instance)
        found = self._extracted(task_instance, phase, timeout)
        if found.origin is Origin.HOOK_LINEAGE and found.lineage == Lineage():
            found = TaskLineage(Lineage())  # the hooks saw nothing: no level handled the task
        declaration = self._declared(task_instance, phase, timeout)
        lineage = found.lineage.merged(declaration.lineage)
        return attrs.evolve(
            found,
            lineage=lineage,
            sources=_sources(found.lineage, found.origin, declaration.lineage),
            asset_events=declaration.asset_events,
        )

    def _declared(self, task_instance: Any, phase: Phase | str, timeout: float) -> declared.Declared:
        """The task's declared lineage; a failure is a line in its errors."""
        try:
            phase = Phase(phase)
        except ValueError:
            return declared.Declared()  # choosing said so already, in the errors
        try:
            if declared.reads_database(task_instance, phase):  # Airflow 2.10: bounded like an extractor
                return _bounded(
                    lambda: declared.declared_lineage(task_instance, phase), timeout, "reading declared lineage"
                )
            return declared.declared_lineage(task_instance, phase)
        except BaseException as exc:  # noqa: BLE001 - a user's inlets must not fail the task
            return declared.Declared(_failed(f"declared lineage: {type(exc).__name__}: {exc}"))

    def _extracted(self, task_instance: Any, phase: Phase | str, timeout: float) -> TaskLineage:
        """The lineage of the level that wins for the task."""
        partial: dict[str, Any] = {}
        try:
            if not self.registry.loaded:
                # First use in this process imports users' extractors, which can hang as
                # well as raise: bounded too, but by more than extract_timeout, since a
                # legitimate import (pandas, a cold disk) can take seconds.
                load_timeout = max(timeout, self.load_timeout)
                _bounded(lambda: self.registry.registered, load_timeout, "loading extractors", "the load limit")
            chosen = self.choose(task_instance, phase, partial)
        except Exception as exc:  # noqa: BLE001 - choosing fails into lineage.errors, never into the task
            return TaskLineage(_failed(f"choosing an extractor failed: {type(exc).__name__}: {exc}"))
        if chosen is None:
            return TaskLineage(Lineage())
        label, call, origin = chosen.label, chosen.call, chosen.origin
        try:
            if origin in _RUN_INLINE:
                lineage, source_code = call()
            else:
                lineage, source_code = _bounded(call, timeout, label)
            lineage = _as_lineage(lineage)
        except TimeoutError as exc:
            return TaskLineage(_failed(str(exc)), _text(partial.get("source_code")), label, origin)
        except BaseException as exc:  # noqa: BLE001 - an extractor's failure is data, not a task failure
            message = f"extractor {label} raised {type(exc).__name__}: {exc}"
            return TaskLineage(_failed(message), _text(partial.get("source_code")), label, origin)
        return TaskLineage(lineage, _text(source_code), label, origin)


#: The process's manager: the listener and ``secoda-listener inspect`` use this one.
extractor_manager = ExtractorManager()

__all__ = [
    "DECLARED",
    "LOAD_TIMEOUT",
    "Choice",
    "DatasetSource",
    "ExtractorManager",
    "Origin",
    "Phase",
    "TaskLineage",
    "extractor_manager",
]
