"""End to end, the delivery agent against a Secoda that is near, far, hanging, rate-limiting,
or down and then up.

Each test is one real ``airflow dags test`` run in ``[secoda] delivery = agent`` mode: its hooks
only spool and hand off, and the spool's delivery agent (started by the first hook, exiting
``AGENT_IDLE_TIMEOUT`` seconds after its last send) delivers. Whatever Secoda does, every event
of the run must arrive exactly once by ``event_id``, with nobody running a command, within
``DELIVERY_DEADLINE`` seconds of Secoda answering again, and the agent must then leave by itself.

That no Airflow process waited on Secoda is shown by what happened, not by how long anything
took: the task logs say each task's events were left to the agent; the agent's own log accounts
for every request Secoda accepted; where the test holds Secoda in its bad state (hanging,
rate-limiting, down) until ``airflow dags test`` has returned, the run returned while nothing
could be delivered, every event still in the spool; and at 1.5 s a round trip the run returned
before Secoda could have accepted its five events, sent one after the other.

A hanging Secoda is one that never answers the requests it holds (they end in a reset, long
after the agent gave up on them) and never processes them: one that processed a request its
client had given up on would, by the at-least-once design, see that event again (with the same
``event_id``, for it to de-duplicate), which is not what is tested here.
"""

from __future__ import annotations

import collections
import contextlib
import json
import os
import random
import re
import signal
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Callable, Optional

import pytest

from secoda_listener.delivery.agent import LOG_FILE, agent_running, agent_state
from secoda_listener.delivery.backoff import STATE_FILE as BACKOFF_FILE
from secoda_listener.delivery.backoff import SharedBackoff
from secoda_listener.delivery.process import AGENT_DELIVERS
from secoda_listener.testing.receiver import Receiver
from tests.conftest import API_KEY
from tests.support.airflow_home import DagRun, secoda_connection
from tests.support.airflow_services import wait_for

DAG_ID = "secoda_e2e_success"
Key = tuple[str, Optional[str]]  # (event_type, task_id)
#: Every event one run of DAG_ID produces (`airflow dags test` fires no dag_run_running).
EXPECTED: collections.Counter[Key] = collections.Counter(
    {
        ("task_running", "say_hello"): 1,
        ("task_success", "say_hello"): 1,
        ("task_running", "sleep_a_bit"): 1,
        ("task_success", "sleep_a_bit"): 1,
        ("dag_run_success", None): 1,
    }
)
#: Seconds the agent stays up with nothing to send, in these tests.
AGENT_IDLE_TIMEOUT = 3
#: Longest wait for everything to arrive once Secoda answers (or once the run returned).
DELIVERY_DEADLINE = 60
#: Longest wait for a state the test needs before it lets Secoda recover.
SETUP_DEADLINE = 60
#: A hung request is held this long server-side: far past any client timeout.
HANG_SECONDS = 300.0
#: 429 answers seen before the storm is lifted.
STORM_ANSWERS = 5
#: Connections refused while Secoda is down before it comes up again.
REFUSALS = 3

_TASK_END_LINE = re.compile(r"secoda-listener: (task_\w+) event (\S+) ")


@pytest.fixture(autouse=True)
def _no_agent_left_behind(tmp_path: Path) -> Iterator[None]:
    """A test that failed may leave its agent retrying: stop it (by its recorded pid) at teardown."""
    yield
    spool = tmp_path / "spool"
    if agent_running(spool):
        pid = agent_state(spool).get("pid")
        if isinstance(pid, int):
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGTERM)


# --- what to look at ---------------------------------------------------------------------------


def _key(body: dict[str, Any]) -> Key:
    return (body["event_type"], (body.get("task_instance") or {}).get("task_id"))


def _accepted(receiver: Receiver) -> list[dict[str, Any]]:
    return [r for r in receiver.received() if r.get("status") == 200]


def _accepted_keys(receiver: Receiver) -> collections.Counter[Key]:
    return collections.Counter(_key(r["body"]) for r in _accepted(receiver))


def _spooled(spool: Path) -> dict[str, Key]:
    """event_id -> key of every record waiting in the spool (``new/``, or claimed in ``cur/``)."""
    found: dict[str, Key] = {}
    for sub in ("new", "cur"):
        directory = spool / sub
        for path in sorted(directory.iterdir()) if directory.is_dir() else []:
            try:
                record = json.loads(path.read_bytes())
            except FileNotFoundError:  # claimed or released as we looked: seen in the other directory
                continue
            found[record["event_id"]] = _key(record["body"])
    return found


