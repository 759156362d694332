"""This process's way out: the outbox built from ``[secoda]``, and who delivers what it put.

The listener calls :func:`put` on every hook, then :func:`hand_off`. With
``[secoda] delivery = agent`` (the default) the delivery agent of the spool
directory sends (:mod:`~secoda_listener.delivery.agent`) and this process
touches no network. Inline (configured, in a KubernetesExecutor pod, when no
agent can be started, or while records are held in memory because the disk
failed) this process delivers itself: within ``flush_timeout`` when a task
ends, from a background thread in long-lived processes. Because an Airflow 3
task process ends with ``os._exit`` (no ``atexit`` registered at import time
runs) and Airflow 2.10 runs no ``atexit`` in the task child, the exit handler
is registered from inside a hook, and ``before_stopping`` calls
:func:`deliver_before_exit` as well.

A forked child owes nothing its parent put: its pending count starts at zero,
it registers its own exit handler, and gets its own outbox.
"""

from __future__ import annotations

import atexit
import enum
import logging
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from secoda_listener import conf, forks
from secoda_listener.delivery import outbox
from secoda_listener.delivery.endpoint import Endpoint
from secoda_listener.delivery.outbox import Outbox, PutResult
from secoda_listener.delivery.record import SpoolRecord
from secoda_listener.delivery.secoda_connection import resolve_endpoint
from secoda_listener.delivery.spool import MIB

if TYPE_CHECKING:
    from secoda_listener.delivery.sender import FlushResult

log = logging.getLogger(__name__)

_pending = 0  # records put by this process since its last flush
_exit_registered = False
#: What must run at exit before the last flush: work that still puts records
#: (the DAG-run reads of capture/run_tasks.py); each gets the time left.
_producers_at_exit: list[Callable[[float], None]] = []


#: Seconds a resolved connection is reused: a task flushes more than once and the
#: scheduler flushes all day, but a rotated API key must be picked up soon.
ENDPOINT_TTL = 300.0
_endpoints: dict[str, tuple[float, Endpoint]] = {}


def cached_endpoint(conn_id: str) -> Endpoint:
    """:func:`resolve_endpoint`, remembered for :data:`ENDPOINT_TTL` seconds.

    On Airflow 3 a task process reads connections through its supervisor (a
    round trip per lookup). Only successes are kept: a connection created
    after a failure is found by the next flush.
    """
    now = time.monotonic()
    cached = _endpoints.get(conn_id)
    if cached is not None and now - cached[0] < ENDPOINT_TTL:
        return cached[1]
    endpoint = resolve_endpoint(conn_id)
    _endpoints[conn_id] = (now, endpoint)
    return endpoint


def outbox_from_conf() -> Outbox:
    """An outbox configured by ``[secoda]``."""
    return Outbox(
        conf.spool_dir(),
        resolve_endpoint=cached_endpoint,
        max_bytes=conf.spool_max_mb() * MIB,
        max_files=conf.spool_max_files(),
        fsync=conf.spool_fsync(),
        flush_timeout=conf.flush_timeout(),
        request_timeout=conf.request_timeout(),
    )


def get_outbox() -> Outbox:
    """The process's outbox (a forked child makes its own)."""
    return outbox.get_outbox(outbox_from_conf)


def put(record: SpoolRecord) -> PutResult:
    """Spool one record; says where it went (``str()`` of it for the log). Never raises."""
    global _pending
    placed = get_outbox().put(record)
    _pending += 1
    return placed


def flush(timeout: float | None = None) -> str:
    """Deliver what is spooled within ``timeout`` (default ``flush_timeout``); a summary."""
    global _pending
    _pending = 0
    return describe(get_outbox().flush(timeout))


def flush_pending() -> None:
    """Flush only if this process put something since its last flush."""
    if _pending:
        flush()


