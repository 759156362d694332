"""A test-only Airflow plugin (loaded from the plugins folder, not an entry point).

When ``SECODA_PROBE_BREAK=1`` it breaks secoda-listener from the inside
(``Event.to_body`` raises, as a bug would) and registers a second listener
that records every hook it receives in ``SECODA_PROBE_FILE``. The test then
checks that the user's task still succeeded and that pluggy still called the
other listener: no exception escaped secoda-listener's hooks.
"""

from __future__ import annotations

import os

from airflow.listeners import hookimpl
from airflow.plugins_manager import AirflowPlugin


def _record(name: str) -> None:
    with open(os.environ["SECODA_PROBE_FILE"], "a") as handle:
        handle.write(name + "\n")


class ProbeListener:
    @hookimpl
    def on_task_instance_running(self, previous_state, task_instance):
        _record(f"running:{task_instance.task_id}")

    @hookimpl
    def on_task_instance_success(self, previous_state, task_instance):
        _record(f"success:{task_instance.task_id}")

    @hookimpl
    def on_task_instance_failed(self, previous_state, task_instance, error):
        _record(f"failed:{task_instance.task_id}")

    @hookimpl
    def on_dag_run_success(self, dag_run, msg):
        _record(f"dag_success:{dag_run.dag_id}")


def _break_secoda_listener() -> None:
    from secoda_listener.event import model as event

    def broken(self):
        raise RuntimeError("injected bug in secoda-listener")

    event.Event.to_body = broken


if os.environ.get("SECODA_PROBE_BREAK") == "1":
    _break_secoda_listener()


class ProbePlugin(AirflowPlugin):
    name = "secoda_probe"
    listeners = [ProbeListener()] if os.environ.get("SECODA_PROBE_FILE") else []
