"""Namespace and default database/schema of an Airflow connection, for extractors.

OpenLineage conventions: ``snowflake://{account}``, ``postgres://{host}:{port}``.
Everything comes from the connection and the operator's parameters: nothing
here talks to the database, because it runs on the task's path.
"""

from __future__ import annotations

from typing import Any

import attrs

from secoda_listener.delivery.secoda_connection import connection_extras, get_airflow_connection

#: Connection types whose SQL we parse with a dialect of its own.
DIALECTS = {"snowflake": "snowflake", "postgres": "postgres", "postgresql": "postgres", "redshift": "postgres"}


@attrs.frozen
class SqlTarget:
    """Where a SQL operator's statements run, as far as lineage needs to know."""

    dialect: str  # "snowflake" | "postgres" | "generic"
    namespace: str
    database: str | None = None
    schema: str | None = None


def _extra(extras: dict[str, Any], key: str) -> Any:
    # Older Snowflake connections prefix their extras: extra__snowflake__account.
    return extras.get(key) or extras.get(f"extra__snowflake__{key}")


def snowflake_namespace(account: str | None) -> str:
    return f"snowflake://{(account or 'unknown').strip().lower()}"


def sql_target(
    conn_id: str,
    *,
    database: str | None = None,
    schema: str | None = None,
) -> SqlTarget:
    """The dialect, namespace and defaults of connection ``conn_id``.

    ``database`` / ``schema`` (from the operator or its ``hook_params``) win over
    the connection's own values.
    """
    connection = get_airflow_connection(conn_id)
    conn_type = (getattr(connection, "conn_type", None) or "").lower()
    dialect = DIALECTS.get(conn_type, "generic")
    extras = connection_extras(connection)
    if dialect == "snowflake":
        return SqlTarget(
            dialect=dialect,
            namespace=snowflake_namespace(_extra(extras, "account") or getattr(connection, "host", None)),
            database=database or _extra(extras, "database"),
            schema=schema or _extra(extras, "schema") or getattr(connection, "schema", None) or None,
        )
    host = getattr(connection, "host", None) or "localhost"
    if dialect == "postgres":
        port = getattr(connection, "port", None) or 5432
        # Airflow keeps a Postgres connection's database in its `schema` field.
        return SqlTarget(
            dialect=dialect,
            namespace=f"postgres://{host}:{port}",
            database=database or getattr(connection, "schema", None) or None,
            schema=schema or "public",
        )
    port = getattr(connection, "port", None)
    netloc = f"{host}:{port}" if port else host
    return SqlTarget(
        dialect="generic",
        namespace=f"{conn_type or 'sql'}://{netloc}",
        database=database or getattr(connection, "schema", None) or None,
        schema=schema,
    )
