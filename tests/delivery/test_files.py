"""The atomic replace and the flock every delivery file goes through."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from secoda_listener.delivery import files
from secoda_listener.delivery.files import flock, write_atomic
from secoda_listener.exceptions import SpoolError


def test_writes_the_whole_file_private_whatever_the_umask(tmp_path: Path) -> None:
    target = tmp_path / "state.json"
    old = os.umask(0)  # prove the mode is explicit, not the umask's doing
    try:
        write_atomic(target, b"x" * 1_000_000, fsync=True)
    finally:
        os.umask(old)
    assert target.read_bytes() == b"x" * 1_000_000
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert os.listdir(tmp_path) == ["state.json"]  # no tmp file left


def test_replaces_an_existing_file_and_uses_the_given_tmp_dir(tmp_path: Path) -> None:
    (tmp_path / "tmp").mkdir()
    target = tmp_path / "state.json"
    target.write_bytes(b"old")
    write_atomic(target, b"new", tmp_dir=tmp_path / "tmp", tmp_name="mine.tmp")
    assert target.read_bytes() == b"new" and os.listdir(tmp_path / "tmp") == []


def test_a_failed_write_leaves_the_old_file_and_no_partial_one(tmp_path: Path, monkeypatch) -> None:
    target = tmp_path / "state.json"
    target.write_bytes(b"old content")
    real_write = os.write

    def half_then_full_disk(fd: int, data) -> int:
        if len(data) > 5:
            return real_write(fd, bytes(data[:5]))  # a short write: the loop must go on
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(files.os, "write", half_then_full_disk)
    with pytest.raises(SpoolError, match="cannot write the state: No space left on device"):
        write_atomic(target, b"new content, longer", what="the state")
    monkeypatch.undo()
    assert target.read_bytes() == b"old content"
    assert os.listdir(tmp_path) == ["state.json"]  # the tmp file was removed


def test_short_writes_are_completed(tmp_path: Path, monkeypatch) -> None:
    real_write = os.write
    monkeypatch.setattr(files.os, "write", lambda fd, data: real_write(fd, bytes(data[:3])))
    write_atomic(tmp_path / "f", b"0123456789")
    monkeypatch.undo()
    assert (tmp_path / "f").read_bytes() == b"0123456789"


def test_an_existing_tmp_file_is_never_reused(tmp_path: Path) -> None:
    (tmp_path / "taken.tmp").write_bytes(b"someone else's")
    with pytest.raises(SpoolError, match="cannot write"):
        write_atomic(tmp_path / "f", b"data", tmp_name="taken.tmp")
    assert (tmp_path / "taken.tmp").read_bytes() == b"someone else's" and not (tmp_path / "f").exists()


def test_an_unwritable_directory_is_a_spool_error(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    with pytest.raises(SpoolError, match=r"cannot write .*a-file"):
        write_atomic(blocker / "f", b"data")


def test_lock_file_is_private_and_exclusive_between_descriptors(tmp_path: Path) -> None:
    path = tmp_path / ".lock"
    with flock(path) as first:
        assert first is True
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        # A second descriptor (another thread, the same process) does not get it either.
        with flock(path, blocking=False) as second:
            assert second is False
    with flock(path, blocking=False) as again:
        assert again is True  # released when the block ended


_HOLD = """
import sys
from pathlib import Path
from secoda_listener.delivery.files import flock
with flock(Path(sys.argv[1])) as locked:
    print("locked" if locked else "not locked", flush=True)
    sys.stdin.readline()  # hold it until the test says so
"""


def test_lock_is_exclusive_across_processes(tmp_path: Path) -> None:
    path = tmp_path / ".lock"
    repo = Path(__file__).resolve().parents[2]
    holder = subprocess.Popen(
        [sys.executable, "-c", _HOLD, str(path)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(repo)},
    )
    try:
        assert holder.stdout.readline().strip() == "locked"
        with flock(path, blocking=False) as locked:
            assert locked is False
        holder.stdin.write("release\n")
        holder.stdin.flush()
        assert holder.wait(timeout=30) == 0
    finally:
        if holder.poll() is None:
            holder.kill()
            holder.wait(timeout=30)
    with flock(path) as locked:  # blocking: returns once the holder let go
        assert locked is True
