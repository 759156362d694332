"""This process's delivery state: its outbox, what it put since its last flush, its exit
handler, and what a forked child inherits of them (nothing)."""

from __future__ import annotations

import collections
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from secoda_listener.delivery import outbox as outbox_module
from secoda_listener.delivery import process
from secoda_listener.delivery.endpoint import Endpoint
from secoda_listener.delivery.outbox import Outbox, Placement
from secoda_listener.delivery.sender import FlushResult
from secoda_listener.testing.receiver import Receiver
from tests.conftest import API_KEY
from tests.support.records import spooled


class CountingOutbox(Outbox):
    """A real outbox that counts its flushes."""

    flushes = 0

    def flush(self, timeout: float | None = None) -> FlushResult:
        self.flushes += 1
        return super().flush(timeout)


def make(spool_dir: Path, rx: Receiver) -> CountingOutbox:
    endpoint = Endpoint(rx.url, API_KEY, "it-1")
    return CountingOutbox(spool_dir, resolve_endpoint=lambda conn_id: endpoint, fsync=False, flush_timeout=20)


def unwritable(tmp_path: Path, name: str) -> Path:
    blocker = tmp_path / name
    blocker.write_text("a file, not a directory")  # nothing can be created under it, not even by root
    return blocker / "spool"


def delivered(rx: Receiver) -> collections.Counter:
    return collections.Counter(r["event_id"] for r in rx.received() if r["status"] == 200)


@pytest.fixture
def fresh_process(monkeypatch: pytest.MonkeyPatch) -> Iterator[list]:
    """No outbox yet, nothing pending, no exit handler; the handlers registered are collected."""
    registered: list = []
    outbox_module.forget_outbox()
    monkeypatch.setattr(process, "_pending", 0)
    monkeypatch.setattr(process, "_exit_registered", False)
    monkeypatch.setattr(process.atexit, "register", registered.append)
    yield registered
    outbox_module.forget_outbox()


def test_put_spools_into_this_process_outbox_and_flush_delivers(tmp_path: Path, rx: Receiver, fresh_process) -> None:
    box = make(tmp_path / "spool", rx)
    assert outbox_module.get_outbox(lambda: box) is box
    assert process.get_outbox() is box  # made once, then the same for every hook
    placed = process.put(spooled(1))
    assert placed.placement is Placement.SPOOLED and str(placed) == "spooled"
    assert process.flush(10) == "1 sent"
    assert delivered(rx) == {"ev-1": 1}


def test_flush_pending_flushes_only_after_a_put(tmp_path: Path, rx: Receiver, fresh_process) -> None:
    box = make(tmp_path / "spool", rx)
    outbox_module.get_outbox(lambda: box)
    process.flush_pending()
    assert box.flushes == 0  # nothing was put: no flush, no request
    process.put(spooled(1))
    process.put(spooled(2))
    process.flush_pending()
    assert box.flushes == 1 and delivered(rx) == {"ev-1": 1, "ev-2": 1}
    process.flush_pending()
    assert box.flushes == 1  # the flush settled what was pending


def test_the_exit_handler_is_registered_once(fresh_process) -> None:
    process.deliver_at_exit()
    process.deliver_at_exit()
    assert fresh_process == [process.deliver_before_exit]


def test_describe_says_what_a_flush_did() -> None:
    assert process.describe(FlushResult(sent=2)) == "2 sent"
    text = process.describe(FlushResult(sent=1, failed=1, remaining=3, skipped_backoff=3, errors=("HTTP 503",)))
    assert text == (
        "1 sent, 3 left spooled for a later flush, 1 rejected (see `secoda-listener status`), "
        "Secoda is backing off, HTTP 503"
    )


def test_a_forked_child_owes_nothing_its_parent_put(tmp_path: Path, rx: Receiver, fresh_process) -> None:
    parent_box = make(unwritable(tmp_path, "parent-blocker"), rx)  # held in memory: only the parent has it
    outbox_module.get_outbox(lambda: parent_box)
    process.put(spooled("parent"))
    process.deliver_at_exit()
    pid = os.fork()
    if pid == 0:  # the child: report each finding as an exit code
        code = 99
        try:
            if process._pending != 0:
                code = 10
            elif parent_box._hold.count_pending() != 0:
                code = 11  # the parent's outbox object starts empty here
            else:
                process.flush_pending()
                child_box = make(unwritable(tmp_path, "child-blocker"), rx)
                if parent_box.flushes != 0:
                    code = 12  # nothing pending: flush_pending did not flush
                elif outbox_module.get_outbox(lambda: child_box) is not child_box:
                    code = 13  # not the parent's outbox: a fresh one, made by the factory in the child
                elif process.get_outbox() is not child_box:
                    code = 15
                else:
                    process.put(spooled("child"))
                    process.deliver_at_exit()  # the child's own handler
                    process.flush_pending()
                    ok = child_box.flushes == 1 and len(fresh_process) == 2
                    code = 0 if ok else 14
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert delivered(rx) == {"ev-child": 1}  # the child sent its own, not the parent's
    process.flush_pending()
    assert parent_box.flushes == 1
    assert delivered(rx) == {"ev-parent": 1, "ev-child": 1}
