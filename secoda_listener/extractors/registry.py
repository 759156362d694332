"""Which extractor handles an operator, in a fixed order of precedence.

1. ``[secoda] extractors`` (``module:Class`` paths, in listed order),
2. installed packages' entry points in the group ``secoda_listener.extractors``,
3. the operator's own ``get_secoda_lineage(context)`` method,
4. the built-in extractors,
5. the operator's OpenLineage methods (``get_openlineage_facets_on_*``),
6. hook-level lineage: the assets the task's hooks reported, read at its end only.

:class:`Origin` names these levels, in this order; the registry holds the
extractor classes of levels 1, 2 and 4 (levels 3 and 5 are methods of the
operator, level 6 is extractors/hook_lineage.py, all found by the manager).
Whichever level wins, the lineage the DAG author declared on the task
(``inlets``/``outlets``, the asset events it emitted) is added to it: see
extractors/declared.py and the manager. Matching walks the operator's class and its
bases (``__mro__``) by import path, so a subclass of ``SQLExecuteQueryOperator``
is handled like it. Extractors are loaded once per process; one that cannot be
imported costs one warning naming it, and the others keep working.
"""

from __future__ import annotations

import enum
import importlib
import logging
import re
import sys
import threading
from collections.abc import Collection, Iterable
from typing import Any

import attrs

from secoda_listener import conf
from secoda_listener.extractors.base import BaseExtractor

log = logging.getLogger(__name__)

ENTRY_POINT_GROUP = "secoda_listener.extractors"

#: The built-in extractors (``module:Class``), tried after users' ones. The first that
#: matches wins, so an operator built on SQLExecuteQueryOperator (DatabricksSqlOperator,
#: SnowflakeSqlApiOperator) has its own extractor listed before SqlExecuteQueryExtractor.
BUILTIN: tuple[str, ...] = (
    "secoda_listener.extractors.sql_warehouses:BigQueryInsertJobExtractor",
    "secoda_listener.extractors.sql_warehouses:DatabricksSqlExtractor",
    "secoda_listener.extractors.sql_warehouses:RedshiftDataExtractor",
    "secoda_listener.extractors.sql_operators:SnowflakeSqlApiExtractor",
    "secoda_listener.extractors.sql_operators:SqlExecuteQueryExtractor",
    "secoda_listener.extractors.sql_operators:CopyFromExternalStageExtractor",
    "secoda_listener.extractors.bash:BashExtractor",
)


class Origin(enum.Enum):
    """Where a task's extractor comes from; members in order of precedence, first wins.

    ``str()`` gives the label shown to people (``doctor``, ``inspect``, warnings);
    decisions compare members, never labels.
    """

    CONFIG = "config"
    ENTRY_POINT = "entry point"
    OPERATOR_METHOD = "operator method"
    BUILT_IN = "built-in"
    OPENLINEAGE = "OpenLineage methods"
    HOOK_LINEAGE = "hook lineage"

    def __str__(self) -> str:
        return self.value

    def describe(self, detail: str = "") -> str:
        """The label with its detail: ``"entry point secoda_listener.extractors:acme"``."""
        return f"{self.value} {detail}" if detail else self.value


#: The detail of ``Origin.CONFIG`` in messages: where those paths are set.
CONFIG_DETAIL = "[secoda] extractors"


@attrs.frozen
class Registered:
    """A loaded extractor and where it came from (shown by ``doctor``)."""

    extractor: BaseExtractor
    origin: Origin  # CONFIG, ENTRY_POINT or BUILT_IN
    path: str
    detail: str = ""  # for messages: "[secoda] extractors", "secoda_listener.extractors:<name>"

    @property
    def origin_text(self) -> str:
        """``"config [secoda] extractors"``, ``"entry point secoda_listener.extractors:acme"``, ``"built-in"``."""
        return self.origin.describe(self.detail)


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


#: ``entry_points(group=...)`` exists from Python 3.10; 3.9 (the oldest we claim) has only
#: ``entry_points()``, a dict of every group over every distribution, duplicates included.
SELECTABLE_ENTRY_POINTS = sys.version_info >= (3, 10)


def group_entry_points(group: str) -> Iterable[Any]:
    """The entry points of ``group``, each distribution counted once, in ``distributions()`` order."""
    from importlib import metadata  # imported on first use: not on the plugin's import path

    if SELECTABLE_ENTRY_POINTS:
        return metadata.entry_points(group=group)
    # Python 3.9: the walk 3.10's ``entry_points(group=...)`` does. A distribution found
    # twice on sys.path (an editable install beside a copy, a path listed twice) counts
    # once, the first found wins; 3.9's own ``entry_points()`` would list it twice.
    found: list[Any] = []
    seen: set[str] = set()
    for distribution in metadata.distributions():
        name = _distribution_name(distribution)
        if name is not None:
            if name in seen:
                continue
            seen.add(name)
        found.extend(entry_point for entry_point in distribution.entry_points if entry_point.group == group)
    return found


def _distribution_name(distribution: Any) -> str | None:
    """The PEP 503 name (``Acme_Lineage`` -> ``acme-lineage``); None when the metadata cannot say."""
    try:
        name = distribution.metadata["Name"]
    except Exception:  # noqa: BLE001 - unreadable metadata: the distribution is still read, just not deduplicated
        return None
    return re.sub(r"[-_.]+", "-", name).lower() if isinstance(name, str) and name else None


def _entry_points() -> Iterable[tuple[str, str]]:
    for entry_point in group_entry_points(ENTRY_POINT_GROUP):
        # module:attr without any "[extras]" suffix the value may carry
        yield entry_point.name, entry_point.value.split("[", 1)[0].strip()


#: The entry points found ahead of time by :func:`discover_entry_points` (an Airflow job at
#: its start, see the listener's ``on_starting``): the task processes it forks read them
#: here instead of scanning every installed distribution's metadata (about 10 ms each).
_discovered: tuple[tuple[str, str], ...] | None = None


def discover_entry_points() -> None:
    """Read the ``secoda_listener.extractors`` entry points now, for this process and its forks."""
    global _discovered
    _discovered = tuple(_entry_points())


def load_all() -> tuple[list[Registered], list[str]]:
    """Every extractor in precedence order, plus one message per one that failed to load."""
    registered: list[Registered] = []
    problems: list[str] = []

    def add(path: str, origin: Origin, detail: str = "") -> None:
        try:
            registered.append(Registered(_load(path), origin, path, detail))
        except Exception as exc:  # noqa: BLE001 - one broken extractor must not stop the others
            problems.append(
                f"extractor {path!r} ({origin.describe(detail)}) could not be loaded and is skipped: "
                f"{type(exc).__name__}: {exc}"
            )

    for path in conf.extractors():
        add(path, Origin.CONFIG, CONFIG_DETAIL)
    try:
        for name, value in _discovered if _discovered is not None else _entry_points():
            add(value, Origin.ENTRY_POINT, f"{ENTRY_POINT_GROUP}:{name}")
    except Exception as exc:  # noqa: BLE001 - a broken distribution's metadata must not stop the rest
        problems.append(f"entry points {ENTRY_POINT_GROUP} could not be read: {exc}")
    for path in BUILTIN:
        add(path, Origin.BUILT_IN)
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

    def first_match(self, operator_class: type, origins: Collection[Origin]) -> Registered | None:
        """The first extractor, in precedence order, from one of ``origins`` that handles ``operator_class``."""
        for entry in self.registered:
            if entry.origin in origins and matches(entry.extractor, operator_class):
                return entry
        return None
