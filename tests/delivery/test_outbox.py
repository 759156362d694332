"""The outbox façade: never raises, degrades to memory, safe in forks and threads."""

from __future__ import annotations

import collections
import logging
import os
import stat
import subprocess
import sys
import threading
from pathlib import Path

from secoda_listener.delivery.endpoint import Endpoint
from secoda_listener.delivery.outbox import Outbox, Placement, get_outbox
from secoda_listener.delivery.record import Route, SpoolRecord
from secoda_listener.exceptions import ConfigError
from secoda_listener.testing.receiver import Receiver
from tests.conftest import API_KEY
from tests.support.records import spooled

REPO = Path(__file__).resolve().parents[2]
KEY = API_KEY


def rec(i: int | str) -> SpoolRecord:
    return spooled(i, task_instance={"sql": "select * from secret_table"})


def make_outbox(spool_dir: Path, rx: Receiver, key: str = KEY, **kwargs) -> Outbox:
    endpoint = Endpoint(rx.url, key, "it-1")
    kwargs.setdefault("fsync", False)
    return Outbox(spool_dir, resolve_endpoint=lambda conn_id: endpoint, **kwargs)


def delivered(rx: Receiver) -> collections.Counter:
    return collections.Counter(r["event_id"] for r in rx.received() if r["status"] == 200)


def unwritable_dir(tmp_path: Path) -> Path:
    # Tests run as root, for whom chmod 0500 changes nothing: a path *under a
    # regular file* cannot be created by anyone.
    blocker = tmp_path / "blocker"
    blocker.write_text("a file, not a directory")
    return blocker / "spool"


def test_put_spools_and_flush_delivers(tmp_path: Path, rx: Receiver) -> None:
    outbox = make_outbox(tmp_path / "spool", rx)
    answers = [outbox.put(rec(i)) for i in range(3)]
    assert [a.placement for a in answers] == [Placement.SPOOLED] * 3
    assert [str(a) for a in answers] == ["spooled"] * 3
    files = list((tmp_path / "spool" / "new").iterdir())
    assert len(files) == 3 and all(stat.S_IMODE(f.stat().st_mode) == 0o600 for f in files)
    result = outbox.flush()
    assert (result.sent, result.remaining) == (3, 0)
    assert delivered(rx) == {"ev-0": 1, "ev-1": 1, "ev-2": 1}


