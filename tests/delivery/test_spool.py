"""The maildir spool: atomic writes, exclusive claims, reclaim, sweep, caps, modes."""

from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from secoda_listener.delivery.names import conn_key, conn_key_of
from secoda_listener.delivery.procs import pid_alive
from secoda_listener.delivery.record import Route, SpoolRecord
from secoda_listener.delivery.spool import Spool
from secoda_listener.exceptions import InvalidRecordError, SpoolError
from tests.support.records import spooled

REPO = Path(__file__).resolve().parents[2]


def rec(i: int, conn_id: str = "secoda_default", **body) -> SpoolRecord:
    return spooled(i, conn_id, i=i, **body)


def _dead_pid() -> int:
    proc = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True, check=True
    )
    return int(proc.stdout)


def test_write_is_atomic_json_with_private_modes(tmp_path: Path) -> None:
    old = os.umask(0)  # prove the modes are explicit, not the umask's doing
    try:
        spool = Spool(tmp_path / "spool", fsync=True)
        path = spool.write(rec(1))
    finally:
        os.umask(old)
    assert path.parent == tmp_path / "spool" / "new"
    assert json.loads(path.read_text())["event_id"] == "ev-1"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    for sub in ("", "tmp", "new", "cur", "failed"):
        assert stat.S_IMODE((tmp_path / "spool" / sub).stat().st_mode) == 0o700
    assert os.listdir(tmp_path / "spool" / "tmp") == []


def test_invalid_records_are_refused(tmp_path: Path) -> None:
    spool = Spool(tmp_path, fsync=False)
    with pytest.raises(InvalidRecordError):
        spool.write(SpoolRecord(event_id="x", conn_id="c", route="nowhere", body={}))  # type: ignore[arg-type]
    with pytest.raises(InvalidRecordError):
        spool.write(SpoolRecord(event_id="x", conn_id="c", route=Route.INGEST, body={"t": object()}))
    with pytest.raises(InvalidRecordError):
        spool.write(SpoolRecord.from_json(b'{"conn_id": "c", "route": "ingest", "body": {}}'))
    with pytest.raises(InvalidRecordError):  # a bare dict is not a record, however well-formed
        spool.write({"event_id": "x", "conn_id": "c", "route": "ingest", "body": {}})  # type: ignore[arg-type]
    assert spool.list_new() == []


def test_names_sort_oldest_first_and_carry_the_connection_key(tmp_path: Path) -> None:
    spool = Spool(tmp_path, fsync=False)
    for i in range(5):
        spool.write(rec(i, conn_id="per dag/conn" if i == 3 else "secoda_default"))
    names = spool.list_new()
    claims = spool.claim(limit=10, names=names)
    assert [spool.read(c).event_id for c in claims] == [f"ev-{i}" for i in range(5)]
    assert [conn_key_of(n) for n in names].count("secoda_default") == 4
    assert conn_key_of(names[3]) == conn_key("per dag/conn") != "per dag/conn"


def test_claim_is_exclusive_between_spool_instances(tmp_path: Path) -> None:
    first, second = Spool(tmp_path, fsync=False), Spool(tmp_path, fsync=False)
    for i in range(10):
        first.write(rec(i))
    names = first.list_new()
    a = first.claim(limit=10, names=names)
    b = second.claim(limit=10, names=names)  # the same, now stale, listing
    assert len(a) == 10 and b == []
    assert first.list_new() == [] and first.count_pending() == 10


def test_release_delete_fail_and_retry_failed(tmp_path: Path) -> None:
    spool = Spool(tmp_path, fsync=False)
    for i in range(3):
        spool.write(rec(i))
    c0, c1, c2 = spool.claim(limit=3)
    spool.release(c0)
    spool.delete(c1)
    spool.fail(c2, "http-400", "POST ... -> HTTP 400: bad body")
    assert spool.list_new() == [c0.name]
    stats = spool.stats()
    assert (stats.new, stats.claimed, stats.failed) == (1, 0, 1)
    assert stats.failures_by_kind == {"http-400": 1}
    [failure] = spool.failures()
    assert failure["event_id"] == "ev-2" and "HTTP 400" in failure["reason"]
    assert spool.retry_failed() == 1
    assert sorted(spool.list_new()) == sorted([c0.name, c2.name])


def test_corrupt_file_reads_as_invalid(tmp_path: Path) -> None:
    spool = Spool(tmp_path, fsync=False)
    path = spool.write(rec(1))
    path.write_bytes(b'{"event_id": "ev-1", "conn')
    [claim] = spool.claim()
    with pytest.raises(InvalidRecordError):
        spool.read(claim)
    spool.fail(claim, "corrupt", "torn")
    assert spool.stats().failures_by_kind == {"corrupt": 1}


def test_reclaim_dead_and_expired_claims_but_not_live_ones(tmp_path: Path) -> None:
    spool = Spool(tmp_path, fsync=False, lease=600)
    for i in range(3):
        spool.write(rec(i))
    mine, dead, old = spool.claim(limit=3)
    cur = tmp_path / "cur"
    # Rewrite two claims as if made by a dead process and long ago.
    host = dead.path.name.split("@")[1].split(".")[0]
    os.rename(dead.path, cur / f"{dead.name}@{host}.{_dead_pid()}.1.{time.time_ns()}")
    os.rename(old.path, cur / f"{old.name}@other-host.1.1.{time.time_ns() - 3600 * 10**9}")
    assert spool.reclaim_stale() == 2
    assert sorted(spool.list_new()) == sorted([dead.name, old.name])
    assert mine.path.exists()


