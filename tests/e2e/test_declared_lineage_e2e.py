"""End to end: lineage declared on tasks (inlets, outlets, Assets, aliases, asset events with
their extra) reaches the receiver from real task runs, and a DAG run triggered by an asset
event says so on its DAG-run event.

The first test runs ``airflow dags test`` on tests/dags/declared_lineage.py, the plugin
loaded through its entry point. ``dags test`` creates manual runs only, so the second
test runs a real scheduler (as tests/e2e/test_scheduler.py does: LocalExecutor, Postgres,
on Airflow 3 the DAG processor and API server): the producer's success emits the asset
event, the scheduler creates the consumer's run from it, and the consumer run's final
DAG-run event, read off the scheduler's hook, lists the event that triggered it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import attrs
import pytest

from tests.conftest import API_KEY
from tests.support.airflow_home import TEST_DAGS, AirflowHome, airflow_major, secoda_connection
from tests.support.airflow_services import AirflowServices, plugin_warnings, wait_for

DAG_FILE = TEST_DAGS / "declared_lineage.py"
RAW_ORDERS = {"namespace": "postgres://db.internal:5432", "name": "shop.public.raw_orders"}
EXPORT = {"namespace": "s3://exports", "name": "orders.csv"}
REPORT = {"namespace": "file", "name": "/tmp/declared-e2e/report.txt"}
VIA_ALIAS = {"namespace": "s3://exports", "name": "via-alias/2024-01-01.parquet"}
DAILY = {"namespace": "s3://exports", "name": "daily-orders.csv"}


def _bodies(receiver: Any) -> list[dict[str, Any]]:
    return [r["body"] for r in receiver.received() if isinstance(r.get("body"), dict)]


def _task_events(receiver: Any, event_type: str) -> dict[str, dict[str, Any]]:
    return {b["task_instance"]["task_id"]: b for b in _bodies(receiver) if b["event_type"] == event_type}


@attrs.define
class DagsTest:
    receiver: Any
    output: str


@pytest.fixture(scope="module")
def declared_run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DagsTest]:
    from secoda_listener.testing.receiver import Receiver

    root = tmp_path_factory.mktemp("declared")
    home = AirflowHome.with_dags(root, DAG_FILE)
    home.migrate()
    if airflow_major() < 3:
        # Airflow 2.10 records a Dataset event only for a Dataset (and alias) it has in its
        # database, which the DAG processor writes; `dags test` does not: write them first.
        result = home.airflow("dags", "reserialize")
        assert result.returncode == 0, result.output[-4000:]
    with Receiver(store=root / "received.jsonl", api_key=API_KEY) as receiver:
        env = {
            "AIRFLOW_CONN_SECODA_DEFAULT": secoda_connection(receiver.url, API_KEY),
            "AIRFLOW__SECODA__SPOOL_DIR": str(root / "spool"),
            "AIRFLOW__SECODA__DELIVERY": "inline",
        }
        result = home.dags_test("declared_lineage", extra_env=env)
        assert result.returncode == 0, result.output[-4000:]
        yield DagsTest(receiver, result.output)


def test_declared_inlets_and_outlets_arrive_from_start_to_end(declared_run: DagsTest) -> None:
    running = _task_events(declared_run.receiver, "task_running")
    success = _task_events(declared_run.receiver, "task_success")
    assert set(success) == {"declared_io", "emit_events"}, declared_run.output[-4000:]
    inputs, outputs = [RAW_ORDERS], [EXPORT]
    if airflow_major() < 3:  # airflow.lineage.entities.Table and File, which Airflow 3 removed
        inputs.append({"namespace": "postgres://db.internal:5432", "name": "shop.public.customers"})
        outputs.append({"namespace": "s3://exports", "name": "entities/report.csv"})
    for body in (running["declared_io"], success["declared_io"]):
        assert body["lineage"]["inputs"] == inputs, body
        assert body["lineage"]["outputs"] == outputs, body
        assert body["lineage"]["errors"] == []
    # Its Asset outlet emitted one event on success, none before.
    assert "asset_events" not in running["declared_io"]
    (event,) = success["declared_io"]["asset_events"]
    assert (event["dataset"], event["uri"], event["source_task_id"]) == (
        EXPORT,
        "s3://exports/orders.csv",
        "declared_io",
    )


def test_emitted_asset_events_carry_their_extra_and_alias_targets(declared_run: DagsTest) -> None:
    running = _task_events(declared_run.receiver, "task_running")["emit_events"]
    success = _task_events(declared_run.receiver, "task_success")["emit_events"]
    # At start only the declared Asset; the alias names its asset once the task attached it.
    assert running["lineage"]["outputs"] == [REPORT]
    assert success["lineage"]["outputs"] == [REPORT, VIA_ALIAS]
    by_name = {e["dataset"]["name"]: e for e in success["asset_events"]}
    assert set(by_name) == {REPORT["name"], VIA_ALIAS["name"]}
    report, via_alias = by_name[REPORT["name"]], by_name[VIA_ALIAS["name"]]
    assert report["extra"] == {"rows": 3, "note": "written by the e2e test"}
    assert report["source_aliases"] == []
    assert via_alias["extra"] == {"partition": "2024-01-01"}
    assert via_alias["source_aliases"] == ["declared-e2e-exports"]
    run_id = success["task_instance"]["run_id"]
    for event in (report, via_alias):
        assert (event["source_dag_id"], event["source_task_id"], event["source_run_id"]) == (
            "declared_lineage",
            "emit_events",
            run_id,
        )
    assert not any(b["event_type"] == "task_failed" for b in _bodies(declared_run.receiver))


# --- a run triggered by an asset event, under a real scheduler ----------------------------------

RUN_TIMEOUT = 240
DELIVERY_TIMEOUT = 60


@attrs.define
class Triggered:
    bodies: list[dict[str, Any]]
    producer_run_id: str
    consumer_runs: list[dict[str, str]]
    logs: dict[str, str]


@pytest.fixture(scope="module")
def triggered(postgres, tmp_path_factory: pytest.TempPathFactory) -> Triggered:
    from secoda_listener.testing.receiver import Receiver

    root = tmp_path_factory.mktemp("asset_triggered")
    home = AirflowHome.with_dags(root, DAG_FILE)
    database = postgres.create_database("airflow_declared")
    with Receiver(store=root / "received.jsonl", api_key=API_KEY) as receiver:
        services = AirflowServices.create(
            home,
            f"postgresql+psycopg2://{postgres.credentials(database)}",
            psql=lambda sql: postgres.psql(database, sql),
            logs_dir=root / "service_logs",
            extra_env={
                "AIRFLOW_CONN_SECODA_DEFAULT": secoda_connection(receiver.url, API_KEY),
                "AIRFLOW__SECODA__SPOOL_DIR": str(root / "spool"),
                "AIRFLOW__SECODA__DELIVERY": "inline",
            },
        )
        services.migrate()
        try:
            services.start()
            wanted = {"declared_producer", "declared_consumer"}

            def parsed() -> bool:
                services.check_alive()
                return services.dag_ids("declared_") >= wanted

            wait_for("the DAG file to be parsed", parsed, 120, 0.5, services.tails)
            services.cli_ok("dags", "unpause", "declared_producer")
            services.cli_ok("dags", "unpause", "declared_consumer")
            services.cli_ok("dags", "trigger", "declared_producer")

            def consumer_done() -> bool:
                services.check_alive()
                runs = services.dag_runs("declared_consumer")
                return bool(runs) and all(r["state"] in ("success", "failed") for r in runs)

            wait_for("the asset-triggered consumer run to end", consumer_done, RUN_TIMEOUT, 0.5, services.tails)

            def delivered() -> bool:
                return any(
                    b["event_type"] in ("dag_run_success", "dag_run_failed")
                    and b["dag"]["dag_id"] == "declared_consumer"
                    for b in _bodies(receiver)
                )

            wait_for("the consumer's final DAG-run event", delivered, DELIVERY_TIMEOUT, 0.25, services.tails)
            producer_run_id = services.dag_runs("declared_producer")[0]["run_id"]
            consumer_runs = services.dag_runs("declared_consumer")
        except BaseException:
            print(services.tails(80))
            raise
        finally:
            services.stop()
        return Triggered(
            bodies=_bodies(receiver),
            producer_run_id=producer_run_id,
            consumer_runs=consumer_runs,
            logs={s.name: s.log_path.read_text(errors="replace") for s in services.services},
        )


def test_an_asset_triggered_run_carries_its_triggering_event(triggered: Triggered) -> None:
    (consumer_run,) = triggered.consumer_runs
    assert consumer_run["state"] == "success"
    final = [
        b
        for b in triggered.bodies
        if b["event_type"] == "dag_run_success" and b["dag"]["dag_id"] == "declared_consumer"
    ]
    (body,) = final
    run = body["dag_run"]
    assert run["run_id"] == consumer_run["run_id"]
    assert run["run_type"] in ("asset_triggered", "dataset_triggered")
    (event,) = run["triggering_events"]
    assert event["dataset"] == DAILY
    assert event["uri"] == "s3://exports/daily-orders.csv"
    assert (event["source_dag_id"], event["source_task_id"], event["source_run_id"]) == (
        "declared_producer",
        "produce",
        triggered.producer_run_id,
    )
    assert event["source_map_index"] == -1 and event["timestamp"]
    assert "triggering_events_total" not in run  # not cut
    # The run the person triggered was not created by an asset event: it carries none.
    producer = [b for b in triggered.bodies if b["dag"]["dag_id"] == "declared_producer" and "task_instance" not in b]
    assert producer and all("triggering_events" not in b["dag_run"] for b in producer)
    # The consumer's task declared the asset it was scheduled on as its inlet.
    consume = [
        b for b in triggered.bodies if b["event_type"] == "task_success" and b["dag"]["dag_id"] == "declared_consumer"
    ]
    assert [b["lineage"]["inputs"] for b in consume] == [[DAILY]]


def test_the_scheduler_read_it_without_harm(triggered: Triggered) -> None:
    assert "UNEXPECTED COMMIT" not in triggered.logs["scheduler"]
    warnings = plugin_warnings(triggered.logs.values())
    assert warnings == [], "\n".join(warnings)
    json.dumps(triggered.bodies)  # every body is plain JSON
