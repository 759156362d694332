"""Procedural wrapping around SQL: Snowflake Scripting and PL/pgSQL blocks.

Inside ``BEGIN ... END`` blocks, ``EXECUTE IMMEDIATE $$...$$`` and Postgres
``DO $$...$$`` bodies, the statements that move data sit behind
control-flow prefixes (``IF (c) THEN``, ``FOR r IN q DO``, ``EXCEPTION WHEN x
THEN``, ``<<label>>``), and queries sit in assignments and declarations
(``LET x := (SELECT ...)``, ``c CURSOR FOR SELECT ...``, ``RETURN QUERY``).
After splitting at semicolons such a prefix starts the statement text.
:func:`unwrap` reads the prefixes (their conditions may hold subqueries)
and says where the SQL statement itself starts.
"""

from __future__ import annotations

from typing import Callable

from secoda_listener.sql.names import BIGQUERY
from secoda_listener.sql.query import EXPR, clauses, expr, query, query_start
from secoda_listener.sql.reader import Reader
from secoda_listener.sql.tokens import OP, PUNCT, STRING, string_value

# unwrap() result: the statement was fully read (or holds nothing to read).
DONE = -1

# Nested text runner: (sql text, is it a PL/pgSQL body).
RunNested = Callable[[str, bool], None]

# BEGIN followed by one of these starts a transaction, not a block.
_TRANSACTION_WORDS = frozenset({"", "TRANSACTION", "WORK", "ISOLATION", "NAME", "READ", "DEFERRABLE", "NOT"})
# Prefixes with a condition that ends at THEN / DO / LOOP.
_CONDITIONS = frozenset({"IF", "ELSEIF", "ELSIF", "WHILE", "UNTIL", "WHEN", "CASE"})
_CONDITION_ENDS = frozenset({"THEN", "DO", "LOOP"})
# Prefixes that are just block keywords.
_BLOCK_WORDS = frozenset({"ELSE", "LOOP", "REPEAT", "EXCEPTION"})
_PROCEDURAL_LANGUAGES = frozenset({"PLPGSQL", "SQL"})
# Words that make a text more than a plain ``name type`` declaration.
_STATEMENT_WORDS = frozenset({"FROM", "SELECT", "INTO", "SET", "VALUES", "TABLE", "JOIN", "USING", "WHERE"})


def unwrap(r: Reader, run_nested: RunNested) -> int:
    """Index where the SQL statement inside procedural prefixes starts, or DONE."""
    k = 0
    while k < r.n:
        word = r.word(k)
        if _is_label(r, k):
            k += 3
        elif word == "BEGIN":
            if r.word(k + 1) in _TRANSACTION_WORDS:
                return DONE
            k += 1
        elif word == "DECLARE":
            k = _declare(r, k + 1)
        elif word in _CONDITIONS:
            k = _condition(r, k + 1)
        elif word in _BLOCK_WORDS:
            k += 1
        elif word in ("FOR", "FOREACH"):
            k = _for(r, k + 1)
        elif word == "LET":
            declaration(r, k + 1)
            return DONE
        elif word == "RETURN":
            _return(r, k + 1)
            return DONE
        elif word == "PERFORM":  # PL/pgSQL: a SELECT whose result is discarded
            clauses(r, k + 1, r.n, None, EXPR)
            return DONE
        elif word == "OPEN":
            _open(r, k + 1)
            return DONE
        elif word == "EXECUTE":
            _execute(r, k + 1, run_nested)
            return DONE
        elif word == "DO" and _do(r, k + 1, run_nested):
            return DONE
        elif word == "EXPLAIN":
            k = _explain(r, k + 1)
        else:
            return k
        if k == DONE:
            return DONE
    return DONE


def declaration(r: Reader, k: int) -> bool:
    """``name [type] {:= | DEFAULT} expr``, ``name CURSOR [...] FOR query`` or ``name type``.

    ``k`` is just after the name.  Returns False when the text is not shaped
    like a declaration or assignment.
    """
    close = r.n
    i = k
    while i < close:
        tok = r.toks[i]
        if tok.kind == PUNCT and tok.text == "(":
            i = r.after(i, close)
            continue
        if (tok.kind in (OP, PUNCT) and tok.text == ":=") or r.word(i) == "DEFAULT":
            expr(r, i + 1, close, None)
            return True
        if r.word(i) in ("FOR", "IS") and query_start(r, i + 1, close):
            query(r, i + 1, close, None)
            return True
        i += 1
    return _plain_declaration(r, k, close)


def _plain_declaration(r: Reader, k: int, close: int) -> bool:
    """``name type [NOT NULL]`` in a DECLARE section: words (and type arguments) only."""
    if r.word(k) == "" or r.word(k) in _STATEMENT_WORDS:
        return False
    i = k
    while i < close:
        if r.is_p(i, "("):
            i = r.after(i, close)
        elif r.word(i) and r.word(i) not in _STATEMENT_WORDS:
            i += 1
        else:
            return False
    return True


