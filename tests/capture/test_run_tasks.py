"""A DAG run's task instances, read off the hook: the query, its bounds, and the pending reads
that finish every event exactly once (with the list, or without it when the read cannot)."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest
import sqlalchemy

from secoda_listener.capture import run_tasks
from secoda_listener.capture.run_tasks import PendingReads, RunTasks, read_run_tasks
from secoda_listener.event.model import RunTaskInstance

WAIT = 30.0


@pytest.fixture
def metadata_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> sqlalchemy.engine.Engine:
    """An engine on a database with Airflow's ``task_instance`` columns, set as Airflow's engine."""
    from airflow import settings

    engine = sqlalchemy.create_engine(f"sqlite:///{tmp_path / 'airflow.db'}")
    with engine.begin() as connection:
        connection.execute(
            sqlalchemy.text(
                "CREATE TABLE task_instance (dag_id TEXT, run_id TEXT, task_id TEXT, map_index INTEGER,"
                " try_number INTEGER, state TEXT, start_date TIMESTAMP, end_date TIMESTAMP)"
            )
        )
        rows = [
            ("d", "r1", f"t{i:02}", -1, 1, "success", "2024-01-01 00:00:00", "2024-01-01 00:01:00") for i in range(5)
        ]
        rows += [("d", "r1", "mapped", i, 2, "failed", None, None) for i in range(3)]
        rows += [
            ("d", "other_run", "t00", -1, 1, "running", None, None),
            ("e", "r1", "t00", -1, 1, "queued", None, None),
        ]
        for row in rows:
            connection.execute(
                sqlalchemy.text("INSERT INTO task_instance VALUES (:d, :r, :t, :m, :n, :s, :sd, :ed)"),
                dict(zip(("d", "r", "t", "m", "n", "s", "sd", "ed"), row)),
            )
    monkeypatch.setattr(settings, "engine", engine)
    return engine


def test_the_read_lists_every_task_instance_of_the_run_and_only_those(metadata_db) -> None:
    found = read_run_tasks("d", "r1", limit=100)
    assert found.total is None  # nothing cut
    assert [(t.task_id, t.map_index) for t in found.task_instances] == [
        ("mapped", 0),
        ("mapped", 1),
        ("mapped", 2),
        *((f"t{i:02}", -1) for i in range(5)),
    ]
    assert found.task_instances[0] == RunTaskInstance("mapped", 0, 2, "failed", None, None)
    assert found.task_instances[3].state == "success" and found.task_instances[3].end_date is not None


def test_a_large_run_is_cut_at_the_limit_and_keeps_its_count(metadata_db) -> None:
    found = read_run_tasks("d", "r1", limit=3)
    assert len(found.task_instances) == 3 and found.total == 8


def test_without_a_metadata_database_the_read_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    from airflow import settings

    monkeypatch.setattr(settings, "engine", None)
    with pytest.raises(LookupError, match="no metadata database"):
        read_run_tasks("d", "r1", limit=3)


def _wait_until(condition) -> None:
    done = threading.Event()
    for _ in range(int(WAIT / 0.01)):
        if condition():
            return
        done.wait(0.01)
    raise AssertionError("condition not met in time")


class Finished:
    """A finish callback: what it was called with, and when."""

    def __init__(self) -> None:
        self.calls: list[RunTasks | None] = []
        self.called = threading.Event()

    def __call__(self, found: RunTasks | None) -> None:
        self.calls.append(found)
        self.called.set()


def test_a_pending_read_finishes_its_event_once_with_the_list() -> None:
    listed = RunTasks((RunTaskInstance("t", -1, 1, "success", None, None),))
    reads = PendingReads(read=lambda dag_id, run_id, limit: listed)
    finished = Finished()
    reads.start("d", "r1", 10, finished)
    assert finished.called.wait(WAIT)
    reads.settle(1.0)  # nothing pending any more: a no-op
    assert finished.calls == [listed]
    assert reads.count() == 0


def test_tries_not_ended_yet_are_read_again_until_they_have() -> None:
    """A run marked failed through the API: its hook fires before its running tries are ended."""
    running = RunTasks((RunTaskInstance("t", -1, 1, "running", None, None),))
    ended = RunTasks((RunTaskInstance("t", -1, 1, "failed", None, "e"),))
    answers = [running, running, ended]
    pauses: list[float] = []
    reads = PendingReads(read=lambda *query: answers.pop(0), pauses=(0.1, 0.2, 0.4, 0.8), sleep=pauses.append)
    finished = Finished()
    reads.start("d", "r1", 10, finished)
    assert finished.called.wait(WAIT)
    assert finished.calls == [ended] and pauses == [0.1, 0.2]  # read three times, then done

    still_running = PendingReads(read=lambda *query: running, pauses=(0.1, 0.2), sleep=lambda s: None)
    finished = Finished()
    still_running.start("d", "r1", 10, finished)
    assert finished.called.wait(WAIT)
    assert finished.calls == [running]  # the pauses ran out: what the database had then


def test_a_failing_read_finishes_the_event_without_the_list_and_warns(caplog) -> None:
    def broken(dag_id: str, run_id: str, limit: int) -> RunTasks:
        raise RuntimeError("database went away")

    reads = PendingReads(read=broken)
    finished = Finished()
    reads.start("d", "r-broken", 10, finished)
    assert finished.called.wait(WAIT)
    assert finished.calls == [None]
    assert any("database went away" in r.getMessage() for r in caplog.records)


def test_settle_finishes_a_read_that_hangs_without_its_list_and_the_thread_later_does_nothing() -> None:
    release = threading.Event()

    def hanging(dag_id: str, run_id: str, limit: int) -> RunTasks:
        release.wait(WAIT)
        return RunTasks(())

    reads = PendingReads(read=hanging)
    finished = Finished()
    reads.start("d", "r1", 10, finished)
    reads.settle(0.05)
    assert finished.calls == [None]  # the exit handler did not lose the event to the wait
    release.set()
    _wait_until(lambda: reads.count() == 0)  # the thread finished its read: finish ran no second time
    assert finished.calls == [None]


def test_no_run_id_or_a_zero_limit_finishes_at_once_without_a_read() -> None:
    def never(dag_id: str, run_id: str, limit: int) -> RunTasks:
        raise AssertionError("read although there is nothing to read")

    reads = PendingReads(read=never)
    for run_id, limit in ((None, 10), ("r1", 0)):
        finished = Finished()
        reads.start("d", run_id, limit, finished)
        assert finished.calls == [None]


def test_a_forked_child_starts_with_no_pending_reads() -> None:
    release = threading.Event()
    parent = run_tasks.pending_reads
    run_tasks.pending_reads = reads = PendingReads(read=lambda *a: (release.wait(WAIT), RunTasks(()))[1])
    try:
        reads.start("d", "r1", 10, Finished())
        assert reads.count() == 1
        pid = os.fork()
        if pid == 0:
            code = 99
            try:
                code = 0 if run_tasks.pending_reads is not reads and run_tasks.pending_reads.count() == 0 else 10
            finally:
                os._exit(code)
        _, status = os.waitpid(pid, 0)
        assert os.waitstatus_to_exitcode(status) == 0
    finally:
        release.set()
        run_tasks.pending_reads = parent
