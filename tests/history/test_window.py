"""The window (--since/--until) and the DAG patterns of a backfill."""

from __future__ import annotations

import datetime as dt

import pytest

from secoda_listener.history.window import Window, api_time, parse_date, parse_since

NOW = dt.datetime(2026, 12, 1, 12, 0, tzinfo=dt.timezone.utc)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("7d", NOW - dt.timedelta(days=7)),
        ("36h", NOW - dt.timedelta(hours=36)),
        ("90m", NOW - dt.timedelta(minutes=90)),
        ("2w", NOW - dt.timedelta(weeks=2)),
        ("1.5d", NOW - dt.timedelta(hours=36)),
        ("2026-01-31", dt.datetime(2026, 1, 31, tzinfo=dt.timezone.utc)),
        ("2026-01-31T12:30:00Z", dt.datetime(2026, 1, 31, 12, 30, tzinfo=dt.timezone.utc)),
        ("2026-01-31T12:30:00+02:00", dt.datetime(2026, 1, 31, 10, 30, tzinfo=dt.timezone.utc)),
    ],
)
def test_since_is_a_date_or_a_duration_back_from_now(text: str, expected: dt.datetime) -> None:
    assert parse_since(text, NOW) == expected


@pytest.mark.parametrize("text", ["yesterday", "7x", "", "2026-13-01"])
def test_since_that_is_neither_says_so(text: str) -> None:
    with pytest.raises(ValueError, match="--since"):
        parse_since(text, NOW)


def test_naive_dates_are_utc_and_api_times_carry_an_offset() -> None:
    assert parse_date("2026-01-31T00:00").tzinfo == dt.timezone.utc
    assert api_time(dt.datetime(2026, 1, 31, 2, tzinfo=dt.timezone(dt.timedelta(hours=2)))) == (
        "2026-01-31T00:00:00+00:00"
    )


def test_window_defaults_to_the_last_30_days_until_now() -> None:
    window = Window.parse(None, None, now=NOW)
    assert (window.since, window.until) == (NOW - dt.timedelta(days=30), NOW)


def test_since_after_until_is_refused() -> None:
    with pytest.raises(ValueError, match="after --until"):
        Window.parse("2026-02-01", "2026-01-01", now=NOW)


def test_patterns_are_globs_over_the_whole_dag_id() -> None:
    window = Window.parse("1d", None, ["sales_*", "exact"], now=NOW)
    assert window.dag_selected("sales_daily")
    assert window.dag_selected("exact")
    assert not window.dag_selected("exactly")
    assert not window.dag_selected("pre_sales_daily")
    assert not window.dag_selected("Sales_daily")  # DAG ids are case-sensitive
    assert Window.parse("1d", None, now=NOW).dag_selected("anything")
