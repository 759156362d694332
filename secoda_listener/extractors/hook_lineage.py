"""Hook-level lineage (AIP-62): what Airflow's collector saw a task's hooks read and write.

Airflow 2.10+ hands every hook a process-wide collector (``airflow.sdk.lineage``
on Airflow 3, ``airflow.lineage.hook`` on 2.10); it only collects once a plugin
declares a hook lineage reader, which ours does (``capture/plugin.py``). Hooks
and ``ObjectStoragePath`` report assets by URI; since common-sql 1.32.0 (Airflow
2.11+) every ``DbApiHook.run`` also reports the SQL it ran (an extra keyed ``sql_job``).

:func:`collected_lineage`, called in the task process when a task ends, turns
that into datasets:

* assets by URI, named by OpenLineage conventions (``event/asset_uris.py``, as
  declared lineage names them);
* SQL, read by our own SQL library with the hook's connection giving dialect,
  namespace and defaults (no database round-trip);
* folded and capped: more than ``[secoda] hook_lineage_fold_threshold`` objects
  in one namespace become one dataset per directory, then one for their longest
  common directory; at most ``[secoda] hook_lineage_max_datasets`` datasets per
  task. Each fold or cut leaves a line in ``lineage.errors`` with the counts.

Reading is linear in what was collected and bounded (:data:`MAX_ENTRIES_READ`,
:data:`MAX_SQL_STATEMENTS`); it never raises. The collector belongs to the
process, not the task: ``airflow dags test`` runs every task in one process, so
each call returns only what was collected since the previous call or since
:func:`mark_task_start`, which the listener calls when a task starts.
"""

from __future__ import annotations

import itertools
import logging
import sys
import threading
import weakref
from collections.abc import Iterable
from typing import Any

import attrs

from secoda_listener import conf
from secoda_listener.event.asset_uris import TABLE_SCHEMES, dataset_from_uri
from secoda_listener.event.datasets import Dataset, Lineage

log = logging.getLogger(__name__)

#: Collector entries read per direction per call. Airflow 2.10's collector has no cap (3.x keeps
#: 100 per direction by default, [lineage] max_assets_per_collector); this bounds the time spent.
MAX_ENTRIES_READ = 50_000
#: Distinct SQL statements read per task: the SQL library's budget is per call, this bounds the calls' input.
MAX_SQL_STATEMENTS = 200
#: Lines the SQL library may add to ``lineage.errors`` per task; the rest are counted.
MAX_SQL_ERRORS = 10

_PREFIX = "hook lineage: "
_SQL_JOB = "sql_job"
#: Named by something other than a path (BigQuery's namespace has no scheme://, Kafka names a topic).
_UNFOLDED = frozenset({"bigquery", "kafka"})


@attrs.frozen
class Found:
    """One dataset found from an asset URI; ``path`` is set for objects that may be folded."""

    dataset: Dataset
    path: str | None = None  # "a/b.csv" (object store) or "/tmp/x" (file system); None for tables and topics


def found_of_uri(uri: Any) -> Found | None:
    """The dataset an asset URI names (``event/asset_uris.py``: one conversion for all lineage), or None.

    Objects and files carry their path for folding; tables and topics do not fold.
    """
    dataset = dataset_from_uri(uri)
    if dataset is None:
        return None
    scheme = dataset.namespace.partition("://")[0]
    if scheme in TABLE_SCHEMES or scheme in _UNFOLDED:
        return Found(dataset)
    return Found(dataset, dataset.name)


# --- folding and the cap ----------------------------------------------------------------------


def _parent(path: str) -> str:
    return path.rstrip("/").rpartition("/")[0]


def _common_directory(paths: Iterable[str]) -> str:
    """Longest directory every path is in ("" for the root): by components, never mid-name."""
    common: list[str] | None = None
    for path in paths:
        parts = _parent(path).split("/")
        if common is None:
            common = parts
            continue
        size = 0
        for mine, theirs in zip(common, parts):
            if mine != theirs:
                break
            size += 1
        del common[size:]
    return "/".join(common or ())


def _directory_dataset(namespace: str, directory: str, leading_slash: bool) -> Dataset:
    if leading_slash:
        return Dataset(namespace, directory if directory.startswith("/") else "/" + directory)
    return Dataset(namespace, directory or "/")


def _shown(dataset: Dataset) -> str:
    """``s3://b/p/``, ``file:///tmp/x/``: the folded directory as a user would write it."""
    name = dataset.name.strip("/")
    namespace = "file://" if dataset.namespace == "file" else dataset.namespace
    return f"{namespace}/{name}/" if name else f"{namespace}/"


