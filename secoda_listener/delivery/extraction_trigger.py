"""Ask Secoda to process pushed events: one extraction trigger per quiet period.

Secoda only processes what was pushed to the run-log ingest endpoint when an
extraction of the integration runs (``POST {host}/databuilder/jobs/``). With
``[secoda] trigger_extraction = after_dag_run`` the DAG-run hooks call
:func:`maybe_trigger_extraction` when a DAG run ends; it spools one extraction
record at most once per ``[secoda] trigger_min_interval`` seconds per
connection, across every DAG and every process sharing the spool.

The shared state is one small file per connection in ``<spool>/triggers/``:
``<conn_key>.last`` holds the time of the last trigger, replaced atomically,
and ``<conn_key>.lock`` is ``flock``-ed (without waiting) around the
read-decide-spool-write sequence. Of two processes racing, the one that gets
the lock triggers; the other sees the lock held and returns at once, since
the holder is deciding for both. The scheduler never waits: nothing here
blocks on a lock or touches the network. The record goes through the same
durable spool and sender as events (route :attr:`Route.EXTRACTION`); the
sender resolves the connection, and with it the URL and the integration id,
when it sends.
"""

from __future__ import annotations

import logging
import os
import time
import uuid
from collections.abc import Callable
from pathlib import Path

from secoda_listener import conf
from secoda_listener.delivery.files import flock, write_atomic
from secoda_listener.delivery.names import conn_key
from secoda_listener.delivery.outbox import Placement, PutResult
from secoda_listener.delivery.record import Route, SpoolRecord

log = logging.getLogger(__name__)

TRIGGER_DIR = "triggers"
#: The body Secoda's job endpoint takes, without the integration id (added at send time).
EXTRACTION_BODY = {"type": "metadata"}


def state_dir(spool_dir: str | os.PathLike[str] | None = None) -> Path:
    return Path(spool_dir if spool_dir is not None else conf.spool_dir()) / TRIGGER_DIR


def last_trigger(conn_id: str, spool_dir: str | os.PathLike[str] | None = None) -> float | None:
    """Time (``time.time()``) of the last extraction trigger spooled for ``conn_id``, if any."""
    try:
        text = (state_dir(spool_dir) / f"{conn_key(conn_id)}.last").read_text().strip()
        return float(text)
    except (OSError, ValueError):
        return None


def extraction_record(conn_id: str, created_at: float | None = None) -> SpoolRecord:
    """The spool record asking for one extraction run (no key, no host: the sender adds them)."""
    return SpoolRecord(
        event_id=str(uuid.uuid4()),
        conn_id=conn_id,
        route=Route.EXTRACTION,
        body=dict(EXTRACTION_BODY),
        created_at=time.time() if created_at is None else created_at,
    )


def maybe_trigger_extraction(
    conn_id: str, put: Callable[[SpoolRecord], PutResult], *, clock: Callable[[], float] = time.time
) -> bool:
    """Spool an extraction trigger for ``conn_id`` unless one was spooled within the interval.

    ``put`` spools a record (``delivery.put``) and says where it went.
    ``clock`` is wall-clock time (other processes read the stamp). Returns
    True when a trigger was spooled by this call. Never raises, never waits.
    """
    try:
        if conf.trigger_extraction() != "after_dag_run":
            return False
        interval = conf.trigger_min_interval()
        directory = state_dir()
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        key = conn_key(conn_id)
        with flock(directory / f"{key}.lock", blocking=False) as locked:
            if not locked:
                log.debug("secoda-listener: another process is triggering an extraction for %s", conn_id)
                return False
            now = clock()
            last = last_trigger(conn_id)
            # A clock set back by more than the interval must not silence triggers for good.
            if last is not None and -interval <= now - last < interval:
                log.debug(
                    "secoda-listener: extraction for %s triggered %.0fs ago (min interval %ds)",
                    conn_id,
                    now - last,
                    interval,
                )
                return False
            placed = put(extraction_record(conn_id, now))
            if placed.placement is Placement.DROPPED:
                log.warning("secoda-listener: could not spool an extraction trigger for %s: %s", conn_id, placed)
                return False
            write_atomic(directory / f"{key}.last", f"{now:.6f}\n".encode(), what=f"trigger state in {directory}")
        log.info(
            "secoda-listener: extraction of connection %s requested (%s); next one in %ds at the earliest",
            conn_id,
            placed,
            interval,
        )
        return True
    except Exception as exc:  # noqa: BLE001 - the scheduler must never see this fail
        log.warning("secoda-listener: extraction trigger for %s skipped: %s: %s", conn_id, type(exc).__name__, exc)
        return False
