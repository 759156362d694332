"""Per-statement reading state: tokens, paren matches, CTE scopes, name reading.

Every statement reader (queries, DML, DDL, COPY, session commands) works on a
:class:`Reader`: a flat token list addressed by index, with the matching
parenthesis of each ``(`` precomputed so that skipping a group is O(1).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Callable, Optional

from secoda_listener.sql import name_forms
from secoda_listener.sql.names import BACKTICK_DIALECTS, QUOTE_BLIND, Identifier, TableName, cte_key, split_dotted
from secoda_listener.sql.resolver import NameResolver
from secoda_listener.sql.result import Collector
from secoda_listener.sql.tokens import (
    PLACEHOLDER,
    PUNCT,
    QUOTED,
    STRING,
    WORD,
    Tok,
    match_parens,
    string_value,
    unquote,
)

# Words that can never start a table name: seeing one where a name is
# expected means the statement is malformed (or we misread it), so stop.
RESERVED = frozenset(
    {
        "SELECT",
        "FROM",
        "WHERE",
        "JOIN",
        "ON",
        "USING",
        "SET",
        "VALUES",
        "GROUP",
        "ORDER",
        "HAVING",
        "LIMIT",
        "UNION",
        "INTERSECT",
        "EXCEPT",
        "MINUS",
        "WITH",
        "AS",
        "WHEN",
        "THEN",
        "ELSE",
        "END",
        "AND",
        "OR",
        "NOT",
        "IN",
        "IS",
        "NULL",
        "INTO",
        "QUALIFY",
        "WINDOW",
        "RETURNING",
        "LEFT",
        "RIGHT",
        "INNER",
        "OUTER",
        "FULL",
        "CROSS",
        "NATURAL",
        "CASE",
        "DISTINCT",
        "BY",
        "OFFSET",
        "FETCH",
        "DEFAULT",
        "OVERWRITE",
    }
)


class Scope:
    """CTE names visible at a point of a query; ``parent`` is the enclosing scope.

    ``names`` maps each name to its position in its WITH list; only names
    at positions below ``limit`` (all when None) are visible.  The CTE bodies
    of one WITH list share one map and differ only by ``limit``, so a list
    of thousands of CTEs costs linear time, not quadratic.
    """

    __slots__ = ("limit", "names", "parent")

    def __init__(
        self,
        names: Iterable[str] | dict[str, int],
        parent: Scope | None,
        limit: int | None = None,
    ) -> None:
        self.names = names if isinstance(names, dict) else dict.fromkeys(names, 0)
        self.parent = parent
        self.limit = limit

    def has(self, key: str) -> bool:
        scope: Scope | None = self
        while scope is not None:
            position = scope.names.get(key)
            if position is not None and (scope.limit is None or position < scope.limit):
                return True
            scope = scope.parent
        return False


Parts = list[Optional[Identifier]]
# Reads a data-modifying statement found inside a query (a Postgres CTE body).
BodyReader = Callable[["Reader", int, int, Optional[Scope]], None]
# Reads SQL text found inside a statement (Redshift UNLOAD's query string).
NestedRunner = Callable[[str, bool], None]


def _no_nested(text: str, procedural: bool) -> None:
    """Default for a Reader made without a script run: nested text is not read."""


class Reader:
    """Tokens of one statement plus where its findings go."""

    def __init__(
        self,
        toks: list[Tok],
        resolver: NameResolver,
        collector: Collector,
        body_reader: BodyReader,
    ) -> None:
        self.toks = toks
        self.n = len(toks)
        self.match = match_parens(toks)
        self.resolver = resolver
        self.dialect = resolver.dialect
        self.collector = collector
        self.body_reader = body_reader
        self.depth = 0
        self.fallback_used = False
        # Inside a PL/pgSQL body, where SELECT ... INTO assigns variables.
        self.procedural = False
        self.run_nested: NestedRunner = _no_nested
        # Damage a statement reader found that the token checks cannot see.
        self.problem: str | None = None

    # -- token tests -----------------------------------------------------------

    def word(self, i: int) -> str:
        """Upper-cased word at ``i``, or "" if out of range or not a word."""
        if 0 <= i < self.n:
            tok = self.toks[i]
            if tok.kind == WORD:
                return tok.up
        return ""

    def is_p(self, i: int, text: str) -> bool:
        if 0 <= i < self.n:
            tok = self.toks[i]
            return tok.kind == PUNCT and tok.text == text
        return False

    def after(self, i: int, end: int) -> int:
        """Index just after the group opened at ``i`` (bounded by ``end``)."""
        close = self.match[i]
        return min(close, end) + 1 if close > i else i + 1

    def skip_words(self, i: int, words: frozenset[str] | set[str]) -> int:
        while i < self.n and self.word(i) in words:
            i += 1
        return i

    def skip_if_exists(self, i: int) -> int:
        """Skip ``IF EXISTS`` / ``IF NOT EXISTS``."""
        if self.word(i) == "IF":
            i += 1
            if self.word(i) == "NOT":
                i += 1
            if self.word(i) == "EXISTS":
                i += 1
        return i

    # -- names -------------------------------------------------------------------

    def read_name(self, i: int, end: int) -> tuple[Parts | None, int]:
        """Read a dotted name at ``i``; returns (parts or None, index after it).

        Parts are None for an empty part (Snowflake ``db..t``).  Returns None
        parts when the name cannot be known (a bind placeholder, an unset
        variable in IDENTIFIER()).
        """
        toks = self.toks
        parts: Parts = []
        known = True
        k = i
        while k < end:
            tok = toks[k]
            if tok.kind == WORD:
                if not parts and tok.up in RESERVED:
                    return None, k
                if tok.up == "IDENTIFIER" and self.is_p(k + 1, "("):
                    inner = self.identifier_call(k + 1, end)
                    if inner is None:
                        known = False
                    else:
                        parts.extend(inner)
                    k = self.after(k + 1, end)
                else:
                    parts.append(Identifier(tok.text, False))
                    k += 1
            elif tok.kind == QUOTED:
                parts.extend(name_forms.quoted_parts(unquote(tok.text), self.dialect))
                k += 1
            elif tok.kind == PLACEHOLDER and not parts:
                known = False
                k += 1
            else:
                break
            if not self.is_p(k, "."):
                break
            k += 1
            while self.is_p(k, "."):
                parts.append(None)
                k += 1
        if not parts and known:
            return None, k
        if known and parts and self.dialect in QUOTE_BLIND:
            finished = name_forms.finish(parts, self.dialect)
            return finished, max(k, i + 1)
        return (parts if known and parts else None), max(k, i + 1)

    def identifier_call(self, open_idx: int, end: int) -> Parts | None:
        """Resolve ``IDENTIFIER(...)``/``TABLE(...)`` when its argument is a name.

        Accepts a string, a session variable ``$v`` and ``||`` concatenations
        of those.  Anything else (a function call, a bind variable) is None.
        The quote-blind dialects (Databricks) take one string literal only.
        """
        close = min(self.match[open_idx], end)
        if self.dialect in QUOTE_BLIND:
            return self._literal_identifier(open_idx, close)
        pieces: list[str] = []
        expect_operand = True
        for tok in self.toks[open_idx + 1 : close]:
            if expect_operand and tok.kind == STRING:
                value = string_value(tok.text)
                if value is None:
                    return None
                pieces.append(value)
            elif expect_operand and tok.kind == PLACEHOLDER and tok.text.startswith("$"):
                value = self.resolver.variable(tok.text)
                if value is None:
                    return None
                pieces.append(value)
            elif not expect_operand and tok.text == "||":
                pass
            else:
                return None
            expect_operand = not expect_operand
        if not pieces or expect_operand:
            return None
        return split_dotted("".join(pieces))

    def _literal_identifier(self, open_idx: int, close: int) -> Parts | None:
        """Databricks ``IDENTIFIER('x.y')``: a parameter, variable or concatenation names nothing."""
        if close != open_idx + 2 or self.toks[open_idx + 1].kind != STRING:
            return None
        value = string_value(self.toks[open_idx + 1].text, self.dialect in BACKTICK_DIALECTS)
        if not value:
            return None
        return split_dotted(value, backticks=self.dialect in BACKTICK_DIALECTS)

    def qualify(self, parts: Parts | None) -> TableName | None:
        return self.resolver.qualify(parts) if parts else None

    # -- findings ----------------------------------------------------------------

    def input(self, parts: Parts | None, scope: Scope | None) -> None:
        """Record a table read, unless it is a CTE visible in ``scope``."""
        if not parts:
            return
        if (
            len(parts) == 1
            and parts[0] is not None
            and scope is not None
            and scope.has(cte_key(parts[0], self.dialect))
        ):
            return
        name = self.resolver.qualify(parts)
        if name is not None:
            self.collector.read(name)

    def output(self, parts: Parts | None) -> TableName | None:
        name = self.qualify(parts)
        if name is not None:
            self.collector.write(name)
        return name

    def read_output(self, i: int, end: int) -> int:
        """Read the name at ``i`` as a written table; returns the index after it."""
        parts, k = self.read_name(i, end)
        self.output(parts)
        return k

    def read_input(self, i: int, end: int, scope: Scope | None = None) -> int:
        parts, k = self.read_name(i, end)
        self.input(parts, scope)
        return k
