"""Delivery under faults: outages, 429 storms, slow answers, resets, killed processes,
and many processes writing and flushing one spool at once."""

from __future__ import annotations

import collections
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from secoda_listener.delivery.backoff import BackoffPolicy, SharedBackoff
from secoda_listener.delivery.endpoint import Endpoint
from secoda_listener.delivery.record import SpoolRecord
from secoda_listener.delivery.sender import Sender
from secoda_listener.delivery.spool import Spool
from secoda_listener.delivery.transport import Transport
from secoda_listener.testing.receiver import Receiver
from tests.conftest import API_KEY
from tests.delivery.conftest import FakeClock
from tests.support.records import spooled

REPO = Path(__file__).resolve().parents[2]
KEY = API_KEY
ENV = {**os.environ, "PYTHONPATH": str(REPO)}


def rec(i: int | str) -> SpoolRecord:
    return spooled(i, sql="select 1")


@pytest.fixture
def spool(tmp_path: Path) -> Spool:
    return Spool(tmp_path / "spool", fsync=False)


def make_sender(spool: Spool, rx: Receiver, **kwargs) -> Sender:
    endpoint = Endpoint(rx.url, KEY, "it-1")
    return Sender(spool, lambda conn_id: endpoint, Transport(), **kwargs)


def delivered(rx: Receiver) -> collections.Counter:
    return collections.Counter(r["event_id"] for r in rx.received() if r["status"] == 200)


def on_clock(clock: FakeClock) -> dict:
    """Sender arguments that put its waits, its back-off and its deadline on ``clock``."""
    return {"sleep": clock.sleep, "clock": clock, "monotonic": clock}


def wait_until(condition, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.01)


class ClockedTransport(Transport):
    """Real HTTP; each request then moves ``clock`` by all the time it was allowed
    (the worst case: a Secoda that answers in the last moment, or not at all)."""

    def __init__(self, clock: FakeClock, deadline: float) -> None:
        super().__init__()
        self.clock = clock
        self.deadline = deadline  # the flush's, on the same clock
        self.budgets: list[tuple[float, float]] = []  # (time left when it started, its timeout)

    def post(self, url, body, *, headers, timeout, event_id=None):
        allowed = sum(timeout) if isinstance(timeout, tuple) else timeout
        self.budgets.append((self.deadline - self.clock.now, allowed))
        try:
            return super().post(url, body, headers=headers, timeout=timeout, event_id=event_id)
        finally:
            self.clock.advance(allowed)


def test_outage_for_a_whole_batch_then_back_delivers_each_exactly_once(spool: Spool, rx: Receiver) -> None:
    for i in range(50):
        spool.write(rec(i))
    rx.add_fault(status=503, times=10_000)
    sender = make_sender(spool, rx)
    down = sender.flush(1.0)
    assert down.sent == 0 and down.remaining == 50 and "HTTP 503" in down.errors[0]
    rx.clear_faults()
    back = sender.flush(60, ignore_backoff=True)
    assert back.sent == 50 and back.remaining == 0
    assert delivered(rx) == {f"ev-{i}": 1 for i in range(50)}


def test_429_storm_honours_retry_after(spool: Spool, rx: Receiver, clock: FakeClock) -> None:
    for i in range(5):
        spool.write(rec(i))
    rx.add_fault(status=429, retry_after=1, times=3)
    result = make_sender(spool, rx, **on_clock(clock)).flush(60)
    assert result.sent == 5
    # Exactly what Secoda asked for, not the computed back-off (0.25-0.5 s for a first failure).
    assert clock.waits == pytest.approx([1.0, 1.0, 1.0])
    assert rx.attempts == 8 and delivered(rx) == {f"ev-{i}": 1 for i in range(5)}


def test_429_storm_without_retry_after_backs_off_exponentially(spool: Spool, rx: Receiver, clock: FakeClock) -> None:
    spool.write(rec(0))
    rx.add_fault(status=429, times=4)
    backoff = SharedBackoff(spool.backoff_path, BackoffPolicy(base=0.1, cap=0.4), clock=clock)
    result = make_sender(spool, rx, backoff=backoff, **on_clock(clock)).flush(60)
    assert result.sent == 1 and len(clock.waits) == 4
    # Equal jitter: the n-th wait lies in [d/2, d] with d = min(cap, 0.1 * 2**(n-1)).
    for n, wait in enumerate(clock.waits, start=1):
        ceiling = min(0.4, 0.1 * 2 ** (n - 1))
        assert ceiling / 2 - 1e-9 <= wait <= ceiling + 1e-9  # float rounding only: no time passes


