"""End to end under the CeleryExecutor: a real broker, a real ``airflow celery worker``.

The deployment: Postgres (the metadata database and Celery's result backend,
``db+postgresql://``), a Redis-protocol broker (tests/support/broker.py), the
scheduler with the CeleryExecutor and one ``airflow celery worker``; on Airflow
3 also ``airflow dag-processor`` and ``airflow api-server --apps execution``
(the worker's task supervisors talk to it). The Secoda connection is created in
the metadata database with ``airflow connections add``, as a user would, not
as an environment variable. Delivery is the default, the agent
(``agent_idle_timeout`` = 5 s). The worker has a spool of its own, as on a host
of its own: its task processes start their own agent, exactly as on a worker
host in production, instead of riding on the one the scheduler started.

One module fixture brings it all up; the DAGs (tests/dags/deployed/secoda_celery.py)
run once each as soon as the scheduler has them. It waits (bounded) for the
runs to end and the events to arrive, stops everything, waits for the agents to
leave, then the tests check what the receiver got, per try (ordered by
``event_time``, see ``_tries``), and what was left in the spools.

What arrives for the try that SIGKILLs its own task process differs:

* Airflow 2.10: ``task_running`` from the task process, then ``task_failed``
  with state ``failed``. The killed process sent no end event; its LocalTaskJob
  sees the return code -9 and leaves the try ``running``; the scheduler's
  zombie detection finds it and the DAG-file processor (a child of the
  scheduler) runs ``TaskInstance.handle_failure``, whose
  ``on_task_instance_failed`` hook the plugin reports from there. Its error is
  the zombie message (``{'DAG Id': ..., 'Task Id': 'killed', ...}``).
* Airflow 3: ``task_running`` only. The task's supervisor (in the Celery
  worker) sees the kill ("Process terminated by signal") and tells the
  execution API the try ``failed``; no listener hook runs on that path, neither
  in the API server nor in the scheduler, so the plugin never learns how the
  try ended. The DAG run's ``dag_run_failed`` (from the scheduler) is the only
  sign of the failure that reaches Secoda. A gap in what Airflow 3 gives
  listeners, asserted as it is.

The worker's own agent is started by a task process; on Airflow 3 that process
may not read the metadata database (its URL is ``airflow-db-not-allowed:///``),
so the agent is handed the connection the task read through its supervisor.
Before that was so, every task event stayed in the worker's spool: this module
found it.

Nothing asserts on wall-clock durations; every wait has a deadline.
"""

from __future__ import annotations

import collections
import contextlib
import datetime as dt
import json
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import attrs
import pytest

from tests.conftest import API_KEY
from tests.support.airflow_home import DEPLOYED_DAGS, AirflowHome, airflow_major
from tests.support.airflow_services import AirflowServices, plugin_warnings, session_members, task_logs, wait_for
from tests.support.broker import RedisBroker

SUCCESS_DAG = "secoda_celery_success"
FAILURE_DAG = "secoda_celery_failure"
RETRY_DAG = "secoda_celery_retry"
KILL_DAG = "secoda_celery_kill"
MAPPED_DAG = "secoda_celery_mapped"
DAG_OUTCOME = {
    SUCCESS_DAG: "success",
    FAILURE_DAG: "failed",
    RETRY_DAG: "success",
    KILL_DAG: "failed",
    MAPPED_DAG: "success",
}
TERMINAL_RUN_STATES = {"success", "failed"}
RECORD_DIRS = ("tmp", "new", "cur", "failed")
AIRFLOW3 = airflow_major() >= 3

#: A try: (dag_id, task_id, map_index, try_number).
TryKey = tuple[str, str, int, int]

RUNNING = ("task_running", "running")
SUCCESS = ("task_success", "success")
FAILED = ("task_failed", "failed")
RETRYING = ("task_failed", "up_for_retry")

#: Per try, the (event_type, task_instance.state) of every event, in event_time order (see _tries).
EXPECTED_TRIES: dict[TryKey, list[tuple[str, str]]] = {
    (SUCCESS_DAG, "work", -1, 1): [RUNNING, SUCCESS],
    (FAILURE_DAG, "explode", -1, 1): [RUNNING, FAILED],
    (RETRY_DAG, "flaky", -1, 1): [RUNNING, RETRYING],
    (RETRY_DAG, "flaky", -1, 2): [RUNNING, SUCCESS],
    # See the module docstring: on Airflow 3 no hook runs for a killed task process.
    (KILL_DAG, "killed", -1, 1): [RUNNING] if AIRFLOW3 else [RUNNING, FAILED],
    **{(MAPPED_DAG, "square", index, 1): [RUNNING, SUCCESS] for index in range(3)},
}
#: Task events the scheduler's side reports: on Airflow 2.10 the killed try's task_failed.
TASK_EVENTS_FROM_THE_SCHEDULER = 0 if AIRFLOW3 else 1

