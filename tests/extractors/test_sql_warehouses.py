"""Warehouse operators on real Airflow: SQLExecuteQueryOperator on BigQuery, Redshift, Databricks and
MySQL connections, BigQueryInsertJobOperator, DatabricksSqlOperator and RedshiftDataOperator, each
built in a DAG and rendered by Airflow's templating before the extractor reads it, through the
extractor manager as the listener calls it. Nothing connects anywhere."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from airflow.providers.amazon.aws.hooks.redshift_sql import RedshiftSQLHook
from airflow.providers.amazon.aws.operators.redshift_data import RedshiftDataOperator
from airflow.providers.common.sql.operators.sql import SQLExecuteQueryOperator
from airflow.providers.databricks.hooks.databricks_sql import DatabricksSqlHook
from airflow.providers.databricks.operators.databricks_sql import DatabricksSqlOperator
from airflow.providers.google.cloud.hooks.bigquery import BigQueryHook
from airflow.providers.google.cloud.operators.bigquery import BigQueryInsertJobOperator

from secoda_listener.event.datasets import Dataset, Lineage
from secoda_listener.extractors import manager
from secoda_listener.extractors.manager import ExtractorManager, TaskLineage
from secoda_listener.extractors.sql_targets import SqlTarget, hook_target

try:  # Airflow 3
    from airflow.sdk import DAG
except ImportError:  # Airflow 2.10
    from airflow import DAG

BQ = "bigquery"
RS = "redshift://examplecluster.us-west-2:5439"
DBX = "databricks://adb-1234567890123456.7.azuredatabricks.net"
MY = "mysql://mysql.internal:3306"
CONTEXT = {"ds_nodash": "20240101", "params": {"dataset": "sales", "env": "prod"}}


class FakeTI:
    def __init__(self, task: Any) -> None:
        self.task = task


@pytest.fixture(autouse=True)
def connections(monkeypatch: pytest.MonkeyPatch) -> None:
    conns: dict[str, Any] = {
        "bq": {"conn_type": "gcpbigquery", "extra": {"project": "acme-dw"}},
        "gcp": "google-cloud-platform://?extra__google_cloud_platform__project=acme-prod",
        "rs": "redshift://awsuser:rs-pw@examplecluster.abc123xyz789.us-west-2.redshift.amazonaws.com:5439/dev",
        "dbx": {
            "conn_type": "databricks",
            "host": "https://adb-1234567890123456.7.azuredatabricks.net",
            "password": "dapi-1",
        },
        "shop_mysql": "mysql://etl:my-pw@mysql.internal/shop",
        "aws_eu": {"conn_type": "aws", "extra": {"region_name": "eu-central-1"}},
    }
    for conn_id, value in conns.items():
        monkeypatch.setenv(f"AIRFLOW_CONN_{conn_id.upper()}", value if isinstance(value, str) else json.dumps(value))
    for variable in ("AWS_REGION", "AWS_DEFAULT_REGION", "AIRFLOW__SECODA__EXTRACTORS"):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setattr(manager, "extractor_manager", ExtractorManager())


def rendered(operator_class: type, **kwargs: Any) -> Any:
    """The operator built in a DAG and its templated fields rendered, as at task start."""
    with DAG("warehouses", start_date=dt.datetime(2024, 1, 1), schedule=None):
        operator = operator_class(task_id="t", **kwargs)
    operator.render_template_fields(dict(CONTEXT))
    return operator


def extract(operator: Any) -> TaskLineage:
    return manager.extractor_manager.lineage_for(FakeTI(operator), "start")


# --- SQLExecuteQueryOperator on each connection type ----------------------------------------------


@pytest.mark.parametrize(
    ("conn_id", "sql", "inputs", "outputs"),
    [
        (
            "bq",
            "INSERT INTO {{ params.dataset }}.daily SELECT * FROM `raw.events_{{ ds_nodash }}`"
            " JOIN `Other-Proj.ref.Dim` USING (k)",
            [(BQ, "acme-dw.raw.events_20240101"), (BQ, "other-proj.ref.Dim")],
            [(BQ, "acme-dw.sales.daily")],
        ),
        ("gcp", "DELETE FROM sales.Orders WHERE true", [], [(BQ, "acme-prod.sales.Orders")]),
        (
            "rs",
            'INSERT INTO "Mart".daily SELECT * FROM orders JOIN other_db.crm.customers USING (id)',
            [(RS, "dev.public.orders"), (RS, "other_db.crm.customers")],
            [(RS, "dev.mart.daily")],
        ),
        (
            "dbx",
            "INSERT INTO main.{{ params.env }}.daily SELECT * FROM events",
            [(DBX, "default.events")],
            [(DBX, "main.prod.daily")],
        ),
        (
            "shop_mysql",
            "INSERT INTO daily SELECT * FROM orders JOIN crm.`Customers` USING (id)",
            [(MY, "shop.orders"), (MY, "crm.customers")],
            [(MY, "shop.daily")],
        ),
    ],
)
def test_sql_execute_query_operator_takes_dialect_and_namespace_from_the_connection(
    conn_id: str, sql: str, inputs: list[tuple[str, str]], outputs: list[tuple[str, str]]
) -> None:
    got = extract(rendered(SQLExecuteQueryOperator, conn_id=conn_id, sql=sql))
    assert got.extractor == "secoda_listener.extractors.sql_operators:SqlExecuteQueryExtractor"
    assert got.lineage == Lineage(inputs=[Dataset(*d) for d in inputs], outputs=[Dataset(*d) for d in outputs])


def test_hook_params_set_the_databricks_catalog_and_schema_and_the_mysql_database() -> None:
    operator = rendered(
        SQLExecuteQueryOperator, conn_id="dbx", sql="DELETE FROM t", hook_params={"catalog": "main", "schema": "ops"}
    )
    assert extract(operator).lineage.outputs == (Dataset(DBX, "main.ops.t"),)
    operator = rendered(SQLExecuteQueryOperator, conn_id="shop_mysql", sql="DELETE FROM t", database="crm")
    assert extract(operator).lineage.outputs == (Dataset(MY, "crm.t"),)


# --- BigQueryInsertJobOperator ------------------------------------------------------------------


def test_bigquery_query_job_defaults_from_default_dataset_and_destination_table_is_an_output() -> None:
    operator = rendered(
        BigQueryInsertJobOperator,
        gcp_conn_id="bq",
        configuration={
            "query": {
                "query": "SELECT * FROM orders_{{ ds_nodash }} JOIN ref.dim USING (k)",
                "useLegacySql": False,
                "defaultDataset": {"projectId": "acme-raw", "datasetId": "{{ params.dataset }}"},
                "destinationTable": {"projectId": "acme-dw", "datasetId": "mart", "tableId": "daily${{ ds_nodash }}"},
            }
        },
    )
    got = extract(operator)
    assert got.extractor == "secoda_listener.extractors.sql_warehouses:BigQueryInsertJobExtractor"
    assert got.lineage == Lineage(
        inputs=[Dataset(BQ, "acme-raw.sales.orders_20240101"), Dataset(BQ, "acme-raw.ref.dim")],
        outputs=[Dataset(BQ, "acme-dw.mart.daily")],
    )


def test_bigquery_project_from_the_operator_then_the_connection() -> None:
    query = {"query": {"query": "INSERT INTO mart.t SELECT * FROM raw.s", "useLegacySql": False}}
    operator = rendered(
        BigQueryInsertJobOperator, gcp_conn_id="bq", project_id="{{ params.env }}-proj", configuration=query
    )
    assert extract(operator).lineage == Lineage(
        inputs=[Dataset(BQ, "prod-proj.raw.s")], outputs=[Dataset(BQ, "prod-proj.mart.t")]
    )
    operator = rendered(BigQueryInsertJobOperator, gcp_conn_id="gcp", configuration=query)
    assert extract(operator).lineage.outputs == (Dataset(BQ, "acme-prod.mart.t"),)


def test_bigquery_legacy_sql_table_references() -> None:
    # useLegacySql defaults to true in the BigQuery API: [project:dataset.table] names a table.
    operator = rendered(
        BigQueryInsertJobOperator,
        gcp_conn_id="bq",
        configuration={
            "query": {
                "query": "SELECT word FROM [bigquery-public-data:samples.shakespeare], [raw.events]",
                "destinationTable": {"datasetId": "mart", "tableId": "words"},
            }
        },
    )
    assert extract(operator).lineage == Lineage(
        inputs=[Dataset(BQ, "bigquery-public-data.samples.shakespeare"), Dataset(BQ, "acme-dw.raw.events")],
        outputs=[Dataset(BQ, "acme-dw.mart.words")],
    )


@pytest.mark.parametrize(
    ("configuration", "inputs", "outputs"),
    [
        (
            {
                "load": {
                    "sourceUris": ["gs://landing/{{ ds_nodash }}/*.csv"],
                    "destinationTable": {"projectId": "acme-dw", "datasetId": "raw", "tableId": "events"},
                }
            },
            [],
            ["acme-dw.raw.events"],
        ),
        (
            {
                "copy": {
                    "sourceTables": [
                        {"projectId": "a", "datasetId": "d", "tableId": "t1"},
                        {"projectId": "a", "datasetId": "d", "tableId": "t2"},
                    ],
                    "destinationTable": {"projectId": "b", "datasetId": "d", "tableId": "all"},
                }
            },
            ["a.d.t1", "a.d.t2"],
            ["b.d.all"],
        ),
        (
            {
                "extract": {
                    "sourceTable": {"datasetId": "mart", "tableId": "daily"},
                    "destinationUris": ["gs://exports/daily-*.csv"],
                }
            },
            ["acme-dw.mart.daily"],
            [],
        ),
    ],
)
def test_bigquery_load_copy_and_extract_jobs_name_only_tables(
    configuration: dict[str, Any], inputs: list[str], outputs: list[str]
) -> None:
    got = extract(rendered(BigQueryInsertJobOperator, gcp_conn_id="bq", configuration=configuration))
    assert got.lineage == Lineage(
        inputs=[Dataset(BQ, name) for name in inputs], outputs=[Dataset(BQ, name) for name in outputs]
    )


def test_bigquery_without_a_connection_still_names_the_tables_and_says_why_the_project_may_lack() -> None:
    operator = rendered(
        BigQueryInsertJobOperator,
        gcp_conn_id="nowhere",
        project_id="acme-dw",
        configuration={"query": {"query": "DELETE FROM mart.t WHERE true", "useLegacySql": False}},
    )
    got = extract(operator).lineage
    assert got.outputs == (Dataset(BQ, "acme-dw.mart.t"),)
    (error,) = got.errors
    assert "nowhere" in error


# --- DatabricksSqlOperator ------------------------------------------------------------------------


def test_databricks_sql_operator_uses_its_own_catalog_and_schema() -> None:
    operator = rendered(
        DatabricksSqlOperator,
        databricks_conn_id="dbx",
        catalog="{{ params.env }}",
        schema="sales",
        sql="CREATE OR REPLACE TABLE daily AS SELECT * FROM raw.orders JOIN `Other`.s.`Dim` USING (k)",
    )
    got = extract(operator)
    assert got.extractor == "secoda_listener.extractors.sql_warehouses:DatabricksSqlExtractor"
    assert got.lineage == Lineage(
        inputs=[Dataset(DBX, "prod.raw.orders"), Dataset(DBX, "other.s.dim")],
        outputs=[Dataset(DBX, "prod.sales.daily")],
    )


# --- RedshiftDataOperator -----------------------------------------------------------------------


def test_redshift_data_operator_namespace_from_cluster_and_region() -> None:
    operator = rendered(
        RedshiftDataOperator,
        cluster_identifier="ExampleCluster",
        region_name="us-west-2",
        database="dev",
        sql="INSERT INTO mart.daily_{{ ds_nodash }} SELECT * FROM orders",
    )
    got = extract(operator)
    assert got.extractor == "secoda_listener.extractors.sql_warehouses:RedshiftDataExtractor"
    assert got.lineage == Lineage(
        inputs=[Dataset(RS, "dev.public.orders")], outputs=[Dataset(RS, "dev.mart.daily_20240101")]
    )


def test_redshift_data_operator_workgroup_with_the_region_of_its_aws_connection_or_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    operator = rendered(
        RedshiftDataOperator, workgroup_name="wg1", aws_conn_id="aws_eu", database="dev", sql="TRUNCATE t"
    )
    assert extract(operator).lineage.outputs == (Dataset("redshift://wg1.eu-central-1:5439", "dev.public.t"),)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "ap-south-1")
    operator = rendered(RedshiftDataOperator, workgroup_name="wg1", aws_conn_id=None, database="dev", sql="TRUNCATE t")
    assert extract(operator).lineage == Lineage(outputs=[Dataset("redshift://wg1.ap-south-1:5439", "dev.public.t")])


def test_redshift_data_operator_without_a_region_says_so() -> None:
    operator = rendered(
        RedshiftDataOperator, cluster_identifier="c1", aws_conn_id=None, database="dev", sql="TRUNCATE t"
    )
    got = extract(operator).lineage
    assert got.outputs == (Dataset("redshift://c1:5439", "dev.public.t"),)
    (error,) = got.errors
    assert "no region" in error


# --- hook_target on the providers' hooks --------------------------------------------------------


def _refuse(*args: Any, **kwargs: Any) -> Any:
    raise AssertionError("hook_target must not connect or resolve credentials")


def test_hook_target_of_redshift_databricks_and_bigquery_hooks(monkeypatch: pytest.MonkeyPatch) -> None:
    for hook_class in (RedshiftSQLHook, DatabricksSqlHook):
        monkeypatch.setattr(hook_class, "get_conn", _refuse)
    monkeypatch.setattr(BigQueryHook, "get_credentials_and_project_id", _refuse)
    assert hook_target(RedshiftSQLHook(redshift_conn_id="rs")) == SqlTarget("redshift", RS, "dev", "public")
    dbx = DatabricksSqlHook(databricks_conn_id="dbx", catalog="main", schema="ops")
    assert hook_target(dbx) == SqlTarget("databricks", DBX, "main", "ops")
    assert hook_target(BigQueryHook(gcp_conn_id="bq", use_legacy_sql=False)) == SqlTarget("bigquery", BQ, "acme-dw")
    # Without a project in the connection, only a hook that already resolved its credentials
    # knows one (the credentials' project): that one counts, nothing is resolved for it.
    monkeypatch.setenv("AIRFLOW_CONN_BQ_ADC", json.dumps({"conn_type": "gcpbigquery"}))
    bq = BigQueryHook(gcp_conn_id="bq_adc", use_legacy_sql=False)
    assert hook_target(bq) == SqlTarget("bigquery", BQ, None, None)
    bq._cached_project_id = "adc-project"
    assert hook_target(bq).database == "adc-project"
