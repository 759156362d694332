"""The delivery agent: one per spool directory, started on demand, delivering until idle.

Real agents (separate processes where that is the point), a real spool, the receiver
over real HTTP; waits are bounded waits on conditions, never assertions on durations.
"""

from __future__ import annotations

import collections
import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any, Callable

import pytest

from secoda_listener import conf, forks
from secoda_listener.delivery import agent as agent_module
from secoda_listener.delivery.agent import Agent, agent_running, ensure_running
from secoda_listener.delivery.spool import Spool
from tests.conftest import API_KEY
from tests.support.airflow_home import secoda_connection
from tests.support.records import spooled


def _wait_for(what: str, predicate: Callable[[], Any], timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, f"gave up waiting for {what}"
        time.sleep(0.05)


@pytest.fixture
def spool_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, receiver: Any) -> Path:
    directory = tmp_path / "spool"
    monkeypatch.setenv("AIRFLOW_CONN_SECODA_DEFAULT", secoda_connection(receiver.url, API_KEY))
    monkeypatch.setenv("AIRFLOW__SECODA__SPOOL_DIR", str(directory))
    monkeypatch.setenv("AIRFLOW__SECODA__AGENT_IDLE_TIMEOUT", "2")
    conf.reload()
    forks.start_afresh()
    yield directory
    conf.reload()
    forks.start_afresh()


def _spool(directory: Path, records: int) -> Spool:
    spool = Spool(directory)
    for i in range(records):
        spool.write(spooled(i))
    return spool


def _ids(receiver: Any) -> collections.Counter[str]:
    return collections.Counter(r["event_id"] for r in receiver.received() if r.get("status") == 200)


def _run_in_thread(agent: Agent) -> tuple[threading.Thread, list[int]]:
    codes: list[int] = []
    thread = threading.Thread(target=lambda: codes.append(agent.run()), daemon=True)
    thread.start()
    return thread, codes


def test_an_agent_delivers_everything_once_and_exits_when_idle(spool_dir: Path, receiver: Any) -> None:
    spool = _spool(spool_dir, 5)
    thread, codes = _run_in_thread(Agent(spool_dir, idle_timeout=0.5))
    thread.join(60)

    assert codes == [0]
    assert _ids(receiver) == {f"ev-{i}": 1 for i in range(5)}
    assert spool.count_pending() == 0
    assert not agent_running(spool_dir)  # the lock went with it


def test_an_agent_picks_up_events_written_while_it_waits(spool_dir: Path, receiver: Any) -> None:
    spool = _spool(spool_dir, 1)
    agent = Agent(spool_dir, idle_timeout=30)
    thread, _ = _run_in_thread(agent)
    try:
        _wait_for("the first event", lambda: len(_ids(receiver)) == 1)
        spool.write(spooled("late"))
        _wait_for("the event written later", lambda: "ev-late" in _ids(receiver))
    finally:
        agent.stop()
        thread.join(60)
    assert not thread.is_alive()


def test_a_refusing_secoda_is_retried_on_a_timer_until_it_answers(spool_dir: Path, receiver: Any) -> None:
    receiver.add_fault({"status": 503, "times": 3})
    spool = _spool(spool_dir, 3)
    thread, codes = _run_in_thread(Agent(spool_dir, idle_timeout=0.5))
    thread.join(120)

    assert codes == [0]
    assert _ids(receiver) == {"ev-0": 1, "ev-1": 1, "ev-2": 1}  # every one, each accepted once
    assert receiver.pending_faults() == []  # all three refusals were answered first
    assert spool.count_pending() == 0


def test_stop_finishes_the_request_in_flight_and_loses_nothing(spool_dir: Path, receiver: Any) -> None:
    receiver.add_fault({"delay": 1.0, "times": 1})
    spool = _spool(spool_dir, 3)
    agent = Agent(spool_dir, idle_timeout=30)
    thread, codes = _run_in_thread(agent)
    _wait_for("the slow request to be in flight", lambda: spool.stats().claimed >= 1)
    agent.stop()
    thread.join(60)

    assert codes == [0]
    sent = _ids(receiver)
    assert all(n == 1 for n in sent.values())
    # What was accepted is gone from the spool; what was not stays there, unclaimed.
    assert spool.count_pending() == 3 - len(sent)
    assert spool.stats().claimed == 0