def _is_label(r: Reader, k: int) -> bool:
    toks = r.toks
    return (
        k + 2 < r.n
        and toks[k].kind == OP
        and toks[k].text == "<<"
        and toks[k + 2].kind == OP
        and toks[k + 2].text == ">>"
    )


def _find_word(r: Reader, k: int, words: frozenset[str]) -> int:
    """Index of the first of ``words`` at depth 0 from ``k``, or -1."""
    while k < r.n:
        if r.is_p(k, "("):
            k = r.after(k, r.n)
            continue
        if r.word(k) in words:
            return k
        k += 1
    return -1


def _declare(r: Reader, k: int) -> int:
    """``DECLARE ... BEGIN stmt``, ``DECLARE c CURSOR FOR query`` or one declaration."""
    begin = _find_word(r, k, frozenset({"BEGIN"}))
    if begin >= 0:
        return begin + 1
    declaration(r, k)
    return DONE


def _condition(r: Reader, k: int) -> int:
    """``IF cond THEN``, ``WHILE cond DO|LOOP``, ``WHEN x THEN``: read cond, go past it."""
    end = _find_word(r, k, _CONDITION_ENDS)
    if end < 0:
        expr(r, k, r.n, None)
        return DONE
    expr(r, k, end, None)
    return end + 1


def _for(r: Reader, k: int) -> int:
    """``FOR x IN {query | cursor | a TO b} {DO | LOOP}``."""
    end = _find_word(r, k, frozenset({"DO", "LOOP"}))
    stop = end if end >= 0 else r.n
    i = _find_word(r, k, frozenset({"IN"}))
    if 0 <= i < stop:
        i = r.skip_words(i + 1, frozenset({"REVERSE", "ARRAY"}))
        if query_start(r, i, stop):
            query(r, i, stop, None)
        else:
            expr(r, i, stop, None)
    return end + 1 if end >= 0 else DONE


def _return(r: Reader, k: int) -> None:
    """``RETURN [QUERY | NEXT] expr-or-query``."""
    k = r.skip_words(k, frozenset({"QUERY", "NEXT"}))
    if query_start(r, k, r.n):
        query(r, k, r.n, None)
    else:
        expr(r, k, r.n, None)


def _open(r: Reader, k: int) -> None:
    """``OPEN c FOR query`` (PL/pgSQL); Snowflake ``OPEN c [USING ...]`` reads nothing new."""
    i = _find_word(r, k, frozenset({"FOR"}))
    if i >= 0 and query_start(r, i + 1, r.n):
        query(r, i + 1, r.n, None)


def _execute(r: Reader, k: int, run_nested: RunNested) -> None:
    """``EXECUTE IMMEDIATE 'sql'`` (Snowflake) or ``EXECUTE 'sql'`` (PL/pgSQL dynamic SQL).

    Only a body that is one whole literal is read: ``'TRUNCATE ' || :t`` or a
    prepared statement name (``EXECUTE q(1)``) cannot be known.
    """
    if r.word(k) == "IMMEDIATE":
        k += 1
    if r.dialect == BIGQUERY:
        return  # the spec leaves BigQuery's dynamic SQL unread
    if k >= r.n or r.toks[k].kind != STRING:
        return
    if k + 1 < r.n and r.word(k + 1) not in ("USING", "INTO"):
        return
    body = string_value(r.toks[k].text)
    if body:
        run_nested(body, False)


def _do(r: Reader, k: int, run_nested: RunNested) -> bool:
    """Postgres ``DO [LANGUAGE l] 'body' [LANGUAGE l]``: read a PL/pgSQL body."""
    language = ""
    body = None
    while k < r.n:
        tok = r.toks[k]
        if r.word(k) == "LANGUAGE" and k + 1 < r.n:
            language = string_value(r.toks[k + 1].text) or r.toks[k + 1].text
            k += 2
        elif tok.kind == STRING and body is None:
            body = string_value(tok.text)
            k += 1
        else:
            return False
    if body is None:
        return False
    if not language or language.upper() in _PROCEDURAL_LANGUAGES:
        run_nested(body, True)
    return True


def _explain(r: Reader, k: int) -> int:
    """``EXPLAIN ANALYZE stmt`` runs the statement; plain EXPLAIN only plans it."""
    analyze = False
    if r.is_p(k, "("):
        close = min(r.match[k], r.n)
        for i in range(k + 1, close):
            if r.word(i) in ("ANALYZE", "ANALYSE"):
                analyze = r.word(i + 1) not in ("FALSE", "OFF") and not (i + 1 < close and r.toks[i + 1].text == "0")
        k = close + 1
    while r.word(k) in ("ANALYZE", "ANALYSE", "VERBOSE"):
        analyze = analyze or r.word(k) != "VERBOSE"
        k += 1
    return k if analyze else DONE
