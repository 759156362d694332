"""Namespace and default database/schema of an Airflow connection, for extractors.

Namespaces follow OpenLineage's dataset naming (spec/Naming.md and the "Naming
Conventions" page of openlineage.io): ``snowflake://{account}``,
``postgres://{host}:{port}``, ``mysql://{host}:{port}``, ``bigquery``,
``redshift://{cluster_identifier}.{region_name}:{port}``, ``databricks://{host}``.
Everything comes from the connection and the operator's or hook's parameters:
nothing here talks to the database or a cloud API, because it runs on the task's path.
"""

from __future__ import annotations

import os
from typing import Any, Callable
from urllib.parse import urlsplit

import attrs

from secoda_listener.delivery.secoda_connection import connection_extras, get_airflow_connection

#: Connection type -> the SQL dialect its statements are parsed with; anything else is "generic".
DIALECTS = {
    "snowflake": "snowflake",
    "postgres": "postgres",
    "postgresql": "postgres",
    "redshift": "redshift",
    "google_cloud_platform": "bigquery",
    "gcpbigquery": "bigquery",
    "bigquery": "bigquery",
    "databricks": "databricks",
    "mysql": "mysql",
}

REDSHIFT_PORT = 5439
MYSQL_PORT = 3306
POSTGRES_PORT = 5432
BIGQUERY_NAMESPACE = "bigquery"


@attrs.frozen
class SqlTarget:
    """Where a SQL operator's statements run, as far as lineage needs to know.

    ``database`` / ``schema`` are the SQL library's two default levels: for BigQuery the
    project and dataset, for Databricks the catalog and schema, for MySQL only ``schema``
    (a MySQL database is the schema level of its names).
    """

    dialect: str  # a value of DIALECTS, or "generic"
    namespace: str
    database: str | None = None
    schema: str | None = None


@attrs.frozen
class _Fields:
    """The parts of an Airflow connection the targets read (never its password)."""

    conn_type: str
    host: str | None
    port: int | None
    schema: str | None  # Airflow's "schema" field: the database of Postgres, MySQL, Redshift
    extras: dict[str, Any]

    @classmethod
    def of(cls, connection: Any) -> _Fields:
        return cls(
            conn_type=(getattr(connection, "conn_type", None) or "").lower(),
            host=getattr(connection, "host", None) or None,
            port=getattr(connection, "port", None) or None,
            schema=getattr(connection, "schema", None) or None,
            extras=connection_extras(connection),
        )

    def extra(self, *keys: str) -> Any:
        """The first non-empty extra among ``keys`` (old connections prefix theirs: ``extra__snowflake__``)."""
        for key in keys:
            value = self.extras.get(key)
            if value not in (None, ""):
                return value
        return None


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def snowflake_namespace(account: str | None) -> str:
    return f"snowflake://{(account or 'unknown').strip().lower()}"


def redshift_namespace(
    *, host: str | None = None, port: int | None = None, cluster: str | None = None, region: str | None = None
) -> str:
    """``redshift://{cluster_identifier}.{region_name}:{port}``, port 5439 by default.

    OpenLineage spec/Naming.md, "Redshift": the namespace is
    ``redshift://{cluster_identifier}.{region_name}:{port}`` because cluster identifier and
    region are the only identity both the SQL endpoint and the Data API share; the host
    ``{cluster}.{id}.{region}.redshift[-serverless].amazonaws.com`` yields both. A host of
    another form (an IP, a proxy) is used whole, as Airflow's own Redshift hook does.
    """
    if cluster and region:
        identifier = f"{cluster}.{region}"
    else:
        identifier = _redshift_host_identifier(host) or host or cluster or "unknown"
    return f"redshift://{identifier.lower()}:{port or REDSHIFT_PORT}"


