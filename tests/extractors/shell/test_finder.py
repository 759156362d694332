"""finder: the walk over a script, its bounds (nesting, results), and what hostile input costs.

The cost is counted, not timed: the number of Python and C calls ``find_sql`` makes
(a profile hook counts them) must grow linearly with the input. Wall-clock speed is
the benchmarks' business, never a test's.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

import attrs
import pytest

from secoda_listener.extractors.shell import MAX_RESULTS, ShellSql, find_sql
from tests.extractors.shell import only


def test_other_commands_are_ignored() -> None:
    assert find_sql("python etl.py --sql 'SELECT 1' && echo psql && grep -c x f") == []


def test_shellsql_is_frozen() -> None:
    got = only("psql -c 'SELECT 1'")
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        got.sql = "x"  # type: ignore[misc]


def test_results_are_capped_at_max_results() -> None:
    found = find_sql("psql -c 'SELECT 1'\n" * (MAX_RESULTS + 20))
    assert len(found) == MAX_RESULTS and found[-1] == ShellSql(dialect="postgres", sql="SELECT 1", source="-c")


# --- broken and hostile input -------------------------------------------------------------


def test_non_string_input_returns_nothing() -> None:
    assert find_sql(None) == []  # type: ignore[arg-type]


def test_nesting_is_bounded() -> None:
    command = "psql -c 'SELECT 0'"
    for _ in range(10):
        command = "bash -c " + "'" + command.replace("'", "'\\''") + "'"
    assert find_sql(command) == []  # deeper than MAX_NESTING: given up, not recursed forever


M = 1_000_000
#: Inputs built to hit the lexer's and finder's worst cases, each of about ``n`` characters.
HOSTILE: dict[str, Callable[[int], str]] = {
    "letters": lambda n: "a" * n,
    "quotes": lambda n: "'" * n,
    "double-quotes": lambda n: '"' * n,
    "dollar-parens": lambda n: "$(" * (n // 2),
    "backslashes": lambda n: "\\" * n,
    "redirects": lambda n: "<" * n,
    "heredocs": lambda n: "psql <<EOF\n" * (n // 11),
    "pipes": lambda n: "echo x | " * (n // 9),
    "nested-shells": lambda n: "bash -c '" * (n // 9),
    "psql-flags": lambda n: 'psql -c "x" -f ; ' * (n // 18),
    "spaces": lambda n: "psql" + " " * n + "-c x",
    "operators": lambda n: "&&;|" * (n // 4),
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_input_never_raises_and_stays_bounded(name: str) -> None:
    found = find_sql(HOSTILE[name](M), cwd="/nonexistent")
    assert isinstance(found, list) and len(found) <= MAX_RESULTS


def calls_made(command: str) -> int:
    """How many function calls (Python and C) ``find_sql(command)`` makes: its work, counted."""
    count = 0

    def profile(frame: Any, event: str, arg: Any) -> None:
        nonlocal count
        if event in ("call", "c_call"):
            count += 1

    sys.setprofile(profile)
    try:
        find_sql(command, cwd="/nonexistent")
    finally:
        sys.setprofile(None)
    return count


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_input_costs_work_linear_in_its_size(name: str) -> None:
    small, large = HOSTILE[name](5_000), HOSTILE[name](20_000)
    find_sql(small), find_sql(large)  # warm caches (re's compiled patterns): not part of the count
    # Four times the input: four times the calls at most for linear work, sixteen for quadratic.
    assert calls_made(large) <= 5 * calls_made(small) + 1_000, name
