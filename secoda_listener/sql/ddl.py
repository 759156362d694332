"""CREATE / DROP / ALTER / TRUNCATE / UNDROP / REFRESH / RESTORE / CACHE for tables and views.

Only table-like objects carry lineage; the same verbs on schemas, stages,
sequences, functions and the like are recognised and ignored.  ALTER TABLE
matters only when it renames, moves (SET SCHEMA), swaps, refreshes or (Redshift
``APPEND FROM``) moves rows.  Dialect forms: BigQuery ``CREATE SNAPSHOT TABLE``,
``CREATE TABLE t COPY s``; Databricks/MySQL ``CREATE TABLE t [(cols)] SELECT``
without AS, Databricks ``RESTORE`` and ``CACHE TABLE t AS query``; MySQL view
prefixes (``ALGORITHM=``, ``DEFINER=``) and ``RENAME [TO|AS]``.
"""

from __future__ import annotations

from secoda_listener.sql.names import (
    BIGQUERY,
    DATABRICKS,
    MYSQL,
    REDSHIFT,
    SNOWFLAKE,
    Identifier,
    TableName,
    cte_key,
)
from secoda_listener.sql.query import query, query_start
from secoda_listener.sql.reader import Reader, Scope
from secoda_listener.sql.tokens import OP

# Words between CREATE and TABLE/VIEW that do not change what is created.
_CREATE_MODIFIERS = frozenset(
    {
        "OR",
        "REPLACE",
        "ALTER",
        "LOCAL",
        "GLOBAL",
        "TEMP",
        "TEMPORARY",
        "VOLATILE",
        "TRANSIENT",
        "UNLOGGED",
        "SECURE",
        "RECURSIVE",
        "MATERIALIZED",
        "DYNAMIC",
        "EXTERNAL",
        "ICEBERG",
        "HYBRID",
        "EVENT",
        "FOREIGN",
        "FORCE",
        "NOFORCE",
        "MULTISET",
        "SET",
        "DEFINER",
    }
)
_KIND_MODIFIERS = frozenset({"MATERIALIZED", "DYNAMIC", "EXTERNAL", "FOREIGN", "ICEBERG", "HYBRID", "EVENT", "SECURE"})
_TABLE_KINDS = frozenset({"TABLE", "VIEW"})
# Modifiers only some engines have (kept out of the shared sets so other dialects read as before).
_DIALECT_KINDS: dict[str, frozenset[str]] = {
    BIGQUERY: frozenset({"SNAPSHOT"}),
    DATABRICKS: frozenset({"STREAMING", "LIVE", "REFRESH"}),  # CREATE OR REFRESH STREAMING TABLE (DLT)
}
# Sources of a copy of a table: CREATE TABLE t LIKE|CLONE s (BigQuery also COPY s).
_SOURCE_WORDS: dict[str, frozenset[str]] = {BIGQUERY: frozenset({"LIKE", "CLONE", "COPY"})}
_DEFAULT_SOURCE_WORDS = frozenset({"LIKE", "CLONE"})
# Engines where the query of CREATE TABLE may follow without AS.
_BARE_QUERY = frozenset({DATABRICKS, MYSQL})
# WITH that starts table or view options, not a query (Hive SERDEPROPERTIES, Databricks SCHEMA BINDING).
_OPTION_WITH = frozenset({"SERDEPROPERTIES", "DBPROPERTIES", "SCHEMA", "CHECK", "NO", "DATA"})
_MYSQL_VIEW_PREFIX = frozenset({"ALGORITHM", "DEFINER", "SQL"})


