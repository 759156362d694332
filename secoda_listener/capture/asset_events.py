"""Asset events (Dataset events on Airflow 2.10) read from the metadata database, off the hook.

Two questions need the database:

* which events triggered a DAG run (``DagRun.consumed_asset_events`` on Airflow 3,
  ``consumed_dataset_events`` on 2.10): asked for the final event of a run the
  scheduler created from asset events;
* which events a try emitted, on Airflow 2.10, whose task process keeps its outlet
  events in a context the listener never sees (Airflow 3's task process has them
  in its context: see extractors/declared.py, which never comes here on 3).

Never through the hook's ORM objects nor its scoped session: a lazy load from a
DAG-run hook crashed the scheduler ("UNEXPECTED COMMIT", design.md). As
capture/run_tasks.py does, each read opens a connection of its own from the
engine and runs SQLAlchemy core selects on Airflow's own tables, in a daemon
thread bounded by :data:`READ_TIMEOUT`; the exit handler settles what is pending.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any

import attrs

from secoda_listener import forks
from secoda_listener.capture.run_tasks import metadata_engine
from secoda_listener.event.asset_uris import dataset_from_uri, safe_uri
from secoda_listener.event.model import MAX_TRIGGERING_EVENTS, AssetEventBlock, DagRunBlock, date_text
from secoda_listener.logs import warn_once

log = logging.getLogger(__name__)

#: Seconds a read may take before the event goes out without its asset events.
READ_TIMEOUT = 10.0

#: The run types of runs created from asset events: only those consumed any.
ASSET_TRIGGERED_RUN_TYPES = frozenset({"asset_triggered", "dataset_triggered"})

#: An event's ``extra`` larger than this (JSON bytes) is replaced by a note saying so.
MAX_EXTRA_BYTES = 8192


def plain_extra(extra: Any) -> dict[str, Any] | None:
    """``extra`` as plain JSON values, bounded; None when there is none."""
    if not extra:
        return None
    try:
        text = json.dumps(extra, default=str, sort_keys=True)
    except (TypeError, ValueError) as exc:
        return {"secoda_listener": f"extra not JSON: {type(exc).__name__}"}
    if len(text) > MAX_EXTRA_BYTES:
        return {"secoda_listener": f"extra of {len(text)} bytes left out (over {MAX_EXTRA_BYTES})"}
    value = json.loads(text)
    return value if isinstance(value, dict) else {"value": value}


def event_block(uri: Any, extra: Any = None, aliases: Iterable[str] = (), **source: Any) -> AssetEventBlock:
    """One event, its asset named by OpenLineage conventions."""
    map_index = source.get("source_map_index")
    return AssetEventBlock(
        dataset=dataset_from_uri(uri),
        uri=safe_uri(uri),
        extra=plain_extra(extra),
        source_dag_id=source.get("source_dag_id"),
        source_task_id=source.get("source_task_id"),
        source_run_id=source.get("source_run_id"),
        source_map_index=None if map_index is None else int(map_index),
        timestamp=date_text(source.get("timestamp")),
        source_aliases=tuple(sorted(set(aliases))),
    )


@attrs.frozen
class _Schema:
    """Airflow's asset tables: ``asset_*`` on Airflow 3, ``dataset_*`` on 2.10."""

    event: Any
    asset: Any
    asset_fk: str
    alias: Any
    alias_link: Any
    run_link: Any
    dag_run: Any


def _schema() -> _Schema:
    from airflow.models.dagrun import DagRun

    try:
        from airflow.models import asset as m3  # Airflow 3

        return _Schema(
            m3.AssetEvent.__table__,
            m3.AssetModel.__table__,
            "asset_id",
            m3.AssetAliasModel.__table__,
            m3.asset_alias_asset_event_association_table,
            m3.association_table,
            DagRun.__table__,
        )
    except ImportError:
        from airflow.models import dataset as m2  # Airflow 2.10

        return _Schema(
            m2.DatasetEvent.__table__,
            m2.DatasetModel.__table__,
            "dataset_id",
            m2.DatasetAliasModel.__table__,
            m2.dataset_alias_dataset_event_assocation_table,
            m2.association_table,
            DagRun.__table__,
        )


def _blocks(connection: Any, schema: _Schema, rows: list[Any]) -> tuple[AssetEventBlock, ...]:
    """The rows as events, each with the aliases it was emitted through."""
    from sqlalchemy import select

    link, alias = schema.alias_link, schema.alias
    ids = [row.id for row in rows]
    aliases: dict[Any, list[str]] = {}
    if ids:
        query = (
            select(link.c.event_id, alias.c.name)
            .select_from(link.join(alias, alias.c.id == link.c.alias_id))
            .where(link.c.event_id.in_(ids))
        )
        for event_id, name in connection.execute(query):
            aliases.setdefault(event_id, []).append(str(name))
    return tuple(
        event_block(
            row.uri,
            row.extra,
            aliases.get(row.id, ()),
            source_dag_id=row.source_dag_id,
            source_task_id=row.source_task_id,
            source_run_id=row.source_run_id,
            source_map_index=row.source_map_index,
            timestamp=row.timestamp,
        )
        for row in rows
    )


def _columns(schema: _Schema) -> list[Any]:
    e = schema.event
    return [
        e.c.id,
        schema.asset.c.uri,
        e.c.extra,
        e.c.source_dag_id,
        e.c.source_task_id,
        e.c.source_run_id,
        e.c.source_map_index,
        e.c.timestamp,
    ]