def _redshift_host_identifier(host: str | None) -> str | None:
    parts = (host or "").lower().split(".")
    global_endpoint = len(parts) == 6 and parts[-2:] == ["amazonaws", "com"]
    china_endpoint = len(parts) == 7 and parts[-3:] == ["amazonaws", "com", "cn"]
    return f"{parts[0]}.{parts[2]}" if global_endpoint or china_endpoint else None


def databricks_host(value: str | None) -> str | None:
    """A workspace host written as a URL (``https://adb-1.azuredatabricks.net/``) or bare."""
    if not value:
        return None
    return (urlsplit(value).hostname if "//" in value else value.strip("/")) or None


def aws_region(aws_conn_id: str | None) -> str | None:
    """The region an AWS connection (or, without one, the environment) names; no AWS call."""
    if aws_conn_id:
        try:
            fields = _Fields.of(get_airflow_connection(aws_conn_id))
        except Exception:  # noqa: BLE001 - no AWS connection: boto would fall back to the environment too
            fields = None
        region = fields.extra("region_name", "region") if fields else None
        if region:
            return str(region)
    return os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or None


# --- one builder per connection family: (connection fields, database, schema) -> SqlTarget -------


def _snowflake(c: _Fields, database: str | None, schema: str | None) -> SqlTarget:
    return SqlTarget(
        dialect="snowflake",
        namespace=snowflake_namespace(c.extra("account", "extra__snowflake__account") or c.host),
        database=database or c.extra("database", "extra__snowflake__database"),
        schema=schema or c.extra("schema", "extra__snowflake__schema") or c.schema,
    )


def _postgres(c: _Fields, database: str | None, schema: str | None) -> SqlTarget:
    # Airflow keeps a Postgres connection's database in its `schema` field.
    return SqlTarget(
        dialect="postgres",
        namespace=f"postgres://{c.host or 'localhost'}:{c.port or POSTGRES_PORT}",
        database=database or c.schema,
        schema=schema or "public",
    )


def _redshift(c: _Fields, database: str | None, schema: str | None) -> SqlTarget:
    cluster = c.extra("cluster_identifier") or (c.extra("serverless_work_group") if c.extra("is_serverless") else None)
    return SqlTarget(
        dialect="redshift",
        namespace=redshift_namespace(
            host=c.host, port=c.port, cluster=cluster, region=c.extra("region", "region_name")
        ),
        database=database or c.schema or c.extra("database"),
        schema=schema or "public",
    )


def _bigquery(c: _Fields, database: str | None, schema: str | None) -> SqlTarget:
    # The project a 2-part `dataset.table` resolves in; the dataset only when one is given.
    project = database or c.extra("project", "extra__google_cloud_platform__project")
    return SqlTarget(dialect="bigquery", namespace=BIGQUERY_NAMESPACE, database=project, schema=schema)


def _databricks(c: _Fields, database: str | None, schema: str | None) -> SqlTarget:
    # No default catalog: it is a workspace setting (the workspace catalog or hive_metastore,
    # and hive_metastore on compute without Unity Catalog), unknowable from the connection.
    # The schema is `default` unless set: Databricks' own initial schema in every catalog.
    host = databricks_host(_text(c.extra("host")) or c.host)
    return SqlTarget(
        dialect="databricks",
        namespace=f"databricks://{host or 'unknown'}",
        database=database or c.extra("catalog"),
        schema=schema or c.extra("schema") or "default",
    )


def _mysql(c: _Fields, database: str | None, schema: str | None) -> SqlTarget:
    # A MySQL database is the schema level of a name (dialect spec, section 6). Airflow keeps it
    # in the connection's `schema` field; SQLExecuteQueryOperator(database=...) sets it on the hook.
    return SqlTarget(
        dialect="mysql",
        namespace=f"mysql://{c.host or 'localhost'}:{c.port or MYSQL_PORT}",
        database=None,
        schema=database or schema or c.schema,
    )


