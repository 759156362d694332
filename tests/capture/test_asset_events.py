"""Asset events read from Airflow's own tables off the hook: the events that triggered a DAG
run (bounded, oldest first, with the aliases they came through), the events a try emitted
(Airflow 2.10), and the pending read's contract with the DAG-run hook (never waits on the
hook's thread, nothing waits past the deadline, the exit handler settles what is pending).
The full path under a real scheduler: tests/e2e/test_declared_lineage_e2e.py."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
import sqlalchemy as sa

from secoda_listener.capture import asset_events
from secoda_listener.event import model as ev
from secoda_listener.event.datasets import Dataset

T0 = dt.datetime(2024, 1, 1, 12, 0, tzinfo=dt.timezone.utc)


def _filler(column: sa.Column) -> Any:
    """A value for a NOT NULL column the test does not care about."""
    try:
        python_type = column.type.python_type
    except NotImplementedError:
        python_type = str
    if python_type is dt.datetime:
        return T0
    if python_type is bool:
        return False
    if python_type is int:
        return 0
    if python_type is dict:
        return {}
    if python_type is bytes:
        return b""
    return "x"


def _insert(connection: Any, table: sa.Table, **values: Any) -> Any:
    for column in table.columns:
        needed = not column.nullable and column.default is None and column.server_default is None
        if column.name not in values and needed and column.autoincrement is not True and not column.primary_key:
            values[column.name] = _filler(column)
    return connection.execute(table.insert().values(**values)).inserted_primary_key[0]


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """Airflow's own asset and DAG-run tables in a SQLite file, as this process's metadata database."""
    from airflow import settings

    schema = asset_events._schema()
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'airflow.db'}")
    tables = [schema.event, schema.asset, schema.alias, schema.alias_link, schema.run_link, schema.dag_run]
    tables[0].metadata.create_all(engine, tables=tables)
    monkeypatch.setattr(settings, "engine", engine)
    yield SimpleNamespace(engine=engine, schema=schema)
    engine.dispose()


def _run(connection: Any, schema: Any, run_id: str) -> Any:
    # Columns whose defaults read other tables or other values: given, as Airflow does.
    given = {
        name: None
        for name in ("data_interval_start", "data_interval_end", "log_template_id")
        if name in schema.dag_run.c
    }
    if "run_after" in schema.dag_run.c:
        given["run_after"] = T0
    return _insert(connection, schema.dag_run, dag_id="consumer", run_id=run_id, **given)


def _asset(connection: Any, schema: Any, uri: str) -> Any:
    extra = {"name": uri} if "name" in schema.asset.c else {}
    return _insert(connection, schema.asset, uri=uri, **extra)


def _event(connection: Any, schema: Any, asset_id: Any, minute: int, **values: Any) -> Any:
    row = {
        schema.asset_fk: asset_id,
        "timestamp": T0 + dt.timedelta(minutes=minute),
        "source_dag_id": "producer",
        "source_task_id": "produce",
        "source_run_id": "manual__1",
        "source_map_index": -1,
    }
    return _insert(connection, schema.event, **{**row, **values})


def test_the_events_that_triggered_a_run_oldest_first_with_their_aliases(database: Any) -> None:
    schema = database.schema
    with database.engine.begin() as connection:
        orders = _asset(connection, schema, "postgres://db.internal:5432/shop/public/orders")
        export = _asset(connection, schema, "s3://exports/orders.csv")
        run = _run(connection, schema, "asset_triggered__1")
        other = _run(connection, schema, "asset_triggered__2")
        late = _event(connection, schema, export, 5, extra={"rows": 7})
        early = _event(connection, schema, orders, 1, extra={})
        unrelated = _event(connection, schema, orders, 2)
        alias = _insert(connection, schema.alias, name="daily-exports")
        connection.execute(schema.alias_link.insert().values(alias_id=alias, event_id=late))
        for event_id in (late, early):
            connection.execute(schema.run_link.insert().values(dag_run_id=run, event_id=event_id))
        connection.execute(schema.run_link.insert().values(dag_run_id=other, event_id=unrelated))

    found = asset_events.read_triggering_events("consumer", "asset_triggered__1")
    assert found.total is None
    first, second = found.events
    assert first.dataset == Dataset("postgres://db.internal:5432", "shop.public.orders")
    assert (first.extra, first.source_aliases, first.source_dag_id, first.source_task_id) == (
        None,
        (),
        "producer",
        "produce",
    )
    assert first.timestamp is not None and first.timestamp.startswith("2024-01-01 12:01")
    assert second.dataset == Dataset("s3://exports", "orders.csv")
    assert (second.extra, second.source_aliases, second.source_run_id) == ({"rows": 7}, ("daily-exports",), "manual__1")

    cut = asset_events.read_triggering_events("consumer", "asset_triggered__1", limit=1)
    assert [e.dataset for e in cut.events] == [first.dataset] and cut.total == 2
    assert asset_events.read_triggering_events("consumer", "nope").events == ()


def test_the_events_one_try_emitted_since_it_started(database: Any) -> None:
    schema = database.schema
    with database.engine.begin() as connection:
        export = _asset(connection, schema, "s3://exports/orders.csv")
        _event(connection, schema, export, 0, extra={"try": 1})  # the previous try's
        _event(connection, schema, export, 10, extra={"try": 2})
        _event(connection, schema, export, 11, source_task_id="another_task")
    ti = SimpleNamespace(
        dag_id="producer", task_id="produce", run_id="manual__1", map_index=-1, start_date=T0 + dt.timedelta(minutes=9)
    )
    (event,) = asset_events.read_emitted_events(ti)
    assert (event.dataset, event.extra) == (Dataset("s3://exports", "orders.csv"), {"try": 2})


def test_only_asset_triggered_runs_are_read() -> None:
    assert asset_events.start_triggering_read(SimpleNamespace(run_type="manual"), "d", "r") is None
    assert asset_events.start_triggering_read(SimpleNamespace(run_type="asset_triggered"), "d", None) is None
    enum_like = SimpleNamespace(run_type=SimpleNamespace(value="dataset_triggered"))
    assert asset_events.is_asset_triggered(enum_like)


BLOCK = ev.DagRunBlock("r", None, "asset_triggered", "success", None, None)
EVENT = ev.AssetEventBlock(Dataset("s3://b", "k"), "s3://b/k", {"a": 1}, "p", "t", "r0", -1, "2024-01-01")


class Gate:
    """A read that answers when the test says so."""

    def __init__(self) -> None:
        self.open = threading.Event()

    def __call__(self, dag_id: str, run_id: str) -> asset_events.Found:
        self.open.wait(600)
        return asset_events.Found((EVENT,))


def test_the_pending_read_applies_what_it_found_and_leaves_the_pending_set() -> None:
    gate = Gate()
    gate.open.set()
    read = asset_events.TriggeringRead("d", "r", read=gate)
    block = read.applied(BLOCK)
    assert block is not None and block.triggering_events == (EVENT,) and block.triggering_events_total is None
    assert read not in asset_events._pending
    body = ev.Event(event_type=ev.DAG_RUN_SUCCESS, dag=ev.DagBlock("d"), dag_run=block).to_body()
    assert body["dag_run"]["triggering_events"][0]["dataset"] == {"namespace": "s3://b", "name": "k"}
    assert "triggering_events_total" not in body["dag_run"] and "asset_events" not in body


def test_the_hook_thread_never_waits_and_the_exit_handler_settles() -> None:
    gate = Gate()
    try:
        read = asset_events.TriggeringRead("d", "r", read=gate)
        assert read.applied(BLOCK, wait=False) == BLOCK  # not done: the event goes without
        assert read in asset_events._pending
        asset_events.settle_pending(0.0)  # exit: stop waiting for it
        assert read.abandoned and read.applied(BLOCK) == BLOCK
    finally:
        gate.open.set()
    read.done.wait(600)
    assert read not in asset_events._pending


def test_a_failed_read_costs_the_list_not_the_event(caplog: pytest.LogCaptureFixture) -> None:
    def broken(dag_id: str, run_id: str) -> asset_events.Found:
        raise RuntimeError("database gone")

    read = asset_events.TriggeringRead("d", "r", read=broken)
    assert read.applied(BLOCK) == BLOCK
    assert any("database gone" in r.getMessage() for r in caplog.records)


def test_extra_is_plain_json_and_bounded() -> None:
    assert asset_events.plain_extra(None) is None and asset_events.plain_extra({}) is None
    assert asset_events.plain_extra({"when": dt.date(2024, 1, 1)}) == {"when": "2024-01-01"}
    big = asset_events.plain_extra({"blob": "x" * (asset_events.MAX_EXTRA_BYTES + 1)})
    assert big is not None and "left out" in big["secoda_listener"]
    # A URI's credentials never reach the event.
    block = asset_events.event_block("postgres://etl:pw@db:5432/shop/public/t")
    assert block.uri == "postgres://db:5432/shop/public/t" and block.dataset == Dataset(
        "postgres://db:5432", "shop.public.t"
    )
