"""End to end under a real scheduler: LocalExecutor, Postgres, everything on loopback.

Airflow 3 runs ``airflow scheduler``, ``airflow dag-processor`` and ``airflow
api-server`` (the execution API the task runners talk to); Airflow 2.10 runs
``airflow scheduler`` alone. Task events then come from real task processes
(which on Airflow 3 end with ``os._exit``) and DAG-run events from the
scheduler, exactly as in production; the plugin is loaded through its entry
point and the DAG file (tests/dags/deployed/secoda_sched.py) knows nothing of it.

One module fixture brings the deployment up, runs three DAGs and tears it all
down, once per delivery mode: ``inline`` (each task sends at its end, the
scheduler from a background thread) and ``agent`` (every process only writes,
the spool's delivery agent sends); the tests below then check what arrived at the local receiver, what was
left in the spool, the task logs, and that no process outlived the test.
Waiting is bounded by deadlines; nothing asserts on wall-clock durations.
"""

from __future__ import annotations

import collections
import contextlib
import re
from pathlib import Path
from typing import Any

import attrs
import pytest

from tests.conftest import API_KEY
from tests.support.airflow_home import DEPLOYED_DAGS, AirflowHome, airflow_major, secoda_connection
from tests.support.airflow_services import AirflowServices, log_messages, plugin_warnings, task_logs, wait_for

SUCCESS_DAG = "secoda_sched_success"
FAILURE_DAG = "secoda_sched_failure"
SCHEDULER_ONLY_DAG = "secoda_sched_scheduler_only"
TASKS = {
    SUCCESS_DAG: {"extract": "success", "transform": "success", "load": "success"},
    FAILURE_DAG: {"prepare": "success", "explode": "failed"},
}
DAG_OUTCOME = {SUCCESS_DAG: "success", FAILURE_DAG: "failed", SCHEDULER_ONLY_DAG: "success"}
TERMINAL_RUN_STATES = {"success", "failed"}
# Spool subdirectories that hold records (everything else is bookkeeping).
RECORD_DIRS = ("tmp", "new", "cur", "failed")

DAG_DISCOVERY_TIMEOUT = 120
RUN_TIMEOUT = 150
DELIVERY_TIMEOUT = 30


@attrs.define
class ScheduledRuns:
    """What one scheduler session produced, collected before and after the services stopped."""

    services: AirflowServices
    home: Path
    spool: Path
    received: list[dict[str, Any]]  # while the services ran
    received_after_stop: list[dict[str, Any]]
    spool_before_stop: list[str]
    run_ids: dict[str, str]
    task_states: dict[str, dict[str, str]]
    scheduler_only_first: list[dict[str, Any]]
    alive_before_stop: list[str]
    survivors: dict[str, list[int]]
    logs: dict[str, str]
    delivery: str  # the [secoda] delivery mode of this session
    agent_exited: bool  # agent mode: the agent left by itself once idle

    def bodies(self) -> list[dict[str, Any]]:
        return [record["body"] for record in self.received if isinstance(record.get("body"), dict)]

    def explain(self) -> str:
        """Service log tails and the spool's content, for assertion messages."""
        leftover = {
            sub: sorted(p.name for p in (self.spool / sub).glob("*"))
            for sub in RECORD_DIRS
            if (self.spool / sub).is_dir()
        }
        kinds = collections.Counter(_key(b) for b in self.bodies())
        tails = "\n".join(
            f"----- {name} -----\n" + "\n".join(text.splitlines()[-40:]) for name, text in self.logs.items()
        )
        return f"received: {dict(kinds)}\nspool: {leftover}\n{tails}"


def _spool_records(spool: Path) -> list[str]:
    return [f"{sub}/{p.name}" for sub in RECORD_DIRS if (spool / sub).is_dir() for p in (spool / sub).iterdir()]


def _received_types(receiver, dag_id: str) -> list[str]:
    return [
        r["body"].get("event_type")
        for r in receiver.received()
        if isinstance(r.get("body"), dict) and (r["body"].get("dag") or {}).get("dag_id") == dag_id
    ]


