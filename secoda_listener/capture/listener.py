"""The pluggy listener: Airflow calls these hooks; each one turns into an event.

Every hook body runs inside :func:`_guarded`: on Airflow 2.10 an exception
escaping ``on_task_instance_running`` fails the user's task, and on every
version pluggy skips the other listeners of that hook. Nothing escapes here.

The hook path is short and local: selection (cheap, first), lineage from the
extractors (bounded), event, redaction, a durable write to the spool, and the
hand-off to the spool's delivery agent. No hook touches the network; only with
``[secoda] delivery = inline`` (and in KubernetesExecutor pods) does a task
send what it spooled at its end, within one bounded flush.
"""

from __future__ import annotations

import functools
import logging
import sys
import threading
import time
from typing import TYPE_CHECKING, Any, Callable, TypeVar

import attrs
from airflow.listeners import hookimpl

from secoda_listener import conf
from secoda_listener.capture import airflow_objects as facts
from secoda_listener.capture.selection import dag_run_selected, dag_selected, operator_selected
from secoda_listener.event import model as ev
from secoda_listener.extractors.base import Phase
from secoda_listener.logs import warn_once

if TYPE_CHECKING:
    from secoda_listener.delivery.record import SpoolRecord

# The rest of the data path (extract, redact, delivery: requests, the SQL parser...)
# is imported on the first hook that reports, not when Airflow loads the plugin:
# every Airflow process loads plugins, few of them report anything.

log = logging.getLogger(__name__)

F = TypeVar("F", bound=Callable[..., Any])


def _guarded(hook: F) -> F:
    @functools.wraps(hook)
    def wrapper(*args: Any, **kwargs: Any) -> None:
        try:
            hook(*args, **kwargs)
        except BaseException as exc:  # noqa: BLE001 - nothing may reach Airflow or pluggy
            warn_once(
                log,
                ("hook", hook.__name__, type(exc).__name__),
                "%s failed and was skipped (the task is not affected): %s: %s",
                hook.__name__,
                type(exc).__name__,
                exc,
            )
        return None

    return wrapper  # type: ignore[return-value]


def _conn_id(dag: Any) -> str:
    """``params["secoda_conn_id"]`` of the DAG (as in the callback provider), else the config."""
    override = facts.dag_params(dag).get("secoda_conn_id")
    return str(override) if override else conf.conn_id()


def _record(event: ev.Event, conn_id: str) -> SpoolRecord:
    """The spooled record: the redacted body and the connection id, never the key."""
    from secoda_listener.delivery.record import Route, SpoolRecord
    from secoda_listener.event.redact import redact_event

    return SpoolRecord(
        event_id=event.event_id,
        conn_id=conn_id,
        route=Route.INGEST,
        created_at=time.time(),
        body=redact_event(event.to_body(), max_bytes=conf.max_event_bytes()),
    )


#: The extractor phase and the state each task event reports. A skipped task ran
#: none of its code: it reports no lineage (None: no extractor runs).
_TASK_PHASES: dict[str, tuple[Phase | None, str]] = {
    ev.TASK_RUNNING: (Phase.START, "running"),
    ev.TASK_SUCCESS: (Phase.COMPLETE, "success"),
    ev.TASK_FAILED: (Phase.FAILURE, "failed"),
    ev.TASK_SKIPPED: (None, "skipped"),
}

#: Airflow's state for a failed try that will be retried.
UP_FOR_RETRY = "up_for_retry"


def _has_airflow_hook(name: str) -> bool:
    """Does this Airflow's listener spec have hook ``name``? (Airflow 2.10 has no skipped hook.)"""
    for module in ("airflow._shared.listeners.spec.taskinstance", "airflow.listeners.spec.taskinstance"):
        try:
            spec = __import__(module, fromlist=[name])
        except ImportError:
            continue
        return hasattr(spec, name)
    return False


