"""The listener's hooks, called as Airflow calls them, with events delivered to the receiver.

The task instances here are stand-ins shaped like Airflow 3's ``RuntimeTaskInstance``
(real operators in a real DAG, the DAG run from the template context); the e2e suite
runs the same hooks inside real Airflow processes.
"""

from __future__ import annotations

import ast
import contextlib
import datetime as dt
import json
import logging
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from secoda_listener import conf, forks
from secoda_listener.capture.listener import listener
from tests.conftest import API_KEY
from tests.support.airflow_home import secoda_connection

try:  # Airflow 3
    from airflow.sdk import DAG
except ImportError:  # Airflow 2
    from airflow import DAG
try:
    from airflow.providers.standard.operators.bash import BashOperator
except ImportError:  # Airflow 2 without the standard provider's bash module
    from airflow.operators.bash import BashOperator  # type: ignore[import-not-found,no-redef]

START = dt.datetime(2024, 1, 1, tzinfo=dt.timezone.utc)
REPO = Path(__file__).resolve().parents[2]


class FakeDagRun:
    def __init__(self, dag: Any, state: str = "running") -> None:
        self.dag = dag
        self.dag_id = dag.dag_id
        self.run_id = "manual__2024-01-01T00:00:00+00:00"
        self.logical_date = START
        self.run_type = "manual"
        self.state = state
        self.start_date = START
        self.end_date = None


class FakeTaskInstance:
    """What the hooks read of an Airflow 3 RuntimeTaskInstance."""

    def __init__(self, task: Any, dag_run: FakeDagRun, try_number: int = 1) -> None:
        self.task = task
        self.task_id = task.task_id
        self.dag_id = task.dag.dag_id
        self.run_id = dag_run.run_id
        self.map_index = -1
        self.try_number = try_number
        self.max_tries = 0
        self.start_date = START
        self.end_date = None
        self.hostname = "worker-1"
        self._dag_run = dag_run

    def get_template_context(self) -> dict[str, Any]:
        return {"dag_run": self._dag_run}


def _task(dag_id: str, tags: tuple[str, ...] = ()) -> Any:
    dag = DAG(dag_id, start_date=START, schedule=None, tags=list(tags))
    return BashOperator(task_id="say", bash_command="echo hi", dag=dag)


@pytest.fixture
def configured(monkeypatch: pytest.MonkeyPatch, receiver: Any, tmp_path: Path) -> Path:
    monkeypatch.setenv("AIRFLOW_CONN_SECODA_DEFAULT", secoda_connection(receiver.url, API_KEY))
    spool = tmp_path / "spool"
    monkeypatch.setenv("AIRFLOW__SECODA__SPOOL_DIR", str(spool))
    # These tests read what arrived right after the hooks: the task delivers itself.
    # The agent's own tests are below (agent_configured).
    monkeypatch.setenv("AIRFLOW__SECODA__DELIVERY", "inline")
    conf.reload()
    forks.start_afresh()  # this test's spool and connection, not the last test's outbox and cache
    yield spool
    conf.reload()
    forks.start_afresh()


def _bodies(receiver: Any) -> list[dict[str, Any]]:
    return [record["body"] for record in receiver.received()]


def _wait_for(predicate: Any, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.02)


def _spooled(spool: Path) -> list[Path]:
    return sorted((spool / "new").glob("*.json")) if (spool / "new").is_dir() else []


def test_a_task_reports_running_then_success_with_its_fields(configured: Path, receiver: Any) -> None:
    task = _task("listener_success", tags=("team:data",))
    ti = FakeTaskInstance(task, FakeDagRun(task.dag))
    listener.on_task_instance_running(previous_state=None, task_instance=ti)
    listener.on_task_instance_success(previous_state=None, task_instance=ti)

    bodies = _bodies(receiver)
    assert [b["event_type"] for b in bodies] == ["task_running", "task_success"]
    running, success = bodies
    assert running["event_id"] != success["event_id"]
    assert success["task_instance"]["task_id"] == "say"
    assert success["task_instance"]["dag_id"] == "listener_success"
    assert success["task_instance"]["state"] == "success"
    assert success["task_instance"]["operator"].endswith(".BashOperator")
    assert success["task_instance"]["source_code"] == "echo hi"
    assert success["dag"]["tags"] == ["team:data"]
    assert success["dag_run"]["run_id"] == ti.run_id
    assert "error" not in success["task_instance"]
    assert _spooled(configured) == []  # delivered, so nothing left waiting


def test_a_failed_task_carries_its_error(configured: Path, receiver: Any) -> None:
    task = _task("listener_failure")
    ti = FakeTaskInstance(task, FakeDagRun(task.dag))
    listener.on_task_instance_failed(previous_state=None, task_instance=ti, error=ValueError("bad row 7"))

    (failed,) = _bodies(receiver)
    assert failed["event_type"] == "task_failed"
    assert failed["task_instance"]["error"] == "ValueError: bad row 7"