def _generic(c: _Fields, database: str | None, schema: str | None) -> SqlTarget:
    host = c.host or "localhost"
    netloc = f"{host}:{c.port}" if c.port else host
    return SqlTarget(
        dialect="generic",
        namespace=f"{c.conn_type or 'sql'}://{netloc}",
        database=database or c.schema,
        schema=schema,
    )


_BUILDERS: dict[str, Callable[[_Fields, str | None, str | None], SqlTarget]] = {
    "snowflake": _snowflake,
    "postgres": _postgres,
    "redshift": _redshift,
    "bigquery": _bigquery,
    "databricks": _databricks,
    "mysql": _mysql,
}


def connection_dialect(connection: Any) -> str:
    """The dialect of an Airflow connection (its type looked up in :data:`DIALECTS`)."""
    return DIALECTS.get((getattr(connection, "conn_type", None) or "").lower(), "generic")


def connection_target(connection: Any, *, database: str | None = None, schema: str | None = None) -> SqlTarget:
    """:func:`sql_target` for a connection already read."""
    return _BUILDERS.get(connection_dialect(connection), _generic)(_Fields.of(connection), database, schema)


def sql_target(
    conn_id: str,
    *,
    database: str | None = None,
    schema: str | None = None,
) -> SqlTarget:
    """The dialect, namespace and defaults of connection ``conn_id``.

    ``database`` / ``schema`` (from the operator or its ``hook_params``) win over
    the connection's own values. ``database`` is the BigQuery project and the
    Databricks catalog; for MySQL it is the MySQL database, as Airflow's
    ``SQLExecuteQueryOperator(database=...)`` means it.
    """
    return connection_target(get_airflow_connection(conn_id), database=database, schema=schema)


# --- hooks ---------------------------------------------------------------------------------------


def hook_conn_id(hook: Any) -> str:
    """The connection id of a hook: ``get_conn_id()``, else the attribute ``conn_name_attr`` names."""
    get_conn_id = getattr(hook, "get_conn_id", None)
    conn_id = get_conn_id() if callable(get_conn_id) else None
    if not conn_id:
        conn_id = getattr(hook, str(getattr(hook, "conn_name_attr", "") or "conn_id"), None)
    if not conn_id:
        raise LookupError(f"{type(hook).__name__} names no connection id")
    return str(conn_id)


def _hook_defaults(dialect: str, own: dict[str, Any]) -> tuple[str | None, str | None]:
    """(database, schema) overrides a hook's own attributes set, as its dialect reads them."""
    # DbApiHook(schema=...) (kept as `_DbApiHook__schema`) replaces the connection's schema
    # field: the database on Postgres, Redshift and MySQL, not a schema.
    db_api_schema = _text(own.get("_DbApiHook__schema"))
    if dialect == "mysql":
        return None, _text(own.get("schema")) or db_api_schema
    if dialect in ("postgres", "redshift", "generic"):
        return _text(own.get("database")) or _text(own.get("schema")) or db_api_schema, None
    if dialect == "bigquery":
        # BigQueryHook.project_id is a property that resolves credentials (possibly over the
        # network): only a project the hook already holds is read.
        project = _text(own.get("project_id")) or _text(own.get("_cached_project_id"))
        return project, _text(own.get("dataset_id"))
    if dialect == "databricks":
        return _text(own.get("catalog")), _text(own.get("schema"))
    return _text(own.get("database")), _text(own.get("schema"))


def hook_target(hook: Any) -> SqlTarget:
    """The :class:`SqlTarget` of the connection a DbApiHook instance runs on, without connecting.

    Database and schema come from the hook's own instance attributes (``database``,
    ``schema``, ``catalog``, ``project_id``), never from properties, which may connect.
    """
    connection = get_airflow_connection(hook_conn_id(hook))
    own = vars(hook) if hasattr(hook, "__dict__") else {}
    database, schema = _hook_defaults(connection_dialect(connection), own)
    return connection_target(connection, database=database, schema=schema)
