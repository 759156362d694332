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

from secoda_listener.delivery.endpoint import Endpoint
from secoda_listener.testing.receiver import Receiver
from secoda_listener.delivery.backoff import BackoffPolicy, SharedBackoff
from secoda_listener.delivery.sender import Sender
from secoda_listener.delivery.spool import Spool
from secoda_listener.delivery.transport import Transport
from tests.conftest import API_KEY
from tests.support.records import spooled

REPO = Path(__file__).resolve().parents[2]
KEY = API_KEY
ENV = {**os.environ, "PYTHONPATH": str(REPO)}


def rec(i: int | str) -> dict:
    return spooled(i, sql="select 1")


@pytest.fixture
def spool(tmp_path: Path) -> Spool:
    return Spool(tmp_path / "spool", fsync=False)


def make_sender(spool: Spool, rx: Receiver, **kwargs) -> Sender:
    endpoint = Endpoint(rx.url, KEY, "it-1")
    return Sender(spool, lambda conn_id: endpoint, Transport(), **kwargs)


def delivered(rx: Receiver) -> collections.Counter:
    return collections.Counter(r["event_id"] for r in rx.received() if r["status"] == 200)


class SleepLog:
    """Really sleeps; remembers how long it was asked to."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)
        time.sleep(seconds)


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


def test_429_storm_honours_retry_after(spool: Spool, rx: Receiver) -> None:
    for i in range(5):
        spool.write(rec(i))
    rx.add_fault(status=429, retry_after=1, times=3)
    sleeps = SleepLog()
    result = make_sender(spool, rx, sleep=sleeps).flush(60)
    assert result.sent == 5
    assert len(sleeps.waits) == 3 and all(0.8 <= w <= 1.0 for w in sleeps.waits)
    assert rx.attempts == 8 and delivered(rx) == {f"ev-{i}": 1 for i in range(5)}


def test_429_storm_without_retry_after_backs_off_exponentially(spool: Spool, rx: Receiver) -> None:
    spool.write(rec(0))
    rx.add_fault(status=429, times=4)
    sleeps = SleepLog()
    backoff = SharedBackoff(spool.backoff_path, BackoffPolicy(base=0.1, cap=0.4))
    result = make_sender(spool, rx, sleep=sleeps, backoff=backoff).flush(60)
    assert result.sent == 1 and len(sleeps.waits) == 4
    # Equal jitter: the n-th wait lies in [d/2, d] with d = min(cap, 0.1 * 2**(n-1)).
    for n, wait in enumerate(sleeps.waits, start=1):
        ceiling = min(0.4, 0.1 * 2 ** (n - 1))
        assert ceiling / 2 - 0.05 <= wait <= ceiling


def test_retry_after_longer_than_the_budget_stops_spending_it(spool: Spool, rx: Receiver) -> None:
    for i in range(10):
        spool.write(rec(i))
    rx.add_fault(status=429, retry_after=120, times=100)
    sleeps = SleepLog()
    result = make_sender(spool, rx, sleep=sleeps).flush(2.0)
    assert (result.sent, result.remaining) == (0, 10)
    assert rx.attempts == 1 and sleeps.waits == []


def test_slow_responses_do_not_stretch_the_flush(spool: Spool, rx: Receiver) -> None:
    for i in range(5):
        spool.write(rec(i))
    rx.add_fault(delay=30, times=5)
    started = time.monotonic()
    result = make_sender(spool, rx, request_timeout=10).flush(1.0)
    elapsed = time.monotonic() - started
    assert elapsed < 1.0 * 4  # generous guard: the 30 s answers were not awaited
    assert result.sent == 0 and result.remaining == 5
    assert any("timed out" in e for e in result.errors)


def test_timed_out_request_is_retried_with_the_same_event_id(spool: Spool, rx: Receiver) -> None:
    spool.write(rec(0))
    rx.add_fault(delay=1.5, times=1)  # answers (and stores) after the client gave up
    slow_retry = SharedBackoff(spool.backoff_path, BackoffPolicy(base=30))  # no retry inside the flush
    sender = make_sender(spool, rx, request_timeout=0.5, backoff=slow_retry)
    assert sender.flush(0.7).sent == 0
    time.sleep(1.5)
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
from secoda_listener.delivery.spool import Spool
spool = Spool(sys.argv[1], fsync=False)
spool.write({"event_id": "ev-orphan", "conn_id": "secoda_default", "route": "ingest", "body": {}})
assert len(spool.claim(limit=5)) == 1
print("claimed", flush=True)
time.sleep(60)
"""


@pytest.mark.parametrize("reap_first", [True, False], ids=["reaped", "zombie"])
def test_claim_of_a_killed_process_is_delivered_by_a_later_flush(
    spool: Spool, rx: Receiver, reap_first: bool
) -> None:
    proc = subprocess.Popen([sys.executable, "-c", _CLAIM_THEN_HANG, str(spool.directory)],
                            stdout=subprocess.PIPE, text=True, env=ENV)
    try:
        assert proc.stdout.readline().strip() == "claimed"
        os.kill(proc.pid, signal.SIGKILL)
        if reap_first:
            proc.wait(timeout=20)
        else:  # killed but not yet waited for: a zombie still has its pid
            while Path(f"/proc/{proc.pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z":
                time.sleep(0.01)
        assert spool.list_new() == [] and spool.count_pending() == 1
        result = make_sender(spool, rx).flush(30)
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait(timeout=20)
    assert result.sent == 1 and delivered(rx) == {"ev-orphan": 1}


_WRITE_LARGE_FOREVER = """
import sys, itertools
from secoda_listener.delivery.spool import Spool
spool = Spool(sys.argv[1], fsync=True)
print("writing", flush=True)
for i in itertools.count():
    spool.write({"event_id": f"big-{i}", "conn_id": "secoda_default", "route": "ingest",
                 "body": {"event_id": f"big-{i}", "sql": "x" * 4_000_000, "end": "complete"}})
"""


def test_writer_killed_mid_write_never_causes_a_corrupt_send(spool: Spool, rx: Receiver) -> None:
    # Large fsync'ed records: a SIGKILL at a random moment very likely lands
    # mid-write (the deterministic variant is in test_spool.py).
    proc = subprocess.Popen([sys.executable, "-c", _WRITE_LARGE_FOREVER, str(spool.directory)],
                            stdout=subprocess.PIPE, text=True, env=ENV)
    try:
        assert proc.stdout.readline().strip() == "writing"
        while len(spool.list_new()) < 2:
            time.sleep(0.01)
        time.sleep(0.05)
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
from secoda_listener.delivery.spool import Spool
spool = Spool(sys.argv[1], fsync=False)
for i in range(int(sys.argv[3])):
    spool.write({"event_id": f"{sys.argv[2]}-{i}", "conn_id": "secoda_default", "route": "ingest",
                 "body": {"event_id": f"{sys.argv[2]}-{i}"}})
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


def test_eight_writers_and_four_flushers_lose_and_duplicate_nothing(tmp_path: Path, spool: Spool,
                                                                    rx: Receiver) -> None:
    per_writer = 150
    stop = tmp_path / "writers-done"
    flushers = [
        subprocess.Popen([sys.executable, "-c", _FLUSHER, str(spool.directory), rx.url, KEY, str(stop)],
                         stdout=subprocess.PIPE, text=True, env=ENV)
        for _ in range(4)
    ]
    writers = [
        subprocess.Popen([sys.executable, "-c", _WRITER, str(spool.directory), f"w{n}", str(per_writer)],
                         env=ENV)
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
