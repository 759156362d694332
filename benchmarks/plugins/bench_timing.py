"""Benchmark-only Airflow plugin: two listeners that timestamp every task hook.

Loaded from the plugins folder by benchmarks/bench_dag_overhead.py. When
``BENCH_TIMING_FILE`` is set it appends one line per hook call,
``<monotonic seconds> <hook>:<first|last> <dag_id/run_id/task_id or component> <pid>``
(loaded by benchmarks/bench_scheduler.py too, where the task processes of
several DAG runs write to one file).
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


def _name(ti) -> str:
    return "/".join(str(part).replace(" ", "_") for part in (ti.dag_id, ti.run_id, ti.task_id))


def _stamp(hook: str, name: str) -> None:
    now = time.monotonic()
    with open(_PATH, "a", encoding="utf-8") as handle:  # type: ignore[arg-type]
        handle.write(f"{now:.6f} {hook} {name} {os.getpid()}\n")


class _First:
    @hookimpl(tryfirst=True)
    def on_task_instance_running(self, previous_state, task_instance):
        _stamp("running:first", _name(task_instance))

    @hookimpl(tryfirst=True)
    def on_task_instance_success(self, previous_state, task_instance):
        _stamp("success:first", _name(task_instance))

    @hookimpl(tryfirst=True)
    def on_task_instance_failed(self, previous_state, task_instance, error):
        _stamp("failed:first", _name(task_instance))

    @hookimpl(tryfirst=True)
    def before_stopping(self, component):
        _stamp("stopping:first", type(component).__name__)


class _Last:
    @hookimpl(trylast=True)
    def on_task_instance_running(self, previous_state, task_instance):
        _stamp("running:last", _name(task_instance))

    @hookimpl(trylast=True)
    def on_task_instance_success(self, previous_state, task_instance):
        _stamp("success:last", _name(task_instance))

    @hookimpl(trylast=True)
    def on_task_instance_failed(self, previous_state, task_instance, error):
        _stamp("failed:last", _name(task_instance))

    @hookimpl(trylast=True)
    def before_stopping(self, component):
        _stamp("stopping:last", type(component).__name__)


if _PATH:
    # Registered at import, so it runs after the exit handlers listeners register later.
    atexit.register(_stamp, "exit", "-")


class BenchTimingPlugin(AirflowPlugin):
    name = "bench_timing"
    listeners = [_First(), _Last()] if _PATH else []
