"""Every hand-written corpus case: exact inputs and outputs, no errors."""

from __future__ import annotations

import importlib.util
import sys
from collections import Counter
from pathlib import Path
from types import ModuleType

import pytest

from secoda_listener.sql import TableName, extract_lineage


def load_corpus() -> ModuleType:
    """The corpus is loaded by path so the benchmark can share it without a package."""
    name = "secoda_sql_lineage_corpus"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, Path(__file__).with_name("corpus.py"))
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


CORPUS = load_corpus()
CASES = CORPUS.CASES


def names(texts, dialect: str) -> set[TableName]:
    return {TableName.parse(text, dialect) for text in texts}


def test_corpus_is_big_and_ids_unique() -> None:
    assert len(CASES) >= 250
    duplicates = [key for key, count in Counter(c.id for c in CASES).items() if count > 1]
    assert duplicates == []


def test_corpus_covers_both_dialects_in_every_core_category() -> None:
    by_category: dict[str, set[str]] = {}
    for c in CASES:
        by_category.setdefault(c.category, set()).add(c.dialect)
    for category in ("select", "cte", "insert", "update", "delete", "merge", "create", "copy", "names",
                     "resolution", "table_function", "no_lineage", "multi", "placeholders", "drop", "alter"):
        assert {"snowflake", "postgres"} <= by_category[category], category


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_case(case) -> None:
    result = extract_lineage(case.sql, case.dialect, case.default_database, case.default_schema)
    assert set(result.inputs) == names(case.inputs, case.dialect), "inputs"
    assert set(result.outputs) == names(case.outputs, case.dialect), "outputs"
    # Deduplicated by the spec's equality.
    assert len(set(result.inputs)) == len(result.inputs)
    assert len(set(result.outputs)) == len(result.outputs)
    assert result.errors == ()


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_case_with_fallback_tokenizer(case, monkeypatch: pytest.MonkeyPatch) -> None:
    """Texts too big for sqlparse's lexer go through fastlex: same answers expected."""
    from secoda_listener.sql import script

    monkeypatch.setattr(script, "SQLPARSE_BUDGET_CHARS", 0)
    result = extract_lineage(case.sql, case.dialect, case.default_database, case.default_schema)
    assert set(result.inputs) == names(case.inputs, case.dialect)
    assert set(result.outputs) == names(case.outputs, case.dialect)
