"""COPY in both dialects.

Snowflake ``COPY INTO <table> FROM <stage|url|(query over stage)>`` loads a
table (output); ``COPY INTO <@stage|'url'> FROM <table|(query)>`` unloads
(inputs only).  Postgres ``COPY t FROM ...`` loads t, ``COPY t TO ...`` and
``COPY (query) TO ...`` read.  Stages, files, STDIN/STDOUT and PROGRAM are
never tables.  Redshift ``COPY t FROM 's3://...'`` is the Postgres form (t
loaded).  Databricks ``COPY INTO t FROM 'path' | (SELECT ... FROM 'path')``
loads t; with ``VALIDATE`` it only checks the files: no lineage.
"""

from __future__ import annotations

from secoda_listener.sql.names import DATABRICKS
from secoda_listener.sql.query import paren, query_start, skip_stage
from secoda_listener.sql.reader import Reader, Scope
from secoda_listener.sql.tokens import AT, STRING


def copy(r: Reader, k: int, j: int, scope: Scope | None) -> None:
    k += 1  # COPY
    word = r.word(k)
    if word == "INTO":
        _copy_into(r, k + 1, j, scope)
    elif word == "FILES":
        return  # Snowflake COPY FILES INTO @stage: files only
    else:
        _pg_copy(r, k + (word == "BINARY"), j, scope)  # pre-9.0 "COPY BINARY t"


def _pg_copy(r: Reader, k: int, j: int, scope: Scope | None) -> None:
    if r.is_p(k, "("):  # COPY (query) TO ...
        paren(r, k, scope)
        return
    parts, k = r.read_name(k, j)
    if r.is_p(k, "("):
        k = r.after(k, j)  # column list
    direction = r.word(k)
    if direction == "FROM":
        r.output(parts)
    elif direction == "TO":
        r.input(parts, scope)


def _copy_into(r: Reader, k: int, j: int, scope: Scope | None) -> None:
    if k >= j:
        return
    tok = r.toks[k]
    if tok.kind in (AT, STRING):  # unload to a stage or URL
        k = skip_stage(r, k, j) if tok.kind == AT else k + 1
        while k < j and r.word(k) != "FROM":
            k = r.after(k, j) if r.is_p(k, "(") else k + 1
        _source(r, k + 1, j, scope)
        return
    if r.dialect == DATABRICKS and _validates(r, k, j):
        return
    parts, k = r.read_name(k, j)
    r.output(parts)
    if r.is_p(k, "(") and not query_start(r, k + 1, r.match[k]):
        k = r.after(k, j)  # column list
    if r.word(k) == "FROM" and r.is_p(k + 1, "("):
        paren(r, k + 1, scope)  # transformation query over a stage


def _source(r: Reader, k: int, j: int, scope: Scope | None) -> None:
    if k >= j:
        return
    if r.is_p(k, "("):
        paren(r, k, scope)
    elif r.toks[k].kind not in (AT, STRING):
        r.read_input(k, j, scope)


def _validates(r: Reader, k: int, j: int) -> bool:
    """A top-level ``VALIDATE`` (Databricks COPY INTO ... VALIDATE [ALL | n ROWS])."""
    while k < j:
        if r.is_p(k, "("):
            k = r.after(k, j)
            continue
        if r.word(k) == "VALIDATE":
            return True
        k += 1
    return False