def test_claim_of_a_reused_pid_is_reclaimed(tmp_path: Path) -> None:
    spool = Spool(tmp_path, fsync=False)
    spool.write(rec(1))
    [claim] = spool.claim()
    host = claim.path.name.split("@")[1].split(".")[0]
    # Our own (live) pid, but a different start time: the claimer is gone.
    os.rename(claim.path, tmp_path / "cur" / f"{claim.name}@{host}.{os.getpid()}.1.{time.time_ns()}")
    assert spool.reclaim_stale() == 1
    assert pid_alive(os.getpid()) and not pid_alive(_dead_pid())


def test_writer_killed_mid_write_leaves_only_tmp_which_is_swept(tmp_path: Path) -> None:
    # The child writes half of a record, then stops inside os.write until killed.
    child = f"""
import os, sys, time
from secoda_listener.delivery import spool as sp
from secoda_listener.delivery.record import Route, SpoolRecord
real_write = os.write
def half_then_hang(fd, data):
    real_write(fd, bytes(data[: len(data) // 2]))
    print("hanging", flush=True)
    time.sleep(60)
sp.os.write = half_then_hang
sp.Spool({str(tmp_path)!r}, fsync=False).write(SpoolRecord(event_id="torn", conn_id="c", route=Route.INGEST,
    body={{"sql": "x" * 100000}}))
"""
    proc = subprocess.Popen(
        [sys.executable, "-c", child], stdout=subprocess.PIPE, text=True, env={**os.environ, "PYTHONPATH": str(REPO)}
    )
    try:
        assert proc.stdout.readline().strip() == "hanging"
        spool = Spool(tmp_path, fsync=False)
        [_partial] = os.listdir(tmp_path / "tmp")
        assert spool.sweep_tmp() == 0  # writer still alive: its file is left alone
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert spool.list_new() == [] and spool.claim() == []
    assert spool.sweep_tmp() == 1
    assert os.listdir(tmp_path / "tmp") == []


def test_sweep_removes_tmp_files_past_the_grace_period(tmp_path: Path) -> None:
    spool = Spool(tmp_path, fsync=False, tmp_grace=60)
    stray = tmp_path / "tmp" / "not-ours"
    stray.write_text("x")
    os.utime(stray, (time.time() - 3600, time.time() - 3600))
    assert spool.sweep_tmp() == 1 and not stray.exists()


def test_file_cap_evicts_oldest_and_counts(tmp_path: Path, caplog) -> None:
    spool = Spool(tmp_path, fsync=False, max_files=5)
    for i in range(8):
        spool.write(rec(i))
    claims = spool.claim(limit=10)
    assert [spool.read(c).event_id for c in claims] == [f"ev-{i}" for i in range(3, 8)]
    assert spool.evicted == 3 and spool.stats().evictions == 3
    assert sum("evicted" in r.getMessage() for r in caplog.records) == 3


def test_failed_records_are_evicted_before_waiting_ones(tmp_path: Path) -> None:
    spool = Spool(tmp_path, fsync=False, max_files=3)
    spool.write(rec(0))
    [claim] = spool.claim()
    spool.fail(claim, "http-400", "no")
    spool.write(rec(1))
    spool.write(rec(2))
    spool.write(rec(3))  # over the cap: the failed one goes, not ev-1
    stats = spool.stats()
    assert (stats.failed, stats.new, stats.evictions) == (0, 3, 1)


def test_byte_cap_evicts_and_oversized_record_is_refused(tmp_path: Path) -> None:
    spool = Spool(tmp_path, fsync=False, max_bytes=3000)
    for i in range(6):
        spool.write(rec(i, pad="x" * 900))
    stats = spool.stats()
    assert stats.bytes <= 3000 and stats.evictions >= 3
    with pytest.raises(SpoolError):
        spool.write(rec(99, pad="x" * 5000))


def test_cap_holds_across_processes_sharing_a_spool(tmp_path: Path) -> None:
    # Two instances (as two processes would): the second learns the usage too.
    a = Spool(tmp_path, fsync=False, max_files=4, rescan_interval=0)
    b = Spool(tmp_path, fsync=False, max_files=4, rescan_interval=0)
    for i in range(6):
        (a if i % 2 else b).write(rec(i))
    assert len(a.list_new()) == 4
    assert a.stats().evictions == 2


def test_stats_report_age_and_counts(tmp_path: Path) -> None:
    spool = Spool(tmp_path, fsync=False)
    spool.write(rec(1))
    spool.write(rec(2))
    spool.claim(limit=1)
    stats = spool.stats()
    assert (stats.new, stats.claimed, stats.failed, stats.tmp) == (1, 1, 0, 0)
    assert stats.bytes > 0 and stats.oldest_age is not None and stats.oldest_age >= 0


def test_unwritable_spool_raises_spool_error(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    with pytest.raises(SpoolError):
        Spool(blocker / "spool")
    spool = Spool(tmp_path / "ok", fsync=False)
    os.rmdir(tmp_path / "ok" / "tmp")
    (tmp_path / "ok" / "tmp").write_text("")  # tmp/ is now a file: every write fails
    with pytest.raises(SpoolError):
        spool.write(rec(1))