#: (dag_id, task_id, map_index) -> (state, try_number) in the metadata database at the end.
DB_TASK_STATES = {
    (SUCCESS_DAG, "work", -1): ("success", 1),
    (FAILURE_DAG, "explode", -1): ("failed", 1),
    (RETRY_DAG, "flaky", -1): ("success", 2),
    (KILL_DAG, "killed", -1): ("failed", 1),
    **{(MAPPED_DAG, "square", index): ("success", 1) for index in range(3)},
}

#: Seconds an idle agent waits before it exits.
AGENT_IDLE_TIMEOUT = 5
WORKER_CONCURRENCY = 4
RUN_TIMEOUT = 180
DELIVERY_TIMEOUT = 30


@attrs.define
class CeleryRuns:
    services: AirflowServices
    broker: RedisBroker
    home: Path
    spool: Path  # the scheduler's (and the DAG processor's, the API server's)
    worker_spool: Path  # the Celery worker's task processes'
    receiver_url: str
    received: list[dict[str, Any]]  # everything, once every process had stopped
    left_in_spools: list[dict[str, Any]]  # bodies of the records still spooled then
    received_before_stop: int
    spool_before_stop: list[str]
    run_states: dict[str, list[str]]
    task_states: dict[tuple[str, str, int], tuple[str, int]]
    celery_results: list[str]  # status of each row of Celery's result table
    connections: list[list[str]]
    alive_before_stop: list[str]
    survivors: dict[str, list[int]]
    broker_survivors: list[int]
    broker_commands: int
    agent_exited: bool
    logs: dict[str, str]

    def spools(self) -> dict[str, Path]:
        return {"scheduler": self.spool, "worker": self.worker_spool}

    def agent_log(self, spool: Path) -> str:
        return _agent_log(spool)

    def bodies(self) -> list[dict[str, Any]]:
        """The events the receiver got, in arrival order."""
        return _received_bodies(self.received)

    def explain(self) -> str:
        logs = {**self.logs, **{f"{name} agent": self.agent_log(spool) for name, spool in self.spools().items()}}
        tails = "\n".join(f"----- {name} -----\n" + "\n".join(text.splitlines()[-40:]) for name, text in logs.items())
        return (
            f"receiver: {self.receiver_url}\ntries: {_tries(self.bodies())}\ndag runs: {_dag_runs(self.bodies())}\n"
            f"spool: {_spool_records(self.spool)}\nworker spool: {_spool_records(self.worker_spool)}\n{tails}"
        )


def _tries(bodies: Iterable[dict[str, Any]]) -> dict[TryKey, list[tuple[str, str]]]:
    """(event_type, state) of each try's events, in the order of their ``event_time``.

    Not in arrival order: a try's events may come from two hosts' agents, which send
    independently (on Airflow 2.10 the killed try's task_failed, from the scheduler's agent,
    arrived before its task_running, from the worker's agent, still starting on a busy machine).
    """
    tries: dict[TryKey, list[tuple[str, str]]] = collections.defaultdict(list)
    for body in sorted(bodies, key=lambda body: dt.datetime.fromisoformat(body["event_time"])):
        ti = body.get("task_instance")
        if ti:
            key = (ti["dag_id"], ti["task_id"], ti["map_index"], ti["try_number"])
            tries[key].append((body["event_type"], ti["state"]))
    return dict(tries)


def _dag_runs(bodies: Iterable[dict[str, Any]]) -> dict[str, list[str]]:
    runs: dict[str, list[str]] = collections.defaultdict(list)
    for body in bodies:
        if "task_instance" not in body:
            runs[body["dag"]["dag_id"]].append(body["event_type"])
    return dict(runs)


def _agent_log(spool: Path) -> str:
    path = spool / "agent.log"
    return path.read_text(errors="replace") if path.exists() else ""


def _sent(agent_log: str) -> int:
    """Events an agent's log says it sent."""
    return sum(int(n) for n in re.findall(r"secoda-listener agent: (\d+) sent", agent_log))


def _spool_records(spool: Path) -> list[str]:
    return [f"{sub}/{p.name}" for sub in RECORD_DIRS if (spool / sub).is_dir() for p in (spool / sub).iterdir()]


