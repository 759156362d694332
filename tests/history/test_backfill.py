"""The walk: DAGs -> finished runs in the window -> task instances -> tries, into a sink."""

from __future__ import annotations

import datetime as dt
import io

from secoda_listener.event import model as ev
from secoda_listener.history.backfill import Backfill, Progress, Summary
from secoda_listener.history.client import AirflowClient, Credentials
from secoda_listener.history.window import Window
from tests.history import fake_airflow as fx
from tests.history.fake_airflow import FakeAirflow

USER = Credentials(username="user", password="s3cret-pw")
NOW = dt.datetime(2026, 12, 2, tzinfo=dt.timezone.utc)


class Collect:
    def __init__(self) -> None:
        self.events: list[ev.Event] = []
        self.finished: Summary | None = None

    def put(self, event: ev.Event) -> None:
        self.events.append(event)

    def finish(self, summary: Summary) -> None:
        self.finished = summary


def _key(event: ev.Event) -> tuple:
    ti = event.task_instance
    return (event.event_type, event.dag.dag_id, ti and ti.task_id, ti and ti.try_number, ti and ti.state)


EXPECTED = {
    (ev.TASK_SUCCESS, fx.DAG_ID, "export_orders", 1, "success"),
    (ev.TASK_SUCCESS, fx.DAG_ID, "load_mart", 1, "success"),
    (ev.TASK_FAILED, fx.DAG_ID, "flaky", 1, "up_for_retry"),
    (ev.TASK_FAILED, fx.DAG_ID, "flaky", 2, "failed"),
    (ev.DAG_RUN_FAILED, fx.DAG_ID, None, None, None),
}


def _run(fake: FakeAirflow, page_size: int = 100, patterns=(), delivered=frozenset()) -> tuple[Collect, Summary]:
    client = AirflowClient(fake.url, USER).connect()
    sink = Collect()
    window = Window.parse("7d", None, patterns, now=NOW)
    summary = Backfill(client, window, sink, delivered=delivered, page_size=page_size).run()
    return sink, summary


def test_every_finished_try_and_the_runs_final_event_on_both_versions() -> None:
    for major in (3, 2):
        with FakeAirflow(major) as fake:
            sink, summary = _run(fake)
        assert {_key(e) for e in sink.events} == EXPECTED
        assert len(sink.events) == len(EXPECTED)  # each once
        assert (summary.runs, summary.tasks, summary.events, summary.not_final, summary.errors) == (1, 4, 5, 1, 0)
        assert sink.finished is summary


def test_the_window_and_the_finished_states_go_to_the_api() -> None:
    with FakeAirflow(3) as fake:
        _run(fake)
        (params,) = fake.runs_params
    assert params["state"] == ["success", "failed"]
    assert params["end_date_gte"] == ["2026-11-25T00:00:00+00:00"]
    assert params["end_date_lte"] == ["2026-12-02T00:00:00+00:00"]


def test_page_size_one_reads_the_same_events_page_by_page() -> None:
    with FakeAirflow(3, dags=3) as fake:
        sink, _ = _run(fake, page_size=1)
        limits = {r[2].get("limit", [None])[0] for r in fake.requests if r[1].startswith("/api/v2/dags")}
    assert limits <= {"1", None}
    # The other DAGs' copies of the run are their own events (other ids).
    assert len(sink.events) == 3 * len(EXPECTED)
    assert len({e.event_id for e in sink.events}) == len(sink.events)


def test_dag_patterns_pick_the_dags() -> None:
    with FakeAirflow(3, dags=3) as fake:
        sink, summary = _run(fake, patterns=["other_*"])
    assert {e.dag.dag_id for e in sink.events} == {"other_0", "other_1"}
    assert summary.dags == 2


def test_delivered_ids_are_skipped_and_counted() -> None:
    with FakeAirflow(3) as fake:
        first, _ = _run(fake)
        again, summary = _run(fake, delivered=frozenset(e.event_id for e in first.events[:3]))
    assert [e.event_id for e in again.events] == [e.event_id for e in first.events[3:]]
    assert (summary.events, summary.skipped) == (2, 3)


def test_the_same_history_gives_the_same_ids_every_time() -> None:
    with FakeAirflow(3) as fake:
        one, _ = _run(fake)
        two, _ = _run(fake, page_size=2)
    assert [e.event_id for e in one.events] == [e.event_id for e in two.events]
    flaky = [e for e in one.events if e.task_instance and e.task_instance.task_id == "flaky"]
    assert [e.event_id for e in flaky] == [
        ev.event_id_for(ev.TASK_FAILED, fx.DAG_ID, fx.RUN_ID, "flaky", -1, n) for n in (1, 2)
    ]


def test_a_dag_that_fails_to_read_is_an_error_and_the_rest_goes_on() -> None:
    with FakeAirflow(3, dags=2) as fake:
        original = fake.answer

        def broken(method, path, query, body, auth):
            if path.startswith(f"/api/v2/dags/{fx.DAG_ID}/dagRuns"):
                return 500, {"detail": "boom"}
            return original(method, path, query, body, auth)

        fake.answer = broken  # type: ignore[method-assign]
        client = AirflowClient(fake.url, USER, sleep=lambda s: None).connect()
        sink = Collect()
        summary = Backfill(client, Window.parse("7d", None, now=NOW), sink).run()
    assert summary.errors == 1 and "HTTP 500" in summary.error_messages[0]
    assert {e.dag.dag_id for e in sink.events} == {"other_0"}


def test_progress_shows_on_a_terminal_only() -> None:
    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    tty, pipe = Tty(), io.StringIO()
    Progress(tty, interval=0).show(Summary(runs=2, tasks=5), "dag run", force=True)
    Progress(pipe, interval=0).show(Summary(runs=2, tasks=5), "dag run", force=True)
    assert "2 runs, 5 tasks" in tty.getvalue()
    assert pipe.getvalue() == ""