def _expected_events(run_ids: dict[str, str]) -> set[tuple[str, str, str | None]]:
    """(event_type, dag_id, task_id) of every event the runs must produce."""
    expected: set[tuple[str, str, str | None]] = set()
    for dag_id, tasks in TASKS.items():
        for task_id, outcome in tasks.items():
            expected |= {("task_running", dag_id, task_id), (f"task_{outcome}", dag_id, task_id)}
    for dag_id in run_ids:
        expected |= {("dag_run_running", dag_id, None), (f"dag_run_{DAG_OUTCOME[dag_id]}", dag_id, None)}
    return expected


def _key(body: dict[str, Any]) -> tuple[str, str, str | None]:
    return (
        body.get("event_type"),
        (body.get("dag") or {}).get("dag_id"),
        (body.get("task_instance") or {}).get("task_id"),
    )


#: Seconds an idle agent waits before it exits, in these tests.
AGENT_IDLE_TIMEOUT = 5


@pytest.fixture(scope="module", params=["inline", "agent"])
def scheduled(request, postgres, tmp_path_factory: pytest.TempPathFactory) -> ScheduledRuns:
    from secoda_listener.delivery.agent import agent_running
    from secoda_listener.testing.receiver import Receiver

    delivery = request.param

    root = tmp_path_factory.mktemp("scheduler")
    home = AirflowHome.with_dags(root, DEPLOYED_DAGS / "secoda_sched.py")
    spool = root / "spool"

    database = postgres.create_database("airflow_sched")
    db_uri = f"postgresql+psycopg2://{postgres.credentials(database)}"

    with Receiver(store=root / "received.jsonl", api_key=API_KEY) as receiver:
        services = AirflowServices.create(
            home,
            db_uri,
            psql=lambda sql: postgres.psql(database, sql),
            logs_dir=root / "service_logs",
            extra_env={
                "AIRFLOW_CONN_SECODA_DEFAULT": secoda_connection(receiver.url, API_KEY),
                "AIRFLOW__SECODA__SPOOL_DIR": str(spool),
                "AIRFLOW__SECODA__DELIVERY": delivery,
                "AIRFLOW__SECODA__AGENT_IDLE_TIMEOUT": str(AGENT_IDLE_TIMEOUT),
            },
        )
        services.migrate()
        survivors: dict[str, list[int]] = {}
        try:
            services.start()

            def dags_parsed() -> bool:
                services.check_alive()
                return services.dag_ids("secoda_sched_") >= set(DAG_OUTCOME)

            def runs_done(dag_ids) -> bool:
                services.check_alive()
                runs = [services.dag_runs(dag_id) for dag_id in dag_ids]
                return all(len(r) == 1 and r[0]["state"] in TERMINAL_RUN_STATES for r in runs)

            wait_for("the DAG file to be parsed", dags_parsed, DAG_DISCOVERY_TIMEOUT, 0.5, services.tails)
            services.cli_ok("dags", "unpause", "--treat-dag-id-as-regex", "--yes", "^secoda_sched_")

            # First a DAG whose only task the scheduler completes itself: no task process
            # exists yet, so its DAG-run events can only be delivered by the scheduler.
            services.cli_ok("dags", "trigger", SCHEDULER_ONLY_DAG)
            wait_for(
                "the run without task processes to end",
                lambda: runs_done([SCHEDULER_ONLY_DAG]),
                RUN_TIMEOUT,
                0.5,
                services.tails,
            )
            # On a timeout, test_dag_run_events_come_from_the_scheduler says what is missing.
            with contextlib.suppress(TimeoutError):
                wait_for(
                    "the scheduler to deliver its DAG-run events",
                    lambda: "dag_run_success" in _received_types(receiver, SCHEDULER_ONLY_DAG),
                    DELIVERY_TIMEOUT,
                    0.25,
                )
            scheduler_only_first = receiver.received()

            services.cli_many([["dags", "trigger", SUCCESS_DAG], ["dags", "trigger", FAILURE_DAG]])

            wait_for("the DAG runs to end", lambda: runs_done(DAG_OUTCOME), RUN_TIMEOUT, 0.5, services.tails)
            run_ids = {dag_id: services.dag_runs(dag_id)[0]["run_id"] for dag_id in DAG_OUTCOME}

            def delivered() -> bool:
                services.check_alive()
                got = {_key(r["body"]) for r in receiver.received() if isinstance(r.get("body"), dict)}
                return got >= _expected_events(run_ids) and not _spool_records(spool)

            with contextlib.suppress(TimeoutError):  # on a timeout, the tests below say precisely what is missing
                wait_for("every event to arrive and the spool to drain", delivered, DELIVERY_TIMEOUT, 0.25)
            wait_for(
                "the task processes to exit",
                lambda: not services.live_task_processes(DAG_OUTCOME),
                DELIVERY_TIMEOUT,
                0.25,
                services.tails,
            )
            task_states = {dag_id: services.task_states(dag_id) for dag_id in DAG_OUTCOME}
            alive_before_stop = [s.name for s in services.services if s.alive()]
            received = receiver.received()
            spool_before_stop = _spool_records(spool)
        except BaseException:
            print(services.tails(80))  # pytest shows it with the error
            raise
        finally:
            survivors = services.stop()
        received_after_stop = receiver.received()
        agent_exited = True
        if delivery == "agent":
            try:
                wait_for("the idle agent to exit", lambda: not agent_running(spool), AGENT_IDLE_TIMEOUT + 60, 0.25)
            except TimeoutError:
                agent_exited = False

    return ScheduledRuns(
        services=services,
        home=home.path,
        spool=spool,
        received=received,
        received_after_stop=received_after_stop,
        spool_before_stop=spool_before_stop,
        run_ids=run_ids,
        task_states=task_states,
        scheduler_only_first=scheduler_only_first,
        alive_before_stop=alive_before_stop,
        survivors=survivors,
        logs={s.name: s.log_path.read_text(errors="replace") for s in services.services},
        delivery=delivery,
        agent_exited=agent_exited,
    )


