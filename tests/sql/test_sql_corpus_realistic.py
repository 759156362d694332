"""The second, realistic corpus (corpus_realistic.py): exact inputs and outputs, no errors."""

from __future__ import annotations

import pytest

from tests.sql import checks
from tests.sql.cases import load_corpus

CASES = load_corpus("corpus_realistic.py").CASES


def test_corpus_is_big_and_ids_unique() -> None:
    assert len(CASES) >= 150
    assert checks.duplicate_ids(CASES) == []


@checks.each_case(CASES)
def test_case(case) -> None:
    result = checks.lineage(case)
    checks.assert_tables(result, case)
    checks.assert_deduplicated(result)
    assert result.errors == ()


@checks.each_case(CASES)
def test_case_with_fallback_tokenizer(case, monkeypatch: pytest.MonkeyPatch) -> None:
    """The one-regex tokenizer used for huge texts must give the same answers."""
    checks.assert_tables(checks.lineage_with_fallback_tokenizer(case, monkeypatch), case)
