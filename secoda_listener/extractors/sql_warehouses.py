"""Built-in extractors for warehouse operators that are not plain SQL operators.

* ``BigQueryInsertJobOperator``: a BigQuery job configuration (query, load, copy, extract);
* ``DatabricksSqlOperator``: its SQL with the operator's catalog and schema;
* ``RedshiftDataOperator``: SQL sent through the Redshift Data API, which names a cluster
  or a serverless workgroup instead of a connection.

``SQLExecuteQueryOperator`` on BigQuery, Redshift, Databricks or MySQL connections needs
nothing here: ``sql_operators.SqlExecuteQueryExtractor`` takes the dialect and namespace
from the connection. Nothing here imports a provider: operators are read by attribute.
"""

from __future__ import annotations

import re
from typing import Any, ClassVar

from secoda_listener.event.datasets import Dataset, Lineage
from secoda_listener.extractors.base import BaseExtractor
from secoda_listener.extractors.sql_operators import operator_conn_id, sql_lineage
from secoda_listener.extractors.sql_targets import (
    BIGQUERY_NAMESPACE,
    SqlTarget,
    aws_region,
    redshift_namespace,
    sql_target,
)

# --- BigQuery ------------------------------------------------------------------------------------

#: Job kinds whose configuration names tables (sourceUris / destinationUris are files, not tables).
_TABLE_KEYS = {
    "load": ((), ("destinationTable",)),
    "copy": (("sourceTable", "sourceTables"), ("destinationTable",)),
    "extract": (("sourceTable",), ()),
}

# Legacy SQL names tables `[project:dataset.table]` or `[dataset.table]`.
_LEGACY_TABLE = re.compile(r"\[(?:([A-Za-z0-9][\w\-]*):)?([\w\-]+\.[\w\-$*]+)\]")


def _legacy_to_standard(sql: str) -> str:
    """Rewrite legacy table references as GoogleSQL paths: ``[p:d.t]`` -> `` `p.d.t` ``."""
    return _LEGACY_TABLE.sub(lambda m: f"`{m.group(1)}.{m.group(2)}`" if m.group(1) else f"`{m.group(2)}`", sql)


def _uses_legacy_sql(query: dict[str, Any], sql: str) -> bool:
    # The REST API's default for useLegacySql is true; a `#standardSQL` / `#legacySQL`
    # first line overrides the flag.
    head = sql.lstrip()[:12].lower()
    if head.startswith("#standardsql"):
        return False
    if head.startswith("#legacysql"):
        return True
    return query.get("useLegacySql", True) is not False


def _bigquery_table(reference: Any, project: str | None) -> Dataset | None:
    """A job configuration's TableReference (``{projectId, datasetId, tableId}``) as a dataset."""
    if isinstance(reference, str):  # "project.dataset.table" / "project:dataset.table"
        parts = reference.replace(":", ".").split(".")
        reference = dict(zip(("projectId", "datasetId", "tableId")[-len(parts) :], parts))
    if not isinstance(reference, dict) or not reference.get("tableId"):
        return None
    table = str(reference["tableId"]).split("$", 1)[0]  # a `$20240101` partition decorator is no table
    project = str(reference.get("projectId") or project or "")
    dataset = str(reference.get("datasetId") or "")
    # As the SQL library names BigQuery tables: project lower-cased, dataset and table as written.
    parts = [part for part in (project.lower(), dataset, table) if part]
    return Dataset(BIGQUERY_NAMESPACE, ".".join(parts))


def _bigquery_base(operator: Any) -> tuple[SqlTarget, tuple[str, ...]]:
    """The job's project from the operator, else its connection's extras; no credentials read."""
    project = operator.project_id if isinstance(getattr(operator, "project_id", None), str) else None
    conn_id = getattr(operator, "gcp_conn_id", None) or "google_cloud_default"
    try:
        target = sql_target(str(conn_id), database=project)
    except Exception as exc:  # noqa: BLE001 - credentials from the environment: no connection to read
        return SqlTarget("bigquery", BIGQUERY_NAMESPACE, project), (f"connection {conn_id!r}: {exc}",)
    return SqlTarget("bigquery", BIGQUERY_NAMESPACE, target.database, target.schema), ()


