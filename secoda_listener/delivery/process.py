"""This process's way out: the outbox built from ``[secoda]``, and when it flushes.

The listener calls :func:`put` on every hook and :func:`flush` when a task
ends. Because an Airflow 3 task process ends with ``os._exit`` (no ``atexit``
registered at import time runs) and Airflow 2.10 runs no ``atexit`` in the
task child, the exit handler is registered from inside a hook, and
``before_stopping`` calls :func:`flush_pending` as well.

A forked child owes nothing its parent put: its pending count starts at zero,
it registers its own exit handler, and gets its own outbox.
"""

from __future__ import annotations

import atexit
import time

from secoda_listener import conf, forks
from secoda_listener.delivery import outbox
from secoda_listener.delivery.endpoint import Endpoint
from secoda_listener.delivery.outbox import Outbox, PutResult
from secoda_listener.delivery.record import SpoolRecord
from secoda_listener.delivery.secoda_connection import resolve_endpoint
from secoda_listener.delivery.sender import FlushResult
from secoda_listener.delivery.spool import MIB

_pending = 0  # records put by this process since its last flush
_exit_registered = False


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


def deliver_at_exit() -> None:
    """Register, once per process and from inside a hook, a bounded flush at exit."""
    global _exit_registered
    if not _exit_registered:
        _exit_registered = True
        atexit.register(flush_pending)


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