@attrs.frozen
class _Fold:
    dataset: Dataset
    members: tuple[int, ...]  # positions in the input list


def _folds(items: list[Found], threshold: int) -> list[_Fold]:
    """Folds for the objects of one direction: per directory first, then per namespace."""
    by_namespace: dict[str, list[int]] = {}
    for index, item in enumerate(items):
        if item.path is not None:
            by_namespace.setdefault(item.dataset.namespace, []).append(index)
    folds: list[_Fold] = []
    for namespace, members in by_namespace.items():
        if len(members) <= threshold:
            continue
        leading_slash = (items[members[0]].path or "").startswith("/")
        by_directory: dict[str, list[int]] = {}
        for index in members:
            by_directory.setdefault(_parent(items[index].path or ""), []).append(index)
        here: list[_Fold] = []
        kept = 0
        for directory, in_directory in by_directory.items():
            if len(in_directory) > threshold:
                here.append(_Fold(_directory_dataset(namespace, directory, leading_slash), tuple(in_directory)))
            else:
                kept += len(in_directory)
        if kept + len(here) > threshold:  # still too many: one dataset for all of them
            directory = _common_directory(items[index].path or "" for index in members)
            here = [_Fold(_directory_dataset(namespace, directory, leading_slash), tuple(members))]
        folds.extend(here)
    return folds


def _folded(items: list[Found], threshold: int, direction: str, errors: list[str]) -> list[Dataset]:
    """``items`` as datasets, with folds in place of their first member; one error line per fold."""
    unique = list({item.dataset: item for item in items}.values())  # an object written twice is one object
    folds = _folds(unique, threshold)
    if not folds:
        return [item.dataset for item in unique]
    folded: set[int] = set()
    first: dict[int, Dataset] = {}  # a fold takes the place of its first member
    for fold in folds:
        folded.update(fold.members)
        first[fold.members[0]] = fold.dataset
        errors.append(
            f"{_PREFIX}{len(fold.members):,} {direction} objects under {_shown(fold.dataset)} folded into one "
            f"dataset ({fold.dataset.namespace}, {fold.dataset.name}): more than "
            f"[secoda] hook_lineage_fold_threshold = {threshold}"
        )
    datasets = []
    for position, item in enumerate(unique):
        if position in first:
            datasets.append(first[position])
        elif position not in folded:
            datasets.append(item.dataset)
    return datasets