def _spooled_bodies(spool: Path) -> list[dict[str, Any]]:
    """Bodies of the records in ``spool`` (not tmp/: half written), oldest first: a record's name
    starts with its time in ns."""
    paths = [p for sub in RECORD_DIRS[1:] if (spool / sub).is_dir() for p in (spool / sub).iterdir()]
    return [json.loads(path.read_text())["body"] for path in sorted(paths, key=lambda path: path.name)]


def _event_keys(bodies: Iterable[dict[str, Any]]) -> collections.Counter[tuple[Any, ...]]:
    keys: collections.Counter[tuple[Any, ...]] = collections.Counter()
    for body in bodies:
        ti = body.get("task_instance") or {}
        dag_id = body["dag"]["dag_id"]
        keys[(body["event_type"], dag_id, ti.get("task_id"), ti.get("map_index"), ti.get("try_number"))] += 1
    return keys


def _expected_keys() -> collections.Counter[tuple[Any, ...]]:
    keys: collections.Counter[tuple[Any, ...]] = collections.Counter()
    for (dag_id, task_id, map_index, try_number), events in EXPECTED_TRIES.items():
        for event_type, _ in events:
            keys[(event_type, dag_id, task_id, map_index, try_number)] += 1
    for dag_id, outcome in DAG_OUTCOME.items():
        keys[("dag_run_running", dag_id, None, None, None)] += 1
        keys[(f"dag_run_{outcome}", dag_id, None, None, None)] += 1
    return keys


