"""The scheduler's background flusher: delivers after a kick, outlives a failing flush,
and a forked child runs its own thread."""

from __future__ import annotations

import collections
import os
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from secoda_listener.delivery import background
from secoda_listener.delivery import outbox as outbox_module
from secoda_listener.delivery.background import BackgroundFlusher, background_flusher
from secoda_listener.delivery.endpoint import Endpoint
from secoda_listener.delivery.outbox import Outbox
from secoda_listener.delivery.spool import Spool
from secoda_listener.testing.receiver import Receiver
from tests.conftest import API_KEY
from tests.support.records import spooled

REPO = Path(__file__).resolve().parents[2]
WAIT = 30.0  # bound of every wait on a condition; a pass takes milliseconds


class Flushes:
    """A flush function: counts calls, fails when told to, signals every call."""

    def __init__(self, fail_first: int = 0) -> None:
        self.calls = 0
        self.fail_first = fail_first
        self.cond = threading.Condition()

    def __call__(self) -> str:
        with self.cond:
            self.calls += 1
            self.cond.notify_all()
            if self.calls <= self.fail_first:
                raise RuntimeError(f"flush {self.calls} blew up")
        return "ok"

    def wait_for(self, calls: int) -> bool:
        with self.cond:
            return self.cond.wait_for(lambda: self.calls >= calls, timeout=WAIT)


@pytest.fixture
def no_flusher() -> Iterator[None]:
    background._forget_flusher()
    yield
    background._forget_flusher()


def test_a_kick_delivers_what_is_spooled(tmp_path: Path, rx: Receiver, no_flusher) -> None:
    endpoint = Endpoint(rx.url, API_KEY, "it-1")
    outbox_module.forget_outbox()
    box = outbox_module.get_outbox(
        lambda: Outbox(tmp_path / "spool", resolve_endpoint=lambda c: endpoint, fsync=False, flush_timeout=20)
    )
    try:
        box.put(spooled(1))
        box.put(spooled(2))
        flusher = background_flusher()  # the default flush: this process's outbox
        assert background_flusher() is flusher  # one thread per process
        flusher.kick()
        spool = Spool(tmp_path / "spool", fsync=False)

        def drained() -> bool:
            got = collections.Counter(r["event_id"] for r in rx.received() if r["status"] == 200)
            return got == {"ev-1": 1, "ev-2": 1} and spool.count_pending() == 0

        deadline = time.monotonic() + WAIT
        while not drained():  # a bounded wait on the condition itself
            assert time.monotonic() < deadline, rx.received()
            time.sleep(0.01)
    finally:
        outbox_module.forget_outbox()


def test_the_thread_outlives_a_failing_flush(no_flusher, caplog) -> None:
    flushes = Flushes(fail_first=1)
    flusher = BackgroundFlusher(flushes)
    flusher.kick()
    assert flushes.wait_for(1)
    flusher.kick()
    assert flushes.wait_for(2), "no flush after the failing one"
    assert flusher.is_alive()
    assert any("background flush failed: flush 1 blew up" in r.getMessage() for r in caplog.records)


def test_a_forked_child_gets_its_own_thread(no_flusher) -> None:
    flushes = Flushes()
    background._flusher = parent = BackgroundFlusher(flushes)
    parent.kick()
    assert flushes.wait_for(1)
    pid = os.fork()
    if pid == 0:  # the child: the parent's thread does not exist here
        code = 99
        try:
            child = background_flusher()
            if child is parent:
                code = 10
            elif not child.is_alive():
                code = 11
            else:
                child_flushes = Flushes()
                child._flush = child_flushes  # its own work, seen only here
                child.kick()
                code = 0 if child_flushes.wait_for(1) else 12
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert background_flusher() is parent and parent.is_alive()
    parent.kick()
    assert flushes.wait_for(2)


def test_wait_idle_waits_for_the_flush_in_progress_and_for_one_asked_for(no_flusher) -> None:
    release = threading.Event()
    done: list[str] = []

    def slow_flush() -> None:
        release.wait(WAIT)
        done.append("flushed")

    flusher = BackgroundFlusher(slow_flush)
    assert flusher.wait_idle(0)  # nothing asked for yet
    flusher.kick()
    assert not flusher.wait_idle(0.05)  # asked for, or running: not idle
    release.set()
    assert flusher.wait_idle(WAIT) and done == ["flushed"]


def test_the_exit_handler_lets_a_background_flush_finish_its_request(tmp_path: Path) -> None:
    """The race CI found: the background thread took the last record (so nothing was owed any
    more), the process exited, and shutdown killed the thread between a request's headers and
    its body. The exit handler now waits for the thread, within flush_timeout."""
    store = tmp_path / "store.jsonl"
    with Receiver(store, api_key=API_KEY, latency=0.4) as rx:
        child = textwrap.dedent(
            f"""
            from secoda_listener.delivery import outbox, process
            from secoda_listener.delivery.background import background_flusher
            from secoda_listener.delivery.endpoint import Endpoint
            from secoda_listener.delivery.outbox import Outbox
            from tests.support.records import spooled

            endpoint = Endpoint({rx.url!r}, {API_KEY!r}, "it-1")
            outbox.get_outbox(lambda: Outbox({str(tmp_path / "spool")!r},
                resolve_endpoint=lambda c: endpoint, fsync=False, flush_timeout=20))
            process.put(spooled(1))
            process.hand_off(process.Moment.LONG_LIVED)  # registers the exit handler, kicks the thread
            background_flusher().wait_idle(0)
            # The thread has reset what is owed: only the wait at exit keeps its request whole.
            import time
            deadline = time.monotonic() + 10
            while process._pending and time.monotonic() < deadline:
                time.sleep(0.005)
            """
        )
        env = {**os.environ, "AIRFLOW__SECODA__DELIVERY": "inline", "AIRFLOW__SECODA__FLUSH_TIMEOUT": "20"}
        done = subprocess.run([sys.executable, "-c", child], env=env, cwd=REPO, capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
        # Without the wait the record stays claimed: the answer never reached a living thread.
        assert Spool(tmp_path / "spool", fsync=False).count_pending() == 0
        received = rx.received()
    assert [(r["event_id"], r["status"]) for r in received] == [("ev-1", 200)], received