@attrs.frozen
class Found:
    """Up to ``limit`` events, and their total when the list was cut."""

    events: tuple[AssetEventBlock, ...]
    total: int | None = None


def read_triggering_events(dag_id: str, run_id: str, limit: int = MAX_TRIGGERING_EVENTS) -> Found:
    """The events that triggered one DAG run, oldest first, on a connection of this call's own."""
    from sqlalchemy import func, select

    schema = _schema()
    e, link, run = schema.event, schema.run_link, schema.dag_run
    joined = (
        e.join(schema.asset, schema.asset.c.id == e.c[schema.asset_fk])
        .join(link, link.c.event_id == e.c.id)
        .join(run, run.c.id == link.c.dag_run_id)
    )
    where = (run.c.dag_id == dag_id, run.c.run_id == run_id)
    query = select(*_columns(schema)).select_from(joined).where(*where).order_by(e.c.timestamp, e.c.id)
    with metadata_engine().connect() as connection:
        rows = list(connection.execute(query.limit(limit + 1)))
        total = None
        if len(rows) > limit:
            count = select(func.count()).select_from(joined).where(*where)
            total = int(connection.execute(count).scalar() or 0)
            rows = rows[:limit]
        return Found(_blocks(connection, schema, rows), total)


def read_emitted_events(task_instance: Any, limit: int = MAX_TRIGGERING_EVENTS) -> tuple[AssetEventBlock, ...]:
    """The events one try emitted (Airflow 2.10 task processes), on a connection of this call's own.

    An event names its task instance but not its try: those since the try started are its own.
    """
    from sqlalchemy import select

    schema = _schema()
    e = schema.event
    map_index = getattr(task_instance, "map_index", None)
    query = (
        select(*_columns(schema))
        .select_from(e.join(schema.asset, schema.asset.c.id == e.c[schema.asset_fk]))
        .where(
            e.c.source_dag_id == task_instance.dag_id,
            e.c.source_task_id == task_instance.task_id,
            e.c.source_run_id == task_instance.run_id,
            e.c.source_map_index == (-1 if map_index is None else int(map_index)),
        )
        .order_by(e.c.id)
        .limit(limit)
    )
    started = getattr(task_instance, "start_date", None)
    if started is not None:
        query = query.where(e.c.timestamp >= started)
    with metadata_engine().connect() as connection:
        return _blocks(connection, schema, list(connection.execute(query)))


def is_asset_triggered(dag_run: Any) -> bool:
    """Was this run created from asset events? (Loaded attributes only: the run type.)"""
    run_type = getattr(dag_run, "run_type", None)
    return str(getattr(run_type, "value", run_type)) in ASSET_TRIGGERED_RUN_TYPES


class TriggeringRead:
    """One DAG run's triggering events, read in a daemon thread from the moment it is made."""

    def __init__(self, dag_id: str, run_id: str, read: Callable[[str, str], Found] = read_triggering_events) -> None:
        self.deadline = time.monotonic() + READ_TIMEOUT
        self.done = threading.Event()
        self.abandoned = False
        self._found: Found | None = None
        self._read = read
        _pending.add(self)  # before the thread starts: it takes itself out when done
        thread = threading.Thread(target=self._run, args=(dag_id, run_id), name="secoda-triggering-events", daemon=True)
        thread.start()

    def _run(self, dag_id: str, run_id: str) -> None:
        try:
            self._found = self._read(dag_id, run_id)
        except Exception as exc:  # noqa: BLE001 - the event goes out without them
            warn_once(
                log,
                ("asset_events", type(exc).__name__),
                "could not read the asset events that triggered a DAG run; its final event goes without them: %s: %s",
                type(exc).__name__,
                exc,
            )
        finally:
            self.done.set()
            _pending.discard(self)

    def found(self, wait: bool = True) -> Found | None:
        """What the read found, waiting at most until its deadline (not at all once abandoned)."""
        if wait and not self.abandoned:
            self.done.wait(max(0.0, self.deadline - time.monotonic()))
        return self._found if self.done.is_set() else None

    def applied(self, block: DagRunBlock | None, wait: bool = True) -> DagRunBlock | None:
        """``block`` with the triggering events, when they were read."""
        found = self.found(wait)
        if block is None or found is None:
            return block
        return attrs.evolve(block, triggering_events=found.events, triggering_events_total=found.total)


_pending: set[TriggeringRead] = set()


def start_triggering_read(dag_run: Any, dag_id: str, run_id: str | None) -> TriggeringRead | None:
    """Start reading the run's triggering events, if it has any to read; None otherwise."""
    if not run_id or not is_asset_triggered(dag_run):
        return None
    return TriggeringRead(dag_id, run_id)


def settle_pending(timeout: float) -> None:
    """At exit: wait up to ``timeout`` s for pending reads, then stop waiting for the rest."""
    deadline = time.monotonic() + max(0.0, timeout)
    for read in list(_pending):
        read.done.wait(max(0.0, deadline - time.monotonic()))
    for read in list(_pending):
        read.abandoned = True


def _after_fork_in_child() -> None:
    _pending.clear()  # the parent's threads do not exist here


forks.reset_in_child("capture.asset_events", _after_fork_in_child)
