"""Connections -> SqlTarget (dialect, OpenLineage namespace, default levels) for BigQuery, Redshift,
Databricks and MySQL, and hook_target on real hook instances; connections defined as users define
them (AIRFLOW_CONN_* URIs and JSON). Nothing here connects anywhere: hooks whose connecting
methods are called fail the test."""

from __future__ import annotations

import json
from typing import Any

import pytest
from airflow.providers.common.sql.hooks.sql import DbApiHook
from airflow.providers.postgres.hooks.postgres import PostgresHook
from airflow.providers.snowflake.hooks.snowflake import SnowflakeHook

from secoda_listener.extractors.sql_targets import DIALECTS, SqlTarget, hook_target, redshift_namespace, sql_target

REDSHIFT_HOST = "examplecluster.abc123xyz789.us-west-2.redshift.amazonaws.com"


def _conn(monkeypatch: pytest.MonkeyPatch, conn_id: str, value: str | dict[str, Any]) -> None:
    monkeypatch.setenv(f"AIRFLOW_CONN_{conn_id.upper()}", value if isinstance(value, str) else json.dumps(value))


def test_one_table_maps_connection_types_to_dialects() -> None:
    assert {t: DIALECTS[t] for t in ("google_cloud_platform", "gcpbigquery", "bigquery")} == dict.fromkeys(
        ("google_cloud_platform", "gcpbigquery", "bigquery"), "bigquery"
    )
    assert (DIALECTS["redshift"], DIALECTS["databricks"], DIALECTS["mysql"]) == ("redshift", "databricks", "mysql")


# --- BigQuery ------------------------------------------------------------------------------------


def test_bigquery_project_from_a_uri_connections_prefixed_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    _conn(monkeypatch, "gcp", "google-cloud-platform://?extra__google_cloud_platform__project=acme-prod")
    assert sql_target("gcp") == SqlTarget("bigquery", "bigquery", "acme-prod", None)