def test_a_second_agent_for_the_same_directory_leaves_at_once(spool_dir: Path, receiver: Any) -> None:
    _spool(spool_dir, 1)
    first = Agent(spool_dir, idle_timeout=30)
    thread, _ = _run_in_thread(first)
    try:
        _wait_for("the first agent to hold the lock", lambda: agent_running(spool_dir))
        assert Agent(spool_dir, idle_timeout=30).run() == 0  # returns: another agent serves it
    finally:
        first.stop()
        thread.join(60)


def test_ensure_running_starts_one_agent_process_that_delivers(spool_dir: Path, receiver: Any) -> None:
    spool = _spool(spool_dir, 2)
    assert ensure_running(spool_dir)
    _wait_for("the agent to deliver", lambda: len(_ids(receiver)) == 2)
    assert agent_running(spool_dir)
    assert ensure_running(spool_dir)  # found running: nothing more is started
    children = list(agent_module._starter.children)
    assert len(children) == 1 and children[0].pid != os.getpid()
    _wait_for("the idle agent to exit", lambda: not agent_running(spool_dir))
    assert spool.count_pending() == 0
    assert "secoda-listener agent: 2 sent" in (spool_dir / "agent.log").read_text()


def test_agents_started_from_many_processes_at_once_are_one(spool_dir: Path, receiver: Any) -> None:
    _spool(spool_dir, 1)
    script = (
        "import sys; from secoda_listener.delivery.agent import Agent; "
        f"sys.exit(Agent({str(spool_dir)!r}, idle_timeout=1).run())"
    )
    racers = [subprocess.Popen([sys.executable, "-c", script]) for _ in range(4)]
    codes = [racer.wait(120) for racer in racers]

    assert codes == [0, 0, 0, 0]
    assert _ids(receiver) == {"ev-0": 1}


def test_the_agent_is_not_started_as_an_airflow_task_process(monkeypatch: pytest.MonkeyPatch) -> None:
    # An Airflow 3 task process marks itself a client of its supervisor; inherited, the
    # agent would look connections up through a supervisor it does not have.
    monkeypatch.setenv("_AIRFLOW_PROCESS_CONTEXT", "client")
    monkeypatch.setenv("_AIRFLOW_FORK_EXEC", "1")
    monkeypatch.setenv("AIRFLOW_CONN_X", "kept")
    env = agent_module._agent_environment()
    assert env["_AIRFLOW_PROCESS_CONTEXT"] == "server"
    assert "_AIRFLOW_FORK_EXEC" not in env
    assert env["AIRFLOW_CONN_X"] == "kept"


