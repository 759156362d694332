"""Names: quoting, case rules, str(), openlineage_name(), properties; result shape."""

from __future__ import annotations

import attrs
import pytest

from secoda_listener.sql import Identifier, SqlLineage, TableName, extract_lineage


def tn(dialect: str, *parts: tuple[str, bool] | str) -> TableName:
    return TableName(tuple(Identifier(p) if isinstance(p, str) else Identifier(*p) for p in parts), dialect)


def test_str_quotes_quoted_parts_and_doubles_embedded_quotes() -> None:
    name = tn("postgres", "analytics", ("Sales Data", True), ('Q1 "Final" Orders', True))
    assert str(name) == 'analytics."Sales Data"."Q1 ""Final"" Orders"'


def test_str_round_trips_through_parse() -> None:
    text = 'analytics."Sales Data"."Q1 ""Final"" Orders"'
    parsed = TableName.parse(text, "postgres")
    assert str(parsed) == text
    assert parsed.parts[2] == Identifier('Q1 "Final" Orders', True)


def test_str_keeps_unquoted_spelling() -> None:
    result = extract_lineage("SELECT * FROM Raw.Events", "snowflake")
    assert [str(n) for n in result.inputs] == ["Raw.Events"]


@pytest.mark.parametrize(
    ("dialect", "a", "b", "equal"),
    [
        ("snowflake", [("ORDERS", True)], ["orders"], True),
        ("snowflake", [("ORDERS", True)], ["ORDERS"], True),
        ("snowflake", [("orders", True)], ["orders"], False),
        ("snowflake", [("raw", True), ("events", True)], ["RAW", "EVENTS"], False),
        ("snowflake", ["Raw", "Events"], ["RAW", "events"], True),
        ("postgres", [("orders", True)], ["ORDERS"], True),
        ("postgres", [("ORDERS", True)], ["orders"], False),
        ("postgres", [("Orders", True)], [("Orders", True)], True),
        ("postgres", [("Orders", True)], [("orders", True)], False),
        ("generic", [("orders", True)], ["Orders"], True),
        ("postgres", ["s", "t"], ["t"], False),
        ("redshift", [("OrderLines", True)], ["orderlines"], True),
        ("redshift", [("ORDERS", True)], [("orders", True)], True),
        ("databricks", [("Sales", True), "T"], ["sales", ("t", True)], True),
        ("mysql", [("Orders", True)], ["ORDERS"], True),
        ("bigquery", ["ds", "Orders"], ["ds", "orders"], False),
        ("bigquery", [("ds", True), ("t", True)], ["ds", "t"], True),
        ("bigquery", ["P", "ds", "t"], [("p", True), "ds", "t"], True),
        ("bigquery", ["P", "t"], ["p", "t"], False),  # 2 parts: a dataset, case-sensitive
    ],
)
def test_equality_follows_the_dialect_case_rules(dialect, a, b, equal) -> None:
    left, right = tn(dialect, *a), tn(dialect, *b)
    assert (left == right) is equal
    if equal:
        assert hash(left) == hash(right)
        assert len({left, right}) == 1


def test_equality_with_other_types() -> None:
    assert tn("postgres", "t") != "t"


@pytest.mark.parametrize(
    ("dialect", "parts", "expected"),
    [
        ("snowflake", ["db", "sch", "orders"], "DB.SCH.ORDERS"),
        ("snowflake", ["db", ("My Schema", True), ("orders", True)], "DB.My Schema.orders"),
        ("snowflake", [("ORDERS", True)], "ORDERS"),
        ("postgres", ["DB", "Public", "Orders"], "db.public.orders"),
        ("postgres", ["public", ("Orders", True)], "public.Orders"),
        ("generic", ["Sales", "T"], "sales.t"),
        # sql-lineage-dialects.md section 2: project.dataset.table with the project in lower case,
        # database.schema.table / catalog.schema.table / database.table in lower case, quoted or not.
        ("bigquery", ["My-Proj", "Sales", ("Orders", True)], "my-proj.Sales.Orders"),
        ("bigquery", ["Sales", "Orders"], "Sales.Orders"),
        ("redshift", ["Dev", ("Public", True), ("OrderLines", True)], "dev.public.orderlines"),
        ("databricks", [("Main", True), "Sales", "T"], "main.sales.t"),
        ("mysql", [("Shop", True), "Orders"], "shop.orders"),
    ],
)
def test_openlineage_name(dialect, parts, expected) -> None:
    assert tn(dialect, *parts).openlineage_name() == expected


