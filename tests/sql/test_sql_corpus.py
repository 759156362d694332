"""Every hand-written corpus case: exact inputs and outputs, no errors."""

from __future__ import annotations

import pytest

from tests.sql import checks
from tests.sql.cases import load_corpus

CASES = load_corpus("corpus.py").CASES


def test_corpus_is_big_and_ids_unique() -> None:
    assert len(CASES) >= 250
    assert checks.duplicate_ids(CASES) == []


def test_corpus_covers_both_dialects_in_every_core_category() -> None:
    by_category: dict[str, set[str]] = {}
    for c in CASES:
        by_category.setdefault(c.category, set()).add(c.dialect)
    for category in (
        "select",
        "cte",
        "insert",
        "update",
        "delete",
        "merge",
        "create",
        "copy",
        "names",
        "resolution",
        "table_function",
        "no_lineage",
        "multi",
        "placeholders",
        "drop",
        "alter",
    ):
        assert {"snowflake", "postgres"} <= by_category[category], category


@checks.each_case(CASES)
def test_case(case) -> None:
    result = checks.lineage(case)
    checks.assert_tables(result, case)
    checks.assert_deduplicated(result)
    assert result.errors == ()


@checks.each_case(CASES)
def test_case_with_fallback_tokenizer(case, monkeypatch: pytest.MonkeyPatch) -> None:
    """Texts too big for sqlparse's lexer go through fastlex: same answers expected."""
    checks.assert_tables(checks.lineage_with_fallback_tokenizer(case, monkeypatch), case)
