"""Which extractor handles an operator, in a fixed order of precedence.

1. ``[secoda] extractors`` (``module:Class`` paths),
2. installed packages' entry points in the group ``secoda_listener.extractors``,
3. the operator's own ``get_secoda_lineage(context)`` method,
4. the built-in extractors,
5. the operator's OpenLineage methods (``get_openlineage_facets_on_*``).

Matching walks the operator's class and its bases (``__mro__``) by import
path, so a subclass of ``SQLExecuteQueryOperator`` is handled like it.
Extractors are loaded once per process; one that cannot be imported costs one
warning naming it, and the others keep working.
"""

from __future__ import annotations

import importlib
import logging
import sys
import threading
from typing import Any, Iterable

import attrs

from secoda_listener import conf
from secoda_listener.extractors.base import BaseExtractor

log = logging.getLogger(__name__)

ENTRY_POINT_GROUP = "secoda_listener.extractors"

#: The built-in extractors (``module:Class``), tried after users' ones.
BUILTIN: tuple[str, ...] = (
    "secoda_listener.extractors.sql_operators:SqlExecuteQueryExtractor",
    "secoda_listener.extractors.sql_operators:SnowflakeSqlApiExtractor",
    "secoda_listener.extractors.sql_operators:CopyFromExternalStageExtractor",
    "secoda_listener.extractors.bash:BashExtractor",
)


@attrs.frozen
class Registered:
    """A loaded extractor and where it came from (shown by ``doctor``)."""

    extractor: BaseExtractor
    origin: str  # "config", "entry point <name>", "built-in"
    path: str


def class_paths(cls: type) -> tuple[str, ...]:
    """Import paths of ``cls`` and its bases, most specific first."""
    return tuple(f"{klass.__module__}.{klass.__qualname__}" for klass in cls.__mro__)


def _already_imported(path: str) -> Any:
    """The object behind ``module.Name`` if its module is imported already (no import cost)."""
    module_name, _, name = path.rpartition(".")
    module = sys.modules.get(module_name)
    return getattr(module, name, None) if module is not None else None


def class_matches(paths: Iterable[str], operator_class: type) -> bool:
    """True when ``operator_class`` or one of its bases is named in ``paths``.

    A path may also name a re-export (``airflow.operators.bash.BashOperator`` on
    Airflow 2, where the class lives elsewhere): compared by identity when that
    module is already imported, so matching never imports anything.
    """
    wanted = set(paths)
    if not wanted:
        return False
    if wanted.intersection(class_paths(operator_class)):
        return True
    mro = operator_class.__mro__
    return any(_already_imported(path) in mro for path in wanted)


def matches(extractor: BaseExtractor, operator_class: type) -> bool:
    """True when ``operator_class`` or a base is one of ``extractor.operators``."""
    return class_matches(extractor.operators, operator_class)


def _load(path: str) -> BaseExtractor:
    module_name, sep, class_name = path.partition(":")
    if not sep:
        module_name, _, class_name = path.rpartition(".")
    cls = getattr(importlib.import_module(module_name), class_name)
    extractor = cls()
    if not isinstance(extractor, BaseExtractor):
        raise TypeError(f"{path} is not a subclass of secoda_listener.extractors.BaseExtractor")
    return extractor


def _entry_points() -> Iterable[tuple[str, str]]:
    from importlib.metadata import entry_points

    try:
        found: Iterable[Any] = entry_points(group=ENTRY_POINT_GROUP)
    except TypeError:  # Python 3.9: no selection by keyword, a dict of groups instead
        found = entry_points().get(ENTRY_POINT_GROUP, ())  # type: ignore[attr-defined]
    for entry_point in found:
        # module:attr without any "[extras]" suffix the value may carry
        yield entry_point.name, entry_point.value.split("[", 1)[0].strip()


def load_all() -> tuple[list[Registered], list[str]]:
    """Every extractor in precedence order, plus one message per one that failed to load."""
    registered: list[Registered] = []
    problems: list[str] = []

    def add(path: str, origin: str) -> None:
        try:
            registered.append(Registered(_load(path), origin, path))
        except Exception as exc:
            problems.append(
                f"extractor {path!r} ({origin}) could not be loaded and is skipped: "
                f"{type(exc).__name__}: {exc}"
            )

    for path in conf.extractors():
        add(path, "config [secoda] extractors")
    try:
        for name, value in _entry_points():
            add(value, f"entry point {ENTRY_POINT_GROUP}:{name}")
    except Exception as exc:  # a broken distribution's metadata must not stop the rest
        problems.append(f"entry points {ENTRY_POINT_GROUP} could not be read: {exc}")
    for path in BUILTIN:
        add(path, "built-in")
    return registered, problems


class Registry:
    """The process's extractors, loaded on first use."""

    def __init__(self) -> None:
        self._registered: list[Registered] | None = None
        self._lock = threading.Lock()

    @property
    def loaded(self) -> bool:
        return self._registered is not None

    @property
    def registered(self) -> list[Registered]:
        if self._registered is None:
            # A load cut off by its time bound goes on in its thread, holding the
            # lock: later hooks fail at once instead of waiting for it again.
            if not self._lock.acquire(blocking=False):
                raise RuntimeError("extractors are still loading: an import is slow or hangs")
            try:
                if self._registered is None:
                    registered, problems = load_all()
                    for problem in problems:
                        log.warning("secoda-listener: %s", problem)
                    self._registered = registered
            finally:
                self._lock.release()
        return self._registered

    def first_match(self, operator_class: type, origins: tuple[str, ...]) -> Registered | None:
        for entry in self.registered:
            if entry.origin.startswith(origins) and matches(entry.extractor, operator_class):
                return entry
        return None