def test_every_service_stayed_up_until_stopped(scheduled: ScheduledRuns):
    expected = ["api-server", "dag-processor", "scheduler"] if airflow_major() >= 3 else ["scheduler"]
    assert sorted(scheduled.alive_before_stop) == expected, scheduled.explain()
    assert "UNEXPECTED COMMIT" not in scheduled.logs["scheduler"], scheduled.explain()


def test_the_plugin_warned_about_nothing(scheduled: ScheduledRuns):
    """No hook skipped, no event dropped, no flush failed: not in the services, not in the tasks."""
    texts = list(scheduled.logs.values())
    for dag_id in DAG_OUTCOME:
        texts += task_logs(scheduled.home, dag_id).values()
    warnings = plugin_warnings(texts)
    assert warnings == [], "\n".join(warnings)


def test_the_runs_ended_as_the_dags_say(scheduled: ScheduledRuns):
    for dag_id, tasks in TASKS.items():
        assert scheduled.task_states[dag_id] == tasks, scheduled.explain()
    assert scheduled.task_states[SCHEDULER_ONLY_DAG] == {"nothing_to_run": "success"}, scheduled.explain()


def test_every_event_arrived_exactly_once(scheduled: ScheduledRuns):
    bodies = scheduled.bodies()
    assert all(r.get("status") == 200 for r in scheduled.received), scheduled.explain()
    ids = collections.Counter(r["event_id"] for r in scheduled.received)
    assert [event_id for event_id, n in ids.items() if n > 1] == [], scheduled.explain()
    keys = collections.Counter(_key(b) for b in bodies)
    assert [key for key, n in keys.items() if n > 1] == [], scheduled.explain()
    assert set(keys) == _expected_events(scheduled.run_ids), scheduled.explain()


def test_task_events_describe_their_task_and_run(scheduled: ScheduledRuns):
    for body in scheduled.bodies():
        if "task_instance" not in body:
            continue
        ti, dag_id = body["task_instance"], body["dag"]["dag_id"]
        assert ti["dag_id"] == dag_id
        assert ti["run_id"] == body["dag_run"]["run_id"] == scheduled.run_ids[dag_id]
        assert ti["try_number"] == 1
        if body["event_type"] == "task_failed":
            assert ti["task_id"] == "explode" and ti["state"] == "failed"
            assert "boom: the scheduled task failed on purpose" in ti["error"]
        elif body["event_type"] == "task_success":
            assert ti["state"] == "success" and "error" not in ti


