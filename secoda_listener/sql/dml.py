"""INSERT (incl. OVERWRITE, ALL/FIRST), UPDATE, DELETE and MERGE.

Each reader records the target as an output, then hands the rest of the
statement to the query clause reader, which finds FROM/USING tables and
subqueries.  The target is an input only if it is named again in a FROM,
JOIN, USING or subquery (rule 3), which falls out naturally.

Dialect forms: Databricks ``INSERT OVERWRITE [LOCAL] DIRECTORY 'p' query``
(no output), MySQL ``INSERT ... ON DUPLICATE KEY UPDATE`` (an assignment list,
not a join condition).  MySQL's multi-table UPDATE/DELETE are in
``multi_table``.
"""

from __future__ import annotations

from secoda_listener.sql.names import DATABRICKS, MYSQL
from secoda_listener.sql.query import EXPR, clauses, expr, paren, query, query_start
from secoda_listener.sql.reader import Reader, Scope

_TARGET_PREFIX = frozenset({"INTO", "OVERWRITE", "TABLE", "ONLY", "IGNORE", "LOW_PRIORITY"})
_MYSQL_PREFIX = _TARGET_PREFIX | {"DELAYED", "HIGH_PRIORITY"}


def insert(r: Reader, k: int, j: int, scope: Scope | None) -> None:
    """``INSERT [OVERWRITE] INTO t [(cols)] {VALUES | query}`` and Snowflake multi-table INSERT."""
    k += 1  # INSERT
    if r.word(k) == "OVERWRITE":
        k += 1
        if r.dialect == DATABRICKS and r.word(r.skip_words(k, frozenset({"LOCAL"}))) == "DIRECTORY":
            _directory(r, k, j, scope)
            return
    if r.word(k) in ("ALL", "FIRST"):
        insert_multi(r, k + 1, j, scope)
        return
    if r.dialect == MYSQL:
        j = _before_duplicate_key(r, k, j, scope)
    k = r.skip_words(k, _MYSQL_PREFIX if r.dialect == MYSQL else _TARGET_PREFIX)
    k = r.read_output(k, j)
    if r.word(k) == "AS":  # Postgres target alias
        k += 2
    if r.is_p(k, "(") and not query_start(r, k + 1, r.match[k]):
        k = r.after(k, j)  # column list
    query(r, k, j, scope)  # VALUES, a query (maybe WITH ...), ON CONFLICT ...


def _directory(r: Reader, k: int, j: int, scope: Scope | None) -> None:
    """``INSERT OVERWRITE [LOCAL] DIRECTORY ['path'] [USING fmt] [OPTIONS (...)] query``: files only."""
    while k < j and not query_start(r, k, j):
        k = r.after(k, j) if r.is_p(k, "(") else k + 1
    query(r, k, j, scope)


def _before_duplicate_key(r: Reader, k: int, j: int, scope: Scope | None) -> int:
    """MySQL: read ``ON DUPLICATE KEY UPDATE a = ..., b = ...`` as expressions; returns where it starts."""
    i = k
    while i < j:
        if r.is_p(i, "("):
            i = r.after(i, j)
            continue
        if r.word(i) == "ON" and r.word(i + 1) == "DUPLICATE" and r.word(i + 2) == "KEY":
            expr(r, i + 3, j, scope)  # VALUES(col) is a column; subqueries still count
            return i
        i += 1
    return j


def insert_multi(r: Reader, k: int, j: int, scope: Scope | None) -> None:
    """Snowflake ``INSERT ALL|FIRST [WHEN c THEN] INTO t1 ... INTO t2 ... <subquery>``.

    Every INTO names a target; column lists and VALUES are expressions over
    the subquery, which starts at the first SELECT/WITH (or parenthesised query)
    after the INTO clauses.
    """
    while k < j:
        word = r.word(k)
        if word == "INTO":
            k = r.read_output(k + 1, j)
            if r.is_p(k, "(") and not query_start(r, k + 1, r.match[k]):
                k = r.after(k, j)
            continue
        if word in ("SELECT", "WITH"):
            query(r, k, j, scope)
            return
        if r.is_p(k, "("):
            paren(r, k, scope)
            k = r.after(k, j)
            continue
        k += 1


def update(r: Reader, k: int, j: int, scope: Scope | None) -> None:
    """``UPDATE [ONLY] t [alias] SET ... [FROM ...] [WHERE ...]``."""
    k = r.skip_words(k + 1, frozenset({"ONLY", "LOW_PRIORITY", "IGNORE"}))
    k = r.read_output(k, j)
    clauses(r, k, j, scope, EXPR)


def delete(r: Reader, k: int, j: int, scope: Scope | None) -> None:
    """``DELETE FROM [ONLY] t [alias] [USING ...] [WHERE ...]``."""
    k = r.skip_words(k + 1, frozenset({"FROM", "ONLY", "LOW_PRIORITY", "QUICK", "IGNORE"}))
    k = r.read_output(k, j)
    clauses(r, k, j, scope, EXPR)


def merge(r: Reader, k: int, j: int, scope: Scope | None) -> None:
    """``MERGE INTO t [alias] USING src ON ... WHEN ...``; USING is read as a FROM list."""
    k = r.skip_words(k + 1, frozenset({"INTO", "ONLY"}))
    k = r.read_output(k, j)
    clauses(r, k, j, scope, EXPR)  # BigQuery's INSERT ROW reads nothing: plain words here
