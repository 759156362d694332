"""KubernetesExecutor's ephemeral pods: the pod's filesystem goes away with the pod.

A task process that runs with ``AIRFLOW_IS_K8S_EXECUTOR_POD`` set (as every
KubernetesExecutor worker pod does) delivers what it spooled before it exits,
whatever ``[secoda] delivery`` says, and starts no delivery agent: an agent
would die with the pod and its spool. The test deletes the spool the moment the
process has exited, as the pod's end would, and checks that nothing was lost.

The task process here is a Python process that calls the plugin's hooks as
Airflow 3's task runner does (running, success, ``before_stopping``, then
``os._exit``) for a real BashOperator of a real DAG. Not ``airflow dags test``:
with the variable set, Airflow itself (2.10 and 3.3, in-process) renders a pod
spec for the task's rendered fields and needs the cncf.kubernetes provider and
its Kubernetes client, which this suite does not install.
"""

from __future__ import annotations

import collections
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

from tests.conftest import API_KEY
from tests.support.airflow_home import secoda_connection

REPO = Path(__file__).resolve().parents[2]

TASK_PROCESS = textwrap.dedent(
    """
    import os
    from tests.capture.test_listener import FakeDagRun, FakeTaskInstance, _task
    from secoda_listener.capture.listener import listener

    task = _task("secoda_pod_dag")
    ti = FakeTaskInstance(task, FakeDagRun(task.dag))
    listener.on_task_instance_running(previous_state=None, task_instance=ti)
    listener.on_task_instance_success(previous_state=None, task_instance=ti)
    listener.before_stopping(component=None)
    os._exit(0)  # as Airflow 3's task runner ends: no atexit handler runs
    """
)


def test_a_pod_delivers_everything_before_it_exits_and_starts_no_agent(receiver, tmp_path: Path) -> None:
    spool = tmp_path / "spool"
    env = {
        **os.environ,
        "AIRFLOW_IS_K8S_EXECUTOR_POD": "True",
        "AIRFLOW_CONN_SECODA_DEFAULT": secoda_connection(receiver.url, API_KEY),
        "AIRFLOW__SECODA__SPOOL_DIR": str(spool),
        "AIRFLOW__SECODA__DELIVERY": "agent",  # what the deployment says; the pod overrides it
    }
    done = subprocess.run(
        [sys.executable, "-c", TASK_PROCESS], cwd=REPO, env=env, capture_output=True, text=True, timeout=120
    )
    left_behind = sorted(p.name for sub in ("new", "cur") if (spool / sub).is_dir() for p in (spool / sub).iterdir())
    agent_state_written = (spool / "agent.json").exists()
    shutil.rmtree(spool, ignore_errors=True)  # the pod is gone, and its disk with it
    assert done.returncode == 0, done.stderr[-3000:]

    assert left_behind == []  # nothing waits for a later flush that would never come
    assert not agent_state_written  # no agent was started inside the pod
    accepted = [r for r in receiver.received() if r["status"] == 200]
    assert sorted(r["body"]["event_type"] for r in accepted) == ["task_running", "task_success"]
    assert set(collections.Counter(r["event_id"] for r in accepted).values()) == {1}  # each once