def _ended_otherwise_on_server(task_instance: Any) -> bool:
    """Was this failing try set to success/skipped from outside (its process then terminated)?

    The server-side state is the truth, and the API server reported it already.
    Unknown (Airflow 2.10, or the question failed) means no: the failure is reported.
    """
    try:
        on_server = facts.state_on_server(task_instance)
    except Exception as exc:  # noqa: BLE001 - an unanswered question never costs the event
        log.debug("secoda-listener: could not ask the server for the try's state: %s", exc)
        return False
    if on_server not in facts.SET_FROM_OUTSIDE:
        return False
    log.info(
        "secoda-listener: not reporting task_failed: Airflow has this try as %s, set while it ran; "
        "the failure is its process being terminated",
        on_server,
    )
    return True


def _report_task(task_instance: Any, event_type: str, error: Any = None) -> None:
    if not conf.enabled():
        return
    dag = facts.dag_of_task(task_instance)
    if not dag_selected(dag) or not operator_selected(getattr(task_instance, "task", None)):
        return
    from secoda_listener.delivery import process as delivery
    from secoda_listener.event.datasets import Lineage
    from secoda_listener.extractors.manager import TaskLineage, extractor_manager

    if event_type == ev.TASK_RUNNING and facts.is_resuming_from_deferral(task_instance):
        return  # this try already reported running when it started, before it deferred
    if event_type == ev.TASK_FAILED and _ended_otherwise_on_server(task_instance):
        return
    phase, state = _TASK_PHASES[event_type]
    if event_type == ev.TASK_FAILED and facts.state_of(task_instance) == UP_FOR_RETRY:
        state = UP_FOR_RETRY  # the try failed, the task did not: Airflow retries it
    task_lineage = extractor_manager.lineage_for(task_instance, phase) if phase is not None else TaskLineage(Lineage())
    event = ev.Event(
        event_type=event_type,
        dag=facts.dag_block(dag, getattr(task_instance, "dag_id", None)),
        dag_run=facts.dag_run_block(facts.dag_run_of_task(task_instance)),
        task_instance=facts.task_instance_block(
            task_instance, state, source_code=task_lineage.source_code, error=error
        ),
        lineage=task_lineage.lineage,
        asset_events=task_lineage.asset_events or None,
    )
    conn_id = _conn_id(dag)
    placed = delivery.put(_record(event, conn_id))
    if event_type == ev.TASK_RUNNING:
        handed = delivery.hand_off(delivery.Moment.TASK_STARTED, conn_id)
        log.debug("secoda-listener: %s event %s %s; %s", event_type, event.event_id, placed, handed)
        return
    handed = delivery.hand_off(delivery.Moment.TASK_ENDED, conn_id)
    log.info(
        "secoda-listener: %s event %s (%d inputs, %d outputs%s) %s; %s",
        event_type,
        event.event_id,
        len(task_lineage.lineage.inputs),
        len(task_lineage.lineage.outputs),
        f", {len(task_lineage.lineage.errors)} lineage errors" if task_lineage.lineage.errors else "",
        placed,
        handed,
    )


def _report_dag_run(dag_run: Any, event_type: str) -> None:
    if not conf.enabled():
        return
    dag = getattr(dag_run, "dag", None)
    if not dag_selected(dag) or not dag_run_selected(dag):
        return
    from secoda_listener.delivery import process as delivery

    # Built here from loaded attributes only: the hook's ORM object is not touched
    # from another thread, nor the database from this one (see run_tasks.py).
    dag_id = getattr(dag_run, "dag_id", None)
    dag_block = facts.dag_block(dag, dag_id)
    run_block = facts.dag_run_block(dag_run)
    conn_id = _conn_id(dag)
    if event_type == ev.DAG_RUN_RUNNING:
        _put_dag_run_event(ev.Event(event_type=event_type, dag=dag_block, dag_run=run_block), conn_id)
        return
    from secoda_listener.capture import asset_events, run_tasks

    run_id = run_block.run_id if run_block is not None else None
    # A run created from asset events says which: read off the hook too, in parallel.
    triggering = asset_events.start_triggering_read(dag_run, dag_block.dag_id, run_id)
    hook_thread = threading.current_thread()

    def finish(found: run_tasks.RunTasks | None) -> None:
        block = run_block
        if block is not None and found is not None:
            block = attrs.evolve(block, task_instances=found.task_instances, task_instances_total=found.total)
        if triggering is not None:  # never waited for on the hook's own thread
            block = triggering.applied(block, wait=threading.current_thread() is not hook_thread)
        _put_dag_run_event(ev.Event(event_type=event_type, dag=dag_block, dag_run=block), conn_id)

    # The exit handler settles reads still running, before its last flush: the
    # triggering events first, so that finishing a run's event never waits on them.
    delivery.settle_at_exit(asset_events.settle_pending)
    delivery.settle_at_exit(run_tasks.settle_pending)
    delivery.deliver_at_exit()
    run_tasks.pending_reads.start(dag_block.dag_id, run_id, conf.dag_run_max_task_instances(), finish)