def test_an_agent_started_by_a_task_process_is_handed_its_connection_and_not_the_blocked_database(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The bug test_paths.py found: with the connection in the metadata database (as Secoda's
    docs have users create it), an agent an Airflow 3 task process started inherited
    ``airflow-db-not-allowed:///`` and found no connection; its events stayed spooled."""
    from airflow.models.connection import Connection

    from secoda_listener.delivery import secoda_connection

    handed_to_the_task = Connection(
        conn_id="secoda_default",
        conn_type="secoda",
        host="https://api.secoda.co/api/v1/",
        password="k-123",
        extra=json.dumps({"integration_id": "it-9"}),
    )
    asked: list[str] = []

    def from_supervisor(conn_id: str) -> Connection:
        asked.append(conn_id)
        return handed_to_the_task

    monkeypatch.setattr(secoda_connection, "get_airflow_connection", from_supervisor)
    # What a Celery worker's task process has: no process-context variable, the database blocked.
    monkeypatch.delenv("_AIRFLOW_PROCESS_CONTEXT", raising=False)
    monkeypatch.setenv("AIRFLOW__DATABASE__SQL_ALCHEMY_CONN", "airflow-db-not-allowed:///")
    monkeypatch.setenv("AIRFLOW_CONN_ALREADY_SET", "from-the-deployment")
    monkeypatch.delenv("AIRFLOW_CONN_SECODA_DEFAULT", raising=False)

    env = agent_module._agent_environment(["secoda_default", "already_set", "secoda_default"])
    assert asked == ["secoda_default"]  # once, and not for what the environment has
    assert json.loads(env["AIRFLOW_CONN_SECODA_DEFAULT"]) == {
        "conn_type": "secoda",
        "host": "https://api.secoda.co/api/v1/",
        "password": "k-123",
        "extra": {"integration_id": "it-9"},
    }
    assert env["AIRFLOW_CONN_ALREADY_SET"] == "from-the-deployment"
    assert "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN" not in env  # airflow.cfg's, not the task's blocked URL

    # From a server-side process (scheduler, API server, Airflow 2) nothing is handed over:
    # the agent reads connections itself, so a rotated key is picked up.
    monkeypatch.setenv("AIRFLOW__DATABASE__SQL_ALCHEMY_CONN", "postgresql://db/airflow")
    asked.clear()
    assert "AIRFLOW_CONN_SECODA_DEFAULT" not in agent_module._agent_environment(["secoda_default"])
    assert asked == []


def test_a_stop_ends_a_back_off_the_agent_is_waiting_out(spool_dir: Path, receiver: Any) -> None:
    """Secoda asks for 100 s (Retry-After): the agent waits it out inside its pass, but a
    SIGTERM (stop) must not wait with it."""
    _spool(spool_dir, 1)
    receiver.add_fault(status=503, retry_after=100, times=10)
    agent = Agent(spool_dir, idle_timeout=300)
    thread, _ = _run_in_thread(agent)
    _wait_for("Secoda's first refusal", lambda: receiver.attempts >= 1)
    agent.stop()
    thread.join(30)  # far less than the 100 s asked for
    assert not thread.is_alive()
    assert Spool(spool_dir).count_pending() == 1  # released, kept for the next agent


def test_an_agent_that_exited_soon_after_its_start_is_started_again(
    spool_dir: Path, receiver: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Within START_GRACE a starter trusts the agent it started to be coming up, but not
    once that agent has exited: an event spooled then would wait for the next hook."""
    monkeypatch.setenv("AIRFLOW__SECODA__AGENT_IDLE_TIMEOUT", "0.2")
    conf.reload()
    _spool(spool_dir, 1)
    assert ensure_running(spool_dir)
    first = agent_module._starter.children[-1]
    first.wait(120)  # delivered its one event and left, idle
    spool = _spool(spool_dir, 0)
    spool.write(spooled("late"))
    assert ensure_running(spool_dir)
    assert agent_module._starter.children[-1] is not first  # a new agent, within the grace
    _wait_for("the late event", lambda: _ids(receiver) == {"ev-0": 1, "ev-late": 1})


def test_ensure_running_never_raises(tmp_path: Path) -> None:
    missing = tmp_path / "no" / "such" / "spool"
    assert ensure_running(missing) is False


def test_status_shows_whether_the_agent_runs(spool_dir: Path, receiver: Any) -> None:
    from secoda_listener.cli.status import collect, render

    spool = _spool(spool_dir, 1)
    assert "delivery agent: not running" in render(collect(spool))
    agent = Agent(spool_dir, idle_timeout=30)
    thread, _ = _run_in_thread(agent)
    try:
        _wait_for("the agent to run", lambda: agent_running(spool_dir))
        _wait_for("the agent to record its start", lambda: (spool_dir / "agent.json").exists())
        data = collect(spool)
        assert data["agent"]["running"] is True and data["agent"]["pid"] == os.getpid()
        assert f"delivery agent: running, pid {os.getpid()}" in render(data)
    finally:
        agent.stop()
        thread.join(60)
