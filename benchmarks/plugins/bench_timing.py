"""Benchmark-only Airflow plugin: two listeners that timestamp every task hook.

Loaded from the plugins folder by benchmarks/bench_dag_overhead.py. When
``BENCH_TIMING_FILE`` is set it appends one line per hook call,
``<monotonic seconds> <hook>:<first|last> <task_id or component> <pid>``.
The ``first`` listener runs before every other listener of a hook
(``tryfirst``), the ``last`` one after them (``trylast``), so:

* ``last - first`` of one hook call is the time the other listeners
  (secoda-listener, OpenLineage) spent in it;
* task i's span, from its ``running:first`` stamp to task i+1's, holds all of
  task i, its listeners' hooks and end-of-task flush included.

An ``exit`` line is written at interpreter exit. The plugin costs the same in
every configuration measured.
"""

from __future__ import annotations

import atexit
import os
import time

from airflow.listeners import hookimpl
from airflow.plugins_manager import AirflowPlugin

_PATH = os.environ.get("BENCH_TIMING_FILE")


def _stamp(hook: str, name: str) -> None:
    now = time.monotonic()
    with open(_PATH, "a", encoding="utf-8") as handle:  # type: ignore[arg-type]
        handle.write(f"{now:.6f} {hook} {name} {os.getpid()}\n")


class _First:
    @hookimpl(tryfirst=True)
    def on_task_instance_running(self, previous_state, task_instance):
        _stamp("running:first", task_instance.task_id)

    @hookimpl(tryfirst=True)
    def on_task_instance_success(self, previous_state, task_instance):
        _stamp("success:first", task_instance.task_id)

    @hookimpl(tryfirst=True)
    def on_task_instance_failed(self, previous_state, task_instance, error):
        _stamp("failed:first", task_instance.task_id)

    @hookimpl(tryfirst=True)
    def before_stopping(self, component):
        _stamp("stopping:first", type(component).__name__)


class _Last:
    @hookimpl(trylast=True)
    def on_task_instance_running(self, previous_state, task_instance):
        _stamp("running:last", task_instance.task_id)

    @hookimpl(trylast=True)
    def on_task_instance_success(self, previous_state, task_instance):
        _stamp("success:last", task_instance.task_id)

    @hookimpl(trylast=True)
    def on_task_instance_failed(self, previous_state, task_instance, error):
        _stamp("failed:last", task_instance.task_id)

    @hookimpl(trylast=True)
    def before_stopping(self, component):
        _stamp("stopping:last", type(component).__name__)


if _PATH:
    # Registered at import, so it runs after the exit handlers listeners register later.
    atexit.register(_stamp, "exit", "-")


class BenchTimingPlugin(AirflowPlugin):
    name = "bench_timing"
    listeners = [_First(), _Last()] if _PATH else []
