"""Which DAGs and operators report at all: checked first, before any other work.

An opted-out DAG costs a tag lookup and nothing else: no extraction, no
write, no request.

A task or DAG run that still carries the callbacks of ``secoda-airflow`` (the
callback provider this plugin replaces) is left to those callbacks: they
already send it to Secoda, and reporting it here as well would show every such
run twice. Each process says so once per DAG, in its log (for a task: the task
log), with how to migrate. A task is judged by its own callbacks (where
``default_args`` put them too), a DAG run by the DAG's ``on_success_callback``
/ ``on_failure_callback``.
"""

from __future__ import annotations

import logging
import os
from typing import Any

from secoda_listener import conf
from secoda_listener.capture.airflow_objects import dag_tags
from secoda_listener.extractors.registry import class_matches
from secoda_listener.logs import warn_once

log = logging.getLogger(__name__)

#: The callback provider's top-level module: its callbacks live in ``secoda_airflow.callbacks``.
CALLBACK_PROVIDER_MODULE = "secoda_airflow"
TASK_CALLBACKS = (
    "on_execute_callback",
    "on_success_callback",
    "on_failure_callback",
    "on_retry_callback",
    "on_skipped_callback",
)
DAG_CALLBACKS = ("on_success_callback", "on_failure_callback")
#: A DAG file larger than this is not searched (a serialized DAG's callbacks are unknown then).
MAX_SCANNED_FILE_BYTES = 2 * 1024 * 1024

# fileloc -> (mtime_ns, size, mentions the provider): a file is read again only when it changed.
_file_scans: dict[str, tuple[int, int, bool]] = {}


def dag_selected(dag: Any) -> bool:
    """False when the DAG carries an ``opt_out_tags`` tag, or lacks every ``only_tags`` tag."""
    tags = dag_tags(dag)
    if tags & conf.opt_out_tags():
        return False
    only = conf.only_tags()
    return not only or bool(tags & only)


def operator_selected(task: Any) -> bool:
    """False when the operator (or a base class) is in ``disabled_for_operators``, or the task
    still has the callback provider's callbacks (:func:`task_left_to_callbacks`).

    Matched like extractors' ``operators``: by import path along the class's
    bases, or by identity for a re-exported path, so the path users see in
    their imports works too.
    """
    if task is None:
        return True
    disabled = conf.disabled_for_operators()
    if disabled and class_matches(disabled, type(task)):
        return False
    return not task_left_to_callbacks(task)


def dag_run_selected(dag: Any) -> bool:
    """False when the DAG's own callbacks are the callback provider's: its runs are theirs to report."""
    return dag is None or not dag_run_left_to_callbacks(dag)


def _dag_of(task: Any) -> Any:
    try:  # Airflow 3 raises RuntimeError for a task not assigned to a DAG
        return getattr(task, "dag", None)
    except Exception:  # noqa: BLE001 - no DAG: no file to look in
        return None


def task_left_to_callbacks(task: Any) -> bool:
    dag = _dag_of(task)
    if not _carries_provider(task, TASK_CALLBACKS, dag):
        return False
    _say_once(dag, getattr(task, "dag_id", None), "its tasks")
    return True


def dag_run_left_to_callbacks(dag: Any) -> bool:
    if not _carries_provider(dag, DAG_CALLBACKS, dag):
        return False
    _say_once(dag, None, "its DAG runs")
    return True


def _say_once(dag: Any, dag_id: Any, what: str) -> None:
    dag_id = getattr(dag, "dag_id", None) or dag_id
    warn_once(
        log,
        ("callback provider", dag_id, what),
        "DAG %s still has the secoda-airflow callbacks: %s are left to them (this plugin does not report "
        "them, so Secoda gets each once, without lineage). To migrate, remove secoda_airflow's "
        "task_callbacks/dag_callbacks from the DAG and its default_args, and keep the secoda connection; "
        "`secoda-listener doctor` lists the DAGs that still have them",
        dag_id,
        what,
    )


def is_provider_callback(callback: Any) -> bool:
    """Is ``callback`` one of secoda-airflow's functions (or a partial of one)?"""
    target = getattr(callback, "func", callback)  # functools.partial
    module = getattr(target, "__module__", None)
    return isinstance(module, str) and module.split(".", 1)[0] == CALLBACK_PROVIDER_MODULE


def _callables(value: Any) -> list[Any]:
    if value is None:
        return []
    if isinstance(value, (list, tuple)):
        return [item for item in value if callable(item)]
    return [value] if callable(value) else []


def _source_text(value: Any) -> bool:
    if isinstance(value, str):
        return bool(value)
    return isinstance(value, (list, tuple)) and any(isinstance(item, str) for item in value)


def provider_callbacks(obj: Any, attributes: tuple[str, ...]) -> list[str]:
    """The attributes of a real DAG or task whose callbacks include the provider's."""
    return [name for name in attributes if any(is_provider_callback(fn) for fn in _callables(getattr(obj, name, None)))]


def _carries_provider(obj: Any, attributes: tuple[str, ...], dag: Any) -> bool:
    if obj is None:
        return False
    found_callable = False
    flagged = False
    for name in attributes:
        value = getattr(obj, name, None)
        callbacks = _callables(value)
        if any(is_provider_callback(fn) for fn in callbacks):
            return True
        found_callable = found_callable or bool(callbacks)
        # Airflow 2's serialized operator keeps a callback's source text instead of the function.
        flagged = flagged or getattr(obj, f"has_{name}", False) is True or _source_text(value)
    if found_callable or not flagged:
        return False
    # A serialized DAG or task (the scheduler, the API server) keeps only "has a callback"
    # flags (or source text): whose callback it is, only the DAG's file can tell.
    return _file_mentions_provider(getattr(dag, "fileloc", None))


def _file_mentions_provider(fileloc: Any) -> bool:
    if not fileloc:
        return False
    path = str(fileloc)
    try:
        info = os.stat(path)
    except OSError:
        return False  # not on this host (a remote bundle): nothing to tell, the run is reported
    cached = _file_scans.get(path)
    if cached is not None and cached[:2] == (info.st_mtime_ns, info.st_size):
        return cached[2]
    mentions = False
    if info.st_size <= MAX_SCANNED_FILE_BYTES:
        try:
            with open(path, "rb") as fh:
                mentions = CALLBACK_PROVIDER_MODULE.encode() in fh.read()
        except OSError:
            mentions = False
    _file_scans[path] = (info.st_mtime_ns, info.st_size, mentions)
    return mentions
