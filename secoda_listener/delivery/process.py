"""This process's way out: the outbox built from ``[secoda]``, and when it flushes.

The listener calls :func:`put` on every hook and :func:`flush` when a task
ends. Because an Airflow 3 task process ends with ``os._exit`` (no ``atexit``
registered at import time runs) and Airflow 2.10 runs no ``atexit`` in the
task child, the exit handler is registered from inside a hook, and
``before_stopping`` calls :func:`flush_pending` as well.
"""

from __future__ import annotations

import atexit
import os
import time
from typing import Any

from secoda_listener import conf
from secoda_listener.delivery.secoda_connection import resolve_endpoint
from secoda_listener.delivery.endpoint import Endpoint
from secoda_listener.delivery import outbox
from secoda_listener.delivery.outbox import Outbox

_pending = 0  # records put by this process since its last flush
_pending_pid: int | None = None
_exit_registered_pid: int | None = None


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
        max_bytes=conf.spool_max_mb() * 1024 * 1024,
        max_files=conf.spool_max_files(),
        fsync=conf.spool_fsync(),
        flush_timeout=conf.flush_timeout(),
        request_timeout=conf.request_timeout(),
    )


def get_outbox() -> Outbox:
    """The process's outbox; rebuilt after a fork (a pid change restarts what we own)."""
    return outbox.get_outbox(outbox_from_conf)


def put(record: dict[str, Any]) -> str:
    """Spool one record; returns what happened in words. Never raises."""
    global _pending, _pending_pid
    placed = get_outbox().put(record)
    if _pending_pid != os.getpid():  # a forked child owes nothing its parent put
        _pending, _pending_pid = 0, os.getpid()
    _pending += 1
    return placed


def flush(timeout: float | None = None) -> str:
    """Deliver what is spooled within ``timeout`` (default ``flush_timeout``); a summary."""
    global _pending
    _pending = 0
    return describe(get_outbox().flush(timeout))


def flush_pending() -> None:
    """Flush only if this process put something since its last flush."""
    if _pending and _pending_pid == os.getpid():
        flush()


def deliver_at_exit() -> None:
    """Register, once per process and from inside a hook, a bounded flush at exit."""
    global _exit_registered_pid
    if _exit_registered_pid != os.getpid():
        _exit_registered_pid = os.getpid()
        atexit.register(flush_pending)


def describe(result: Any) -> str:
    """One short line for the task log."""
    parts = [f"{result.sent} sent"]
    if result.remaining:
        parts.append(f"{result.remaining} left spooled for a later flush")
    if result.failed:
        parts.append(f"{result.failed} rejected (see `secoda-listener status`)")
    if getattr(result, "skipped_backoff", False):
        parts.append("Secoda is backing off")
    errors = getattr(result, "errors", ())
    if errors:
        parts.append(str(errors[0]))
    return ", ".join(parts)