def test_dag_run_events_come_from_the_scheduler(scheduled: ScheduledRuns):
    runs = [b for b in scheduled.bodies() if b["event_type"].startswith("dag_run_")]
    for body in runs:
        assert "task_instance" not in body
        assert body["dag_run"]["run_id"] == scheduled.run_ids[body["dag"]["dag_id"]]
        if body["event_type"] == "dag_run_running":
            assert "task_instances" not in body["dag_run"]
        else:
            assert body["dag_run"]["state"] == body["event_type"].removeprefix("dag_run_")
            # Read by the scheduler off its hook: every task instance, in its final state.
            dag_id = body["dag"]["dag_id"]
            expected = TASKS.get(dag_id, {"nothing_to_run": "success"})
            listed = {t["task_id"]: t["state"] for t in body["dag_run"]["task_instances"]}
            assert listed == expected, (dag_id, body["dag_run"])
    # The run without task processes was fully delivered before any task process
    # existed: the scheduler's background flusher (inline) or the agent the
    # scheduler's hook started sent it, nobody else could have.
    first = {_key(r["body"]) for r in scheduled.scheduler_only_first}
    assert first == {("dag_run_running", SCHEDULER_ONLY_DAG, None), ("dag_run_success", SCHEDULER_ONLY_DAG, None)}, (
        scheduled.explain()
    )


def test_each_task_process_handed_off_its_events_as_configured(scheduled: ScheduledRuns):
    """The end hook logs who delivers after the hand-off returned. Inline, "N sent"
    in the task's own log proves the flush ran in the task process before that
    process exited (``os._exit`` on Airflow 3), rather than being left to an exit
    handler or to the scheduler's flusher. With the agent, the task only wrote:
    every event still arrived once (test_every_event_arrived_exactly_once)."""
    for dag_id, tasks in TASKS.items():
        logs = task_logs(scheduled.home, dag_id)
        for task_id, outcome in tasks.items():
            messages = log_messages(logs.get(task_id, ""))
            ends = [m for m in messages if f"secoda-listener: task_{outcome} event" in m]
            assert len(ends) == 1, f"{dag_id}.{task_id}:\n" + "\n".join(messages[-40:])
            if scheduled.delivery == "inline":
                assert re.search(r"; \d+ sent", ends[0]), ends[0]
                assert "rejected" not in ends[0], ends[0]
            else:
                assert ends[0].endswith("; left to the delivery agent"), ends[0]


def test_the_agent_sent_everything_and_exited_when_idle(scheduled: ScheduledRuns):
    agent_log = scheduled.spool / "agent.log"
    if scheduled.delivery == "inline":
        assert not agent_log.exists(), "inline delivery started an agent"
        return
    text = agent_log.read_text(errors="replace")
    assert re.search(r"secoda-listener agent: \d+ sent", text), text[-3000:]
    ours = [line for line in text.splitlines() if "secoda-listener" in line]
    assert [line for line in ours if re.search(r"WARNING|ERROR|\[warning|\[error", line)] == [], text[-3000:]
    assert scheduled.agent_exited, text[-3000:]


def test_the_spool_drained_while_the_services_ran(scheduled: ScheduledRuns):
    # Nothing waited for the scheduler's exit handler: the background flusher and
    # the task processes had delivered everything already...
    assert scheduled.spool_before_stop == [], scheduled.explain()
    # ...so stopping delivered nothing more (no late duplicate) and left nothing behind.
    assert len(scheduled.received_after_stop) == len(scheduled.received), scheduled.explain()
    assert _spool_records(scheduled.spool) == [], scheduled.explain()


def test_no_process_outlives_the_services(scheduled: ScheduledRuns):
    # Each service was found running in its own session (so the check below can see)...
    assert all(s.members_at_stop >= 1 for s in scheduled.services.services), scheduled.services.services
    # ...SIGTERM to every process group of those sessions was enough (no SIGKILL)...
    forced = [s for s in scheduled.services.services if s.forced]
    assert forced == [], "\n".join(
        f"{s.name} needed SIGKILL; its log ends:\n{scheduled.logs.get(s.name, '')[-4000:]}" for s in forced
    )
    # ...and nothing is left.
    assert scheduled.survivors and all(pids == [] for pids in scheduled.survivors.values()), scheduled.survivors