def test_retry_after_longer_than_the_budget_stops_spending_it(spool: Spool, rx: Receiver, clock: FakeClock) -> None:
    for i in range(10):
        spool.write(rec(i))
    rx.add_fault(status=429, retry_after=120, times=100)
    result = make_sender(spool, rx, **on_clock(clock)).flush(2.0)
    assert (result.sent, result.remaining) == (0, 10)
    assert rx.attempts == 1 and clock.waits == []


def test_slow_responses_do_not_stretch_the_flush(spool: Spool, rx: Receiver, clock: FakeClock) -> None:
    for i in range(5):
        spool.write(rec(i))
    rx.add_fault(delay=30, times=5)
    started = clock.now
    transport = ClockedTransport(clock, deadline=started + 1.0)
    sender = Sender(
        spool, lambda conn_id: Endpoint(rx.url, KEY, "it-1"), transport, request_timeout=10, **on_clock(clock)
    )
    result = sender.flush(1.0)
    # Even if every request had used all the time it was given, and every back-off
    # wait was spent, the flush ends within its budget: the 30 s answers were not awaited.
    assert transport.budgets and clock.now - started <= 1.0 + 1e-9
    assert all(allowed <= left + 1e-9 for left, allowed in transport.budgets)
    assert result.sent == 0 and result.remaining == 5
    assert any("timed out" in e for e in result.errors)


def test_timed_out_request_is_retried_with_the_same_event_id(spool: Spool, rx: Receiver) -> None:
    spool.write(rec(0))
    rx.add_fault(delay=1.5, times=1)  # answers (and stores) after the client gave up
    slow_retry = SharedBackoff(spool.backoff_path, BackoffPolicy(base=30))  # no retry inside the flush
    sender = make_sender(spool, rx, request_timeout=0.5, backoff=slow_retry)
    assert sender.flush(0.7).sent == 0
    wait_until(lambda: delivered(rx))  # the late answer stored the event: a resend is a duplicate
    assert sender.flush(30, ignore_backoff=True).sent == 1
    # At-least-once: a duplicate is possible here, but always with the same id.
    counts = delivered(rx)
    assert set(counts) == {"ev-0"} and counts["ev-0"] >= 1


def test_connection_resets_are_retried(spool: Spool, rx: Receiver) -> None:
    for i in range(10):
        spool.write(rec(i))
    rx.add_fault(reset=True, times=3)
    result = make_sender(spool, rx).flush(60)
    assert result.sent == 10 and any("failed" in e for e in result.errors)
    assert delivered(rx) == {f"ev-{i}": 1 for i in range(10)}


_CLAIM_THEN_HANG = """
import sys, time
from secoda_listener.delivery.record import Route, SpoolRecord
from secoda_listener.delivery.spool import Spool
spool = Spool(sys.argv[1], fsync=False)
spool.write(SpoolRecord(event_id="ev-orphan", conn_id="secoda_default", route=Route.INGEST, body={}))
assert len(spool.claim(limit=5)) == 1
print("claimed", flush=True)
time.sleep(60)
"""


