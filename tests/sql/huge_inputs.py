"""The huge inputs, shared by the robustness tests and benchmarks/bench_sql_lineage.py."""

from __future__ import annotations


def huge_insert() -> str:
    """One INSERT..SELECT of about 1.2 MB: 20,000 terms and a 40,000-item IN list."""
    terms = " + ".join(f"coalesce(src.col_{i}, 0) * {i}" for i in range(20_000))
    sql = f"INSERT INTO analytics.totals SELECT {terms} AS total FROM raw.src AS src JOIN raw.other o ON o.id = src.id"
    return sql + " WHERE src.k IN (" + ", ".join(f"'{i:08d}'" for i in range(40_000)) + ")"


def huge_script() -> str:
    """A 5,000-statement script over 50 targets and 73 sources."""
    return "\n".join(
        f"INSERT INTO t{i % 50} (a, b) SELECT a, b FROM s{i % 70} JOIN d{i % 3} USING (k) WHERE x = {i};"
        for i in range(5_000)
    )


def deep_subqueries() -> str:
    """500 nested subqueries around one table, deep_t."""
    return "SELECT * FROM " + "(SELECT * FROM " * 500 + "deep_t" + ") AS x" * 500


def deep_parens() -> str:
    """500 nested parentheses, then 500 nested IN subqueries (tables t and u)."""
    return (
        "SELECT "
        + "(" * 500
        + "1"
        + ")" * 500
        + " FROM t WHERE a IN "
        + "(SELECT a FROM u WHERE b IN " * 500
        + "(1)"
        + ")" * 500
    )


def _deep_with_list() -> str:
    return "WITH " + ", ".join(f"c{i} AS (SELECT * FROM c{i - 1})" for i in range(1, 5000)) + " SELECT * FROM c4999"


#: Shapes that once cost quadratic time or memory: (SQL, the inputs Postgres must find).
ADVERSARIAL = {
    # token-dense texts: sqlparse's lexer costs per token, not per character
    "open-parens": ("SELECT * FROM t WHERE " + "(" * 200_000, ["t"]),
    "close-parens": ("SELECT * FROM t WHERE " + ")" * 200_000, ["t"]),
    # a 1 MB literal must not need one regex backtracking frame per character
    "huge-literal": ("SELECT '" + "x" * 1_000_000 + "' FROM t", ["t"]),
    # thousands of CTEs in one WITH list: scopes must not be rebuilt per CTE
    "5000-ctes": (_deep_with_list(), ["c0"]),
    "nested-comments": ("SELECT 1 " + "/* a " * 50_000 + "*/ " * 50_000 + "FROM t", ["t"]),
}
