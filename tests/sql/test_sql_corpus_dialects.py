"""The BigQuery, Redshift, Databricks and MySQL corpora (sql-lineage-dialects.md).

Each case: inputs and outputs equal to the expected ones by the dialect's
equality, nothing listed twice, no error notes (except the ``malformed``
cases, whose broken statements are described), and the exact ``str()``
spelling (except the ``case`` cases, whose first spelling is not the
canonical one).  The one-regex tokenizer used for huge texts must agree.
"""

from __future__ import annotations

import pytest

from tests.sql import checks
from tests.sql.cases import DIALECT_CORPORA, Case, load_corpus

CORPORA = {dialect: load_corpus(filename).CASES for dialect, filename in DIALECT_CORPORA.items()}
CASES: list[Case] = [case for cases in CORPORA.values() for case in cases]


@pytest.mark.parametrize("dialect", sorted(CORPORA))
def test_corpus_is_big_one_dialect_and_ids_unique(dialect: str) -> None:
    cases = CORPORA[dialect]
    assert len(cases) >= 60
    assert {c.dialect for c in cases} == {dialect}
    assert checks.duplicate_ids(cases) == []


@pytest.mark.parametrize("dialect", sorted(CORPORA))
def test_corpus_covers_the_common_rules(dialect: str) -> None:
    categories = {c.category for c in CORPORA[dialect]}
    for category in ("cte", "select", "insert", "resolution", "no_lineage", "multi", "malformed", "create"):
        assert category in categories, category


def test_expectations_are_deduplicated_by_spec_equality() -> None:
    for c in CASES:
        assert len(checks.names(c.inputs, c.dialect)) == len(c.inputs), c.id
        assert len(checks.names(c.outputs, c.dialect)) == len(c.outputs), c.id


@checks.each_case(CASES)
def test_case(case: Case) -> None:
    result = checks.lineage(case)
    checks.assert_tables(result, case)
    checks.assert_deduplicated(result)
    if case.category == "malformed":
        assert result.errors, "the broken statement must be described"
    else:
        assert result.errors == ()
    if case.category != "case":
        checks.assert_spelling(result, case)


@checks.each_case(CASES)
def test_case_with_fallback_tokenizer(case: Case, monkeypatch: pytest.MonkeyPatch) -> None:
    checks.assert_tables(checks.lineage_with_fallback_tokenizer(case, monkeypatch), case)
