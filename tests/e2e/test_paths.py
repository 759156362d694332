"""End to end: the paths a real Airflow takes to a try's final state, under a real scheduler.

One LocalExecutor deployment (Postgres, a triggerer; on Airflow 3 the DAG
processor and the API server with its REST API), the Secoda connection
created in the metadata database with ``airflow connections add`` as Secoda's
docs have users do it, the delivery agent (the default) sending to the local
receiver. The DAGs of tests/dags/deployed/secoda_paths.py each take one path: a retry,
a killed task process, a task that skips itself, a task the scheduler skips,
mapped tries, a deferrable resumed in a worker, and (Airflow 3) a running try
marked success and a running DAG run marked failed through the REST API. A deferrable the triggerer finishes
itself (``end_from_trigger``) cannot exist beside any listener plugin: Airflow
refuses its DAG file, which the last test shows.

For every try the tests assert the exact sequence of events Secoda received,
the state each states, and that ids are unique per event; the DAG run's final
event must list every task instance in the state the database ends with:
that is the final word on the paths where no process fires a task hook.
Outside changes go through Airflow 3's REST API; Airflow 2.10's webserver is not
run, a process of its own calls what its REST endpoints call.
"""

from __future__ import annotations

import collections
import contextlib
import json
import subprocess
import textwrap
import urllib.request
from pathlib import Path
from typing import Any

import attrs
import pytest

from tests.conftest import API_KEY
from tests.support.airflow_home import BIN, DEPLOYED_DAGS, AirflowHome, airflow_major
from tests.support.airflow_services import AirflowServices, wait_for

AIRFLOW3 = airflow_major() >= 3
PREFIX = "secoda_paths_"
DAGS = ["retry", "kill", "skip_self", "branch", "mapped", "deferred", "marked", "run_marked"]
DAG_IDS = [PREFIX + name for name in DAGS]
#: Runs whose end some process reports. Airflow 2.10 fires no DAG-run hook for a run set
#: failed from outside (its webserver calls none; the scheduler never ends it itself).
REPORTED_RUNS = [dag_id for dag_id in DAG_IDS if AIRFLOW3 or dag_id != PREFIX + "run_marked"]
TERMINAL = {"success", "failed"}
AGENT_IDLE_TIMEOUT = 5


