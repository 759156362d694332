"""Built-in SQL extractors on real operators: the connection's namespace and defaults,
the operator's own overrides, subclasses, and what happens without a connection."""

from __future__ import annotations

import json
from types import SimpleNamespace
from typing import Any

import pytest
from airflow.providers.common.sql.operators.sql import SQLExecuteQueryOperator
from airflow.providers.snowflake.transfers.copy_into_snowflake import CopyFromExternalStageToSnowflakeOperator

from secoda_listener.event.datasets import Dataset, Lineage
from secoda_listener.extractors import SqlTarget, manager, sql_lineage, sql_target
from secoda_listener.extractors.manager import ExtractorManager, Origin, TaskLineage
from secoda_listener.extractors.registry import matches
from secoda_listener.extractors.sql_operators import (
    CopyFromExternalStageExtractor,
    SnowflakeSqlApiExtractor,
    SqlExecuteQueryExtractor,
)

PG = "postgres://pg.example:5433"
SF = "snowflake://acme-xy12345"


class FakeTI:
    def __init__(self, task: Any) -> None:
        self.task = task


def extract(task_instance: Any, phase: str) -> TaskLineage:
    """Through the module-level manager, as the listener calls it."""
    return manager.extractor_manager.lineage_for(task_instance, phase)


@pytest.fixture(autouse=True)
def connections(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(
        "AIRFLOW_CONN_SHOP_PG",
        json.dumps({"conn_type": "postgres", "host": "pg.example", "port": 5433, "schema": "shop"}),
    )
    monkeypatch.setenv(
        "AIRFLOW_CONN_ACME_SF",
        json.dumps(
            {
                "conn_type": "snowflake",
                "schema": "RAW",
                "extra": {"account": "ACME-XY12345", "database": "ANALYTICS", "warehouse": "W"},
            }
        ),
    )
    monkeypatch.delenv("AIRFLOW__SECODA__EXTRACTORS", raising=False)
    monkeypatch.setattr(manager, "extractor_manager", ExtractorManager())


def test_postgres_connection_sets_namespace_database_and_public_schema() -> None:
    operator = SQLExecuteQueryOperator(task_id="q", conn_id="shop_pg", sql="INSERT INTO orders SELECT * FROM raw.o")
    got = extract(FakeTI(operator), "start")
    assert got.extractor == "secoda_listener.extractors.sql_operators:SqlExecuteQueryExtractor"
    assert got.origin is Origin.BUILT_IN
    assert got.lineage == Lineage(inputs=[Dataset(PG, "shop.raw.o")], outputs=[Dataset(PG, "shop.public.orders")])


def test_hook_params_override_the_connection_defaults() -> None:
    operator = SQLExecuteQueryOperator(
        task_id="q", conn_id="shop_pg", sql="INSERT INTO orders SELECT 1", hook_params={"database": "other"}
    )
    assert extract(FakeTI(operator), "start").lineage.outputs == (Dataset(PG, "other.public.orders"),)


def test_snowflake_connection_through_the_generic_operator_and_a_statement_list() -> None:
    operator = SQLExecuteQueryOperator(
        task_id="q", conn_id="acme_sf", sql=["CREATE TABLE mart.a AS SELECT * FROM b", "DELETE FROM mart.c"]
    )
    got = extract(FakeTI(operator), "start").lineage
    assert got.inputs == (Dataset(SF, "ANALYTICS.RAW.B"),)
    assert got.outputs == (Dataset(SF, "ANALYTICS.MART.A"), Dataset(SF, "ANALYTICS.MART.C"))


def test_a_subclass_of_the_sql_operator_is_handled_like_it() -> None:
    class WarehouseOperator(SQLExecuteQueryOperator):
        pass

    operator = WarehouseOperator(task_id="w", conn_id="shop_pg", sql="TRUNCATE mart.t")
    assert extract(FakeTI(operator), "start").lineage.outputs == (Dataset(PG, "shop.mart.t"),)


def test_a_missing_connection_is_an_error_line() -> None:
    operator = SQLExecuteQueryOperator(task_id="q", conn_id="nowhere", sql="SELECT 1")
    (error,) = extract(FakeTI(operator), "start").lineage.errors
    assert "SqlExecuteQueryExtractor raised" in error and "nowhere" in error


def test_snowflake_sql_api_forces_the_snowflake_dialect() -> None:
    # SnowflakeSqlApiOperator needs aiohttp, absent here: matched by its import path
    # with a stand-in class, run with a stand-in task holding what the extractor reads.
    stand_in = type("SnowflakeSqlApiOperator", (), {"__module__": "airflow.providers.snowflake.operators.snowflake"})
    assert matches(SnowflakeSqlApiExtractor(), stand_in)
    task = SimpleNamespace(snowflake_conn_id="acme_sf", sql="INSERT INTO mart.x SELECT * FROM y")
    got = SnowflakeSqlApiExtractor().extract_on_start(FakeTI(task))
    assert got == Lineage(inputs=[Dataset(SF, "ANALYTICS.RAW.Y")], outputs=[Dataset(SF, "ANALYTICS.MART.X")])
    # Snowflake's rules (unquoted names fold to upper case) even on a connection of another type.
    task = SimpleNamespace(snowflake_conn_id="shop_pg", sql="INSERT INTO mart.x SELECT * FROM y")
    assert SnowflakeSqlApiExtractor().extract_on_start(FakeTI(task)).outputs == (Dataset(PG, "SHOP.MART.X"),)


def test_copy_from_external_stage_reads_the_stage_and_writes_the_table() -> None:
    operator = CopyFromExternalStageToSnowflakeOperator(
        task_id="copy", snowflake_conn_id="acme_sf", table="orders", stage="landing", prefix="2024/", file_format="f"
    )
    assert matches(CopyFromExternalStageExtractor(), type(operator))
    got = extract(FakeTI(operator), "start")
    assert got.lineage == Lineage(
        inputs=[Dataset(SF, "@ANALYTICS.RAW.LANDING/2024/")], outputs=[Dataset(SF, "ANALYTICS.RAW.ORDERS")]
    )


def test_the_public_helpers_give_users_the_same_answer() -> None:
    target = sql_target("shop_pg", schema="mart")
    assert target == SqlTarget("postgres", PG, "shop", "mart")
    assert sql_lineage("INSERT INTO daily SELECT * FROM raw.e", target) == Lineage(
        inputs=[Dataset(PG, "shop.raw.e")], outputs=[Dataset(PG, "shop.mart.daily")]
    )
    assert SqlExecuteQueryExtractor.operators[0].endswith("SQLExecuteQueryOperator")
