"""Where a bracketed or keyword-delimited span of a query ends.

Array subscripts/constructors ``[...]`` and ``CASE ... END`` are single
expressions whose inner words (commas, WHEN/THEN/ELSE) must not be read as
FROM-list or clause separators.  Parenthesised groups are skipped whole
through the reader's match table.
"""

from __future__ import annotations

from secoda_listener.sql.reader import Reader
from secoda_listener.sql.tokens import PUNCT, WORD


def bracket_end(r: Reader, k: int, j: int) -> int:
    """Index of the ``]`` closing the ``[`` at ``k`` (or ``j``); parentheses are skipped whole."""
    toks = r.toks
    depth = 0
    while k < j:
        tok = toks[k]
        if tok.kind == PUNCT:
            if tok.text == "(":
                k = r.after(k, j)
                continue
            if tok.text == "[":
                depth += 1
            elif tok.text == "]":
                depth -= 1
                if depth == 0:
                    return k
        k += 1
    return j


def case_end(r: Reader, k: int, j: int) -> int:
    """Index of the END closing a CASE whose body starts at ``k`` (or ``j``)."""
    toks = r.toks
    depth = 1
    while k < j:
        tok = toks[k]
        if tok.kind == PUNCT and tok.text == "(":
            k = r.after(k, j)
            continue
        if tok.kind == WORD:
            if tok.up == "CASE":
                depth += 1
            elif tok.up == "END":
                depth -= 1
                if depth == 0:
                    return k
        k += 1
    return j
