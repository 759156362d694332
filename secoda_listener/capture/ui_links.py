"""Links into Airflow's UI for a DAG, a DAG run, a task instance and its log.

Pure functions of a base URL and ids, so the live listener and ``secoda-listener
backfill`` (which reads the same ids from the REST API) build the very same
strings. Airflow's two UIs route differently:

* Airflow 3 (React UI, routes in ``airflow/ui``): ``/dags/{dag_id}``,
  ``/dags/{dag_id}/runs/{run_id}``, ``/dags/{dag_id}/runs/{run_id}/tasks/{task_id}``
  (+ ``/mapped/{map_index}``); a task instance's index tab is its log, and
  ``?try_number=N`` picks the try - the same URL Airflow 3's own
  ``TaskInstance.log_url`` builds.
* Airflow 2.10 (Flask UI, ``airflow/www/views.py``): the grid view,
  ``/dags/{dag_id}/grid`` with ``dag_run_id``, ``task_id``, ``map_index`` and
  ``tab=logs`` query parameters - as Airflow 2's ``TaskInstance.log_url``. The grid
  has no parameter selecting a try (its log tab opens the latest try), so
  ``try_number`` is not part of an Airflow 2 link; ``base_date`` (the run's
  logical date) keeps an old run inside the grid's window, as Airflow adds it.

Every id is URL-quoted with no safe characters: run ids carry ``:`` and ``+``
(``manual__2025-01-01T00:00:00+00:00``), and a ``/`` must not split a path segment.

The base URL is ``[api] base_url`` on Airflow 3 and ``[webserver] base_url`` on
Airflow 2, read once per process. Unset, it is ``http://localhost:8080``: Airflow 2's
configured default, and the fallback Airflow 3's ``TaskInstance.log_url`` uses for
the links it writes itself.
"""

from __future__ import annotations

import sys
from datetime import datetime
from typing import Any
from urllib.parse import quote

#: What Airflow itself links to when no base URL is configured.
DEFAULT_BASE_URL = "http://localhost:8080"

_cache: dict[str, Any] = {}


def _q(value: Any) -> str:
    return quote(str(value), safe="")


def _query(pairs: list[tuple[str, Any]]) -> str:
    return "&".join(f"{key}={_q(value)}" for key, value in pairs)


def _base(base: str) -> str:
    return (base or DEFAULT_BASE_URL).rstrip("/")


def _base_date(logical_date: datetime | str | None) -> str | None:
    if logical_date is None:
        return None
    if not isinstance(logical_date, datetime):
        # The REST API gives ISO text ("...Z" or "+00:00"): parse it, so backfill and
        # the listener format the same instant the same way.
        try:
            logical_date = datetime.fromisoformat(str(logical_date).replace("Z", "+00:00"))
        except ValueError:
            return str(logical_date)
    # Airflow 2's own log_url formats it so (no microseconds, numeric offset).
    return logical_date.strftime("%Y-%m-%dT%H:%M:%S%z")


def dag_url(base: str, dag_id: str, major: int) -> str:
    if major >= 3:
        return f"{_base(base)}/dags/{_q(dag_id)}"
    return f"{_base(base)}/dags/{_q(dag_id)}/grid"


def dag_run_url(base: str, dag_id: str, run_id: str, major: int) -> str:
    if major >= 3:
        return f"{_base(base)}/dags/{_q(dag_id)}/runs/{_q(run_id)}"
    return f"{dag_url(base, dag_id, major)}?{_query([('dag_run_id', run_id)])}"


def _a2_task_pairs(run_id: str, task_id: str, map_index: int | None) -> list[tuple[str, Any]]:
    pairs: list[tuple[str, Any]] = [("dag_run_id", run_id), ("task_id", task_id)]
    if map_index is not None and map_index >= 0:
        pairs.append(("map_index", map_index))
    return pairs


def task_instance_url(base: str, dag_id: str, run_id: str, task_id: str, map_index: int | None, major: int) -> str:
    if major >= 3:
        mapped = f"/mapped/{int(map_index)}" if map_index is not None and map_index >= 0 else ""
        return f"{dag_run_url(base, dag_id, run_id, major)}/tasks/{_q(task_id)}{mapped}"
    pairs = _a2_task_pairs(run_id, task_id, map_index)
    return f"{dag_url(base, dag_id, major)}?{_query(pairs)}"


def log_url(
    base: str,
    dag_id: str,
    run_id: str,
    task_id: str,
    map_index: int | None,
    try_number: int | None,
    major: int,
    logical_date: datetime | str | None = None,
) -> str:
    """The try's log. ``logical_date`` only matters on Airflow 2 (the grid's ``base_date``)."""
    if major >= 3:
        url = task_instance_url(base, dag_id, run_id, task_id, map_index, major)
        if try_number is not None and try_number > 0:
            url += f"?try_number={int(try_number)}"
        return url
    pairs = _a2_task_pairs(run_id, task_id, map_index)
    base_date = _base_date(logical_date)
    if base_date is not None:
        pairs.append(("base_date", base_date))
    pairs.append(("tab", "logs"))
    return f"{dag_url(base, dag_id, major)}?{_query(pairs)}"


def airflow_major() -> int:
    """The running Airflow's major version (2 when it cannot be told)."""
    if "major" not in _cache:
        version = str(getattr(sys.modules.get("airflow"), "__version__", "") or "")
        if not version:
            try:
                from importlib.metadata import version as dist_version

                version = dist_version("apache-airflow")
            except Exception:  # noqa: BLE001 - no metadata: assume the older UI
                version = "2"
        head = version.split(".", 1)[0]
        _cache["major"] = int(head) if head.isdigit() else 2
    return int(_cache["major"])


def configured_base_url() -> str:
    """``[api] base_url`` (Airflow 3) or ``[webserver] base_url`` (Airflow 2); read once."""
    if "base" not in _cache:
        section = "api" if airflow_major() >= 3 else "webserver"
        value = ""
        try:
            from airflow.configuration import conf as airflow_conf

            value = airflow_conf.get(section, "base_url", fallback="") or ""
        except Exception:  # noqa: BLE001 - no Airflow configuration: Airflow's default
            value = ""
        _cache["base"] = _base(value.strip())
    return str(_cache["base"])


def reset_cache() -> None:
    """Forget the cached version and base URL (tests change the configuration)."""
    _cache.clear()