def _capped(inputs: list[Dataset], outputs: list[Dataset], cap: int, errors: list[str]) -> Lineage:
    """At most ``cap`` datasets, shared fairly: a side that needs less leaves the rest to the other."""
    inputs, outputs = list(dict.fromkeys(inputs)), list(dict.fromkeys(outputs))
    total = len(inputs) + len(outputs)
    if total <= cap:
        return Lineage(inputs=inputs, outputs=outputs)
    keep_inputs = min(len(inputs), max(cap // 2, cap - len(outputs)))
    keep_outputs = min(len(outputs), cap - keep_inputs)
    errors.append(
        f"{_PREFIX}{total - cap:,} of {total:,} datasets left out ({len(inputs) - keep_inputs:,} inputs, "
        f"{len(outputs) - keep_outputs:,} outputs): more than [secoda] hook_lineage_max_datasets = {cap}"
    )
    return Lineage(inputs=inputs[:keep_inputs], outputs=outputs[:keep_outputs])


# --- SQL ----------------------------------------------------------------------------------------


def _sql_lineage(jobs: list[tuple[Any, Any]], errors: list[str]) -> Lineage:
    """Datasets of the SQL statements hooks recorded: one SQL-library call per connection, in run order."""
    from secoda_listener.extractors.sql_operators import sql_lineage
    from secoda_listener.extractors.sql_targets import hook_target

    targets: dict[int, Any] = {}  # id(hook) -> SqlTarget, or the error text
    statements: dict[Any, dict[str, None]] = {}  # target -> distinct SQL texts in order
    kept = unread = 0
    for hook, value in jobs:
        sql = value.get("sql") if isinstance(value, dict) else None
        if not isinstance(sql, str) or not sql.strip():
            continue
        if id(hook) not in targets:
            try:
                targets[id(hook)] = hook_target(hook)  # the connection's, no query
            except Exception as exc:  # noqa: BLE001 - one hook without a usable connection costs only its SQL
                targets[id(hook)] = f"{type(hook).__name__}: {type(exc).__name__}: {exc}"
                errors.append(f"{_PREFIX}SQL run through {targets[id(hook)]}; its tables are not reported")
        target = targets[id(hook)]
        if isinstance(target, str):
            continue
        database, schema = value.get("default_db"), value.get("default_schema")
        if isinstance(database, str) or isinstance(schema, str):
            target = attrs.evolve(
                target,
                database=database if isinstance(database, str) else target.database,
                schema=schema if isinstance(schema, str) else target.schema,
            )
        texts = statements.setdefault(target, {})
        if sql in texts:
            continue
        if kept >= MAX_SQL_STATEMENTS:
            unread += 1
            continue
        texts[sql] = None
        kept += 1
    if unread:
        errors.append(f"{_PREFIX}{unread:,} more SQL statements not read: at most {MAX_SQL_STATEMENTS} per task")
    found = Lineage()
    for target, texts in statements.items():
        if texts:
            found = found.merged(sql_lineage(list(texts), target))
    sql_errors = [f"{_PREFIX}SQL: {error}" for error in found.errors]
    if len(sql_errors) > MAX_SQL_ERRORS:
        sql_errors[MAX_SQL_ERRORS:] = [f"{_PREFIX}SQL: {len(sql_errors) - MAX_SQL_ERRORS} more errors"]
    errors.extend(sql_errors)
    return Lineage(inputs=found.inputs, outputs=found.outputs)


# --- the collector ------------------------------------------------------------------------------


def airflow_collector() -> Any | None:
    """This process's collector when it exists and collects; None otherwise. Never creates one.

    Creating it on Airflow 3 loads every provider's asset factories: a task whose
    hooks never touched it must not pay that at its end.
    """
    module = sys.modules.get("airflow.sdk.lineage")
    if module is not None:  # Airflow 3: a cached function makes it on first use
        cache_info = getattr(module.get_hook_lineage_collector, "cache_info", None)
        if cache_info is not None and not cache_info().currsize:
            return None
        collector = module.get_hook_lineage_collector()
    else:  # Airflow 2.10: a module global, None until first use
        module = sys.modules.get("airflow.lineage.hook")
        collector = getattr(module, "_hook_lineage_collector", None)
    if collector is None or isinstance(collector, getattr(module, "NoOpCollector", ())):
        return None
    return collector


@attrs.define
class _Seen:
    """How many entries of each kind earlier calls took from one collector."""

    inputs: int = 0
    outputs: int = 0
    extra: int = 0


# Per collector; weakly, so that a collector made at a dead one's address (tests, benchmarks)
# never inherits its positions. Airflow's own lives as long as the process.
_seen: weakref.WeakKeyDictionary[Any, _Seen] = weakref.WeakKeyDictionary()
_seen_lock = threading.Lock()


def _seen_of(collector: Any) -> _Seen:
    """The positions read so far in ``collector`` (the caller holds the lock)."""
    seen = _seen.get(collector)
    if seen is None:
        seen = _seen[collector] = _Seen()
    return seen


def _public(collector: Any) -> Any:
    # Airflow 3 and the common-compat layer: collected_assets; Airflow 2.10 alone: collected_datasets.
    if hasattr(type(collector), "collected_assets"):
        return collector.collected_assets
    return collector.collected_datasets


@attrs.frozen
class _Entries:
    items: list[tuple[Any, ...]]  # at most MAX_ENTRIES_READ, from position ``start``
    start: int
    total: int


def _entries(collector: Any, kind: str, start: int) -> _Entries:
    """Entries of ``kind`` (inputs, outputs, extra) from position ``start`` on.

    The collector's own dicts (insertion-ordered, never pruned) are read when they have
    the shape Airflow 2.10-3.x gives them: no copy of what earlier tasks collected, and
    the slice is taken in one C call, so a hook thread still adding cannot break it.
    Otherwise the public property, which builds the whole list.
    """
    private = getattr(collector, "_" + kind, None)
    if isinstance(private, dict):
        values: Iterable[tuple[Any, ...]] = private.values()
        total = len(private)
    else:
        listed = getattr(_public(collector), kind, None) or []
        if kind == "extra":
            values = ((item.key, item.value, item.context) for item in listed)
        else:
            values = ((getattr(item, "asset", None) or getattr(item, "dataset", None), item.context) for item in listed)
        total = len(listed)
    start = start if start <= total else 0  # a collector that shrank was reset: read it whole
    return _Entries(list(itertools.islice(values, start, start + MAX_ENTRIES_READ)), start, total)


def _count(collector: Any, kind: str) -> int:
    """How many entries of ``kind`` the collector holds: its own dict's size, else the public list's."""
    private = getattr(collector, "_" + kind, None)
    if isinstance(private, dict):
        return len(private)
    return len(getattr(_public(collector), kind, None) or ())


def _airflow_cap(kind: str) -> int | None:
    """Airflow 3's own cap on a collector's entries of ``kind`` (2.10 has none)."""
    module = sys.modules.get("airflow.sdk.lineage")
    cap = getattr(module, "MAX_COLLECTED_EXTRA" if kind == "extra" else "MAX_COLLECTED_ASSETS", None)
    return cap if isinstance(cap, int) else None


def _note_limits(kind: str, entries: _Entries, errors: list[str]) -> None:
    what = "SQL statements" if kind == "extra" else kind
    new = entries.total - entries.start
    if new > len(entries.items):
        errors.append(f"{_PREFIX}read the first {len(entries.items):,} of {new:,} {what} collected; the rest left out")
    cap = _airflow_cap(kind)
    if cap is not None and new and entries.total >= cap:
        option = "max_extras_per_collector" if kind == "extra" else "max_assets_per_collector"
        errors.append(
            f"{_PREFIX}Airflow's collector is full ({entries.total:,} {what}, [lineage] {option} = {cap}): "
            "Airflow dropped any later ones"
        )


def _take(collector: Any, kind: str, errors: list[str]) -> list[tuple[Any, ...]]:
    """The entries of ``kind`` collected since the last call; all of them count as taken."""
    with _seen_lock:
        seen = _seen_of(collector)
        entries = _entries(collector, kind, getattr(seen, kind))
        setattr(seen, kind, entries.total)
    _note_limits(kind, entries, errors)
    return entries.items


def _read(collector: Any, errors: list[str]) -> tuple[list[Found], list[Found], list[tuple[Any, Any]]]:
    found: dict[str, list[Found]] = {"inputs": [], "outputs": []}
    nameless = 0
    for kind in ("inputs", "outputs"):
        for entry in _take(collector, kind, errors):
            item = found_of_uri(getattr(entry[0], "uri", None))
            if item is None:
                nameless += 1
            else:
                found[kind].append(item)
    if nameless:
        errors.append(f"{_PREFIX}{nameless:,} assets named without a URI scheme are not datasets; left out")
    jobs = [(context, value) for key, value, context in _take(collector, "extra", errors) if key == _SQL_JOB]
    return found["inputs"], found["outputs"], jobs


def mark_task_start(task_instance: Any = None, *, collector: Any = None) -> None:
    """Forget what the collector holds so far: it is not the starting task's. O(1); never raises.

    Only ``airflow dags test`` (and ``dag.test()``) runs several tasks in one process;
    there, a task whose lineage another extractor gave (or that reports nothing) leaves
    its hooks' entries behind, and without this mark the next task would report them.
    """
    try:
        collector = airflow_collector() if collector is None else collector
        if collector is None:
            return  # made later, by this task's hooks: everything in it will be this task's
        totals = [_count(collector, kind) for kind in ("inputs", "outputs", "extra")]
        with _seen_lock:
            _seen[collector] = _Seen(*totals)
    except Exception as exc:  # noqa: BLE001 - a listener's helper: the task never notices
        log.debug("secoda-listener: could not mark the start of a task in the hook lineage collector: %s", exc)


def collected_lineage(task_instance: Any, *, collector: Any = None) -> Lineage:
    """Inputs and outputs the hooks of the ending task reported to Airflow's collector; never raises.

    Call it once per try, in the task process, when the task ends (success or
    failure): it returns what was collected since the previous call in this
    process. ``collector`` replaces Airflow's (tests, benchmarks).
    """
    try:
        cap = conf.hook_lineage_max_datasets()
        if cap <= 0:
            return Lineage()
        collector = airflow_collector() if collector is None else collector
        if collector is None:
            return Lineage()
        errors: list[str] = []
        inputs, outputs, jobs = _read(collector, errors)
        if not (inputs or outputs or jobs):
            return Lineage(errors=errors)
        threshold = conf.hook_lineage_fold_threshold()
        input_datasets = _folded(inputs, threshold, "input", errors)
        output_datasets = _folded(outputs, threshold, "output", errors)
        if jobs:
            sql = _sql_lineage(jobs, errors)
            input_datasets += sql.inputs
            output_datasets += sql.outputs
        lineage = _capped(input_datasets, output_datasets, cap, errors)
        log.debug(
            "secoda-listener: hook lineage of %s: %d inputs, %d outputs",
            getattr(task_instance, "task_id", "?"),
            len(lineage.inputs),
            len(lineage.outputs),
        )
        return attrs.evolve(lineage, errors=errors)
    except Exception as exc:  # noqa: BLE001 - a listener's helper: the task never notices
        return Lineage().with_error(f"{_PREFIX}reading Airflow's collector failed: {type(exc).__name__}: {exc}")


__all__ = ["collected_lineage", "mark_task_start"]
