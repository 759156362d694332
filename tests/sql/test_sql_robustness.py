"""Never fail, never run unbounded: odd, broken and huge inputs."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from secoda_listener.sql import SqlLineage, extract_lineage
from tests.sql.huge_inputs import ADVERSARIAL, deep_parens, deep_subqueries, huge_insert, huge_script

REPO = Path(__file__).resolve().parents[2]
# Every dialect, the four of sql-lineage-dialects.md included.
DIALECTS = ["snowflake", "postgres", "generic", "bigquery", "redshift", "databricks", "mysql"]
NEW_DIALECTS = ["bigquery", "redshift", "databricks", "mysql"]


def strs(names) -> list[str]:
    return [str(n) for n in names]


@pytest.mark.parametrize(
    "sql", ["", "   \n\t ", ";", ";;;", "-- only a comment", "/* block */", "/* unterminated", "-- a\n/* b */\n-- c\n;"]
)
@pytest.mark.parametrize("dialect", DIALECTS)
def test_empty_and_comment_only(sql: str, dialect: str) -> None:
    result = extract_lineage(sql, dialect)
    assert result == SqlLineage((), (), ())


@pytest.mark.parametrize(
    ("dialect", "sql"),
    [
        ("bigquery", "# only a hash comment"),
        ("bigquery", "#standardSQL\n-- and more\n;"),
        ("mysql", "#no space needed"),
        ("mysql", "# a\n/* b */ -- c\n;"),
        ("mysql", "/*!40101 */;"),
        ("mysql", "/*! */"),
    ],
)
def test_dialect_comments_only(dialect: str, sql: str) -> None:
    assert extract_lineage(sql, dialect) == SqlLineage((), (), ())


@pytest.mark.parametrize(
    "sql",
    [
        "hello world",
        "SELECT FROM WHERE",
        "))) SELECT ((( FROM",
        "SELECT * FROM 'unterminated",
        'SELECT * FROM "unterminated',
        "INSERT INTO",
        "INSERT",
        "WITH",
        "WITH x AS",
        "WITH x AS (SELECT",
        "MERGE INTO",
        "COPY",
        "COPY INTO",
        "ALTER TABLE",
        "ALTER TABLE t RENAME TO",
        "CREATE TABLE",
        "SET",
        "SET search_path TO",
        "USE",
        "USE SCHEMA",
        "SELECT * FROM IDENTIFIER(",
        "SELECT * FROM TABLE(",
        "\x00\x01\x02 SELECT",
        "💥 SELECT * FROM 💥",
        "{{ params.table }}",
        "SELECT * FROM t WHERE a = '\\'",
        "$$",
        "$tag$ unterminated",
        "EXECUTE IMMEDIATE",
        "DECLARE",
        "BEGIN",
        # dialect statements of sql-lineage-dialects.md, cut short
        "SELECT * FROM `unterminated",
        "SELECT * FROM `p.d.`",
        "SELECT * FROM `..`.x",
        "SELECT * FROM p-.d.t",
        "SELECT * FROM `p.d.t$`",
        "UNLOAD (",
        "UNLOAD ('",
        "UNLOAD ('') TO",
        "RENAME TABLE",
        "RENAME TABLE a TO",
        "LOAD DATA",
        "LOAD DATA INTO",
        "EXPORT DATA AS",
        "CACHE TABLE",
        "CACHE LAZY TABLE t AS",
        "RESTORE",
        "/*! unterminated executable comment",
        "INSERT OVERWRITE DIRECTORY",
        "DELETE a, b FROM",
        "DELETE FROM a, b USING",
        "UPDATE t1, t2 SET",
        "UPDATE t1 JOIN t2 SET t9.a = 1",
        "INSERT INTO t ON DUPLICATE KEY UPDATE",
        "ALTER TABLE t APPEND FROM",
        "COPY INTO t FROM (SELECT VALIDATE",
        "USE CATALOG",
        "WITH c (SELECT",
        "#",
        "# x\n#",
    ],
)
@pytest.mark.parametrize("dialect", DIALECTS)
def test_garbage_never_raises(sql: str, dialect: str) -> None:
    result = extract_lineage(sql, dialect)
    assert isinstance(result, SqlLineage)
    result.to_dict()


@pytest.mark.parametrize(
    ("sql", "inputs", "outputs"),
    [
        ("SELECT * FROM a JOIN", ["a"], []),
        ("SELECT * FROM a WHERE id IN (SELECT id FROM b", ["a", "b"], []),
        ("INSERT INTO t SELECT * FROM s WHERE x = 'oops", ["s"], ["t"]),
        ("INSERT INTO t SELECT * FROM s,", ["s"], ["t"]),
        ("UPDATE t SET a = (SELECT max(v) FROM u WHERE", ["u"], ["t"]),
    ],
)
def test_truncated_sql_keeps_what_it_found_and_reports(sql: str, inputs: list[str], outputs: list[str]) -> None:
    result = extract_lineage(sql, "postgres")
    assert strs(result.inputs) == inputs
    assert strs(result.outputs) == outputs
    assert result.errors, "damage must be described"


def test_unbalanced_paren_does_not_swallow_next_statement() -> None:
    result = extract_lineage("SELECT * FROM (a; INSERT INTO b SELECT * FROM c", "postgres")
    assert strs(result.inputs) == ["a", "c"]
    assert strs(result.outputs) == ["b"]
    assert any("parenthes" in e for e in result.errors)


def test_unrecognised_statement_is_reported_but_scanned() -> None:
    result = extract_lineage("FROBNICATE x FROM real_t", "generic")
    assert strs(result.inputs) == ["real_t"]
    assert any("unrecognised" in e for e in result.errors)


def test_unknown_dialect_is_generic_with_note() -> None:
    result = extract_lineage('SELECT * FROM "ORDERS" JOIN orders USING (id)', "oracle")
    assert len(result.inputs) == 2  # generic folds like Postgres: "ORDERS" != orders
    assert any("oracle" in e for e in result.errors)


def test_dialect_name_is_case_insensitive_and_postgresql_alias() -> None:
    assert extract_lineage("SELECT * FROM t", "Snowflake").errors == ()
    assert extract_lineage("SELECT * FROM t", "postgresql").errors == ()


def test_bad_argument_types_never_raise() -> None:
    assert extract_lineage(None, "postgres").inputs == ()  # type: ignore[arg-type]
    assert extract_lineage(42, "postgres").errors  # type: ignore[arg-type]
    result = extract_lineage(["SELECT * FROM a", None, 7, b"SELECT * FROM b"], "postgres")  # type: ignore[list-item]
    assert strs(result.inputs) == ["a", "b"]
    assert extract_lineage("SELECT * FROM t", None).errors  # type: ignore[arg-type]


def test_internal_error_becomes_an_error_entry(monkeypatch: pytest.MonkeyPatch) -> None:
    from secoda_listener.sql import dml

    def boom(*args, **kwargs):
        raise RuntimeError("reader bug")

    monkeypatch.setattr(dml, "update", boom)
    monkeypatch.setitem(__import__("secoda_listener.sql.statements", fromlist=["HANDLERS"]).HANDLERS, "UPDATE", boom)
    result = extract_lineage("UPDATE t SET a = 1 FROM s WHERE s.id = t.id; SELECT * FROM u", "postgres")
    assert any("reader bug" in e for e in result.errors)
    # The flat fallback still found the statement's tables, and later statements are unaffected.
    assert strs(result.outputs) == ["t"]
    assert strs(result.inputs) == ["s", "u"]


def test_error_list_is_bounded() -> None:
    result = extract_lineage("SELECT (;" * 500, "postgres")
    assert len(result.errors) <= 51


# -- the huge inputs (huge_inputs.py, shared with the benchmark) ----------------------


def test_huge_insert_select_finds_tables() -> None:
    sql = huge_insert()
    assert len(sql) > 1_000_000
    result = extract_lineage(sql, "snowflake")
    assert strs(result.inputs) == ["raw.src", "raw.other"]
    assert strs(result.outputs) == ["analytics.totals"]


def test_huge_script_finds_all_tables() -> None:
    result = extract_lineage(huge_script(), "postgres")
    assert {str(n) for n in result.outputs} == {f"t{i}" for i in range(50)}
    assert {str(n) for n in result.inputs} == {f"s{i}" for i in range(70)} | {"d0", "d1", "d2"}


def test_deep_nesting_finds_tables() -> None:
    result = extract_lineage(deep_subqueries(), "postgres")
    assert strs(result.inputs) == ["deep_t"]
    result = extract_lineage(deep_parens(), "snowflake")
    assert strs(result.inputs) == ["t", "u"]


def test_deep_nesting_respects_cte_scope_in_fallback() -> None:
    inner = "(SELECT * FROM " * 200 + "c" + ") AS x" * 200
    result = extract_lineage(f"WITH c AS (SELECT * FROM base) SELECT * FROM {inner}", "postgres")
    assert strs(result.inputs) == ["base"]


def test_huge_inputs_finish_in_a_fresh_process() -> None:
    """Generous guard only (60 s): real timings are in benchmarks/bench_sql_lineage.py."""
    code = textwrap.dedent(
        """
        import sys
        sys.path.insert(0, sys.argv[1])
        sys.setrecursionlimit(200)  # a deep caller stack must not break us either
        from secoda_listener.sql import extract_lineage
        sql = "SELECT * FROM " + "(SELECT * FROM " * 500 + "deep_t" + ") AS x" * 500
        print([str(n) for n in extract_lineage(sql, "postgres").inputs])
        """
    )
    done = subprocess.run([sys.executable, "-c", code, str(REPO)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "['deep_t']"


# -- the same huge inputs in the dialects of sql-lineage-dialects.md ------------------


@pytest.mark.parametrize("dialect", NEW_DIALECTS)
def test_huge_insert_select_finds_tables_in_every_dialect(dialect: str) -> None:
    result = extract_lineage(huge_insert(), dialect)
    assert strs(result.inputs) == ["raw.src", "raw.other"]
    assert strs(result.outputs) == ["analytics.totals"]


@pytest.mark.parametrize("dialect", NEW_DIALECTS)
def test_huge_script_finds_all_tables_in_every_dialect(dialect: str) -> None:
    result = extract_lineage(huge_script(), dialect)
    assert {str(n) for n in result.outputs} == {f"t{i}" for i in range(50)}
    assert {str(n) for n in result.inputs} == {f"s{i}" for i in range(70)} | {"d0", "d1", "d2"}


@pytest.mark.parametrize("dialect", NEW_DIALECTS)
def test_deep_nesting_finds_tables_in_every_dialect(dialect: str) -> None:
    assert strs(extract_lineage(deep_subqueries(), dialect).inputs) == ["deep_t"]
    assert strs(extract_lineage(deep_parens(), dialect).inputs) == ["t", "u"]


@pytest.mark.parametrize("dialect", NEW_DIALECTS)
def test_adversarial_inputs_in_every_dialect(dialect: str) -> None:
    for name, (sql, inputs) in sorted(ADVERSARIAL.items()):
        result = extract_lineage(sql, dialect)
        if name != "nested-comments":  # only Postgres nests block comments
            assert strs(result.inputs) == inputs, name


TRIPLE = "'" * 3


@pytest.mark.parametrize(
    ("dialect", "sql"),
    [
        ("bigquery", "SELECT * FROM `" + "x" * 1_000_000),  # an unterminated backtick path
        ("bigquery", "SELECT " + TRIPLE + "a'" * 300_000),  # an unterminated triple-quoted string
        ("bigquery", "SELECT * FROM " + "a-" * 200_000 + "b.t"),  # a dashed run to glue
        ("mysql", "/*!" * 200_000),  # unterminated executable comments
        ("mysql", "SELECT 1 " + "# c\n" * 200_000 + "FROM t"),
        ("redshift", "UNLOAD ('" + "SELECT * FROM (" * 2_000 + "t" + ")" * 2_000 + "') TO 's3://x'"),
        ("databricks", "SELECT * FROM " + ", ".join(f"IDENTIFIER('s.t{i}')" for i in range(20_000))),
        (
            "mysql",
            "DELETE "
            + ", ".join(f"t{i}" for i in range(5_000))
            + " FROM "
            + " JOIN ".join(f"t{i}" for i in range(5_000)),
        ),
    ],
    ids=[
        "bq-backtick",
        "bq-triple",
        "bq-dashes",
        "my-executable",
        "my-hash",
        "rs-unload",
        "dbx-identifier",
        "my-delete",
    ],
)
def test_dialect_shapes_that_could_cost_quadratic_time_finish(dialect: str, sql: str) -> None:
    # Time is measured in benchmarks/bench_sql_lineage.py; here: an answer, no exception.
    result = extract_lineage(sql, dialect)
    assert isinstance(result, SqlLineage)
