"""CREATE / DROP / ALTER / TRUNCATE / UNDROP / REFRESH for tables and views.

Only table-like objects carry lineage; the same verbs on schemas, stages,
sequences, functions and the like are recognised and ignored.  ALTER TABLE
matters only when it renames, moves (SET SCHEMA), swaps or refreshes.
"""

from __future__ import annotations

from secoda_listener.sql.names import SNOWFLAKE, Identifier, TableName
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


def create(r: Reader, k: int, j: int, scope: Scope | None) -> None:
    """CREATE TABLE/VIEW/MATERIALIZED VIEW/DYNAMIC TABLE [AS query | LIKE s | CLONE s]."""
    start = k + 1
    k = r.skip_words(start, _CREATE_MODIFIERS)
    if r.word(k) not in _TABLE_KINDS:
        return  # index, schema, stage, sequence, function...: no lineage
    recursive = any(r.word(i) == "RECURSIVE" for i in range(start, k))
    k = r.skip_if_exists(k + 1)
    parts, k = r.read_name(k, j)
    name = r.output(parts)
    if recursive and name is not None:
        # CREATE RECURSIVE VIEW v is WITH RECURSIVE v AS (...): v in its body is itself.
        scope = Scope([name.parts[-1].key(r.dialect)], scope)
    while k < j:
        if r.is_p(k, "("):
            if query_start(r, k + 1, r.match[k]):
                query(r, k + 1, min(r.match[k], j), scope)
            else:
                _column_list(r, k, j)
            k = r.after(k, j)
            continue
        word = r.word(k)
        if word in ("LIKE", "CLONE"):
            k = r.read_input(k + 1, j)
            continue
        if word == "AS" and (query_start(r, k + 1, j) or r.word(k + 1) == "TABLE"):
            query(r, k + 1, j, scope)
            return
        k += 1


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
    k = r.skip_words(k + 1, _KIND_MODIFIERS | {"TEMPORARY", "TEMP"})
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
    """REFRESH MATERIALIZED VIEW [CONCURRENTLY] v: v's contents change."""
    k = r.skip_words(k + 1, frozenset({"MATERIALIZED", "VIEW", "CONCURRENTLY"}))
    r.read_output(k, j)


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
    if action == "RENAME" and nxt == "TO":
        _rename(r, old, k + 2, j)
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
    if r.dialect != SNOWFLAKE and len(new_parts) == 1:
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