class PathServices(AirflowServices):
    """The deployment plus a triggerer; on Airflow 3 the API server also serves the REST API."""

    def _commands(self) -> list[tuple[str, list[str]]]:
        commands = []
        for name, argv in super()._commands():
            if name == "api-server":
                argv = [("all" if arg == "execution" else arg) for arg in argv]
            commands.append((name, argv))
        commands.append(("triggerer", [argv[0], "triggerer"]))
        return commands

    def rest(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        base = f"http://127.0.0.1:{self.api_port}"
        with urllib.request.urlopen(f"{base}/auth/token", timeout=30) as answer:  # all-admins: no login
            token = json.loads(answer.read())["access_token"]
        request = urllib.request.Request(
            base + path,
            data=None if body is None else json.dumps(body).encode(),
            method=method,
            headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=60) as answer:
            return json.loads(answer.read() or b"null")


@attrs.define
class PathRuns:
    received: list[dict[str, Any]]
    run_ids: dict[str, str]
    tries_in_db: dict[str, list[dict[str, Any]]]  # dag_id -> task instances as the database has them
    import_errors: dict[str, str]  # DAG file name -> Airflow's recorded import error
    alive_before_stop: list[str]
    explain: str

    def accepted(self) -> list[dict[str, Any]]:
        return [r["body"] for r in self.received if r.get("status") == 200 and isinstance(r.get("body"), dict)]

    def sequences(self, dag_id: str) -> dict[tuple[str, int, int], list[tuple[str, str]]]:
        """(task_id, map_index, try) -> [(event_type, state)] in arrival order, each event id once."""
        seen: set[str] = set()
        tries: dict[tuple[str, int, int], list[tuple[str, str]]] = collections.defaultdict(list)
        for body in self.accepted():
            ti = body.get("task_instance")
            if ti is None or body["dag"]["dag_id"] != dag_id or body["event_id"] in seen:
                continue
            seen.add(body["event_id"])
            tries[(ti["task_id"], ti["map_index"], ti["try_number"])].append((body["event_type"], ti["state"]))
        return dict(tries)

    def final_run_event(self, dag_id: str) -> dict[str, Any]:
        finals = [
            b
            for b in self.accepted()
            if b["dag"]["dag_id"] == dag_id and b["event_type"] in ("dag_run_success", "dag_run_failed")
        ]
        assert len({b["event_id"] for b in finals}) == 1, (dag_id, finals, self.explain)
        return finals[0]

    def listed(self, dag_id: str) -> dict[tuple[str, int], str]:
        return {
            (t["task_id"], t["map_index"]): t["state"]
            for t in self.final_run_event(dag_id)["dag_run"]["task_instances"]
        }


#: Airflow 2.10 and 3 both keep parse errors in ``import_error`` (the text may span lines).
_IMPORT_ERRORS = "SELECT filename, replace(stacktrace, chr(10), ' ') FROM import_error"


def _db_tries(services: AirflowServices, dag_id: str) -> list[dict[str, Any]]:
    rows = services.rows(
        f"SELECT task_id, map_index, try_number, coalesce(state, '') FROM task_instance WHERE dag_id = '{dag_id}'"
    )
    return [{"task_id": t, "map_index": int(m), "try_number": int(n), "state": s} for t, m, n, s in rows]


@pytest.fixture(scope="module")
def paths(postgres, tmp_path_factory: pytest.TempPathFactory) -> PathRuns:
    from secoda_listener.testing.receiver import Receiver

    root = tmp_path_factory.mktemp("paths")
    home = AirflowHome.with_dags(
        root, DEPLOYED_DAGS / "secoda_paths.py", DEPLOYED_DAGS / "secoda_paths_end_from_trigger.py"
    )
    database = postgres.create_database("airflow_paths")
    db_uri = f"postgresql+psycopg2://{postgres.credentials(database)}"

    with Receiver(store=root / "received.jsonl", api_key=API_KEY) as receiver:
        services = PathServices.create(
            home,
            db_uri,
            psql=lambda sql: postgres.psql(database, sql),
            logs_dir=root / "service_logs",
            extra_env={
                "AIRFLOW__SECODA__SPOOL_DIR": str(root / "spool"),
                "AIRFLOW__SECODA__AGENT_IDLE_TIMEOUT": str(AGENT_IDLE_TIMEOUT),
                "AIRFLOW__TRIGGERER__JOB_HEARTBEAT_SEC": "1",
            },
        )
        services.migrate()
        # As Secoda's documentation has users do it: a connection in the metadata database.
        services.add_secoda_connection(receiver.url, API_KEY)
        try:
            services.start()
            wait_for(
                "the DAG file to be parsed",
                lambda: services.check_alive() or services.dag_ids(PREFIX) >= set(DAG_IDS),
                120,
                0.5,
                services.tails,
            )
            services.cli_ok("dags", "unpause", "--treat-dag-id-as-regex", "--yes", f"^{PREFIX}")
            services.cli_many([["dags", "trigger", dag_id] for dag_id in DAG_IDS])

            _change_states_from_outside(services, receiver)

            def runs_done() -> bool:
                services.check_alive()
                runs = [services.dag_runs(dag_id) for dag_id in DAG_IDS]
                return all(len(r) == 1 and r[0]["state"] in TERMINAL for r in runs)

            wait_for("the DAG runs to end", runs_done, 240, 0.5, services.tails)
            run_ids = {dag_id: services.dag_runs(dag_id)[0]["run_id"] for dag_id in DAG_IDS}

            def final_events_in() -> bool:
                finals = {
                    r["body"]["dag"]["dag_id"]
                    for r in receiver.received()
                    if isinstance(r.get("body"), dict)
                    and r["body"]["event_type"] in ("dag_run_success", "dag_run_failed")
                }
                return finals >= set(REPORTED_RUNS) and not services.live_task_processes(DAG_IDS)

            with contextlib.suppress(TimeoutError):  # the tests say what is missing
                wait_for("every run's final event", final_events_in, 60, 0.25)
            tries_in_db = {dag_id: _db_tries(services, dag_id) for dag_id in DAG_IDS}
            import_errors = dict(
                (Path(name).name, text)
                for name, text in (
                    row.split("|", 1) for row in services.psql(_IMPORT_ERRORS).splitlines() if "|" in row
                )
            )
            alive_before_stop = [s.name for s in services.services if s.alive()]
        except BaseException:
            print(services.tails(80))
            raise
        finally:
            services.stop()
        received = receiver.received()
    return PathRuns(received, run_ids, tries_in_db, import_errors, alive_before_stop, services.tails(30))


def _change_states_from_outside(services: PathServices, receiver: Any) -> None:
    """Wait for the two ``long_sleep`` tries to run and say so, then change their states from
    outside as a person in the UI would: one try marked success, one DAG run marked failed.

    Airflow 3 through its REST API. Airflow 2.10's webserver is not run here: a process of
    its own calls what its REST endpoints call (``DAG.set_task_instance_state``,
    ``set_dag_run_state_to_failed``) with the plugin loaded, as in the webserver.
    """
    marked, run_marked = PREFIX + "marked", PREFIX + "run_marked"

    def running_reported() -> bool:
        services.check_alive()
        running = {
            r["body"]["dag"]["dag_id"]
            for r in receiver.received()
            if isinstance(r.get("body"), dict) and r["body"]["event_type"] == "task_running"
        }
        return {marked, run_marked} <= running

    wait_for("the long_sleep tries to report running", running_reported, 120, 0.25, services.tails)
    marked_run, failed_run = services.dag_runs(marked)[0]["run_id"], services.dag_runs(run_marked)[0]["run_id"]
    if AIRFLOW3:
        services.rest(
            "PATCH", f"/api/v2/dags/{marked}/dagRuns/{marked_run}/taskInstances/long_sleep", {"new_state": "success"}
        )
        services.rest("PATCH", f"/api/v2/dags/{run_marked}/dagRuns/{failed_run}", {"state": "failed"})
        return
    script = textwrap.dedent(
        f"""
        from airflow.api.common.mark_tasks import set_dag_run_state_to_failed
        from airflow.models.dagbag import DagBag
        from airflow.utils.state import TaskInstanceState

        bag = DagBag(read_dags_from_db=True)
        bag.get_dag({marked!r}).set_task_instance_state(
            task_id="long_sleep", run_id={marked_run!r}, state=TaskInstanceState.SUCCESS, commit=True
        )
        set_dag_run_state_to_failed(dag=bag.get_dag({run_marked!r}), run_id={failed_run!r}, commit=True)
        """
    )
    done = subprocess.run(
        [str(BIN / "python"), "-c", script], env=services.env(), cwd=services.home.path, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-3000:]


# --- what every path shares ---------------------------------------------------------------


def test_every_service_stayed_up(paths: PathRuns) -> None:
    assert {"scheduler", "triggerer"} <= set(paths.alive_before_stop), paths.explain


def test_no_event_id_is_accepted_twice_and_each_id_states_one_thing(paths: PathRuns) -> None:
    by_id: dict[str, set[tuple[str, str | None]]] = collections.defaultdict(set)
    for body in paths.accepted():
        state = (body.get("task_instance") or body["dag_run"])["state"]
        by_id[body["event_id"]].add((body["event_type"], state))
    assert all(len(stated) == 1 for stated in by_id.values()), {k: v for k, v in by_id.items() if len(v) > 1}
    counts = collections.Counter(b["event_id"] for b in paths.accepted())
    assert [event_id for event_id, n in counts.items() if n > 1] == []


@pytest.mark.parametrize("dag_id", REPORTED_RUNS)
def test_the_final_run_event_lists_every_task_instance_as_the_database_has_it(paths: PathRuns, dag_id: str) -> None:
    final = paths.final_run_event(dag_id)
    in_db = {(t["task_id"], t["map_index"]): t["state"] for t in paths.tries_in_db[dag_id]}
    assert paths.listed(dag_id) == in_db
    assert final["dag_run"]["run_id"] == paths.run_ids[dag_id]


# --- one test per path ----------------------------------------------------------------------


def test_a_retried_try_is_up_for_retry_and_the_retry_succeeds(paths: PathRuns) -> None:
    dag_id = PREFIX + "retry"
    assert paths.sequences(dag_id) == {
        ("flaky", -1, 1): [("task_running", "running"), ("task_failed", "up_for_retry")],
        ("flaky", -1, 2): [("task_running", "running"), ("task_success", "success")],
    }
    assert paths.listed(dag_id) == {("flaky", -1): "success"}


def test_a_killed_task_process_ends_failed_in_the_run_event(paths: PathRuns) -> None:
    dag_id = PREFIX + "kill"
    sequences = paths.sequences(dag_id)
    if AIRFLOW3:
        # The supervisor marks the try failed through the execution API, which calls no
        # listener: the task's last own word is "running"; the run's final event says failed.
        assert sequences == {("doomed", -1, 1): [("task_running", "running")]}
    else:
        # Airflow 2.10's local task job sees its child die and fails the try itself.
        assert sequences == {("doomed", -1, 1): [("task_running", "running"), ("task_failed", "failed")]}
    assert paths.final_run_event(dag_id)["event_type"] == "dag_run_failed"
    assert paths.listed(dag_id) == {("doomed", -1): "failed"}


def test_a_task_that_skips_itself(paths: PathRuns) -> None:
    dag_id = PREFIX + "skip_self"
    expected = [("task_running", "running")] + ([("task_skipped", "skipped")] if AIRFLOW3 else [])
    assert paths.sequences(dag_id) == {("skipper", -1, 1): expected}  # Airflow 2.10 has no skipped hook
    assert paths.listed(dag_id) == {("skipper", -1): "skipped"}


def test_a_task_the_scheduler_skips_is_only_in_the_run_event(paths: PathRuns) -> None:
    dag_id = PREFIX + "branch"
    assert paths.sequences(dag_id) == {("gate", -1, 1): [("task_running", "running"), ("task_success", "success")]}
    assert paths.listed(dag_id) == {("gate", -1): "success", ("after_gate", -1): "skipped"}


def test_mapped_tries_each_report_once(paths: PathRuns) -> None:
    dag_id = PREFIX + "mapped"
    assert paths.sequences(dag_id) == {
        ("square", index, 1): [("task_running", "running"), ("task_success", "success")] for index in range(3)
    }
    assert paths.listed(dag_id) == {("square", index): "success" for index in range(3)}


def test_a_deferrable_resumed_in_a_worker_says_running_once(paths: PathRuns) -> None:
    sequences = paths.sequences(PREFIX + "deferred")
    assert sequences[("wait_in_worker", -1, 1)] == [("task_running", "running"), ("task_success", "success")]


def test_a_deferrable_the_triggerer_would_finish_is_refused_by_airflow_beside_any_listener(paths: PathRuns) -> None:
    """Not ours to change: Airflow's DAG bag rejects end_from_trigger=True tasks whenever a
    listener plugin is installed (OpenLineage's too); the README says so."""
    error = paths.import_errors.get("secoda_paths_end_from_trigger.py", "")
    assert "Listeners are not supported with end_from_trigger=True" in error, paths.import_errors
    assert set(paths.import_errors) == {"secoda_paths_end_from_trigger.py"}  # the other DAGs parse


def test_a_running_try_marked_success_from_outside_stays_success(paths: PathRuns) -> None:
    dag_id = PREFIX + "marked"
    # Airflow 3: the API server reports success; the task process the supervisor then
    # terminates does not contradict it. Airflow 2.10 fires no task hook for the change
    # (nor does the terminated process): the run's final event lists the try success.
    ended = [("task_success", "success")] if AIRFLOW3 else []
    assert paths.sequences(dag_id) == {("long_sleep", -1, 1): [("task_running", "running"), *ended]}
    assert paths.listed(dag_id) == {("long_sleep", -1): "success"}


def test_a_dag_run_marked_failed_from_outside(paths: PathRuns) -> None:
    dag_id = PREFIX + "run_marked"
    if AIRFLOW3:
        # The API server states the run failed and its running try failed; the try's own
        # process, terminated, agrees with the same ids: each event once.
        assert paths.sequences(dag_id) == {
            ("long_sleep", -1, 1): [("task_running", "running"), ("task_failed", "failed")]
        }
        assert paths.final_run_event(dag_id)["event_type"] == "dag_run_failed"
        assert paths.listed(dag_id) == {("long_sleep", -1): "failed"}
    else:
        # Airflow 2.10 calls no hook for it anywhere, task or DAG run: no final word reaches
        # Secoda, whose run stays "running" (a gap of Airflow 2.10's, README "What Secoda receives").
        assert paths.sequences(dag_id) == {("long_sleep", -1, 1): [("task_running", "running")]}
        finals = [b for b in paths.accepted() if b["dag"]["dag_id"] == dag_id and b["event_type"] != "dag_run_running"]
        assert [b for b in finals if "task_instance" not in b] == []