def _put_dag_run_event(event: ev.Event, conn_id: str) -> None:
    from secoda_listener.delivery import extraction_trigger as trigger
    from secoda_listener.delivery import process as delivery

    placed = delivery.put(_record(event, conn_id))
    if event.event_type != ev.DAG_RUN_RUNNING:  # a run ended: ask Secoda to process (rate-limited)
        trigger.maybe_trigger_extraction(conn_id, delivery.put)
    # The scheduler (or API server) must never wait on Secoda: the agent sends, or
    # inline a background thread of this process, and at exit what it did not get to.
    handed = delivery.hand_off(delivery.Moment.LONG_LIVED, conn_id)
    log.debug("secoda-listener: %s event %s %s; %s", event.event_type, event.event_id, placed, handed)


def _preload_task_path() -> None:
    """Import the modules a task's hooks use and find the extractors' entry points (not the
    sending half; users' extractors are imported where they run, in task processes)."""
    if not conf.enabled():
        return
    from secoda_listener.delivery import agent, process  # noqa: F401 - imported for forks to inherit
    from secoda_listener.event import redact  # noqa: F401
    from secoda_listener.extractors import bash, declared, hook_lineage, manager, registry, sql_operators  # noqa: F401

    registry.discover_entry_points()


class SecodaListener:
    """The object registered with Airflow's listener manager."""

    @hookimpl
    @_guarded
    def on_task_instance_running(self, previous_state: Any, task_instance: Any) -> None:
        _report_task(task_instance, ev.TASK_RUNNING)

    @hookimpl
    @_guarded
    def on_task_instance_success(self, previous_state: Any, task_instance: Any) -> None:
        _report_task(task_instance, ev.TASK_SUCCESS)

    @hookimpl
    @_guarded
    def on_task_instance_failed(self, previous_state: Any, task_instance: Any, error: Any) -> None:
        _report_task(task_instance, ev.TASK_FAILED, error)

    if _has_airflow_hook("on_task_instance_skipped"):  # Airflow 3: a task that skipped itself

        @hookimpl
        @_guarded
        def on_task_instance_skipped(self, previous_state: Any, task_instance: Any) -> None:
            _report_task(task_instance, ev.TASK_SKIPPED)

    @hookimpl
    @_guarded
    def on_dag_run_running(self, dag_run: Any, msg: str) -> None:
        _report_dag_run(dag_run, ev.DAG_RUN_RUNNING)

    @hookimpl
    @_guarded
    def on_dag_run_success(self, dag_run: Any, msg: str) -> None:
        _report_dag_run(dag_run, ev.DAG_RUN_SUCCESS)

    @hookimpl
    @_guarded
    def on_dag_run_failed(self, dag_run: Any, msg: str) -> None:
        _report_dag_run(dag_run, ev.DAG_RUN_FAILED)

    @hookimpl
    @_guarded
    def on_starting(self, component: Any) -> None:
        # A scheduler (or another Airflow job) is starting: it forks the processes tasks
        # run in (LocalExecutor workers, then each task's own process), and a fork
        # inherits what its parent imported. Importing the task hook's path here, once,
        # spares every task process that cost at its first hook.
        if facts.is_airflow_job(component):
            _preload_task_path()

    @hookimpl
    @_guarded
    def before_stopping(self, component: Any) -> None:
        # Fires in the task child on Airflow 2.10 and 3 alike: the last safe
        # moment before os._exit to deliver what the task's own flush left.
        delivery = sys.modules.get("secoda_listener.delivery.process")
        if delivery is not None:  # nothing was ever put by this process otherwise
            delivery.deliver_before_exit()


listener = SecodaListener()
