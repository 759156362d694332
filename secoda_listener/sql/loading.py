"""Bulk loads and unloads whose other end is files, not tables.

* ``LOAD DATA``: BigQuery ``LOAD DATA {INTO | OVERWRITE} [TEMP TABLE] t ...
  FROM FILES(...)``, MySQL ``LOAD DATA [LOCAL] INFILE 'f' [REPLACE | IGNORE]
  INTO TABLE t``, Hive/Databricks ``LOAD DATA [LOCAL] INPATH 'p' [OVERWRITE]
  INTO TABLE t``: t is written; files are no input.  (Postgres ``LOAD 'lib'``
  loads a library: nothing.)
* BigQuery ``EXPORT DATA [WITH CONNECTION c] OPTIONS (...) AS query``: the
  query's tables are read; the URI is no output.
* Redshift ``UNLOAD ('query') TO 's3://...'``: the string is SQL (its doubled
  or backslash-escaped quotes unescaped), read as a nested text; the S3
  prefix is no output.
"""

from __future__ import annotations

from secoda_listener.sql.names import BIGQUERY
from secoda_listener.sql.query import query, query_start
from secoda_listener.sql.reader import Reader, Scope
from secoda_listener.sql.tokens import STRING, string_value

_LOAD_KINDS = frozenset({"DATA", "XML"})


def load(r: Reader, k: int, j: int, scope: Scope | None) -> None:
    k += 1
    if r.word(k) not in _LOAD_KINDS:
        return
    k += 1
    if r.dialect == BIGQUERY and r.word(k) in ("INTO", "OVERWRITE"):
        r.read_output(r.skip_words(k + 1, frozenset({"TEMP", "TEMPORARY", "TABLE"})), j)
        return
    while k < j:  # MySQL / Hive: the target follows INTO [TABLE]
        if r.is_p(k, "("):
            k = r.after(k, j)
            continue
        if r.word(k) == "INTO":
            r.read_output(r.skip_words(k + 1, frozenset({"TABLE"})), j)
            return
        k += 1


def export(r: Reader, k: int, j: int, scope: Scope | None) -> None:
    """BigQuery ``EXPORT DATA ... AS query``."""
    if r.word(k + 1) != "DATA":
        return
    k += 2
    while k < j:
        if r.is_p(k, "("):
            k = r.after(k, j)
            continue
        if r.word(k) == "AS" and query_start(r, k + 1, j):
            query(r, k + 1, j, scope)
            return
        k += 1


def unload(r: Reader, k: int, j: int, scope: Scope | None) -> None:
    """Redshift ``UNLOAD ('select ...') TO 's3://...' ...``."""
    k += 1
    if r.is_p(k, "("):
        k += 1
    if k >= j or r.toks[k].kind != STRING:
        return
    body = string_value(r.toks[k].text)
    if body:
        r.run_nested(body, False)
