"""``extract_lineage``: the never-failing, time-bounded entry point.

Pipeline per call: normalise arguments -> for each text: preprocess, tokenize,
split -> for each statement: read it (structured), or scan it flat when the
structured reader fails or the time budget is spent -> union of findings.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

from secoda_listener.sql import statements
from secoda_listener.sql.fallback import flat_statement
from secoda_listener.sql.names import DATABRICKS, DIALECTS, GENERIC, MYSQL, POSTGRES, identifier_from_setting
from secoda_listener.sql.reader import Reader
from secoda_listener.sql.resolver import NameResolver
from secoda_listener.sql.result import Collector, SqlLineage
from secoda_listener.sql.script import Tokenizer, preprocess, split
from secoda_listener.sql.tokens import Tok

# Wall-clock budget for the structured reader; later statements are scanned flat.
TIME_BUDGET_S = 3.0
# EXECUTE IMMEDIATE / DO bodies may contain more of them: bound the nesting.
MAX_NESTED_TEXTS = 4

_ALIASES = {
    "postgresql": POSTGRES,
    "pg": POSTGRES,
    "psql": POSTGRES,
    "mariadb": MYSQL,
    "spark": DATABRICKS,
    "sparksql": DATABRICKS,
}


def extract_lineage(
    sql: str | Sequence[str],
    dialect: str,
    default_database: str | None = None,
    default_schema: str | None = None,
) -> SqlLineage:
    """Tables read and written by ``sql`` (a script, or a list of them run in order).

    Never raises: problems, including bugs, are reported in ``.errors``.
    """
    collector = Collector()
    try:
        _extract(collector, sql, dialect, default_database, default_schema)
    except Exception as exc:  # noqa: BLE001 - last line of defence: the caller is a listener hook
        collector.error(f"internal error: {type(exc).__name__}: {exc}")
    return collector.result()


def _dialect(dialect: object, collector: Collector) -> str:
    name = str(dialect or "").strip().lower()
    name = _ALIASES.get(name, name)
    if name in DIALECTS:
        return name
    collector.error(f"unknown dialect {dialect!r}; read as generic SQL")
    return GENERIC


def _texts(sql: object, collector: Collector) -> list[str]:
    if sql is None:
        return []
    if isinstance(sql, bytes):
        return [sql.decode("utf-8", "replace")]
    if isinstance(sql, str):
        return [sql]
    try:
        items = list(sql)  # type: ignore[call-overload]
    except TypeError:
        collector.error(f"sql must be a string or a sequence of strings, not {type(sql).__name__}")
        return []
    texts = []
    for item in items:
        if isinstance(item, bytes):
            item = item.decode("utf-8", "replace")
        if isinstance(item, str):
            texts.append(item)
        elif item is not None:
            collector.error(f"ignored a non-string item of type {type(item).__name__}")
    return texts


class _Run:
    """State shared by all statements of one call."""

    def __init__(self, collector: Collector, resolver: NameResolver) -> None:
        self.collector = collector
        self.resolver = resolver
        self.tokenizer = Tokenizer(resolver.dialect)
        self.deadline = time.monotonic() + TIME_BUDGET_S
        self.statement_no = 0
        self.nesting = 0
        self.procedural = False
        self.over_budget_reported = False

    def text(self, text: str) -> None:
        if not text or not text.strip():
            return
        for toks in split(self.tokenizer(preprocess(text, self.resolver.dialect))):
            self.statement(toks)

    def nested(self, text: str, procedural: bool) -> None:
        """SQL text inside a statement; ``procedural`` for a PL/pgSQL body."""
        if self.nesting >= MAX_NESTED_TEXTS:
            return
        self.nesting += 1
        outer, self.procedural = self.procedural, procedural
        try:
            self.text(text)
        finally:
            self.nesting -= 1
            self.procedural = outer

    def statement(self, toks: list[Tok]) -> None:
        self.statement_no += 1
        label = f"statement {self.statement_no}"
        reader = Reader(toks, self.resolver, self.collector, statements.body_reader)
        reader.procedural = self.procedural
        reader.run_nested = self.nested
        if time.monotonic() > self.deadline:
            if not self.over_budget_reported:
                self.collector.error(f"{label}: time budget spent; this and later statements scanned flat")
                self.over_budget_reported = True
            self._flat(reader, label)
            return
        try:
            problem = statements.read_statement(reader, self.nested)
        except Exception as exc:  # noqa: BLE001 - a reader bug must not lose the statement
            self.collector.error(f"{label}: {type(exc).__name__}: {exc}; scanned flat instead")
            self._flat(reader, label)
            return
        if problem:
            self.collector.error(f"{label}: {problem}")

    def _flat(self, reader: Reader, label: str) -> None:
        try:
            flat_statement(reader)
        except Exception as exc:  # noqa: BLE001 - the fallback failing is an error note, never a raise
            self.collector.error(f"{label}: fallback scan failed: {type(exc).__name__}: {exc}")


def _extract(
    collector: Collector,
    sql: object,
    dialect: object,
    default_database: str | None,
    default_schema: str | None,
) -> None:
    name = _dialect(dialect, collector)
    database = identifier_from_setting(default_database) if isinstance(default_database, str) else None
    schema = identifier_from_setting(default_schema) if isinstance(default_schema, str) else None
    run = _Run(collector, NameResolver(name, database, schema))
    for text in _texts(sql, collector):
        run.text(text)
