"""The ledger of delivered ids: bounded, crash-safe, written by the sender on a 2xx only."""

from __future__ import annotations

import uuid
from pathlib import Path

from secoda_listener.delivery.endpoint import Endpoint
from secoda_listener.delivery.hold import MemoryHold
from secoda_listener.delivery.ledger import LEDGER_FILE, Ledger, ledger_of
from secoda_listener.delivery.record import Route, SpoolRecord
from secoda_listener.delivery.sender import Sender
from secoda_listener.delivery.spool import Spool
from secoda_listener.delivery.transport import Transport
from secoda_listener.testing.receiver import Receiver
from tests.conftest import API_KEY


def _ids(n: int) -> list[str]:
    return [str(uuid.uuid4()) for _ in range(n)]


def test_recorded_ids_are_read_back(tmp_path: Path) -> None:
    ledger = Ledger(tmp_path)
    ids = _ids(3)
    ledger.record(ids[:2])
    ledger.record(ids[2:])
    assert ledger.delivered() == frozenset(ids)
    assert (tmp_path / LEDGER_FILE).stat().st_mode & 0o777 == 0o600


def test_no_ledger_yet_is_empty(tmp_path: Path) -> None:
    assert Ledger(tmp_path / "nowhere").delivered() == frozenset()


def test_the_ledger_is_bounded_and_keeps_the_newest(tmp_path: Path) -> None:
    ledger = Ledger(tmp_path, max_ids=10, compact_at=15)
    ids = _ids(40)
    for event_id in ids:
        ledger.record([event_id])
    kept = ledger.delivered()
    assert len(kept) <= 15
    assert set(ids[-10:]) <= kept  # the newest always survive a compaction
    assert not kept & set(ids[:20])
    assert len((tmp_path / LEDGER_FILE).read_text().splitlines()) <= 15


def test_a_line_torn_by_a_crash_is_ignored(tmp_path: Path) -> None:
    ids = _ids(2)
    (tmp_path / LEDGER_FILE).write_text(f"{ids[0]}\n{ids[1][:20]}")  # the writer died mid-line
    ledger = Ledger(tmp_path)
    assert ledger.delivered() == frozenset({ids[0]})
    later = _ids(1)
    ledger.record(later)
    # The next id starts a line of its own: the fragment never swallows it.
    assert ledger.delivered() == frozenset({ids[0], *later})


def test_ids_that_are_not_event_ids_are_not_recorded(tmp_path: Path) -> None:
    ledger = Ledger(tmp_path)
    ledger.record(["ev-1", "not\nan id"])
    assert ledger.delivered() == frozenset()


def _record(event_id: str, route: Route = Route.INGEST) -> SpoolRecord:
    return SpoolRecord(event_id=event_id, conn_id="secoda_default", route=route, body={"event_id": event_id})


def test_the_sender_records_what_secoda_accepted_and_only_that(tmp_path: Path) -> None:
    spool = Spool(tmp_path / "spool", fsync=False)
    refused, accepted = _ids(2)
    trigger = str(uuid.uuid4())
    with Receiver(store=tmp_path / "rx.jsonl", api_key=API_KEY) as rx:
        endpoint = Endpoint(rx.url, API_KEY, "it-1")
        sender = Sender(spool, lambda conn_id: endpoint, Transport())
        rx.add_fault(status=400)  # the first request is refused for good: to failed/, not the ledger
        spool.write(_record(refused))
        assert sender.flush(10).failed == 1
        spool.write(_record(accepted))
        spool.write(_record(trigger, Route.EXTRACTION))  # not an event: nothing a backfill would send
        assert sender.flush(10).sent == 2
    assert Ledger(spool.directory).delivered() == frozenset({accepted})


def test_the_memory_hold_has_no_ledger(tmp_path: Path) -> None:
    assert ledger_of(Spool(tmp_path / "spool", fsync=False)) is not None
    assert ledger_of(MemoryHold(10, 1 << 20)) is None
