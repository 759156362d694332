"""The record shape shared by the hand-written lineage corpora, and their loader.

Each corpus module (``corpus*.py`` beside this file) keeps its own list::

    CASES, case = new_corpus()
    case("select-simple", "select", SF, "SELECT a FROM t", ["t"])

Expectations are names in the spec's ``str()`` form.  The corpora are loaded
by path (``load_corpus``), by the test modules and by
benchmarks/bench_sql_lineage.py alike, so keep this module and the corpora
free of pytest and of the library under test.
"""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Callable

SF = "snowflake"
PG = "postgres"
GEN = "generic"
BQ = "bigquery"
RS = "redshift"
DBX = "databricks"
MY = "mysql"

# The corpus files beside this module, in the order the benchmark reports them.
CORPORA = (
    "corpus.py",
    "corpus_realistic.py",
    "corpus_spec_audit.py",
    "corpus_bigquery.py",
    "corpus_redshift.py",
    "corpus_databricks.py",
    "corpus_mysql.py",
)
# The one-dialect corpora of sql-lineage-dialects.md, by dialect.
DIALECT_CORPORA = {
    BQ: "corpus_bigquery.py",
    RS: "corpus_redshift.py",
    DBX: "corpus_databricks.py",
    MY: "corpus_mysql.py",
}


@dataclass(frozen=True)
class Case:
    id: str
    category: str
    dialect: str
    sql: str | tuple[str, ...]
    inputs: tuple[str, ...]
    outputs: tuple[str, ...]
    default_database: str | None = None
    default_schema: str | None = None


Recorder = Callable[..., None]


def new_corpus() -> tuple[list[Case], Recorder]:
    """An empty case list and the ``case(...)`` function that appends to it."""
    cases: list[Case] = []

    def case(
        id: str,
        category: str,
        dialect: str,
        sql: str | Sequence[str],
        inputs: Sequence[str] = (),
        outputs: Sequence[str] = (),
        db: str | None = None,
        schema: str | None = None,
    ) -> None:
        cases.append(
            Case(
                id,
                category,
                dialect,
                sql if isinstance(sql, str) else tuple(sql),
                tuple(inputs),
                tuple(outputs),
                db,
                schema,
            )
        )

    return cases, case


def load_corpus(filename: str) -> ModuleType:
    """Load ``tests/sql/<filename>`` by path, once, as ``secoda_sql_lineage_<stem>``."""
    path = Path(__file__).with_name(filename)
    name = "secoda_sql_lineage_" + path.stem
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module
