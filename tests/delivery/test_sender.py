"""Sender behaviour against a real local Receiver: order, outcomes, back-off, budget."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from secoda_listener.delivery.backoff import SharedBackoff
from secoda_listener.delivery.endpoint import Endpoint
from secoda_listener.delivery.sender import FlushResult, Sender
from secoda_listener.delivery.spool import Spool
from secoda_listener.delivery.transport import Transport
from secoda_listener.exceptions import ConfigError
from secoda_listener.testing.receiver import Receiver
from tests.conftest import API_KEY
from tests.support.records import spooled

KEY = API_KEY


rec = spooled


class RecordingTransport(Transport):
    """Real HTTP; remembers the timeout each request was given."""

    def __init__(self) -> None:
        super().__init__()
        self.timeouts: list = []

    def post(self, url, body, *, headers, timeout, event_id=None):
        self.timeouts.append(timeout)
        return super().post(url, body, headers=headers, timeout=timeout, event_id=event_id)


@pytest.fixture
def spool(tmp_path: Path) -> Spool:
    return Spool(tmp_path / "spool", fsync=False)


def make_sender(spool: Spool, rx: Receiver, **kwargs) -> Sender:
    endpoint = Endpoint(rx.url, KEY, "it-1")
    return Sender(spool, lambda conn_id: endpoint, kwargs.pop("transport", None) or Transport(), **kwargs)


def ids(rx: Receiver) -> list[str]:
    return [r["event_id"] for r in rx.received() if r["status"] == 200]


def test_delivers_oldest_first_one_event_per_request_and_deletes(spool: Spool, rx: Receiver) -> None:
    for i in range(20):
        spool.write(rec(i))
    spool.write(rec(20, route="extraction"))
    result = make_sender(spool, rx).flush(30)
    assert result == FlushResult(sent=21, remaining=0)
    assert ids(rx)[:20] == [f"ev-{i}" for i in range(20)]
    assert rx.received()[-1]["path"] == "/api/v1/databuilder/jobs/"
    assert rx.attempts == 21 and spool.count_pending() == 0


def test_permanent_4xx_goes_to_failed_with_reason_and_can_be_retried(spool: Spool, rx: Receiver) -> None:
    for i in range(3):
        spool.write(rec(i))
    rx.add_fault(status=422, body={"detail": "unprocessable"})
    sender = make_sender(spool, rx)
    result = sender.flush(30)
    assert (result.sent, result.failed, result.remaining) == (2, 1, 0)
    assert "HTTP 422" in result.errors[0]
    assert spool.stats().failures_by_kind == {"http-422": 1}
    assert "unprocessable" in spool.failures()[0]["reason"]
    again = sender.flush(30, retry_failed=True)
    assert (again.sent, again.failed) == (1, 0)
    assert sorted(ids(rx)) == ["ev-0", "ev-1", "ev-2"]


def test_unresolvable_connection_stays_spooled_and_warns_once(spool: Spool, rx: Receiver, caplog) -> None:
    endpoint = Endpoint(rx.url, KEY, "it-1")

    def resolve(conn_id: str) -> Endpoint:
        if conn_id == "missing":
            raise ConfigError("the Airflow connection 'missing' for Secoda was not found")
        return endpoint

    for i in range(4):
        spool.write(rec(i, conn_id="missing" if i % 2 else "secoda_default"))
    sender = Sender(spool, resolve, Transport())
    first, second = sender.flush(30), sender.flush(30)
    assert (first.sent, first.remaining, second.sent, second.remaining) == (2, 2, 0, 2)
    assert sorted(ids(rx)) == ["ev-0", "ev-2"]
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING and "'missing'" in r.getMessage()]
    assert len(warnings) == 1


def test_corrupt_spool_file_is_never_sent(spool: Spool, rx: Receiver) -> None:
    spool.write(rec(0))
    torn = spool.write(rec(1))
    torn.write_bytes(torn.read_bytes()[:25])
    spool.write(rec(2))
    result = make_sender(spool, rx).flush(30)
    assert (result.sent, result.failed) == (2, 1)
    assert ids(rx) == ["ev-0", "ev-2"] and rx.attempts == 2
    assert spool.stats().failures_by_kind == {"corrupt": 1}


def test_backoff_is_shared_with_other_processes_and_cleared_by_success(spool: Spool, rx: Receiver) -> None:
    for i in range(5):
        spool.write(rec(i))
    rx.add_fault(status=503, retry_after=60, times=100)
    first = make_sender(spool, rx).flush(5)
    assert (first.sent, first.remaining) == (0, 5) and rx.attempts == 1
    # Another process (a fresh sender on the same spool) does not spend its budget.
    other = make_sender(Spool(spool.directory, fsync=False), rx)
    skipped = other.flush(5)
    assert (skipped.sent, skipped.skipped_backoff) == (0, 5) and rx.attempts == 1
    rx.clear_faults()
    forced = other.flush(5, ignore_backoff=True)
    assert forced.sent == 5
    assert SharedBackoff(spool.backoff_path).get("secoda_default") is None


def test_zero_budget_sends_nothing(spool: Spool, rx: Receiver) -> None:
    spool.write(rec(0))
    result = make_sender(spool, rx).flush(0)
    assert (result.sent, result.remaining) == (0, 1) and rx.attempts == 0
    assert spool.list_new()  # released, not lost


def test_request_timeouts_are_cut_from_the_remaining_budget(spool: Spool, rx: Receiver) -> None:
    for i in range(5):
        spool.write(rec(i))
    transport = RecordingTransport()
    make_sender(spool, rx, transport=transport, request_timeout=30).flush(1.5)
    assert transport.timeouts
    for connect, read in transport.timeouts:
        assert connect > 0 and connect + read <= 1.5
    # Each next request gets no more than the one before: the budget only shrinks.
    totals = [sum(t) for t in transport.timeouts]
    assert totals == sorted(totals, reverse=True)


def test_request_timeout_caps_each_request(spool: Spool, rx: Receiver) -> None:
    spool.write(rec(0))
    transport = RecordingTransport()
    make_sender(spool, rx, transport=transport, request_timeout=0.8).flush(30)
    [(connect, read)] = transport.timeouts
    assert connect + read == pytest.approx(0.8)


def test_flush_result_adds_up() -> None:
    total = FlushResult(sent=1, errors=("a",)) + FlushResult(sent=2, failed=1, remaining=3, errors=("b",))
    assert total == FlushResult(sent=3, failed=1, remaining=3, errors=("a", "b"))


def test_evictions_are_counted_and_reported_by_the_next_flush(tmp_path: Path, rx: Receiver) -> None:
    spool = Spool(tmp_path / "capped", fsync=False, max_files=5)
    sender = make_sender(spool, rx)
    for i in range(8):
        spool.write(rec(i))
    result = sender.flush(30)
    assert (result.sent, result.evicted) == (5, 3)
    assert ids(rx) == [f"ev-{i}" for i in range(3, 8)]
    assert sender.flush(30).evicted == 0 and spool.stats().evictions == 3


def test_a_refusal_echoing_the_key_is_scrubbed(spool: Spool, rx: Receiver) -> None:
    spool.write(rec(0))
    rx.add_fault(status=400, body={"detail": f"bad header Bearer {KEY}"})
    result = make_sender(spool, rx).flush(30)
    assert result.failed == 1 and "Bearer ***" in result.errors[0]
    assert all(KEY.encode() not in p.read_bytes() for p in spool.directory.rglob("*") if p.is_file())