@pytest.mark.parametrize("reap_first", [True, False], ids=["reaped", "zombie"])
def test_claim_of_a_killed_process_is_delivered_by_a_later_flush(spool: Spool, rx: Receiver, reap_first: bool) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-c", _CLAIM_THEN_HANG, str(spool.directory)], stdout=subprocess.PIPE, text=True, env=ENV
    )
    try:
        assert proc.stdout.readline().strip() == "claimed"
        os.kill(proc.pid, signal.SIGKILL)
        if reap_first:
            proc.wait(timeout=20)
        else:  # killed but not yet waited for: a zombie still has its pid
            wait_until(lambda: Path(f"/proc/{proc.pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z")
        assert spool.list_new() == [] and spool.count_pending() == 1
        result = make_sender(spool, rx).flush(30)
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait(timeout=20)
    assert result.sent == 1 and delivered(rx) == {"ev-orphan": 1}


_WRITE_LARGE_FOREVER = """
import sys, itertools
from secoda_listener.delivery.record import Route, SpoolRecord
from secoda_listener.delivery.spool import Spool
spool = Spool(sys.argv[1], fsync=True)
print("writing", flush=True)
for i in itertools.count():
    spool.write(SpoolRecord(event_id=f"big-{i}", conn_id="secoda_default", route=Route.INGEST,
                            body={"event_id": f"big-{i}", "sql": "x" * 4_000_000, "end": "complete"}))
"""


def test_writer_killed_mid_write_never_causes_a_corrupt_send(spool: Spool, rx: Receiver) -> None:
    # Large fsync'ed records: a SIGKILL at a random moment very likely lands
    # mid-write (the deterministic variant is in test_spool.py).
    proc = subprocess.Popen(
        [sys.executable, "-c", _WRITE_LARGE_FOREVER, str(spool.directory)], stdout=subprocess.PIPE, text=True, env=ENV
    )
    try:
        assert proc.stdout.readline().strip() == "writing"
        wait_until(lambda: len(spool.list_new()) >= 2, timeout=120)
        time.sleep(0.05)  # not synchronisation: lets the kill land at an arbitrary point of a write
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
    written = len(spool.list_new())
    assert written >= 2
    result = make_sender(spool, rx).flush(60)
    assert result.sent == written and result.failed == 0
    stored = rx.received()
    assert all(r["status"] == 200 and r["body"]["end"] == "complete" for r in stored)
    assert len(stored) == written
    assert os.listdir(spool.directory / "tmp") == []  # the torn tmp file, if any, was swept


_WRITER = """
import sys, time
from secoda_listener.delivery.record import Route, SpoolRecord
from secoda_listener.delivery.spool import Spool
spool = Spool(sys.argv[1], fsync=False)
for i in range(int(sys.argv[3])):
    spool.write(SpoolRecord(event_id=f"{sys.argv[2]}-{i}", conn_id="secoda_default", route=Route.INGEST,
                            body={"event_id": f"{sys.argv[2]}-{i}"}))
    if i % 20 == 0:
        time.sleep(0.01)
"""

_FLUSHER = """
import os, sys, time
from secoda_listener.delivery.endpoint import Endpoint
from secoda_listener.delivery.sender import Sender
from secoda_listener.delivery.spool import Spool
from secoda_listener.delivery.transport import Transport
from tests.conftest import API_KEY
from tests.support.records import spooled
spool = Spool(sys.argv[1], fsync=False)
endpoint = Endpoint(sys.argv[2], sys.argv[3], "it-1")
sender = Sender(spool, lambda conn_id: endpoint, Transport(), batch_size=4)
stop = sys.argv[4]
sent = 0
while not (os.path.exists(stop) and spool.count_pending() == 0):
    sent += sender.flush(1.0, ignore_backoff=True).sent
    time.sleep(0.01)
print(sent)
"""


def test_eight_writers_and_four_flushers_lose_and_duplicate_nothing(tmp_path: Path, spool: Spool, rx: Receiver) -> None:
    per_writer = 150
    stop = tmp_path / "writers-done"
    flushers = [
        subprocess.Popen(
            [sys.executable, "-c", _FLUSHER, str(spool.directory), rx.url, KEY, str(stop)],
            stdout=subprocess.PIPE,
            text=True,
            env=ENV,
        )
        for _ in range(4)
    ]
    writers = [
        subprocess.Popen([sys.executable, "-c", _WRITER, str(spool.directory), f"w{n}", str(per_writer)], env=ENV)
        for n in range(8)
    ]
    try:
        assert all(w.wait(timeout=120) == 0 for w in writers)
        stop.touch()
        sent_by_flusher = [int(f.communicate(timeout=120)[0]) for f in flushers]
    finally:
        for proc in writers + flushers:
            if proc.poll() is None:
                proc.kill()
    expected = {f"w{n}-{i}": 1 for n in range(8) for i in range(per_writer)}
    assert delivered(rx) == expected
    assert sum(sent_by_flusher) == len(expected)
    assert sum(1 for s in sent_by_flusher if s) >= 2  # the work really was shared
    assert spool.count_pending() == 0
