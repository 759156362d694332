"""The spec-audit corpus (corpus_spec_audit.py): spec equality, exact ``str()`` form, no errors."""

from __future__ import annotations

import pytest

from secoda_listener.sql import extract_lineage
from tests.sql import checks
from tests.sql.cases import load_corpus

CASES = load_corpus("corpus_spec_audit.py").CASES


def test_corpus_ids_unique() -> None:
    assert checks.duplicate_ids(CASES) == []


def test_expectations_are_deduplicated_by_spec_equality() -> None:
    """An expectation listing one table twice would make the exact-string check unsatisfiable."""
    for c in CASES:
        assert len(checks.names(c.inputs, c.dialect)) == len(c.inputs), c.id
        assert len(checks.names(c.outputs, c.dialect)) == len(c.outputs), c.id


@checks.each_case(CASES)
def test_case(case) -> None:
    result = checks.lineage(case)
    checks.assert_tables(result, case)
    checks.assert_spelling(result, case)
    assert result.errors == ()


@checks.each_case(CASES)
def test_case_with_fallback_tokenizer(case, monkeypatch: pytest.MonkeyPatch) -> None:
    """The one-regex tokenizer used for huge texts must give the same answers."""
    checks.assert_spelling(checks.lineage_with_fallback_tokenizer(case, monkeypatch), case)


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
