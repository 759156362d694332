"""What a backfill covers: a time window of run end dates and DAG id patterns.

``--since`` is a date (``2026-01-31``, ``2026-01-31T12:00``, ISO-8601 with an
offset; naive means UTC) or a duration back from now (``90m``, ``36h``, ``7d``,
``2w``); ``--until`` a date (default: now). A run is in the window when it
*ended* in it: a finished run is what backfill reports. DAG patterns are shell
globs (``sales_*``), matched against the whole DAG id; none means every DAG.
"""

from __future__ import annotations

import datetime as dt
import fnmatch
import re
from collections.abc import Sequence

import attrs

#: Without ``--since``: the last 30 days.
DEFAULT_SINCE = "30d"
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhdw])\s*$", re.IGNORECASE)
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}


def _utc_now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def parse_date(text: str) -> dt.datetime:
    """An ISO-8601 date or date-time; naive values are UTC. Raises ValueError."""
    value = text.strip()
    if value.endswith(("Z", "z")):
        value = value[:-1] + "+00:00"
    try:
        parsed = dt.datetime.fromisoformat(value)
    except ValueError:
        raise ValueError(f"not a date: {text!r} (use e.g. 2026-01-31 or 2026-01-31T12:00:00+00:00)") from None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=dt.timezone.utc)


def parse_since(text: str, now: dt.datetime | None = None) -> dt.datetime:
    """A date, or a duration back from ``now`` (``7d``, ``36h``, ``90m``, ``2w``)."""
    match = _DURATION.match(text)
    if match:
        seconds = float(match.group(1)) * _UNITS[match.group(2).lower()]
        return (now or _utc_now()) - dt.timedelta(seconds=seconds)
    try:
        return parse_date(text)
    except ValueError:
        raise ValueError(f"--since: not a date nor a duration: {text!r} (e.g. 7d, 36h, 2026-01-31)") from None


def api_time(value: dt.datetime) -> str:
    """The form both APIs parse in a query string: ISO-8601 with an explicit offset."""
    return value.astimezone(dt.timezone.utc).isoformat()


@attrs.frozen
class Window:
    """Runs that ended in ``[since, until]``; DAGs whose id matches one of ``patterns``."""

    since: dt.datetime
    until: dt.datetime
    patterns: tuple[str, ...] = ()

    @classmethod
    def parse(
        cls, since: str | None, until: str | None, patterns: Sequence[str] = (), now: dt.datetime | None = None
    ) -> Window:
        now = now or _utc_now()
        start = parse_since(since or DEFAULT_SINCE, now)
        end = parse_date(until) if until else now
        if start > end:
            raise ValueError(f"--since ({start.isoformat()}) is after --until ({end.isoformat()})")
        return cls(start, end, tuple(patterns))

    def dag_selected(self, dag_id: str) -> bool:
        return not self.patterns or any(fnmatch.fnmatchcase(dag_id, pattern) for pattern in self.patterns)

    def describe(self) -> str:
        dags = ", ".join(self.patterns) if self.patterns else "all DAGs"
        return f"runs ended {api_time(self.since)} .. {api_time(self.until)}, {dags}"