def _query_job(query: dict[str, Any], base: SqlTarget) -> Lineage:
    found_default = query.get("defaultDataset")
    default: dict[str, Any] = found_default if isinstance(found_default, dict) else {}
    target = SqlTarget(
        "bigquery", BIGQUERY_NAMESPACE, default.get("projectId") or base.database, default.get("datasetId")
    )
    sql = query.get("query")
    found = Lineage()
    if isinstance(sql, str) and sql.strip():
        found = sql_lineage(_legacy_to_standard(sql) if _uses_legacy_sql(query, sql) else sql, target)
    destination = _bigquery_table(query.get("destinationTable"), base.database)
    return found.merged(Lineage(outputs=[destination])) if destination else found


def _table_job(job: dict[str, Any], kind: str, base: SqlTarget) -> Lineage:
    input_keys, output_keys = _TABLE_KEYS[kind]
    references: dict[str, list[Any]] = {"in": [], "out": []}
    for side, keys in (("in", input_keys), ("out", output_keys)):
        for key in keys:
            value = job.get(key)
            references[side].extend(value if isinstance(value, list) else [value])
    inputs = [_bigquery_table(ref, base.database) for ref in references["in"]]
    outputs = [_bigquery_table(ref, base.database) for ref in references["out"]]
    return Lineage(inputs=[d for d in inputs if d], outputs=[d for d in outputs if d])


class BigQueryInsertJobExtractor(BaseExtractor):
    """``BigQueryInsertJobOperator``: the rendered job configuration's tables."""

    operators: ClassVar[tuple[str, ...]] = (
        "airflow.providers.google.cloud.operators.bigquery.BigQueryInsertJobOperator",
    )

    def extract_on_start(self, task_instance: Any) -> Lineage:
        operator = task_instance.task
        configuration = getattr(operator, "configuration", None)
        if not isinstance(configuration, dict):
            raise TypeError(f"the job configuration is a {type(configuration).__name__}, not a mapping")
        base, errors = _bigquery_base(operator)
        found = Lineage(errors=errors)
        if isinstance(configuration.get("query"), dict):
            found = found.merged(_query_job(configuration["query"], base))
        for kind in _TABLE_KEYS:
            if isinstance(configuration.get(kind), dict):
                found = found.merged(_table_job(configuration[kind], kind, base))
        return found


# --- Databricks ----------------------------------------------------------------------------------


class DatabricksSqlExtractor(BaseExtractor):
    """``DatabricksSqlOperator``: its SQL in Databricks' dialect, with the operator's catalog and schema."""

    operators: ClassVar[tuple[str, ...]] = (
        "airflow.providers.databricks.operators.databricks_sql.DatabricksSqlOperator",
    )

    def extract_on_start(self, task_instance: Any) -> Lineage:
        operator = task_instance.task
        conn_id = operator_conn_id(operator) or "databricks_default"
        hook_params = getattr(operator, "hook_params", None) or {}
        target = sql_target(
            conn_id,
            database=getattr(operator, "catalog", None) or hook_params.get("catalog"),
            schema=getattr(operator, "schema", None) or hook_params.get("schema"),
        )
        if target.dialect != "databricks":  # the operator always speaks Databricks SQL
            target = SqlTarget("databricks", target.namespace, target.database, target.schema or "default")
        return sql_lineage(getattr(operator, "sql", None), target)


# --- Redshift Data API ---------------------------------------------------------------------------


class RedshiftDataExtractor(BaseExtractor):
    """``RedshiftDataOperator``: the cluster or workgroup and region make the namespace."""

    operators: ClassVar[tuple[str, ...]] = (
        "airflow.providers.amazon.aws.operators.redshift_data.RedshiftDataOperator",
    )

    def extract_on_start(self, task_instance: Any) -> Lineage:
        operator = task_instance.task
        identifier = getattr(operator, "cluster_identifier", None) or getattr(operator, "workgroup_name", None)
        if not identifier:
            raise LookupError("RedshiftDataOperator names neither cluster_identifier nor workgroup_name")
        region = getattr(operator, "region_name", None) or aws_region(getattr(operator, "aws_conn_id", None))
        errors: tuple[str, ...] = ()
        if not region:
            errors = (f"Redshift {identifier!r}: no region (region_name, the AWS connection, AWS_REGION)",)
        # The Data API has no port: OpenLineage's default, 5439, is the one a cluster's SQL endpoint has.
        target = SqlTarget(
            "redshift",
            redshift_namespace(cluster=str(identifier), region=region),
            getattr(operator, "database", None) or None,
            "public",
        )
        return sql_lineage(getattr(operator, "sql", None), target).merged(Lineage(errors=errors))