def test_an_opted_out_dag_writes_and_sends_nothing(configured: Path, receiver: Any) -> None:
    task = _task("listener_quiet", tags=("secoda:disabled",))
    ti = FakeTaskInstance(task, FakeDagRun(task.dag))
    listener.on_task_instance_running(previous_state=None, task_instance=ti)
    listener.on_task_instance_success(previous_state=None, task_instance=ti)

    assert receiver.received() == []
    assert not configured.exists()  # not even the spool directory was made


def test_disabled_plugin_does_nothing(configured: Path, receiver: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AIRFLOW__SECODA__ENABLED", "False")
    task = _task("listener_off")
    listener.on_task_instance_success(previous_state=None, task_instance=FakeTaskInstance(task, FakeDagRun(task.dag)))

    assert receiver.received() == []
    assert not configured.exists()


class Exploding:
    """A task instance whose every attribute read raises."""

    def __getattr__(self, name: str) -> Any:
        raise RuntimeError(f"cannot read {name}")


def test_nothing_escapes_a_hook_and_the_warning_is_said_once(
    configured: Path, receiver: Any, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="secoda_listener.capture.listener"):
        for _ in range(3):
            assert listener.on_task_instance_running(previous_state=None, task_instance=Exploding()) is None
    warnings = [r for r in caplog.records if "on_task_instance_running failed" in r.getMessage()]
    assert len(warnings) == 1
    assert "the task is not affected" in warnings[0].getMessage()


def test_a_dag_run_event_is_delivered_off_the_callers_thread(configured: Path, receiver: Any) -> None:
    task = _task("listener_dag_run")
    listener.on_dag_run_success(dag_run=FakeDagRun(task.dag, state="success"), msg="")

    _wait_for(lambda: len(receiver.received()) == 1)
    (body,) = _bodies(receiver)
    assert body["event_type"] == "dag_run_success"
    assert body["dag_run"]["state"] == "success"
    assert "task_instance" not in body and "lineage" not in body


def test_a_final_dag_run_event_lists_the_task_instances_read_off_the_hook(
    configured: Path, receiver: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from secoda_listener.capture import run_tasks
    from secoda_listener.event.model import RunTaskInstance

    hook_thread = threading.get_ident()
    read_from: list[int] = []

    def read(dag_id: str, run_id: str, limit: int) -> run_tasks.RunTasks:
        read_from.append(threading.get_ident())
        assert (dag_id, limit) == ("listener_run_tasks", 2)
        listed = (
            RunTaskInstance("say", -1, 1, "success", "s", "e"),
            RunTaskInstance("other", -1, 2, "failed", None, "e"),
        )
        return run_tasks.RunTasks(listed, total=5)

    monkeypatch.setattr(run_tasks, "pending_reads", run_tasks.PendingReads(read=read))
    monkeypatch.setenv("AIRFLOW__SECODA__DAG_RUN_MAX_TASK_INSTANCES", "2")
    conf.reload()
    task = _task("listener_run_tasks")
    listener.on_dag_run_running(dag_run=FakeDagRun(task.dag), msg="")
    listener.on_dag_run_failed(dag_run=FakeDagRun(task.dag, state="failed"), msg="")

    _wait_for(lambda: len(receiver.received()) == 2)
    running, failed = sorted(_bodies(receiver), key=lambda b: b["event_type"] != "dag_run_running")
    assert "task_instances" not in running["dag_run"]  # only the final word lists them
    assert failed["dag_run"]["task_instances"] == [
        {"task_id": "say", "map_index": -1, "try_number": 1, "state": "success", "start_date": "s", "end_date": "e"},
        {"task_id": "other", "map_index": -1, "try_number": 2, "state": "failed", "start_date": None, "end_date": "e"},
    ]
    assert failed["dag_run"]["task_instances_total"] == 5
    assert read_from and hook_thread not in read_from  # read off the hook's thread


class ServerStates:
    """A stand-in's ``get_task_states``: what the API server says of each try, and who asked."""

    def __init__(self, states: dict[str, str]) -> None:
        self.states = states
        self.asked: list[dict[str, Any]] = []

    def __call__(self, **query: Any) -> dict[str, dict[str, str]]:
        self.asked.append(query)
        return {run_id: dict(self.states) for run_id in query["run_ids"]}


@pytest.mark.parametrize(
    ("on_server", "reported"),
    [("success", False), ("skipped", False), ("failed", True), ("up_for_retry", True), (None, True)],
)
def test_a_failure_the_server_contradicts_is_not_reported(
    configured: Path, receiver: Any, on_server: str | None, reported: bool
) -> None:
    """A running try marked success through the API: the supervisor terminates the process,
    whose failure is an echo of that change. The server's state is the truth (issue 10)."""
    server = ServerStates({} if on_server is None else {"say": on_server})

    class RuntimeTaskInstance(FakeTaskInstance):
        get_task_states = staticmethod(server)

    task = _task("listener_external")
    ti = RuntimeTaskInstance(task, FakeDagRun(task.dag))
    listener.on_task_instance_failed(previous_state=None, task_instance=ti, error=RuntimeError("terminated"))
    listener.before_stopping(component=None)

    assert server.asked == [
        {"dag_id": "listener_external", "map_index": -1, "task_ids": ["say"], "run_ids": [ti.run_id]}
    ]
    assert [b["event_type"] for b in _bodies(receiver)] == (["task_failed"] if reported else [])


def test_a_failure_is_reported_when_the_server_cannot_be_asked(configured: Path, receiver: Any) -> None:
    def unreachable(**query: Any) -> dict[str, Any]:
        raise ConnectionError("supervisor went away")

    class RuntimeTaskInstance(FakeTaskInstance):
        get_task_states = staticmethod(unreachable)

    task = _task("listener_external_unknown")
    listener.on_task_instance_failed(
        previous_state=None, task_instance=RuntimeTaskInstance(task, FakeDagRun(task.dag)), error=ValueError("x")
    )
    assert [b["event_type"] for b in _bodies(receiver)] == ["task_failed"]


def test_before_stopping_delivers_what_a_running_hook_left(configured: Path, receiver: Any) -> None:
    task = _task("listener_stop")
    listener.on_task_instance_running(previous_state=None, task_instance=FakeTaskInstance(task, FakeDagRun(task.dag)))
    assert len(_spooled(configured)) == 1  # the running hook only writes

    listener.before_stopping(component=None)
    assert [b["event_type"] for b in _bodies(receiver)] == ["task_running"]
    assert _spooled(configured) == []


@pytest.fixture
def agent_configured(configured: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("AIRFLOW__SECODA__DELIVERY", "agent")
    monkeypatch.setenv("AIRFLOW__SECODA__AGENT_IDLE_TIMEOUT", "3")  # the agent must not outlive the test
    conf.reload()

    def no_network_here(*args: Any, **kwargs: Any) -> int:
        raise AssertionError("a hook sent a request from the caller's process")

    # The agent is another process, which this does not reach: only the hooks' own sends would fail.
    from secoda_listener.delivery.transport import Transport

    monkeypatch.setattr(Transport, "post", no_network_here)
    yield configured
    # An agent still retrying (its test failed, or it had not finished) must not outlive the
    # test: once the receiver is gone it would retry for as long as its events wait.
    from secoda_listener.delivery.agent import agent_running, agent_state

    if agent_running(configured):
        pid = agent_state(configured).get("pid")
        if isinstance(pid, int):
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGTERM)


def test_with_the_agent_hooks_only_write_and_the_agent_delivers(agent_configured: Path, receiver: Any) -> None:
    task = _task("listener_agent")
    ti = FakeTaskInstance(task, FakeDagRun(task.dag))
    listener.on_task_instance_running(previous_state=None, task_instance=ti)
    listener.on_task_instance_success(previous_state=None, task_instance=ti)
    listener.on_dag_run_success(dag_run=FakeDagRun(task.dag, state="success"), msg="")
    listener.before_stopping(component=None)

    _wait_for(lambda: len(receiver.received()) == 3, timeout=60)
    assert sorted(b["event_type"] for b in _bodies(receiver)) == ["dag_run_success", "task_running", "task_success"]
    _wait_for(lambda: _spooled(agent_configured) == [])
    state = json.loads((agent_configured / "agent.json").read_text())
    assert state["pid"] != os.getpid()


def test_a_failed_try_with_retries_left_says_up_for_retry(configured: Path, receiver: Any) -> None:
    task = _task("listener_retry")
    ti = FakeTaskInstance(task, FakeDagRun(task.dag))
    ti.state = "up_for_retry"  # what Airflow set before calling the hook
    ti.max_tries = 1
    listener.on_task_instance_failed(previous_state=None, task_instance=ti, error=ValueError("flaky"))
    ti.try_number, ti.state = 2, "failed"
    listener.on_task_instance_failed(previous_state=None, task_instance=ti, error=ValueError("flaky"))

    first, last = _bodies(receiver)
    assert (first["task_instance"]["state"], first["task_instance"]["try_number"]) == ("up_for_retry", 1)
    assert (last["task_instance"]["state"], last["task_instance"]["try_number"]) == ("failed", 2)
    assert first["event_type"] == last["event_type"] == "task_failed"
    assert first["event_id"] != last["event_id"]  # two tries, two events


def test_a_resumed_deferrable_does_not_say_running_twice(configured: Path, receiver: Any) -> None:
    task = _task("listener_deferred")
    ti = FakeTaskInstance(task, FakeDagRun(task.dag))
    listener.on_task_instance_running(previous_state=None, task_instance=ti)
    ti.next_method = "execute_complete"  # back from the triggerer, same try
    listener.on_task_instance_running(previous_state="deferred", task_instance=ti)
    listener.on_task_instance_success(previous_state=None, task_instance=ti)

    assert [b["event_type"] for b in _bodies(receiver)] == ["task_running", "task_success"]


def test_a_task_that_skips_itself_reports_task_skipped_without_lineage(configured: Path, receiver: Any) -> None:
    from airflow.listeners.listener import get_listener_manager

    if not hasattr(get_listener_manager().hook, "on_task_instance_skipped"):
        # Airflow 2.10 calls no listener for a skip, so there is nothing to implement.
        assert not hasattr(listener, "on_task_instance_skipped")
        return
    task = _task("listener_skipped")
    ti = FakeTaskInstance(task, FakeDagRun(task.dag))
    listener.on_task_instance_skipped(previous_state=None, task_instance=ti)

    (body,) = _bodies(receiver)
    assert body["event_type"] == "task_skipped"
    assert body["task_instance"]["state"] == "skipped"
    assert body["lineage"] == {"inputs": [], "outputs": [], "errors": []}


def test_the_skipped_hook_is_registered_exactly_where_airflow_has_it() -> None:
    from airflow.listeners.listener import get_listener_manager

    manager = get_listener_manager()
    has_spec = hasattr(manager.hook, "on_task_instance_skipped")
    assert hasattr(listener, "on_task_instance_skipped") == has_spec


#: What a task process must not import when the agent delivers: the sending half
#: (requests and our transport) and, for a command that runs no SQL client, the SQL reader.
_DELIVERY_ONLY = ("requests", "urllib3", "secoda_listener.delivery.transport", "secoda_listener.delivery.sender")


def test_with_the_agent_a_task_process_never_imports_the_sending_half(agent_configured: Path, receiver: Any) -> None:
    """Issue 11's start-of-task cost: these imports were most of the first hook's time."""
    child = textwrap.dedent(
        """
        import sys
        from tests.capture.test_listener import FakeDagRun, FakeTaskInstance, _task
        from secoda_listener.capture.listener import listener

        def ours():
            return sorted(m for m in sys.modules if m.split(".")[0] in ("requests", "urllib3", "secoda_listener"))

        before = ours()  # Airflow 2.10 imports requests itself: only what the hooks add counts
        task = _task("listener_light")
        ti = FakeTaskInstance(task, FakeDagRun(task.dag))
        listener.on_task_instance_running(previous_state=None, task_instance=ti)
        listener.on_task_instance_success(previous_state=None, task_instance=ti)
        listener.before_stopping(component=None)
        print(sorted(set(ours()) - set(before)))
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", child], cwd=REPO, env=os.environ.copy(), capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr[-3000:]
    imported = set(ast.literal_eval(done.stdout.strip().splitlines()[-1]))  # by the hooks
    assert "secoda_listener.delivery.spool" in imported  # the probe saw the hooks' own imports
    assert imported.isdisjoint(_DELIVERY_ONLY), sorted(imported & set(_DELIVERY_ONLY))
    assert not any(m == "secoda_listener.sql" or m.startswith("secoda_listener.sql.") for m in imported)
    # And the agent delivered both (new/ alone would look empty while it holds them in cur/).
    _wait_for(lambda: len(receiver.received()) == 2, timeout=60)


def test_an_airflow_job_starting_imports_the_task_path_for_the_processes_it_forks() -> None:
    """The scheduler's LocalExecutor forks workers, which fork each task's process: what the
    scheduler imported at its start, no task process imports again at its first hook."""
    child = textwrap.dedent(
        """
        import sys
        from airflow.jobs.job import Job
        from secoda_listener.capture.listener import listener

        path = ("secoda_listener.delivery.process", "secoda_listener.event.redact", "secoda_listener.extractors.bash")
        listener.on_starting(component=object())  # not a job: nothing
        before = [m for m in path if m in sys.modules]
        listener.on_starting(component=Job())
        after = [m for m in path if m in sys.modules]
        from secoda_listener.extractors import registry
        assert registry._discovered is not None  # entry points read: forks do not scan again
        print(before, after, "requests" in sys.modules and "secoda_listener.delivery.transport" in sys.modules)
        """
    )
    done = subprocess.run([sys.executable, "-c", child], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    # Before: none of it; after: all of it; the sending half (requests, transport) still not.
    assert done.stdout.strip().splitlines()[-1] == (
        "[] ['secoda_listener.delivery.process', 'secoda_listener.event.redact', "
        "'secoda_listener.extractors.bash'] False"
    )
