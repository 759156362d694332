"""Comparisons shared by the corpus test modules (test_sql_corpus*.py).

Each helper asserts one thing about ``extract_lineage``'s answer for a
``cases.Case``; a test module picks the ones its corpus promises.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence

import pytest

from secoda_listener.sql import SqlLineage, TableName, extract_lineage
from tests.sql.cases import Case


def each_case(cases: Sequence[Case]) -> pytest.MarkDecorator:
    """Parametrise a test over ``cases``, one test id per case id."""
    return pytest.mark.parametrize("case", cases, ids=[c.id for c in cases])


def duplicate_ids(cases: Iterable[Case]) -> list[str]:
    return [key for key, count in Counter(c.id for c in cases).items() if count > 1]


def names(texts: Iterable[str], dialect: str) -> set[TableName]:
    return {TableName.parse(text, dialect) for text in texts}


def lineage(case: Case) -> SqlLineage:
    return extract_lineage(case.sql, case.dialect, case.default_database, case.default_schema)


def lineage_with_fallback_tokenizer(case: Case, monkeypatch: pytest.MonkeyPatch) -> SqlLineage:
    """The answer when sqlparse's lexer is skipped, as for texts too big for it (fastlex, one regex)."""
    from secoda_listener.sql import script

    monkeypatch.setattr(script, "SQLPARSE_BUDGET_CHARS", 0)
    return lineage(case)


def assert_tables(result: SqlLineage, case: Case) -> None:
    """Inputs and outputs equal to the expected ones by the spec's equality."""
    assert set(result.inputs) == names(case.inputs, case.dialect), "inputs"
    assert set(result.outputs) == names(case.outputs, case.dialect), "outputs"


def assert_spelling(result: SqlLineage, case: Case) -> None:
    """The exact str() form: quoting, spelling as written, parts supplied by defaults."""
    assert sorted(str(n) for n in result.inputs) == sorted(case.inputs), "input spelling"
    assert sorted(str(n) for n in result.outputs) == sorted(case.outputs), "output spelling"


def assert_deduplicated(result: SqlLineage) -> None:
    """No table listed twice, by the spec's equality."""
    assert len(set(result.inputs)) == len(result.inputs)
    assert len(set(result.outputs)) == len(result.outputs)
