"""Lineage of a finished try from what the REST API kept of it: its rendered template fields.

The live listener runs the extractors on the operator object; backfill has only
the task instance's ``rendered_fields`` (what Airflow rendered for the try, secrets
masked) and the operator's import path. It goes through the very same code:

* SQL (a rendered ``sql``): :func:`secoda_listener.extractors.sql_operators.sql_lineage`
  with the :class:`~secoda_listener.extractors.sql_targets.SqlTarget` of the task's
  connection as ``/connections/{id}`` describes it (type, host, port, schema, extra:
  the API never gives the password, and nothing here would read it).
* Bash (a rendered ``bash_command``): the built-in Bash extractor (the shell finder,
  psql/snowsql clients), on a stand-in task holding the rendered command.

Hook-level and declared lineage need the live task: they are the listener's.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

import attrs

from secoda_listener.event.datasets import Lineage
from secoda_listener.extractors.sql_targets import SqlTarget, connection_target

log = logging.getLogger(__name__)

#: conn id -> the connection's non-secret fields (None: not readable through the API).
ConnectionLookup = Callable[[str], "ApiConnection | None"]

_SNOWFLAKE_SQL_API = "airflow.providers.snowflake.operators.snowflake.SnowflakeSqlApiOperator"


@attrs.frozen
class ApiConnection:
    """An Airflow connection as ``/connections/{id}`` gives it, without any secret field.

    Shaped like Airflow's ``Connection`` for :func:`connection_target`; there is no
    ``password`` attribute at all, so no code path can carry one into an event.
    """

    conn_type: str | None
    host: str | None
    port: int | None
    schema: str | None
    extra: str | None

    @classmethod
    def from_api(cls, data: dict[str, Any]) -> ApiConnection:
        extra = data.get("extra")
        if isinstance(extra, dict):
            extra = json.dumps(extra)
        port = data.get("port")
        return cls(
            conn_type=data.get("conn_type"),
            host=data.get("host"),
            port=int(port) if isinstance(port, (int, str)) and str(port).isdigit() else None,
            schema=data.get("schema"),
            extra=extra if isinstance(extra, str) else None,
        )

    @property
    def extra_dejson(self) -> dict[str, Any]:
        try:
            value = json.loads(self.extra or "{}")
        except ValueError:
            return {}
        return value if isinstance(value, dict) else {}


@attrs.frozen
class TryLineage:
    lineage: Lineage
    source_code: str | None = None  # the rendered Bash command, as the listener sends it


def _sql_lineage(fields: dict[str, Any], operator: str | None, lookup: ConnectionLookup) -> Lineage:
    from secoda_listener.extractors.sql_operators import _operator_defaults, operator_conn_id, sql_lineage

    stand_in = SimpleNamespace(**fields)
    conn_id = operator_conn_id(stand_in)
    if conn_id is None:
        return Lineage(errors=("the rendered fields name no connection id: no namespace for the SQL",))
    connection = lookup(conn_id)
    if connection is None:
        return Lineage(errors=(f"connection {conn_id!r} cannot be read through the Airflow REST API",))
    database, schema = _operator_defaults(stand_in)
    target = connection_target(connection, database=database, schema=schema)
    if operator == _SNOWFLAKE_SQL_API and target.dialect != "snowflake":
        target = SqlTarget("snowflake", target.namespace, target.database, target.schema)
    return sql_lineage(fields.get("sql"), target)


def _bash_lineage(fields: dict[str, Any]) -> TryLineage:
    from secoda_listener.extractors.bash import BashExtractor

    task = SimpleNamespace(bash_command=fields.get("bash_command"), cwd=fields.get("cwd"))
    stand_in = SimpleNamespace(task=task)
    extractor = BashExtractor()
    return TryLineage(extractor.extract_on_start(stand_in), extractor.source_code(stand_in))


def try_lineage(rendered_fields: Any, operator: str | None, lookup: ConnectionLookup) -> TryLineage:
    """Lineage (and Bash source code) of a try from its rendered fields. Never raises."""
    fields = rendered_fields if isinstance(rendered_fields, dict) else {}
    try:
        if isinstance(fields.get("bash_command"), str):
            return _bash_lineage(fields)
        if fields.get("sql"):
            return TryLineage(_sql_lineage(fields, operator, lookup))
    except Exception as exc:  # noqa: BLE001 - one try's lineage never stops a backfill
        log.debug("secoda-listener backfill: lineage failed: %s", exc)
        return TryLineage(Lineage(errors=(f"lineage failed: {type(exc).__name__}: {exc}",)))
    return TryLineage(Lineage())