def _received_bodies(received: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [r["body"] for r in received if isinstance(r.get("body"), dict) and "event_type" in r["body"]]


def _celery_env(broker: RedisBroker, result_backend: str, spool: Path) -> dict[str, str]:
    env = {
        "AIRFLOW__CELERY__BROKER_URL": broker.url,
        "AIRFLOW__CELERY__RESULT_BACKEND": result_backend,
        "AIRFLOW__CELERY__WORKER_CONCURRENCY": str(WORKER_CONCURRENCY),
        "AIRFLOW__CELERY__SYNC_PARALLELISM": "1",
        "AIRFLOW__SECODA__SPOOL_DIR": str(spool),
        "AIRFLOW__SECODA__AGENT_IDLE_TIMEOUT": str(AGENT_IDLE_TIMEOUT),
    }
    if not AIRFLOW3:
        # A killed task's try is failed by the zombie detection: look every second, not every 10.
        env["AIRFLOW__SCHEDULER__ZOMBIE_DETECTION_INTERVAL"] = "1"
    return env


@pytest.fixture(scope="module")
def celery_runs(postgres, tmp_path_factory: pytest.TempPathFactory) -> CeleryRuns:
    from secoda_listener.delivery.agent import agent_running
    from secoda_listener.testing.receiver import Receiver

    root = tmp_path_factory.mktemp("celery")
    home = AirflowHome.with_dags(root, DEPLOYED_DAGS / "secoda_celery.py")
    spool = root / "spool"
    worker_spool = root / "worker_spool"

    database = postgres.create_database("airflow_celery")
    credentials = postgres.credentials(database)

    broker = RedisBroker.start(root / "broker")
    broker_survivors: list[int] = []
    try:
        with Receiver(store=root / "received.jsonl", api_key=API_KEY) as receiver:
            services = AirflowServices.create(
                home,
                f"postgresql+psycopg2://{credentials}",
                psql=lambda sql: postgres.psql(database, sql),
                logs_dir=root / "service_logs",
                extra_env=_celery_env(broker, f"db+postgresql://{credentials}", spool),
                executor="CeleryExecutor",
            )
            services.service_env["celery-worker"] = {"AIRFLOW__SECODA__SPOOL_DIR": str(worker_spool)}
            services.migrate()
            services.add_secoda_connection(receiver.url, API_KEY)
            try:
                services.start()

                def runs_done() -> bool:
                    services.check_alive()
                    runs = [services.dag_runs(dag_id) for dag_id in DAG_OUTCOME]
                    return all(len(r) == 1 and r[0]["state"] in TERMINAL_RUN_STATES for r in runs)

                wait_for("the DAG runs to end", runs_done, RUN_TIMEOUT, 0.5, services.tails)

                def delivered() -> bool:
                    services.check_alive()
                    # Counter subtraction, not >=: Counters compare only from Python 3.10.
                    arrived = not _expected_keys() - _event_keys(_received_bodies(receiver.received()))
                    return arrived and not _spool_records(spool) and not _spool_records(worker_spool)

                def stuck() -> bool:  # an agent cannot read the connection: waiting changes nothing
                    return any("stay spooled" in _agent_log(s) for s in (spool, worker_spool))

                with contextlib.suppress(TimeoutError):  # the tests below say precisely what is missing
                    wait_for(
                        "the events to arrive and the spools to drain",
                        lambda: delivered() or stuck(),
                        DELIVERY_TIMEOUT,
                        0.25,
                    )
                wait_for(
                    "the task processes to exit",
                    lambda: not services.live_task_processes(DAG_OUTCOME),
                    DELIVERY_TIMEOUT,
                    0.25,
                    services.tails,
                )
                run_states = {dag_id: [r["state"] for r in services.dag_runs(dag_id)] for dag_id in DAG_OUTCOME}
                listed = ", ".join(f"'{dag_id}'" for dag_id in DAG_OUTCOME)
                task_states = {
                    (dag_id, task_id, int(map_index)): (state, int(try_number))
                    for dag_id, task_id, map_index, state, try_number in services.rows(
                        "SELECT dag_id, task_id, map_index, coalesce(state, ''), try_number "
                        f"FROM task_instance WHERE dag_id IN ({listed})"
                    )
                }
                celery_results = [row[0] for row in services.rows("SELECT status FROM celery_taskmeta ORDER BY id")]
                connections = services.rows(
                    "SELECT conn_type, host, coalesce(extra, '') FROM connection WHERE conn_id = 'secoda_default'"
                )
                alive_before_stop = [s.name for s in services.services if s.alive()]
                received_before_stop = len(receiver.received())
                spool_before_stop = _spool_records(spool) + _spool_records(worker_spool)
                broker_commands = int(broker.stats().get("total_commands_processed", "0"))
            except BaseException:
                print(services.tails(80))  # pytest shows it with the error
                raise
            finally:
                survivors = services.stop()
                # Also when something above failed: the agent (in a session of its own) must not
                # outlive the test, and it leaves only once idle, with the receiver still there.
                try:
                    wait_for(
                        "the idle agents to exit",
                        lambda: not agent_running(spool) and not agent_running(worker_spool),
                        AGENT_IDLE_TIMEOUT + 60,
                        0.25,
                    )
                    agent_exited = True
                except TimeoutError:
                    agent_exited = False
            received = receiver.received()
            receiver_url = receiver.url
            left_in_spools = _spooled_bodies(spool) + _spooled_bodies(worker_spool)
    finally:
        broker_survivors = broker.stop()

    logs = {s.name: s.log_path.read_text(errors="replace") for s in services.services}
    logs["broker"] = broker.service.tail(200)
    return CeleryRuns(
        services=services,
        broker=broker,
        home=home.path,
        spool=spool,
        worker_spool=worker_spool,
        receiver_url=receiver_url,
        received=received,
        left_in_spools=left_in_spools,
        received_before_stop=received_before_stop,
        spool_before_stop=spool_before_stop,
        run_states=run_states,
        task_states=task_states,
        celery_results=celery_results,
        connections=connections,
        alive_before_stop=alive_before_stop,
        survivors=survivors,
        broker_survivors=broker_survivors,
        broker_commands=broker_commands,
        agent_exited=agent_exited,
        logs=logs,
    )


def test_the_deployment_ran_the_tasks_through_the_broker_on_the_worker(celery_runs: CeleryRuns):
    expected = (
        ["api-server", "celery-worker", "dag-processor", "scheduler"] if AIRFLOW3 else ["celery-worker", "scheduler"]
    )
    assert sorted(celery_runs.alive_before_stop) == expected, celery_runs.explain()
    assert celery_runs.services.extra_env["AIRFLOW__CORE__EXECUTOR"] == "CeleryExecutor"
    # Every try was a Celery task the worker took from the broker and whose result it stored in Postgres.
    assert len(celery_runs.celery_results) == len(EXPECTED_TRIES), celery_runs.celery_results
    assert celery_runs.broker_commands > 0


def test_the_connection_came_from_the_metadata_database(celery_runs: CeleryRuns):
    assert not [key for key in celery_runs.services.env() if key.startswith("AIRFLOW_CONN_")]
    [(conn_type, host, extra)] = celery_runs.connections
    assert (conn_type, host, json.loads(extra)) == ("secoda", celery_runs.receiver_url, {"integration_id": "it-1"})


def test_the_runs_ended_as_the_dags_say(celery_runs: CeleryRuns):
    assert celery_runs.run_states == {dag_id: [outcome] for dag_id, outcome in DAG_OUTCOME.items()}
    assert celery_runs.task_states == DB_TASK_STATES, celery_runs.explain()


def test_each_try_spooled_its_events_in_order(celery_runs: CeleryRuns):
    """What the hooks produced, delivered or not: what arrived, then what was left spooled."""
    assert _tries(celery_runs.bodies() + celery_runs.left_in_spools) == EXPECTED_TRIES, celery_runs.explain()


def test_each_try_reported_its_events_in_order(celery_runs: CeleryRuns):
    """success, failure, retry (up_for_retry then success), kill (see the module docstring), mapped."""
    assert _tries(celery_runs.bodies()) == EXPECTED_TRIES, celery_runs.explain()


def test_each_dag_run_reported_its_start_and_its_end(celery_runs: CeleryRuns):
    expected = {dag_id: ["dag_run_running", f"dag_run_{outcome}"] for dag_id, outcome in DAG_OUTCOME.items()}
    assert _dag_runs(celery_runs.bodies()) == expected, celery_runs.explain()


def test_every_event_arrived_exactly_once(celery_runs: CeleryRuns):
    assert all(r.get("status") == 200 for r in celery_runs.received), celery_runs.explain()
    ids = collections.Counter(r["event_id"] for r in celery_runs.received)
    assert [event_id for event_id, n in ids.items() if n > 1] == [], celery_runs.explain()
    assert _event_keys(celery_runs.bodies()) == _expected_keys(), celery_runs.explain()


def test_no_event_id_repeats(celery_runs: CeleryRuns):
    """Across what arrived and what is still spooled, on every Airflow."""
    ids = collections.Counter(b["event_id"] for b in celery_runs.bodies() + celery_runs.left_in_spools)
    assert [event_id for event_id, n in ids.items() if n > 1] == [], celery_runs.explain()
    assert sum(ids.values()) == sum(_expected_keys().values()), celery_runs.explain()


def test_failed_tries_carry_their_error(celery_runs: CeleryRuns):
    failed = {
        (b["task_instance"]["dag_id"], b["task_instance"]["try_number"]): b["task_instance"].get("error", "")
        for b in celery_runs.bodies() + celery_runs.left_in_spools
        if b["event_type"] == "task_failed"
    }
    assert "boom: the celery task failed on purpose" in failed[(FAILURE_DAG, 1)]
    assert "first try fails on purpose" in failed[(RETRY_DAG, 1)]
    if AIRFLOW3:
        assert (KILL_DAG, 1) not in failed
    else:  # the zombie detection failed the killed try; its message names the try
        assert "'Task Id': 'killed'" in failed[(KILL_DAG, 1)], failed[(KILL_DAG, 1)]


def test_the_plugin_warned_about_nothing(celery_runs: CeleryRuns):
    texts = list(celery_runs.logs.values())
    for dag_id in DAG_OUTCOME:
        texts += task_logs(celery_runs.home, dag_id).values()
    texts += [celery_runs.agent_log(spool) for spool in celery_runs.spools().values()]
    warnings = plugin_warnings(texts)
    assert warnings == [], "\n".join(warnings)


def test_each_host_s_agent_sent_what_its_processes_spooled(celery_runs: CeleryRuns):
    """The worker's task processes started an agent for its spool, which sent every task event;
    the scheduler's agent sent the DAG-run events (and, on Airflow 2.10, the killed try's
    task_failed, which the DAG-file processor, a child of the scheduler, reported)."""
    task_events = sum(len(events) for events in EXPECTED_TRIES.values())
    sent = {name: _sent(celery_runs.agent_log(spool)) for name, spool in celery_runs.spools().items()}
    assert sent == {
        "scheduler": 2 * len(DAG_OUTCOME) + TASK_EVENTS_FROM_THE_SCHEDULER,
        "worker": task_events - TASK_EVENTS_FROM_THE_SCHEDULER,
    }, celery_runs.explain()


def test_the_spools_drained_while_the_services_ran(celery_runs: CeleryRuns):
    assert celery_runs.spool_before_stop == [], celery_runs.explain()
    assert len(celery_runs.received) == celery_runs.received_before_stop, celery_runs.explain()
    assert celery_runs.left_in_spools == [], celery_runs.explain()


def test_no_process_outlives_the_test(celery_runs: CeleryRuns):
    services = celery_runs.services.services
    assert all(s.members_at_stop >= 1 for s in services), services
    assert [s.name for s in services if s.forced] == [], celery_runs.explain()
    assert celery_runs.survivors and all(pids == [] for pids in celery_runs.survivors.values()), celery_runs.survivors
    assert celery_runs.broker_survivors == [] and not celery_runs.broker.service.forced
    assert celery_runs.broker.service.proc is not None
    assert session_members(celery_runs.broker.service.proc.pid) == {}
    assert celery_runs.agent_exited, celery_runs.explain()
