"""DB-API placeholders (%s, %(name)s, :name, ?, $1) never disturb the lineage."""

from __future__ import annotations

import pytest

from secoda_listener.sql import extract_lineage

STYLES = ["%s", "%(value)s", ":value", "?", "$1", ":1"]

TEMPLATES = [
    ("SELECT * FROM a JOIN b ON a.id = b.id WHERE a.x = {p} AND b.y IN ({p}, {p})", ["a", "b"], []),
    ("INSERT INTO t (a, b) VALUES ({p}, {p})", [], ["t"]),
    ("INSERT INTO t SELECT * FROM s WHERE s.d = {p} LIMIT {p}", ["s"], ["t"]),
    ("UPDATE t SET a = {p}, b = (SELECT max(b) FROM u WHERE u.k = {p}) WHERE id = {p}", ["u"], ["t"]),
    ("DELETE FROM t WHERE id = {p} AND k IN (SELECT k FROM s WHERE v > {p})", ["s"], ["t"]),
    ("MERGE INTO t USING (SELECT {p} AS id) s ON t.id = s.id WHEN MATCHED THEN UPDATE SET v = {p}", [], ["t"]),
    ("WITH c AS (SELECT * FROM src WHERE d = {p}) SELECT * FROM c WHERE x = {p}", ["src"], []),
    ("SELECT {p}, ({p}) FROM t", ["t"], []),
]


@pytest.mark.parametrize("style", STYLES)
@pytest.mark.parametrize(("template", "inputs", "outputs"), TEMPLATES)
@pytest.mark.parametrize("dialect", ["snowflake", "postgres"])
def test_placeholder_styles(style: str, template: str, inputs: list[str], outputs: list[str], dialect: str) -> None:
    result = extract_lineage(template.format(p=style), dialect)
    assert [str(n) for n in result.inputs] == inputs
    assert [str(n) for n in result.outputs] == outputs
    assert result.errors == ()


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT * FROM %s",
        "SELECT * FROM %(table)s",
        "SELECT * FROM :tbl",
        "SELECT * FROM ?",
        "INSERT INTO %s SELECT 1",
        "SELECT * FROM IDENTIFIER(:t)",
        "SELECT * FROM IDENTIFIER(?)",
    ],
)
def test_placeholder_as_table_name_is_unknown_not_an_invented_table(sql: str) -> None:
    result = extract_lineage(sql, "snowflake")
    assert result.inputs == () and result.outputs == ()
