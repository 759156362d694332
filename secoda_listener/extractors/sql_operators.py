"""Built-in extractors for SQL operators (Snowflake, Postgres, Redshift, MySQL, BigQuery, Databricks, any SQL).

The operator's rendered ``sql`` goes through :func:`secoda_listener.sql.extract_lineage`
with the dialect, database and schema its connection implies; the table names
become datasets named by OpenLineage conventions.
"""

from __future__ import annotations

from typing import Any, ClassVar

from secoda_listener.event.datasets import Dataset, Lineage
from secoda_listener.extractors.base import BaseExtractor
from secoda_listener.extractors.sql_targets import SqlTarget, snowflake_namespace, sql_target

_CONN_ID_ATTRIBUTES = (
    "snowflake_conn_id",
    "postgres_conn_id",
    "redshift_conn_id",
    "mysql_conn_id",
    "databricks_conn_id",
    "gcp_conn_id",
    "conn_id",
)


def operator_conn_id(operator: Any) -> str | None:
    """The connection id an SQL operator uses, whatever its attribute is called."""
    field = getattr(operator, "conn_id_field", None)
    if field and getattr(operator, field, None):
        return str(getattr(operator, field))
    for attribute in _CONN_ID_ATTRIBUTES:
        value = getattr(operator, attribute, None)
        if value:
            return str(value)
    return None


def _operator_defaults(operator: Any) -> tuple[str | None, str | None]:
    """Database and schema the operator itself sets (arguments or ``hook_params``)."""
    hook_params = getattr(operator, "hook_params", None) or {}
    # Databricks hooks take the catalog as `catalog`: the database level of its names.
    database = getattr(operator, "database", None) or hook_params.get("database") or hook_params.get("catalog")
    schema = getattr(operator, "schema", None) or hook_params.get("schema")
    return database, schema


def operator_target(operator: Any) -> SqlTarget:
    conn_id = operator_conn_id(operator)
    if conn_id is None:
        raise LookupError(f"{type(operator).__name__} names no connection id")
    database, schema = _operator_defaults(operator)
    return sql_target(conn_id, database=database, schema=schema)


def sql_lineage(sql: Any, target: SqlTarget) -> Lineage:
    """Datasets read and written by ``sql`` run at ``target``."""
    if not sql:
        return Lineage()
    # Imported here, not with the module: the registry loads every built-in
    # extractor in every task process, and most tasks (Bash without a SQL client,
    # Python) never read SQL.
    from secoda_listener.sql import extract_lineage

    statements = sql if isinstance(sql, (list, tuple)) else str(sql)
    found = extract_lineage(statements, target.dialect, target.database, target.schema)
    return Lineage(
        inputs=[Dataset(target.namespace, table.openlineage_name()) for table in found.inputs],
        outputs=[Dataset(target.namespace, table.openlineage_name()) for table in found.outputs],
        errors=found.errors,
    )


class SqlExecuteQueryExtractor(BaseExtractor):
    """``SQLExecuteQueryOperator`` and everything built on it (Postgres/Snowflake operators)."""

    operators: ClassVar[tuple[str, ...]] = (
        "airflow.providers.common.sql.operators.sql.SQLExecuteQueryOperator",
        "airflow.providers.snowflake.operators.snowflake.SnowflakeOperator",
        "airflow.providers.postgres.operators.postgres.PostgresOperator",
    )

    def extract_on_start(self, task_instance: Any) -> Lineage:
        operator = task_instance.task
        return sql_lineage(getattr(operator, "sql", None), operator_target(operator))


class SnowflakeSqlApiExtractor(SqlExecuteQueryExtractor):
    """``SnowflakeSqlApiOperator``: Snowflake SQL, whatever its connection says."""

    operators = ("airflow.providers.snowflake.operators.snowflake.SnowflakeSqlApiOperator",)

    def extract_on_start(self, task_instance: Any) -> Lineage:
        operator = task_instance.task
        target = operator_target(operator)
        if target.dialect != "snowflake":
            target = SqlTarget("snowflake", target.namespace, target.database, target.schema)
        return sql_lineage(getattr(operator, "sql", None), target)


def _qualified(name: str, database: str | None, schema: str | None) -> str:
    parts = name.split(".")
    if len(parts) == 1 and schema:
        parts.insert(0, schema)
    if len(parts) == 2 and database:
        parts.insert(0, database)
    return ".".join(parts)


class CopyFromExternalStageExtractor(BaseExtractor):
    """``CopyFromExternalStageToSnowflakeOperator``: the stage location in, the table out."""

    operators = ("airflow.providers.snowflake.transfers.copy_into_snowflake.CopyFromExternalStageToSnowflakeOperator",)

    def extract_on_start(self, task_instance: Any) -> Lineage:
        operator = task_instance.task
        conn_id = operator_conn_id(operator) or "snowflake_default"
        try:
            target = sql_target(
                conn_id, database=getattr(operator, "database", None), schema=getattr(operator, "schema", None)
            )
        except Exception as exc:  # noqa: BLE001 - no connection: still the table, in an unknown account
            target = SqlTarget("snowflake", snowflake_namespace(None))
            errors: tuple[str, ...] = (f"connection {conn_id!r}: {exc}",)
        else:
            errors = ()
        stage = _qualified(str(operator.stage), target.database, target.schema).upper()
        prefix = (getattr(operator, "prefix", None) or "").lstrip("/")
        location = f"@{stage}/{prefix}" if prefix else f"@{stage}"
        table = _qualified(str(operator.table), target.database, target.schema).upper()
        return Lineage(
            inputs=[Dataset(target.namespace, location)],
            outputs=[Dataset(target.namespace, table)],
            errors=errors,
        )
