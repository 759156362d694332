"""The lineage a DAG author declared on a task: ``inlets``, ``outlets`` and the asset events it emitted.

Read in the task process, from the task and (at its end) the events it emitted:

* ``airflow.sdk.Asset`` (Airflow 3), ``airflow.datasets.Dataset`` (2.10), an
  ``AssetUriRef``: the URI, named by :func:`~secoda_listener.event.asset_uris.dataset_from_uri`;
* ``airflow.lineage.entities.File`` (2.10: its ``url``) and ``Table`` (2.10:
  namespace ``cluster``, name ``database.name``);
* an ``AssetAlias``/``DatasetAlias`` outlet: the assets the task attached to it
  (``outlet_events[alias].add(asset, extra=...)``), known once the task succeeded;
* the events a successful try emitted: on Airflow 3 from the task's own context
  (``outlet_events``, cached on the task instance), on 2.10 from the metadata
  database (capture/asset_events.py; the context is gone by the time the listener runs).

Anything else in ``inlets``/``outlets`` (``"auto"``, another task, an ``AssetNameRef``
that only the API server can resolve) names no dataset and is passed over. At most
:data:`MAX_DECLARED` objects per direction are read. The manager adds what this finds
to whatever extractor won, and bounds the call (it may query the database on 2.10).
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator
from typing import Any

import attrs

from secoda_listener.event.asset_uris import dataset_from_uri
from secoda_listener.event.datasets import Dataset, Lineage
from secoda_listener.event.model import MAX_TRIGGERING_EVENTS, AssetEventBlock
from secoda_listener.extractors.base import Phase

#: At most this many inlets (and as many outlets) are read.
MAX_DECLARED = 500

#: Where each version keeps the classes, by import path; a module not imported yet
#: cannot have made any of the task's objects, so none is imported here.
_ASSET_CLASSES = ("airflow.sdk.Asset", "airflow.sdk.definitions.asset.AssetUriRef", "airflow.datasets.Dataset")
_ALIAS_CLASSES = ("airflow.sdk.AssetAlias", "airflow.datasets.DatasetAlias")
_FILE_CLASS = "airflow.lineage.entities.File"
_TABLE_CLASS = "airflow.lineage.entities.Table"


@attrs.frozen
class Declared:
    """What a task declared: datasets, and the asset events it emitted."""

    lineage: Lineage = attrs.field(factory=Lineage)
    asset_events: tuple[AssetEventBlock, ...] = ()


def _classes(paths: Iterable[str]) -> tuple[type, ...]:
    found = []
    for path in paths:
        module_name, _, name = path.rpartition(".")
        cls = getattr(sys.modules.get(module_name), name, None)
        if isinstance(cls, type):
            found.append(cls)
    return tuple(found)


def _objects(value: Any) -> list[Any]:
    if value is None or isinstance(value, (str, bytes)):
        return []
    try:
        items = list(value) if isinstance(value, (list, tuple, set, frozenset)) else [value]
    except Exception:  # noqa: BLE001 - a user's object: unreadable means none
        return []
    return items[:MAX_DECLARED]


def dataset_of(obj: Any) -> Dataset | None:
    """The dataset one inlet or outlet names, or None."""
    if isinstance(obj, _classes(_ASSET_CLASSES)):
        return dataset_from_uri(getattr(obj, "uri", None))
    if isinstance(obj, _classes((_FILE_CLASS,))):
        return dataset_from_uri(getattr(obj, "url", None))
    if isinstance(obj, _classes((_TABLE_CLASS,))):
        cluster, database, name = (getattr(obj, key, None) for key in ("cluster", "database", "name"))
        if cluster and name:
            return Dataset(str(cluster), f"{database}.{name}" if database else str(name))
    return None


def _datasets(objects: Iterable[Any]) -> Iterator[Dataset]:
    for obj in objects:
        dataset = dataset_of(obj)
        if dataset is not None:
            yield dataset


def _is_airflow2_task_instance(task_instance: Any) -> bool:
    """An ORM TaskInstance of Airflow 2: its emitted events are in the database, not in a context."""
    version = str(getattr(sys.modules.get("airflow"), "__version__", ""))
    return version.startswith("2.") and type(task_instance).__module__ == "airflow.models.taskinstance"


def _emits(task: Any) -> bool:
    classes = _classes(_ASSET_CLASSES + _ALIAS_CLASSES)
    return bool(classes) and any(isinstance(obj, classes) for obj in _objects(getattr(task, "outlets", None)))


def reads_database(task_instance: Any, phase: Phase) -> bool:
    """Does :func:`declared_lineage` query the metadata database for this call? (Then bound it.)"""
    task = getattr(task_instance, "task", None)
    return phase is Phase.COMPLETE and _is_airflow2_task_instance(task_instance) and _emits(task)


def _source(task_instance: Any) -> dict[str, Any]:
    map_index = getattr(task_instance, "map_index", None)
    return {
        "source_dag_id": getattr(task_instance, "dag_id", None),
        "source_task_id": getattr(task_instance, "task_id", None),
        "source_run_id": getattr(task_instance, "run_id", None),
        "source_map_index": -1 if map_index is None else map_index,
    }


def _context_events(task_instance: Any, task: Any) -> tuple[AssetEventBlock, ...]:
    """Airflow 3: the events of a successful try, from the context the task ran with.

    Airflow emits one event per ``Asset`` outlet (with the extra the task set on
    ``outlet_events[asset]``) and one per asset and extra the task attached to alias
    outlets (one event for an asset attached to two aliases with the same extra).
    """
    from secoda_listener.capture.asset_events import event_block

    context = getattr(task_instance, "_cached_template_context", None)
    accessors = context.get("outlet_events") if isinstance(context, dict) else None
    if accessors is None:  # not the task's own process (an API server setting the state): none emitted
        return ()
    assets, aliases = _classes(_ASSET_CLASSES), _classes(_ALIAS_CLASSES)
    source = _source(task_instance)
    events: list[AssetEventBlock] = []
    # (uri, extra as text) -> [uri, extra, alias names], in first-attached order
    via_alias: dict[tuple[str, str], list[Any]] = {}
    for outlet in _objects(getattr(task, "outlets", None)):
        # (Looking an outlet up adds an empty entry for it: harmless, the events were sent.)
        accessor = accessors.get(outlet) if isinstance(outlet, assets + aliases) else None
        if isinstance(outlet, aliases):
            for alias_event in getattr(accessor, "asset_alias_events", None) or ():
                uri = getattr(getattr(alias_event, "dest_asset_key", None), "uri", None)
                extra = getattr(alias_event, "extra", None) or {}
                entry = via_alias.setdefault((str(uri), repr(sorted(extra.items()))), [uri, extra, []])
                entry[2].append(str(getattr(outlet, "name", "")))
        elif isinstance(outlet, assets):
            events.append(event_block(getattr(outlet, "uri", None), getattr(accessor, "extra", None), **source))
    events += [event_block(uri, extra, names, **source) for uri, extra, names in via_alias.values()]
    return tuple(events[:MAX_TRIGGERING_EVENTS])


def emitted_events(task_instance: Any, phase: Phase) -> tuple[AssetEventBlock, ...]:
    """The asset events this try emitted: only a successful try emits any."""
    task = getattr(task_instance, "task", None)
    if phase is not Phase.COMPLETE or not _emits(task):
        return ()
    if _is_airflow2_task_instance(task_instance):
        from secoda_listener.capture.asset_events import read_emitted_events

        return read_emitted_events(task_instance)
    return _context_events(task_instance, task)


def declared_lineage(task_instance: Any, phase: Phase | str) -> Declared:
    """Inlets as inputs; outlets, and the assets of emitted events, as outputs. May raise."""
    phase = Phase(phase)
    task = getattr(task_instance, "task", None)
    if task is None:
        return Declared()
    inputs = list(_datasets(_objects(getattr(task, "inlets", None))))
    outputs = list(_datasets(_objects(getattr(task, "outlets", None))))
    events = emitted_events(task_instance, phase)
    outputs += [event.dataset for event in events if event.dataset is not None]
    return Declared(Lineage(inputs=inputs, outputs=outputs), events)


__all__ = ["MAX_DECLARED", "Declared", "dataset_of", "declared_lineage", "emitted_events", "reads_database"]
