"""The second, realistic corpus (corpus_realistic.py): exact inputs and outputs, no errors."""

from __future__ import annotations

import importlib.util
import sys
from collections import Counter
from pathlib import Path
from types import ModuleType

import pytest

from secoda_listener.sql import TableName, extract_lineage


def load_corpus() -> ModuleType:
    """Loaded by path, like corpus.py, so the benchmark can share it."""
    name = "secoda_sql_lineage_corpus_realistic"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, Path(__file__).with_name("corpus_realistic.py"))
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


CASES = load_corpus().CASES


def names(texts, dialect: str) -> set[TableName]:
    return {TableName.parse(text, dialect) for text in texts}


def test_corpus_is_big_and_ids_unique() -> None:
    assert len(CASES) >= 150
    duplicates = [key for key, count in Counter(c.id for c in CASES).items() if count > 1]
    assert duplicates == []


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_case(case) -> None:
    result = extract_lineage(case.sql, case.dialect, case.default_database, case.default_schema)
    assert set(result.inputs) == names(case.inputs, case.dialect), "inputs"
    assert set(result.outputs) == names(case.outputs, case.dialect), "outputs"
    assert len(set(result.inputs)) == len(result.inputs)
    assert len(set(result.outputs)) == len(result.outputs)
    assert result.errors == ()


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_case_with_fallback_tokenizer(case, monkeypatch: pytest.MonkeyPatch) -> None:
    """The one-regex tokenizer used for huge texts must give the same answers."""
    from secoda_listener.sql import script

    monkeypatch.setattr(script, "SQLPARSE_BUDGET_CHARS", 0)
    result = extract_lineage(case.sql, case.dialect, case.default_database, case.default_schema)
    assert set(result.inputs) == names(case.inputs, case.dialect)
    assert set(result.outputs) == names(case.outputs, case.dialect)