def test_the_key_is_in_no_spool_file_even_after_refusals(tmp_path: Path, rx: Receiver, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    outbox = make_outbox(tmp_path / "spool", rx, key="sk-wrong-key-9999")
    for i in range(3):
        outbox.put(rec(i))
    rx.add_fault(status=503, times=1)
    result = outbox.flush(10)
    assert result.failed == 3  # 401: refused for good, kept in failed/ with the reason
    texts = [p.read_bytes() for p in (tmp_path / "spool").rglob("*") if p.is_file()]
    assert any(b"HTTP 401" in t for t in texts)
    assert not any(b"sk-wrong-key-9999" in t or KEY.encode() in t for t in texts)
    assert "sk-wrong-key-9999" not in caplog.text


def test_unwritable_spool_holds_in_memory_warns_once_and_sends_directly(tmp_path: Path, rx: Receiver, caplog) -> None:
    outbox = make_outbox(unwritable_dir(tmp_path), rx)
    answers = [outbox.put(rec(i)) for i in range(5)]
    assert all(a.placement is Placement.HELD for a in answers)
    assert all(str(a).startswith("held in memory: spool unwritable") for a in answers)
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and "holding events in memory" in warnings[0].getMessage()
    result = outbox.flush(30)
    assert (result.sent, result.remaining) == (5, 0)
    assert delivered(rx) == {f"ev-{i}": 1 for i in range(5)}


_WRITES_FAIL = """
import resource, signal, sys
from secoda_listener.delivery.endpoint import Endpoint
from secoda_listener.delivery.outbox import Outbox
from secoda_listener.delivery.record import Route, SpoolRecord
outbox = Outbox(sys.argv[1], resolve_endpoint=lambda c: Endpoint(sys.argv[2], sys.argv[3], "it-1"), fsync=False)
# Every file write beyond 0 bytes now fails in the kernel (EFBIG), like a full disk.
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
resource.setrlimit(resource.RLIMIT_FSIZE, (0, resource.RLIM_INFINITY))
print(outbox.put(SpoolRecord(event_id="ev-disk", conn_id="c", route=Route.INGEST, body={"event_id": "ev-disk"})))
result = outbox.flush(20)
print(result.sent, result.remaining)
"""


def test_failing_writes_fall_back_to_memory_and_direct_send(tmp_path: Path, rx: Receiver) -> None:
    proc = subprocess.run(
        [sys.executable, "-c", _WRITES_FAIL, str(tmp_path / "spool"), rx.url, KEY],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    put_answer, flush_answer = proc.stdout.splitlines()
    assert put_answer.startswith("held in memory: spool unwritable (cannot write to spool")
    assert flush_answer == "1 0"
    assert delivered(rx) == {"ev-disk": 1}
    assert list((tmp_path / "spool" / "new").iterdir()) == []


def test_held_events_move_to_the_spool_when_the_disk_is_back(tmp_path: Path, rx: Receiver) -> None:
    spool_dir = unwritable_dir(tmp_path)
    outbox = make_outbox(spool_dir, rx)
    outbox.put(rec(1))
    spool_dir.parent.unlink()  # the "disk" is back
    rx.add_fault(status=503, retry_after=60, times=10)
    result = outbox.flush(2)
    assert (result.sent, result.remaining) == (0, 1)
    assert len(list((spool_dir / "new").iterdir())) == 1  # durable now, not only in memory


def test_memory_hold_is_bounded(tmp_path: Path, rx: Receiver) -> None:
    outbox = make_outbox(unwritable_dir(tmp_path), rx, hold_max_records=3)
    for i in range(5):
        outbox.put(rec(i))
    result = outbox.flush(30)
    assert (result.sent, result.evicted) == (3, 2)
    assert delivered(rx) == {"ev-2": 1, "ev-3": 1, "ev-4": 1}


def test_invalid_record_is_dropped_without_raising(tmp_path: Path, rx: Receiver) -> None:
    outbox = make_outbox(tmp_path / "spool", rx)
    answer = outbox.put(SpoolRecord(event_id="x", conn_id="c", route=Route.INGEST, body={"bad": {1, 2}}))
    assert answer.placement is Placement.DROPPED and str(answer).startswith("dropped:")
    assert outbox.flush(5).sent == 0


def test_flush_never_raises(tmp_path: Path, rx: Receiver) -> None:
    def broken(conn_id: str) -> Endpoint:
        raise RuntimeError("resolver blew up")

    outbox = Outbox(tmp_path / "spool", resolve_endpoint=broken, fsync=False)
    outbox.put(rec(1))
    result = outbox.flush(5)
    assert "resolver blew up" in result.errors[0]
    assert len(list((tmp_path / "spool" / "new").iterdir())) == 1  # released, not lost


def test_config_error_keeps_events_spooled(tmp_path: Path) -> None:
    def missing(conn_id: str) -> Endpoint:
        raise ConfigError("no connection")

    outbox = Outbox(tmp_path / "spool", resolve_endpoint=missing, fsync=False)
    outbox.put(rec(1))
    result = outbox.flush(5)
    assert (result.sent, result.remaining, result.errors) == (0, 1, ("no connection",))


def test_forked_child_starts_afresh_and_does_not_resend_the_parents_hold(tmp_path: Path, rx: Receiver) -> None:
    outbox = make_outbox(unwritable_dir(tmp_path), rx)
    outbox.put(rec("parent"))
    (tmp_path / "child").mkdir()
    parent_outbox = get_outbox(lambda: outbox)
    pid = os.fork()
    if pid == 0:  # the child: only what it puts itself is its own
        code = 1
        try:
            fresh = get_outbox(lambda: make_outbox(unwritable_dir(tmp_path / "child"), rx))
            outbox.put(rec("child"))
            result = outbox.flush(20)
            code = 0 if fresh is not parent_outbox and (result.sent, result.remaining) == (1, 0) else 3
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert outbox.flush(20).sent == 1
    assert delivered(rx) == {"ev-parent": 1, "ev-child": 1}


def test_threads_put_while_another_flushes(tmp_path: Path, rx: Receiver) -> None:
    outbox = make_outbox(tmp_path / "spool", rx)
    done = threading.Event()

    def writer(n: int) -> None:
        for i in range(50):
            assert outbox.put(rec(f"{n}-{i}")).placement is Placement.SPOOLED

    def flusher() -> None:
        while not done.is_set():
            outbox.flush(1)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(8)]
    background = threading.Thread(target=flusher)
    background.start()
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    done.set()
    background.join(timeout=60)
    outbox.flush(30)
    assert delivered(rx) == {f"ev-{n}-{i}": 1 for n in range(8) for i in range(50)}
