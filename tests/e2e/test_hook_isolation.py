"""No exception may leave a secoda-listener hook.

On Airflow 2.10 an exception in ``on_task_instance_running`` fails the user's
task, and on every version pluggy skips the listeners after the one that
raised. A test plugin injects a bug into secoda-listener and registers a
second listener; the task must still succeed and the second listener must
still hear every hook.
"""

from __future__ import annotations

from pathlib import Path

from tests.support.airflow_home import REPO


def test_a_bug_inside_the_plugin_neither_fails_the_task_nor_silences_other_listeners(run_dag, receiver, tmp_path: Path):
    probe = tmp_path / "probe.txt"
    result = run_dag(
        "secoda_e2e_success",
        env={
            "AIRFLOW__CORE__PLUGINS_FOLDER": str(REPO / "tests" / "probe_plugins"),
            "SECODA_PROBE_BREAK": "1",
            "SECODA_PROBE_FILE": str(probe),
        },
    )
    assert result.returncode == 0, result.output[-3000:]
    heard = probe.read_text().split()
    assert heard.count("running:say_hello") == 1
    assert "success:say_hello" in heard and "success:sleep_a_bit" in heard
    assert "dag_success:secoda_e2e_success" in heard
    assert not any(line.startswith("failed:") for line in heard)
    # The injected bug was reported, once per hook, not raised.
    assert "injected bug in secoda-listener" in result.output
    assert receiver.received() == []