def create(r: Reader, k: int, j: int, scope: Scope | None) -> None:
    """CREATE TABLE/VIEW/MATERIALIZED VIEW/DYNAMIC TABLE [AS query | LIKE s | CLONE s]."""
    start = k + 1
    extra = _DIALECT_KINDS.get(r.dialect, frozenset())
    k = r.skip_words(start, _CREATE_MODIFIERS | extra)
    if r.dialect == MYSQL and r.word(k) in _MYSQL_VIEW_PREFIX:
        k = _mysql_view(r, k, j)
    if r.word(k) not in _TABLE_KINDS or (r.dialect == BIGQUERY and r.word(k + 1) == "FUNCTION"):
        return  # index, schema, stage, sequence, function, table function...: no lineage
    recursive = any(r.word(i) == "RECURSIVE" for i in range(start, k))
    k = r.skip_if_exists(k + 1)
    parts, k = r.read_name(k, j)
    name = r.output(parts)
    if recursive and name is not None:
        # CREATE RECURSIVE VIEW v is WITH RECURSIVE v AS (...): v in its body is itself.
        scope = Scope([cte_key(name.parts[-1], r.dialect)], scope)
    sources = _SOURCE_WORDS.get(r.dialect, _DEFAULT_SOURCE_WORDS)
    while k < j:
        if r.is_p(k, "("):
            if query_start(r, k + 1, r.match[k]):
                query(r, k + 1, min(r.match[k], j), scope)
            else:
                _column_list(r, k, j)
            k = r.after(k, j)
            continue
        word = r.word(k)
        if word in sources:
            k = r.read_input(k + 1, j)
            continue
        if word == "AS" and (query_start(r, k + 1, j) or r.word(k + 1) == "TABLE"):
            query(r, k + 1, j, scope)
            return
        if r.dialect in _BARE_QUERY and word in ("SELECT", "WITH") and r.word(k + 1) not in _OPTION_WITH:
            query(r, k, j, scope)  # CREATE TABLE t [(cols)] [IGNORE|REPLACE] SELECT ...
            return
        k += 1


def _mysql_view(r: Reader, k: int, j: int) -> int:
    """``ALGORITHM = x DEFINER = u@h SQL SECURITY y VIEW``: index of the VIEW (or other object) word."""
    limit = min(j, k + 40)
    while k < limit and r.word(k) not in _TABLE_KINDS | {"PROCEDURE", "FUNCTION", "TRIGGER", "EVENT"}:
        k += 1
    return k


def _column_list(r: Reader, k: int, j: int) -> None:
    """Column definitions: only Postgres ``(LIKE source ...)`` names a table.

    REFERENCES targets are constraints, not data flow; defaults and checks
    cannot hold subqueries, so nested groups are skipped whole.
    """
    close = min(r.match[k], j)
    i = k + 1
    while i < close:
        if r.is_p(i, "("):
            i = r.after(i, close)
            continue
        if r.word(i) == "LIKE" and (i == k + 1 or r.is_p(i - 1, ",")):
            i = r.read_input(i + 1, close)
            continue
        i += 1


def drop(r: Reader, k: int, j: int, scope: Scope | None) -> None:
    """DROP TABLE/VIEW [IF EXISTS] a [, b ...]: every name is written."""
    k = r.skip_words(k + 1, _KIND_MODIFIERS | {"TEMPORARY", "TEMP"} | _DIALECT_KINDS.get(r.dialect, frozenset()))
    if r.word(k) not in _TABLE_KINDS:
        return
    _name_list(r, r.skip_if_exists(k + 1), j)


def truncate(r: Reader, k: int, j: int, scope: Scope | None) -> None:
    """TRUNCATE [TABLE | MATERIALIZED VIEW] [IF EXISTS] [ONLY] a [*] [, ...]."""
    k = r.skip_words(k + 1, frozenset({"TABLE", "MATERIALIZED", "VIEW"}))
    _name_list(r, r.skip_if_exists(k), j)


def _name_list(r: Reader, k: int, j: int) -> None:
    while k < j:
        k = r.skip_words(k, frozenset({"ONLY"}))
        before = k
        k = r.read_output(k, j)
        if k < j and r.toks[k].kind == OP and r.toks[k].text == "*":
            k += 1  # Postgres "t *": include descendants
        if not r.is_p(k, ",") or k == before:
            return
        k += 1


def undrop(r: Reader, k: int, j: int, scope: Scope | None) -> None:
    """UNDROP TABLE t brings a table back: an output (schemas/databases: none)."""
    k = r.skip_words(k + 1, _KIND_MODIFIERS)
    if r.word(k) in _TABLE_KINDS:
        r.read_output(k + 1, j)


def refresh(r: Reader, k: int, j: int, scope: Scope | None) -> None:
    """REFRESH MATERIALIZED VIEW [CONCURRENTLY] v: v's contents change.

    Databricks: also REFRESH STREAMING TABLE v; its REFRESH TABLE t, REFRESH
    FUNCTION f and REFRESH 'path' only reload metadata caches (no lineage).
    """
    if r.dialect == DATABRICKS:
        if r.word(k + 1) not in ("MATERIALIZED", "STREAMING"):
            return
        k = r.skip_words(k + 1, frozenset({"MATERIALIZED", "STREAMING", "VIEW", "TABLE"}))
        r.read_output(k, j)
        return
    k = r.skip_words(k + 1, frozenset({"MATERIALIZED", "VIEW", "CONCURRENTLY"}))
    r.read_output(k, j)