def test_bigquery_project_from_json_extras_and_the_operators_project_and_dataset_win(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _conn(monkeypatch, "bq", {"conn_type": "gcpbigquery", "extra": {"project": "acme-dw", "use_legacy_sql": False}})
    assert sql_target("bq") == SqlTarget("bigquery", "bigquery", "acme-dw", None)
    assert sql_target("bq", database="other-proj", schema="sales") == SqlTarget(
        "bigquery", "bigquery", "other-proj", "sales"
    )


# --- Redshift ------------------------------------------------------------------------------------


def test_redshift_namespace_is_cluster_and_region_from_the_endpoint_host(monkeypatch: pytest.MonkeyPatch) -> None:
    _conn(monkeypatch, "rs", f"redshift://awsuser:pw@{REDSHIFT_HOST}:5439/dev")
    assert sql_target("rs") == SqlTarget("redshift", "redshift://examplecluster.us-west-2:5439", "dev", "public")


def test_redshift_serverless_china_ip_and_extras_forms(monkeypatch: pytest.MonkeyPatch) -> None:
    _conn(
        monkeypatch,
        "serverless",
        {"conn_type": "redshift", "host": "wg1.123456789012.eu-west-1.redshift-serverless.amazonaws.com"},
    )
    assert sql_target("serverless").namespace == "redshift://wg1.eu-west-1:5439"
    _conn(
        monkeypatch,
        "china",
        {"conn_type": "redshift", "host": "c2.xyz.cn-north-1.redshift.amazonaws.com.cn", "port": 5440},
    )
    assert sql_target("china").namespace == "redshift://c2.cn-north-1:5440"
    # A host of another form (a proxy, an IP) is used whole; the database may sit in the extras.
    _conn(monkeypatch, "proxy", {"conn_type": "redshift", "host": "10.1.2.3", "extra": {"database": "analytics"}})
    assert sql_target("proxy") == SqlTarget("redshift", "redshift://10.1.2.3:5439", "analytics", "public")
    # cluster_identifier and region in the extras (IAM connections) name the cluster directly.
    _conn(
        monkeypatch,
        "iam",
        {
            "conn_type": "redshift",
            "host": "127.0.0.1",
            "schema": "dev",
            "extra": {"iam": True, "cluster_identifier": "Prod", "region": "us-east-2"},
        },
    )
    assert sql_target("iam", schema="mart") == SqlTarget("redshift", "redshift://prod.us-east-2:5439", "dev", "mart")


def test_redshift_namespace_helper_for_the_data_api() -> None:
    assert redshift_namespace(cluster="c1", region="us-east-1") == "redshift://c1.us-east-1:5439"
    assert redshift_namespace(cluster="c1") == "redshift://c1:5439"


# --- Databricks ----------------------------------------------------------------------------------


def test_databricks_host_from_a_url_host_and_the_default_schema(monkeypatch: pytest.MonkeyPatch) -> None:
    _conn(
        monkeypatch,
        "dbx",
        {
            "conn_type": "databricks",
            "host": "https://adb-1234567890123456.7.azuredatabricks.net/",
            "password": "dapi-x",
        },
    )
    # No catalog: the workspace's default catalog is a workspace setting. The schema is `default`.
    assert sql_target("dbx") == SqlTarget(
        "databricks", "databricks://adb-1234567890123456.7.azuredatabricks.net", None, "default"
    )
    assert sql_target("dbx", database="main", schema="sales").database == "main"


def test_databricks_extras_host_catalog_and_schema(monkeypatch: pytest.MonkeyPatch) -> None:
    _conn(
        monkeypatch,
        "dbx2",
        {
            "conn_type": "databricks",
            "host": "ignored.example",
            "extra": {"host": "dbc-a1b2.cloud.databricks.com", "catalog": "main", "schema": "ops"},
        },
    )
    assert sql_target("dbx2") == SqlTarget("databricks", "databricks://dbc-a1b2.cloud.databricks.com", "main", "ops")


# --- MySQL ---------------------------------------------------------------------------------------


def test_mysql_database_is_the_schema_level_and_the_port_defaults_to_3306(monkeypatch: pytest.MonkeyPatch) -> None:
    _conn(monkeypatch, "shop_mysql", "mysql://etl:pw@mysql.internal/shop")
    assert sql_target("shop_mysql") == SqlTarget("mysql", "mysql://mysql.internal:3306", None, "shop")
    # SQLExecuteQueryOperator(database=...) sets the hook's schema: the MySQL database.
    assert sql_target("shop_mysql", database="crm") == SqlTarget("mysql", "mysql://mysql.internal:3306", None, "crm")
    _conn(monkeypatch, "other_port", {"conn_type": "mysql", "host": "db.example", "port": 3307, "schema": "s"})
    assert sql_target("other_port").namespace == "mysql://db.example:3307"


# --- hook_target ---------------------------------------------------------------------------------


def _no_connecting(monkeypatch: pytest.MonkeyPatch, hook_class: type, *methods: str) -> None:
    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("hook_target must not connect")

    for method in ("get_conn", *methods):
        monkeypatch.setattr(hook_class, method, refuse)


def test_hook_target_of_postgres_and_snowflake_hooks(monkeypatch: pytest.MonkeyPatch) -> None:
    _conn(monkeypatch, "pg", {"conn_type": "postgres", "host": "pg.example", "port": 5433, "schema": "shop"})
    _conn(
        monkeypatch,
        "sf",
        {"conn_type": "snowflake", "schema": "RAW", "extra": {"account": "ACME-XY1", "database": "DW"}},
    )
    _no_connecting(monkeypatch, PostgresHook)
    _no_connecting(monkeypatch, SnowflakeHook)
    assert hook_target(PostgresHook(postgres_conn_id="pg")) == SqlTarget(
        "postgres", "postgres://pg.example:5433", "shop", "public"
    )
    assert hook_target(PostgresHook(postgres_conn_id="pg", database="other")).database == "other"
    assert hook_target(SnowflakeHook(snowflake_conn_id="sf", schema="MART")) == SqlTarget(
        "snowflake", "snowflake://acme-xy1", "DW", "MART"
    )


def test_hook_target_of_a_hook_that_names_its_connection_through_conn_name_attr(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A user's DbApiHook whose `schema` is a MySQL database, as MySqlHook keeps it (the MySQL
    # provider needs a C client library pip cannot build here, so its hook is not installed).
    class WarehouseHook(DbApiHook):
        conn_name_attr = "warehouse_conn_id"
        default_conn_name = "warehouse_default"

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            self.schema = kwargs.pop("schema", None)
            super().__init__(*args, **kwargs)

    _conn(monkeypatch, "wh", "mysql://etl:pw@mysql.internal:3306/shop")
    _no_connecting(monkeypatch, WarehouseHook)
    assert hook_target(WarehouseHook(warehouse_conn_id="wh")) == SqlTarget(
        "mysql", "mysql://mysql.internal:3306", None, "shop"
    )
    assert hook_target(WarehouseHook(warehouse_conn_id="wh", schema="crm")).schema == "crm"
    with pytest.raises(LookupError, match="names no connection id"):
        hook_target(type("NoConn", (), {"conn_name_attr": "x_conn_id"})())
