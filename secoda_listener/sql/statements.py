"""One statement: pick the reader for its kind, or know that it has no lineage.

The shared table serves every dialect; BigQuery, Redshift, Databricks and
MySQL add (or replace) readers for their own statements and their own
no-lineage verbs (sql-lineage-dialects.md).
"""

from __future__ import annotations

from typing import Callable, Optional

from secoda_listener.sql import copying, ddl, dml, loading, multi_table, procedural, session
from secoda_listener.sql.fallback import flat_scan
from secoda_listener.sql.names import BIGQUERY, DATABRICKS, MYSQL, REDSHIFT
from secoda_listener.sql.procedural import RunNested
from secoda_listener.sql.query import query
from secoda_listener.sql.reader import Reader, Scope
from secoda_listener.sql.tokens import OTHER, PUNCT

Handler = Callable[[Reader, int, int, Optional[Scope]], None]


def _select(r: Reader, k: int, j: int, scope: Scope | None) -> None:
    query(r, k, j, scope, top=True)


HANDLERS: dict[str, Handler] = {
    "SELECT": _select,
    "WITH": _select,
    "VALUES": _select,
    "TABLE": _select,
    "(": _select,
    "INSERT": dml.insert,
    "REPLACE": dml.insert,  # MySQL-style REPLACE INTO, for the generic dialect
    "UPSERT": dml.insert,
    "UPDATE": dml.update,
    "DELETE": dml.delete,
    "MERGE": dml.merge,
    "CREATE": ddl.create,
    "DROP": ddl.drop,
    "ALTER": ddl.alter,
    "TRUNCATE": ddl.truncate,
    "UNDROP": ddl.undrop,
    "REFRESH": ddl.refresh,
    "COPY": copying.copy,
    "USE": session.use,
    "SET": session.set_,
    "RESET": session.reset,
    "UNSET": session.unset,
}

# Statements recognised as moving no data (spec rule 5 and their relatives).
NO_LINEAGE = frozenset(
    {
        "GRANT",
        "REVOKE",
        "COMMENT",
        "ANALYZE",
        "ANALYSE",
        "VACUUM",
        "CALL",
        "SHOW",
        "DESCRIBE",
        "DESC",
        "LIST",
        "LS",
        "COMMIT",
        "ROLLBACK",
        "ABORT",
        "END",
        "SAVEPOINT",
        "RELEASE",
        "LOCK",
        "NOTIFY",
        "LISTEN",
        "UNLISTEN",
        "DISCARD",
        "DEALLOCATE",
        "PREPARE",
        "PUT",
        "GET",
        "REMOVE",
        "RM",
        "CLUSTER",
        "REINDEX",
        "CHECKPOINT",
        "DO",
        "FETCH",
        "CLOSE",
        "MOVE",
        "SECURITY",
        "LOAD",
        "RAISE",
        "BREAK",
        "CONTINUE",
        "EXIT",
        "NULL",
        "ASSERT",
        "AWAIT",
        "CANCEL",
        "UNLOAD_HISTORY",
        "START",
        "IMPORT",
        "REASSIGN",
        "LABEL",
        "SUMMARIZE",
        "RESUME",
        "SUSPEND",
    }
)


# Readers of each dialect's own statements, consulted before HANDLERS.
DIALECT_HANDLERS: dict[str, dict[str, Handler]] = {
    BIGQUERY: {"LOAD": loading.load, "EXPORT": loading.export},
    REDSHIFT: {"UNLOAD": loading.unload},
    DATABRICKS: {"LOAD": loading.load, "CACHE": ddl.cache, "RESTORE": ddl.restore},
    MYSQL: {
        "LOAD": loading.load,
        "UPDATE": multi_table.update,
        "DELETE": multi_table.delete,
        "RENAME": multi_table.rename,
    },
}
_NONE: frozenset[str] = frozenset()
# Each dialect's verbs that move no data, besides NO_LINEAGE.
DIALECT_NO_LINEAGE: dict[str, frozenset[str]] = {
    BIGQUERY: frozenset({"EXECUTE", "ASSERT", "RETURN", "LEAVE", "ITERATE"}),
    DATABRICKS: frozenset({"OPTIMIZE", "UNCACHE", "CLEAR", "FSCK", "MSCK", "ADD", "REPAIR", "GENERATE"}),
    MYSQL: frozenset(
        {"OPTIMIZE", "CHECK", "CHECKSUM", "REPAIR", "UNLOCK", "FLUSH", "HANDLER", "KILL", "PURGE", "HELP", "XA"}
        | {"DELIMITER"}  # the mysql client's command, in dumps and scripts
    ),
}


def handler_for(r: Reader, key: str) -> Handler | None:
    own = DIALECT_HANDLERS.get(r.dialect)
    if own is not None and key in own:
        return own[key]
    return HANDLERS.get(key)


def body_reader(r: Reader, k: int, j: int, scope: Scope | None) -> None:
    """Data-modifying statement inside a query (``WITH x AS (DELETE ...) INSERT ...``)."""
    handler = handler_for(r, r.word(k))
    if handler is not None:
        handler(r, k, j, scope)


def read_statement(r: Reader, run_nested: RunNested) -> str | None:
    """Read the statement held by ``r``; returns a problem description or None.

    ``run_nested`` reads SQL text found inside the statement (Snowflake
    ``EXECUTE IMMEDIATE '...'``, a Postgres ``DO`` body) with the same
    session state.
    """
    if r.n == 0:
        return None
    k = procedural.unwrap(r, run_nested)
    if k == procedural.DONE:
        return None
    first = r.word(k)
    key = first or (r.toks[k].text if r.toks[k].kind == PUNCT else "")
    handler = handler_for(r, key)
    if handler is not None:
        handler(r, k, r.n, None)
        return _health(r)
    if first in NO_LINEAGE or first in DIALECT_NO_LINEAGE.get(r.dialect, _NONE):
        return None
    if first and procedural.declaration(r, k + 1):
        return None
    r.fallback_used = True
    flat_scan(r, k, r.n, None)
    return f"unrecognised statement starting with {r.toks[k].text[:40]!r}"


def _health(r: Reader) -> str | None:
    """Describe visible damage: lexer errors, unbalanced parentheses, truncation."""
    problems = []
    if any(tok.kind == OTHER for tok in r.toks):
        problems.append("unrecognised characters (unterminated string or quote?)")
    if any(m == r.n for m in r.match) or any(
        tok.kind == PUNCT and tok.text == ")" and r.match[i] < 0 for i, tok in enumerate(r.toks)
    ):
        problems.append("unbalanced parentheses")
    last = r.toks[-1]
    if last.up in _DANGLING or (last.kind == PUNCT and last.text in ",.(") or r.n == 1:
        # A statement keyword alone (COPY, RENAME, ...) is as truncated as one ending in FROM.
        problems.append(f"statement ends unexpectedly after {last.text!r}")
    if r.problem:
        problems.append(r.problem)
    if r.fallback_used:
        problems.append("nesting too deep; inner part scanned without structure")
    return "; ".join(problems) or None


_DANGLING = frozenset(
    {
        "FROM",
        "JOIN",
        "ON",
        "WHERE",
        "SELECT",
        "INTO",
        "AND",
        "OR",
        "BY",
        "SET",
        "AS",
        "USING",
        "TABLE",
        "VIEW",
        "WITH",
        "UNION",
        "HAVING",
        "=",
        "IN",
    }
)
