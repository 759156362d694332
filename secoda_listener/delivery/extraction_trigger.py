"""Ask Secoda to process pushed events: one extraction trigger per quiet period.

Secoda only processes what was pushed to the run-log ingest endpoint when an
extraction of the integration runs (``POST {host}/databuilder/jobs/``). With
``[secoda] trigger_extraction = after_dag_run`` the DAG-run hooks call
:func:`maybe_trigger_extraction` when a DAG run ends; it spools one extraction
record at most once per ``[secoda] trigger_min_interval`` seconds per
connection, across every DAG and every process sharing the spool.

The shared state is one small file per connection in ``<spool>/triggers/``:
``<tag>.last`` holds the time of the last trigger, written by atomic rename,
and ``<tag>.lock`` is ``flock``-ed (without waiting) around the
read-decide-spool-write sequence. Of two processes racing, the one that gets
the lock triggers; the other sees the lock held and returns at once, since
the holder is deciding for both. The scheduler never waits: nothing here
blocks on a lock or touches the network. The record goes through the same
durable spool and sender as events (route :data:`~secoda_listener.delivery.endpoint.ROUTE_EXTRACTION`);
the sender resolves the connection, and with it the URL and the integration
id, when it sends.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import logging
import os
import time
import uuid
from pathlib import Path
from typing import Any, Callable

from secoda_listener import conf
from secoda_listener.delivery.endpoint import ROUTE_EXTRACTION

log = logging.getLogger(__name__)

TRIGGER_DIR = "triggers"
#: The body Secoda's job endpoint takes, without the integration id (added at send time).
EXTRACTION_BODY = {"type": "metadata"}


def state_dir(spool_dir: str | os.PathLike[str] | None = None) -> Path:
    return Path(spool_dir if spool_dir is not None else conf.spool_dir()) / TRIGGER_DIR


def _tag(conn_id: str) -> str:
    from secoda_listener.delivery.spool import conn_tag

    return conn_tag(conn_id)


def last_trigger(conn_id: str, spool_dir: str | os.PathLike[str] | None = None) -> float | None:
    """Time (``time.time()``) of the last extraction trigger spooled for ``conn_id``, if any."""
    try:
        text = (state_dir(spool_dir) / f"{_tag(conn_id)}.last").read_text().strip()
        return float(text)
    except (OSError, ValueError):
        return None


def _write_last(directory: Path, tag: str, when: float) -> None:
    tmp = directory / f".{tag}.last.{os.getpid()}.tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o600)
    try:
        os.write(fd, f"{when:.6f}\n".encode())
    finally:
        os.close(fd)
    os.replace(tmp, directory / f"{tag}.last")


@contextlib.contextmanager
def _try_lock(path: Path) -> Any:
    """Yield True with ``path`` flock-ed, or False at once if another process holds it."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            if exc.errno in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                yield False
                return
            raise
        yield True  # closing the descriptor releases the lock
    finally:
        os.close(fd)


def extraction_record(conn_id: str) -> dict[str, Any]:
    """The spool record asking for one extraction run (no key, no host: the sender adds them)."""
    return {
        "event_id": str(uuid.uuid4()),
        "conn_id": conn_id,
        "route": ROUTE_EXTRACTION,
        "created_at": time.time(),
        "body": dict(EXTRACTION_BODY),
    }


def maybe_trigger_extraction(conn_id: str, put: Callable[[dict], str]) -> bool:
    """Spool an extraction trigger for ``conn_id`` unless one was spooled within the interval.

    ``put`` spools a record (``delivery.put``) and says what it did. Returns
    True when a trigger was spooled by this call. Never raises, never waits.
    """
    try:
        if conf.trigger_extraction() != "after_dag_run":
            return False
        interval = conf.trigger_min_interval()
        directory = state_dir()
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        tag = _tag(conn_id)
        with _try_lock(directory / f"{tag}.lock") as locked:
            if not locked:
                log.debug("secoda-listener: another process is triggering an extraction for %s", conn_id)
                return False
            now = time.time()
            last = last_trigger(conn_id)
            # A clock set back by more than the interval must not silence triggers for good.
            if last is not None and -interval <= now - last < interval:
                log.debug("secoda-listener: extraction for %s triggered %.0fs ago (min interval %ds)",
                          conn_id, now - last, interval)
                return False
            placed = put(extraction_record(conn_id))
            if str(placed).startswith("dropped"):
                log.warning("secoda-listener: could not spool an extraction trigger for %s: %s", conn_id, placed)
                return False
            _write_last(directory, tag, now)
        log.info("secoda-listener: extraction of connection %s requested (%s); next one in %ds at the earliest",
                 conn_id, placed, interval)
        return True
    except Exception as exc:  # noqa: BLE001 - the scheduler must never see this fail
        log.warning("secoda-listener: extraction trigger for %s skipped: %s: %s", conn_id, type(exc).__name__, exc)
        return False
