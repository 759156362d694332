"""A bounded, non-recursive scan that still finds tables when reading gives up.

Used for regions nested deeper than the structured reader's budget, for
statements the structured reader failed on, and for statements met after the
time budget ran out.  One pass, an explicit stack instead of recursion: every
name after FROM/JOIN/USING (or after a comma in a FROM list) that is not
called like a function and not a CTE defined in the region is an input.
"""

from __future__ import annotations

from secoda_listener.sql.names import Identifier, cte_key
from secoda_listener.sql.reader import Reader, Scope
from secoda_listener.sql.tokens import AT, PLACEHOLDER, PUNCT, QUOTED, WORD, unquote

# A "(" right after one of these words opens a subquery or list, not a call.
_NOT_CALLS = frozenset(
    {
        "FROM",
        "JOIN",
        "IN",
        "EXISTS",
        "AS",
        "ON",
        "ANY",
        "ALL",
        "SOME",
        "LATERAL",
        "WHERE",
        "AND",
        "OR",
        "NOT",
        "SELECT",
        "VALUES",
        "USING",
        "THEN",
        "ELSE",
        "WHEN",
        "UNION",
        "INTERSECT",
        "EXCEPT",
        "MINUS",
        "HAVING",
        "BY",
        "INTO",
        "WITH",
        "RETURNING",
        "SET",
    }
)
# Words that end a FROM list at the current nesting level.
_END_FROM = frozenset(
    {
        "WHERE",
        "GROUP",
        "HAVING",
        "QUALIFY",
        "WINDOW",
        "ORDER",
        "LIMIT",
        "OFFSET",
        "FETCH",
        "UNION",
        "INTERSECT",
        "EXCEPT",
        "MINUS",
        "SELECT",
        "RETURNING",
        "SET",
        "WHEN",
        "ON",
        "FOR",
    }
)
_SKIP_BEFORE_NAME = frozenset({"LATERAL", "ONLY"})


def _cte_names(r: Reader, i: int, j: int) -> set[str]:
    """Names defined as ``name [(cols)] AS (`` after WITH/RECURSIVE or a comma."""
    names: set[str] = set()
    toks = r.toks
    for k in range(i, j):
        tok = toks[k]
        if tok.kind not in (WORD, QUOTED):
            continue
        prev = r.word(k - 1)
        if not (prev in ("WITH", "RECURSIVE") or r.is_p(k - 1, ",")):
            continue
        nxt = k + 1
        if r.is_p(nxt, "(") and r.match[nxt] > nxt:
            nxt = r.match[nxt] + 1
        if r.word(nxt) == "AS" and (r.is_p(nxt + 1, "(") or r.word(nxt + 1) in ("NOT", "MATERIALIZED")):
            ident = Identifier(unquote(tok.text), True) if tok.kind == QUOTED else Identifier(tok.text)
            names.add(cte_key(ident, r.dialect))
    return names


def flat_scan(r: Reader, i: int, j: int, scope: Scope | None) -> None:
    """Record every table read in ``toks[i:j]``, without recursion."""
    local = Scope(_cte_names(r, i, j), scope)
    toks = r.toks
    # Per open group: (is a function call, a FROM list is active at that level).
    calls: list[bool] = [False]
    in_from: list[bool] = [False]
    expect = False
    k = i
    while k < j:
        tok = toks[k]
        kind = tok.kind
        if kind == PUNCT:
            if tok.text == "(":
                prev = toks[k - 1] if k > i else None
                is_call = prev is not None and prev.kind in (WORD, QUOTED) and prev.up not in _NOT_CALLS
                calls.append(is_call)
                in_from.append(False)
                expect = False
            elif tok.text == ")":
                if len(calls) > 1:
                    calls.pop()
                    in_from.pop()
                expect = False
            elif tok.text == ",":
                expect = in_from[-1]
            k += 1
            continue
        if kind == WORD:
            up = tok.up
            if up in ("FROM", "JOIN", "USING") and not calls[-1] and r.word(k - 1) != "DISTINCT":
                expect = not r.is_p(k + 1, "(") or up != "USING"
                in_from[-1] = True
                k += 1
                continue
            if up in _END_FROM:
                in_from[-1] = False
                expect = False
                k += 1
                continue
            if expect and up in _SKIP_BEFORE_NAME:
                k += 1
                continue
        if expect and kind in (WORD, QUOTED, PLACEHOLDER) and kind != AT:
            parts, nxt = r.read_name(k, j)
            if not r.is_p(nxt, "("):
                r.input(parts, local)
            expect = False
            k = max(nxt, k + 1)
            continue
        expect = False
        k += 1


# Words after which, in the first few tokens, the written table is named.
_TARGET_MARKERS = {
    "INSERT": frozenset({"INTO", "OVERWRITE"}),
    "MERGE": frozenset({"INTO"}),
    "UPDATE": frozenset({"UPDATE"}),
    "DELETE": frozenset({"FROM"}),
    "CREATE": frozenset({"TABLE", "VIEW"}),
    "TRUNCATE": frozenset({"TRUNCATE", "TABLE"}),
    "DROP": frozenset({"TABLE", "VIEW"}),
}
_NOT_TARGET = frozenset({"INTO", "OVERWRITE", "TABLE", "IF", "NOT", "EXISTS", "ONLY", "ALL", "FIRST"})


def flat_statement(r: Reader) -> None:
    """Whole-statement fallback: the target from the statement head, inputs flat."""
    markers = _TARGET_MARKERS.get(r.word(0))
    start = 0
    if markers:
        for k in range(min(r.n, 12)):
            if r.word(k) in markers and r.word(k + 1) not in _NOT_TARGET | markers:
                start = r.read_output(k + 1, r.n)
                break
        if r.word(0) == "INSERT":  # INSERT ALL: every top-level INTO is a target
            depth = 0
            for k in range(start, r.n):
                tok = r.toks[k]
                if tok.kind == PUNCT and tok.text in "()":
                    depth += 1 if tok.text == "(" else -1
                elif depth == 0 and tok.up == "INTO":
                    r.read_output(k + 1, r.n)
    flat_scan(r, start, r.n, None)