def settle_at_exit(producer: Callable[[float], None]) -> None:
    """Have the exit handler call ``producer(seconds_left)`` before its last flush (once per function)."""
    if producer not in _producers_at_exit:
        _producers_at_exit.append(producer)


def deliver_before_exit() -> None:
    """The exit handler: let producers put their last records and a background flush
    finish, then send what is still owed.

    All within ``flush_timeout``. Waiting for the background thread matters even
    when nothing is owed any more: it may have taken the last records and be in
    the middle of sending them, and interpreter shutdown kills a daemon thread
    wherever it is.
    """
    from secoda_listener.delivery.background import wait_for_background_flush

    deadline = time.monotonic() + conf.flush_timeout()
    for producer in list(_producers_at_exit):
        try:
            producer(deadline - time.monotonic())
        except Exception as exc:  # noqa: BLE001 - the flush below must still run
            log.warning("secoda-listener: %s failed at exit: %s: %s", producer.__name__, type(exc).__name__, exc)
    wait_for_background_flush(deadline - time.monotonic())
    if _pending:
        flush(deadline - time.monotonic())


def deliver_at_exit() -> None:
    """Register, once per process and from inside a hook, a bounded flush at exit."""
    global _exit_registered
    if not _exit_registered:
        _exit_registered = True
        atexit.register(deliver_before_exit)


class Moment(enum.Enum):
    """When the listener hands records off: what an inline delivery does then."""

    TASK_STARTED = "task started"  # the task runs on: deliver at exit at the latest
    TASK_ENDED = "task ended"  # the process ends soon: a bounded flush now
    LONG_LIVED = "long-lived process"  # scheduler, API server...: a background thread, never the caller


#: What :func:`hand_off` says when the agent delivers.
AGENT_DELIVERS = "left to the delivery agent"


def _agent_delivers(conn_id: str | None) -> bool:
    if conf.delivery() != "agent":
        return False
    from secoda_listener.delivery import agent

    box = get_outbox()
    return not box.holding() and agent.ensure_running(box.spool_dir, conn_ids=(conn_id,) if conn_id else ())


def hand_off(moment: Moment, conn_id: str | None = None) -> str:
    """Make sure what this process put gets delivered; a few words for the log. Never raises.

    ``conn_id``: the connection the records just put name (an agent this starts
    from an Airflow 3 task process is given it: it could not read it itself).

    In agent mode this is a lock probe (microseconds) and at most once per agent
    lifetime the start of one: nothing here waits on Secoda.
    """
    global _pending
    try:
        if _agent_delivers(conn_id):
            _pending = 0  # nothing is owed at exit: the agent has it on disk
            return AGENT_DELIVERS
    except Exception as exc:  # noqa: BLE001 - fall back to delivering ourselves, never fail a hook
        log.debug("secoda-listener: no delivery agent: %s", exc)
    if moment is Moment.TASK_ENDED:
        return flush()
    deliver_at_exit()
    if moment is Moment.LONG_LIVED:
        from secoda_listener.delivery.background import background_flusher

        background_flusher().kick()
    return "to be delivered by this process"


def describe(result: FlushResult) -> str:
    """One short line for the task log."""
    parts = [f"{result.sent} sent"]
    if result.remaining:
        parts.append(f"{result.remaining} left spooled for a later flush")
    if result.failed:
        parts.append(f"{result.failed} rejected (see `secoda-listener status`)")
    if result.skipped_backoff:
        parts.append("Secoda is backing off")
    if result.errors:
        parts.append(str(result.errors[0]))
    return ", ".join(parts)


def _after_fork_in_child() -> None:
    global _pending, _exit_registered
    # What the parent put is the parent's to deliver; an exit handler is
    # registered again from the child's own first hook, as for any process.
    _pending, _exit_registered = 0, False
    # Re-read connections too: a test (or a long-lived parent) may have changed them.
    _endpoints.clear()


forks.reset_in_child("delivery.process", _after_fork_in_child)