def _leftovers(spool: Path) -> dict[str, list[str]]:
    return {
        sub: sorted(p.name for p in (spool / sub).iterdir())
        for sub in ("tmp", "new", "cur", "failed")
        if (spool / sub).is_dir() and any((spool / sub).iterdir())
    }


def _agent_log(spool: Path) -> str:
    path = spool / LOG_FILE
    return path.read_text(errors="replace") if path.exists() else ""


def _agent_sent(spool: Path) -> int:
    """Events the agent(s) of ``spool`` say they delivered."""
    return sum(int(n) for n in re.findall(r"secoda-listener agent: (\d+) sent", _agent_log(spool)))


def _explainer(receiver: Receiver, spool: Path) -> Callable[[], str]:
    def explain() -> str:
        tail = "\n".join(_agent_log(spool).splitlines()[-30:])
        return (
            f"accepted: {dict(_accepted_keys(receiver))}\nattempts: {receiver.attempts}\n"
            f"spool: {_leftovers(spool)}\n----- agent.log -----\n{tail}"
        )

    return explain


# --- the run and what must hold after it ------------------------------------------------------


def _run_dag_in_agent_mode(
    run_dag: Callable[..., DagRun], env: dict[str, str] | None = None, **secoda_options: str
) -> list[str]:
    """One ``airflow dags test`` run, delivered by the agent; the ids its task logs name."""
    options = {"delivery": "agent", "agent_idle_timeout": str(AGENT_IDLE_TIMEOUT), **secoda_options}
    result = run_dag(DAG_ID, env=env, **options)
    assert result.returncode == 0, result.output[-3000:]
    ended = [line for line in result.output.splitlines() if _TASK_END_LINE.search(line)]
    # Each task's end hands its events to the agent: no task process sends, or waits, itself.
    assert len(ended) == 2 and all(AGENT_DELIVERS in line for line in ended), "\n".join(ended)
    return [match.group(2) for line in ended if (match := _TASK_END_LINE.search(line))]


def _still_spooled(spool: Path) -> dict[str, Key]:
    """Every event of the run, all still in the spool; event_id -> key.

    Polled, as a record may be moving between new/ and cur/ while we look; only a
    delivery removes one, so polling cannot hide a loss.
    """

    def complete() -> dict[str, Key]:
        found = _spooled(spool)
        return found if collections.Counter(found.values()) == EXPECTED else {}

    return wait_for(
        "every event of the run in the spool", complete, SETUP_DEADLINE, 0.05, lambda: str(_leftovers(spool))
    )


def _delivered_once_and_agent_gone(
    receiver: Receiver, spool: Path, logged_ids: list[str], expected_ids: set[str] | None = None
) -> None:
    """Everything arrives by itself, each event once; then the agent leaves, idle."""
    explain = _explainer(receiver, spool)
    wait_for(
        "every event of the run to be accepted",
        lambda: set(_accepted_keys(receiver)) >= set(EXPECTED),
        DELIVERY_DEADLINE,
        0.1,
        explain,
    )
    wait_for("the idle agent to exit", lambda: not agent_running(spool), AGENT_IDLE_TIMEOUT + 60, 0.1, explain)
    # Read again once the agent is gone: a late second send of anything would be here now.
    accepted = _accepted(receiver)
    ids = collections.Counter(r["event_id"] for r in accepted)
    assert all(n == 1 for n in ids.values()), f"accepted more than once: {ids}\n{explain()}"
    assert collections.Counter(_key(r["body"]) for r in accepted) == EXPECTED, explain()
    assert set(logged_ids) <= set(ids), explain()
    if expected_ids is not None:
        assert set(ids) == expected_ids, explain()
    assert all(r["body"]["event_id"] == r["event_id"] for r in accepted)
    # Sent by the agent, all of it: no Airflow process delivered (or waited on) anything itself.
    assert _agent_sent(spool) == len(accepted), explain()
    assert "idle for" in _agent_log(spool), explain()  # it left by itself
    assert _leftovers(spool) == {}, explain()  # nothing waiting, nothing rejected


# --- Secoda's behaviours ------------------------------------------------------------------------


def test_secoda_100ms_away(run_dag, receiver, tmp_path):
    receiver.latency = 0.1
    logged = _run_dag_in_agent_mode(run_dag)
    _delivered_once_and_agent_gone(receiver, tmp_path / "spool", logged)


