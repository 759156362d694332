"""The spec-audit corpus (corpus_spec_audit.py): spec equality, exact ``str()`` form, no errors."""

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
    name = "secoda_sql_lineage_corpus_spec_audit"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, Path(__file__).with_name("corpus_spec_audit.py"))
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


CASES = load_corpus().CASES


def names(texts, dialect: str) -> set[TableName]:
    return {TableName.parse(text, dialect) for text in texts}


def test_corpus_ids_unique() -> None:
    duplicates = [key for key, count in Counter(c.id for c in CASES).items() if count > 1]
    assert duplicates == []


def test_expectations_are_deduplicated_by_spec_equality() -> None:
    """An expectation listing one table twice would make the exact-string check unsatisfiable."""
    for c in CASES:
        assert len(names(c.inputs, c.dialect)) == len(c.inputs), c.id
        assert len(names(c.outputs, c.dialect)) == len(c.outputs), c.id


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_case(case) -> None:
    result = extract_lineage(case.sql, case.dialect, case.default_database, case.default_schema)
    assert set(result.inputs) == names(case.inputs, case.dialect), "inputs"
    assert set(result.outputs) == names(case.outputs, case.dialect), "outputs"
    # The exact str() form: quoting, spelling as written, parts supplied by defaults.
    assert sorted(str(n) for n in result.inputs) == sorted(case.inputs), "input spelling"
    assert sorted(str(n) for n in result.outputs) == sorted(case.outputs), "output spelling"
    assert result.errors == ()


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_case_with_fallback_tokenizer(case, monkeypatch: pytest.MonkeyPatch) -> None:
    """The one-regex tokenizer used for huge texts must give the same answers."""
    from secoda_listener.sql import script

    monkeypatch.setattr(script, "SQLPARSE_BUDGET_CHARS", 0)
    result = extract_lineage(case.sql, case.dialect, case.default_database, case.default_schema)
    assert sorted(str(n) for n in result.inputs) == sorted(case.inputs)
    assert sorted(str(n) for n in result.outputs) == sorted(case.outputs)


# -- "Never fail": shapes that used to cost quadratic time or memory ------------------

def _deep_with_list() -> str:
    return "WITH " + ", ".join(f"c{i} AS (SELECT * FROM c{i - 1})" for i in range(1, 5000)) + " SELECT * FROM c4999"


ADVERSARIAL = {
    # token-dense texts: sqlparse's lexer costs per token, not per character
    "open-parens": ("SELECT * FROM t WHERE " + "(" * 200_000, ["t"]),
    "close-parens": ("SELECT * FROM t WHERE " + ")" * 200_000, ["t"]),
    # a 1 MB literal must not need one regex backtracking frame per character
    "huge-literal": ("SELECT '" + "x" * 1_000_000 + "' FROM t", ["t"]),
    # thousands of CTEs in one WITH list: scopes must not be rebuilt per CTE
    "5000-ctes": (_deep_with_list(), ["c0"]),
    "nested-comments": ("SELECT 1 " + "/* a " * 50_000 + "*/ " * 50_000 + "FROM t", ["t"]),
}


@pytest.mark.parametrize("name", sorted(ADVERSARIAL))
def test_adversarial_inputs_finish_quickly(name: str) -> None:
    import time

    sql, inputs = ADVERSARIAL[name]
    for dialect in ("postgres", "snowflake"):
        start = time.perf_counter()
        result = extract_lineage(sql, dialect)
        elapsed = time.perf_counter() - start
        assert elapsed < 5, f"{name} ({dialect}) took {elapsed:.1f} s"
        if inputs is not None and dialect == "postgres":
            assert [str(n) for n in result.inputs] == inputs


def test_huge_literal_needs_no_per_character_memory() -> None:
    import tracemalloc

    sql = "SELECT '" + "x" * 1_000_000 + "' FROM t"
    tracemalloc.start()
    try:
        extract_lineage(sql, "postgres")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 50_000_000
