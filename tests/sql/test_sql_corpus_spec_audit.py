"""The spec-audit corpus (corpus_spec_audit.py): spec equality, exact ``str()`` form, no errors."""

from __future__ import annotations

import pytest

from secoda_listener.sql import extract_lineage
from tests.sql import checks
from tests.sql.cases import load_corpus
from tests.sql.huge_inputs import ADVERSARIAL

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


@pytest.mark.parametrize("name", sorted(ADVERSARIAL))
def test_adversarial_inputs_are_read_right(name: str) -> None:
    # How fast they finish is measured in benchmarks/bench_sql_lineage.py, not asserted here:
    # a wall-clock bound flakes on a busy machine. What must hold everywhere is the answer.
    sql, inputs = ADVERSARIAL[name]
    for dialect in ("postgres", "snowflake"):
        result = extract_lineage(sql, dialect)
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
