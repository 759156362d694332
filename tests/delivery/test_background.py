"""The scheduler's background flusher: delivers after a kick, outlives a failing flush,
and a forked child runs its own thread."""

from __future__ import annotations

import collections
import os
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