def test_secoda_100ms_away_over_tls(run_dag, receiver, tmp_path):
    with Receiver(tmp_path / "tls.jsonl", api_key=API_KEY, latency=0.1, tls=True) as secure:
        assert secure.ca_path is not None
        env = {
            "AIRFLOW_CONN_SECODA_DEFAULT": secoda_connection(secure.url, API_KEY),
            # What the transport trusts; the agent inherits the environment of the hook that starts it.
            "REQUESTS_CA_BUNDLE": str(secure.ca_path),
        }
        logged = _run_dag_in_agent_mode(run_dag, env=env)
        _delivered_once_and_agent_gone(secure, tmp_path / "spool", logged)
    assert receiver.received() == []


def test_secoda_answering_in_1_5s(run_dag, receiver, tmp_path):
    receiver.latency = 1.5
    logged = _run_dag_in_agent_mode(run_dag)
    # Sent one after the other, the five events take Secoda at least 4 x 1.5 s + 0.75 s to
    # accept after the first is sent, which is after the run's first hook started the agent:
    # a run that had waited on Secoda could not have returned before all of them were in.
    assert sum(_accepted_keys(receiver).values()) < sum(EXPECTED.values())
    _delivered_once_and_agent_gone(receiver, tmp_path / "spool", logged)


def test_hanging_secoda_then_answering_again(run_dag, receiver, tmp_path):
    spool = tmp_path / "spool"
    receiver.add_fault(delay=HANG_SECONDS, reset=True, times=100_000)
    # The agent gives up on a request after request_timeout: 3 s here, not 10, to keep the test short.
    logged = _run_dag_in_agent_mode(run_dag, request_timeout="3")
    # The run is over while Secoda holds every request it gets: nothing can have arrived.
    assert _accepted(receiver) == []
    waiting = _still_spooled(spool)
    wait_for(
        "a request held by Secoda", lambda: receiver.attempts >= 1, SETUP_DEADLINE, 0.1, _explainer(receiver, spool)
    )
    assert _accepted(receiver) == []
    # Secoda answers again, except the requests it holds already: the agent has to give up on
    # one (at its request_timeout) and send again.
    receiver.clear_faults()
    _delivered_once_and_agent_gone(receiver, spool, logged, set(waiting))
    assert receiver.attempts > sum(EXPECTED.values())  # at least one request was never answered


def test_429_storm_then_normal(run_dag, receiver, tmp_path):
    spool = tmp_path / "spool"
    receiver.add_fault(status=429, retry_after=1, times=100_000)
    logged = _run_dag_in_agent_mode(run_dag)
    assert _accepted(receiver) == []
    waiting = _still_spooled(spool)
    wait_for(
        f"{STORM_ANSWERS} answers of 429",
        lambda: receiver.attempts >= STORM_ANSWERS,
        SETUP_DEADLINE,
        0.1,
        _explainer(receiver, spool),
    )
    assert _accepted(receiver) == []
    receiver.clear_faults()  # the storm is over
    _delivered_once_and_agent_gone(receiver, spool, logged, set(waiting))
    assert receiver.attempts >= STORM_ANSWERS + sum(EXPECTED.values())


def _unused_port() -> int:
    """A free port below the ephemeral range: no outgoing connection takes it while Secoda is down."""
    for _ in range(100):
        port = random.randint(20000, 32000)
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port")


def test_secoda_down_then_up(run_dag, receiver, tmp_path):
    spool = tmp_path / "spool"
    port = _unused_port()
    url = f"http://127.0.0.1:{port}/api/v1/"
    logged = _run_dag_in_agent_mode(run_dag, env={"AIRFLOW_CONN_SECODA_DEFAULT": secoda_connection(url, API_KEY)})
    waiting = _still_spooled(spool)
    # The agent tried, found nobody listening, and backs off (shared through the spool) and
    # tries again: down for a few of its tries.
    wait_for(
        f"the agent to be refused {REFUSALS} times",
        lambda: any(e.failures >= REFUSALS for e in SharedBackoff(spool / BACKOFF_FILE).entries().values()),
        SETUP_DEADLINE,
        0.1,
        lambda: f"spool: {_leftovers(spool)}\n{_agent_log(spool)[-3000:]}",
    )
    assert _still_spooled(spool) == waiting
    with Receiver(tmp_path / "up.jsonl", api_key=API_KEY, port=port) as secoda:  # up again, same port
        _delivered_once_and_agent_gone(secoda, spool, logged, set(waiting))
    assert receiver.received() == []