def test_properties() -> None:
    full = tn("postgres", "db", "s", "t")
    assert (full.database, full.schema, full.table) == ("db", "s", "t")
    two = tn("postgres", "s", ("T x", True))
    assert (two.database, two.schema, two.table) == (None, "s", "T x")
    one = tn("postgres", "t")
    assert (one.database, one.schema, one.table) == (None, None, "t")


def test_types_are_frozen_attrs() -> None:
    name = tn("postgres", "t")
    for obj, field in ((name, "parts"), (name.parts[0], "text"), (SqlLineage(), "inputs")):
        assert attrs.has(type(obj))
        with pytest.raises(attrs.exceptions.FrozenInstanceError):
            setattr(obj, field, None)


def test_to_dict() -> None:
    result = extract_lineage('INSERT INTO "Out"."T" SELECT * FROM a JOIN b.c USING (id)', "postgres")
    assert result.to_dict() == {"inputs": ["a", "b.c"], "outputs": ['"Out"."T"'], "errors": []}


def test_outputs_and_inputs_keep_first_appearance_order_and_spelling() -> None:
    result = extract_lineage(
        "INSERT INTO z SELECT * FROM c JOIN B USING (id); INSERT INTO y SELECT * FROM b, a; INSERT INTO Z SELECT 1",
        "snowflake",
    )
    assert [str(n) for n in result.inputs] == ["c", "B", "a"]
    assert [str(n) for n in result.outputs] == ["z", "y"]


def test_list_of_strings_is_one_script_in_order() -> None:
    result = extract_lineage(
        ["SET search_path TO etl", "INSERT INTO t SELECT * FROM s", "RESET search_path; SELECT * FROM u"],
        "postgres",
        default_schema="public",
    )
    assert [str(n) for n in result.inputs] == ["etl.s", "public.u"]
    assert [str(n) for n in result.outputs] == ["etl.t"]


def test_tuple_input_is_accepted() -> None:
    result = extract_lineage(("SELECT * FROM a", "SELECT * FROM b"), "snowflake")
    assert [str(n) for n in result.inputs] == ["a", "b"]


def test_defaults_qualify_every_name() -> None:
    result = extract_lineage("INSERT INTO t SELECT * FROM s.u JOIN d.s.v USING (id)", "snowflake", "DB", "SCH")
    assert [n.openlineage_name() for n in result.outputs] == ["DB.SCH.T"]
    assert [n.openlineage_name() for n in result.inputs] == ["DB.S.U", "D.S.V"]


def test_quoted_names_from_sql_keep_exact_text() -> None:
    result = extract_lineage('SELECT * FROM "Raw"."My ""Quoted"" Table"', "snowflake")
    (name,) = result.inputs
    assert name.parts == (Identifier("Raw", True), Identifier('My "Quoted" Table', True))
    assert name.openlineage_name() == 'Raw.My "Quoted" Table'


@pytest.mark.parametrize(
    ("dialect", "sql", "expected"),
    [
        # Double quotes are the contract, only around parts that need them (dialect spec, section 2).
        ("mysql", "SELECT * FROM `Order Lines`.`t`", ['"Order Lines".t']),
        ("mysql", "SELECT * FROM `a``b`.`c.d`", ['"a`b"."c.d"']),
        ("databricks", "SELECT * FROM `my catalog`.Sales.`T`", ['"my catalog".Sales.T']),
        ("redshift", 'SELECT * FROM "Sales"."Q1 ""Final"""', ['Sales."Q1 ""Final"""']),
        ("bigquery", "SELECT * FROM `p.d.t`", ["p.d.t"]),
        ("bigquery", "SELECT * FROM `p`.`d`.`my table`", ['p.d."my table"']),
    ],
)
def test_quote_blind_dialects_report_double_quotes_only_where_needed(dialect, sql, expected) -> None:
    assert [str(n) for n in extract_lineage(sql, dialect).inputs] == expected


def test_str_of_quote_blind_names_round_trips_through_parse() -> None:
    for dialect, text in (("mysql", '"Order Lines".t'), ("bigquery", 'p.d."my table"'), ("redshift", '"a b".c')):
        name = TableName.parse(text, dialect)
        assert str(name) == text
        assert TableName.parse(str(name), dialect) == name