def restore(r: Reader, k: int, j: int, scope: Scope | None) -> None:
    """Databricks ``RESTORE [TABLE] t TO VERSION|TIMESTAMP AS OF ...``: t's contents change."""
    k = r.skip_words(k + 1, frozenset({"TABLE"}))
    r.read_output(k, j)


def cache(r: Reader, k: int, j: int, scope: Scope | None) -> None:
    """Databricks ``CACHE [LAZY] TABLE t [OPTIONS (...)] [AS] query``: a temporary view t.

    ``CACHE TABLE t`` alone only caches an existing table: no lineage.
    """
    k = r.skip_words(k + 1, frozenset({"LAZY"}))
    if r.word(k) != "TABLE":
        return
    parts, k = r.read_name(k + 1, j)
    if r.word(k) == "OPTIONS" and r.is_p(k + 1, "("):
        k = r.after(k + 1, j)
    if r.word(k) == "AS":
        k += 1
    if query_start(r, k, j):
        r.output(parts)
        query(r, k, j, scope)


def alter(r: Reader, k: int, j: int, scope: Scope | None) -> None:
    """ALTER TABLE/VIEW: RENAME TO, SET SCHEMA, SWAP WITH and REFRESH carry lineage."""
    k = r.skip_words(k + 1, _KIND_MODIFIERS)
    if r.word(k) not in _TABLE_KINDS:
        return
    k = r.skip_words(r.skip_if_exists(k + 1), frozenset({"ONLY"}))
    parts, k = r.read_name(k, j)
    old = r.qualify(parts)
    if old is None:
        return
    if k < j and r.toks[k].kind == OP and r.toks[k].text == "*":
        k += 1
    action, nxt = r.word(k), r.word(k + 1)
    if action == "RENAME" and r.dialect == MYSQL:
        if nxt not in ("COLUMN", "INDEX", "KEY"):  # RENAME [TO|AS] b moves the table
            _rename(r, old, k + 2 if nxt in ("TO", "AS") else k + 1, j)
    elif action == "RENAME" and nxt == "TO":
        _rename(r, old, k + 2, j)
    elif action == "APPEND" and nxt == "FROM" and r.dialect == REDSHIFT:
        # Moves every row of s into t and leaves s empty: s read, both written.
        source = r.qualify(r.read_name(k + 2, j)[0])
        if source is not None:
            r.collector.read(source)
            r.collector.write(old)
            r.collector.write(source)
    elif action == "SWAP" and nxt == "WITH":
        other = r.qualify(r.read_name(k + 2, j)[0])
        for name in (old, other):
            if name is not None:
                r.collector.read(name)
                r.collector.write(name)
    elif action == "SET" and nxt == "SCHEMA":
        _move(r, old, k + 2, j)
    elif action == "REFRESH":  # Snowflake dynamic/external table refresh
        r.collector.write(old)
    elif action == "AS" and query_start(r, k + 1, j):
        r.collector.write(old)  # ALTER VIEW v AS SELECT (generic engines)
        query(r, k + 1, j, scope)


def _rename(r: Reader, old: TableName, k: int, j: int) -> None:
    new_parts = r.read_name(k, j)[0]
    if not new_parts or new_parts[-1] is None:
        return
    new: TableName | None
    if r.dialect not in (SNOWFLAKE, MYSQL) and len(new_parts) == 1:
        new = r.resolver.with_prefix_of(old, new_parts[-1])  # Postgres keeps the schema
    else:
        new = r.qualify(new_parts)
    if new is not None:
        r.collector.read(old)
        r.collector.write(new)


def _move(r: Reader, old: TableName, k: int, j: int) -> None:
    """ALTER TABLE t SET SCHEMA s: treated as a rename to s.t (same database)."""
    schema_parts = r.read_name(k, j)[0]
    if not schema_parts or schema_parts[-1] is None:
        return
    schema: Identifier = schema_parts[-1]
    if len(old.parts) >= 3:
        new: TableName | None = TableName((*old.parts[:-2], schema, old.parts[-1]), r.dialect)
    else:
        new = r.resolver.qualify([schema, old.parts[-1]])
    if new is not None:
        r.collector.read(old)
        r.collector.write(new)


def no_lineage(r: Reader, k: int, j: int, scope: Scope | None) -> None:
    """Statements that move no data (GRANT, COMMENT ON, ANALYZE, ...)."""
