"""Reading queries: WITH scoping, FROM/JOIN lists, subqueries anywhere.

The reader is a small state machine over the flat tokens of a region.  It
does not build a syntax tree: it only needs to know, at each token, whether a
table factor is expected (after FROM, JOIN, USING or a comma in a FROM list),
and it descends into every parenthesised group, because subqueries can hide
in any clause.  Parenthesised groups are reached through the precomputed
match table, so each token is visited once; nesting deeper than
``MAX_DEPTH`` is handed to the flat fallback scan instead of recursing.
"""

from __future__ import annotations

from collections.abc import Callable

from secoda_listener.sql.fallback import flat_scan
from secoda_listener.sql.names import BIGQUERY, DATABRICKS, MYSQL, POSTGRES, SNOWFLAKE, Identifier, cte_key
from secoda_listener.sql.reader import Parts, Reader, Scope
from secoda_listener.sql.spans import bracket_end, case_end
from secoda_listener.sql.tokens import AT, PLACEHOLDER, PUNCT, QUOTED, WORD, unquote

# Recursion budget: each level costs ~3 Python frames; realistic SQL nests < 20.
MAX_DEPTH = 80

# Reader modes.
EXPR = 0  # expressions: only parenthesised subqueries matter
FROM_ITEM = 1  # a table factor is expected next
AFTER_ITEM = 2  # after a factor: alias, sample, AT(...), PIVOT ... until a separator
JOIN_COND = 3  # inside ON ...: a comma starts a new factor

# Words that end a FROM list and start an expression clause.
CLAUSE_WORDS = frozenset(
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
        "THEN",
        "CONFLICT",
        "DO",
        "CONNECT",
        "VALUES",
        "ELSE",
        "INTO",
        "FOR",
    }
)
QUERY_WORDS = frozenset({"SELECT", "WITH", "VALUES"})
DML_WORDS = frozenset({"INSERT", "UPDATE", "DELETE", "MERGE"})
# Words before "(" that make the group a plain expression, not a function call.
JOIN_WORDS = frozenset({"JOIN", "APPLY"})


def query_start(r: Reader, i: int, end: int) -> bool:
    """Does the region at ``i`` hold a query (possibly in extra parentheses)?

    At most MAX_DEPTH extra parentheses are looked through: a run of
    thousands would otherwise be rescanned at every level of it.
    """
    limit = min(end, i + MAX_DEPTH)
    while i < limit and r.is_p(i, "("):
        i += 1
    word = r.word(i)
    if word in QUERY_WORDS:
        return True
    # Postgres "TABLE t" is short for SELECT * FROM t.
    return word == "TABLE" and i + 1 < end and not r.is_p(i + 1, "(")


def query(r: Reader, i: int, j: int, scope: Scope | None, top: bool = False) -> None:
    """Read ``toks[i:j]`` as a query: optional WITH, then SELECT/VALUES/TABLE/DML."""
    k = i
    if r.word(k) == "WITH":
        scope, k = with_clause(r, k + 1, j, scope)
    word = r.word(k)
    if word in DML_WORDS:
        r.body_reader(r, k, j, scope)
        return
    if word == "TABLE" and not r.is_p(k + 1, "("):
        k = r.read_input(k + 1, j, scope)
    clauses(r, k, j, scope, EXPR, top)


def with_clause(r: Reader, k: int, j: int, scope: Scope | None) -> tuple[Scope | None, int]:
    """Read CTE definitions from ``k`` (just after WITH); returns the body's scope.

    Scoping per dialect: a Postgres non-recursive CTE sees only earlier CTEs
    (its own name means the real table); a Snowflake CTE also sees itself
    (recursion needs no keyword); WITH RECURSIVE sees the whole list.
    """
    recursive = r.word(k) == "RECURSIVE"
    if recursive:
        k += 1
    defs: list[tuple[str, int, int]] = []
    while k < j:
        tok = r.toks[k]
        if tok.kind == WORD:
            name = Identifier(tok.text, False)
        elif tok.kind == QUOTED:
            name = Identifier(unquote(tok.text), True)
        else:
            break
        k += 1
        if r.is_p(k, "(") and not (r.dialect == DATABRICKS and query_start(r, k + 1, r.match[k])):
            k = r.after(k, j)  # column list
        if r.word(k) == "AS":
            k = r.skip_words(k + 1, frozenset({"NOT", "MATERIALIZED"}))
        elif r.dialect != DATABRICKS:  # Databricks: "name (query)", AS optional
            break
        if not r.is_p(k, "("):
            break
        close = min(r.match[k], j)
        defs.append((cte_key(name, r.dialect), k + 1, close))
        k = close + 1
        if r.word(k) in ("SEARCH", "CYCLE"):  # Postgres SEARCH/CYCLE clauses
            while k < j and not r.is_p(k, ",") and r.word(k) not in QUERY_WORDS | DML_WORDS:
                k = r.after(k, j) if r.is_p(k, "(") else k + 1
        if not r.is_p(k, ","):
            break
        k += 1
    positions: dict[str, int] = {}
    for index, (key, _, _) in enumerate(defs):
        positions.setdefault(key, index)
    for index, (_, start, close) in enumerate(defs):
        if recursive:
            visible = len(defs)
        elif r.dialect == SNOWFLAKE:
            visible = index + 1
        else:
            visible = index
        guarded(r, start, close, Scope(positions, scope, visible) if visible else scope, cte_body)
    return (Scope(positions, scope) if defs else scope), k


def cte_body(r: Reader, i: int, j: int, scope: Scope | None) -> None:
    k = i
    while r.is_p(k, "(") and k < j:
        k += 1
    if r.word(k) in DML_WORDS:  # Postgres data-modifying CTE
        r.body_reader(r, k, j, scope)
    else:
        query(r, i, j, scope)


def guarded(
    r: Reader, i: int, j: int, scope: Scope | None, read: Callable[[Reader, int, int, Scope | None], None]
) -> None:
    """Call ``read`` one level deeper, or fall back to the flat scan when too deep."""
    if r.depth >= MAX_DEPTH:
        r.fallback_used = True
        flat_scan(r, i, j, scope)
        return
    r.depth += 1
    try:
        read(r, i, j, scope)
    finally:
        r.depth -= 1


def paren(r: Reader, k: int, scope: Scope | None) -> None:
    """A parenthesised group in an expression: a subquery, or more expression."""
    close = r.match[k]
    if close <= k:
        return
    if query_start(r, k + 1, close):
        guarded(r, k + 1, close, scope, query)
    else:
        guarded(r, k + 1, close, scope, expr)


def expr(r: Reader, i: int, j: int, scope: Scope | None) -> None:
    """Expressions hold no table names of their own; only their groups matter."""
    toks = r.toks
    k = i
    while k < j:
        tok = toks[k]
        if tok.kind == PUNCT and tok.text == "(":
            paren(r, k, scope)
            k = r.after(k, j)
        else:
            k += 1


def derived(r: Reader, k: int, j: int, scope: Scope | None) -> None:
    """A group where a table factor is expected: subquery or nested join."""
    close = min(r.match[k], j)
    if close <= k:
        return
    if query_start(r, k + 1, close):
        guarded(r, k + 1, close, scope, query)
    else:
        guarded(r, k + 1, close, scope, from_list)


def from_list(r: Reader, i: int, j: int, scope: Scope | None) -> None:
    clauses(r, i, j, scope, FROM_ITEM)


def clauses(r: Reader, i: int, j: int, scope: Scope | None, mode: int = EXPR, top: bool = False) -> None:
    """The state machine over one query level (see module docstring)."""
    toks = r.toks
    k = i
    while k < j:
        tok = toks[k]
        kind = tok.kind
        if kind == PUNCT:
            text = tok.text
            if text == "(":
                if mode == FROM_ITEM:
                    derived(r, k, j, scope)
                    mode = AFTER_ITEM
                else:
                    paren(r, k, scope)
                k = r.after(k, j)
                continue
            if text == "[":
                # An array subscript or constructor: its commas separate values.
                close = bracket_end(r, k, j)
                expr(r, k + 1, close, scope)
                k = close + 1
                continue
            if text == "," and mode in (AFTER_ITEM, JOIN_COND):
                mode = FROM_ITEM
            k += 1
            continue
        if mode == FROM_ITEM:
            k, mode = from_item(r, k, j, scope)
            continue
        if kind == WORD:
            up = tok.up
            if up == "FROM":
                # "IS [NOT] DISTINCT FROM" compares values; it is not a FROM clause.
                if r.word(k - 1) != "DISTINCT":
                    mode = FROM_ITEM
            elif up in JOIN_WORDS or (up == "STRAIGHT_JOIN" and mode == AFTER_ITEM and r.dialect == MYSQL):
                mode = FROM_ITEM
            elif up == "USING":
                if r.is_p(k + 1, "(") and not query_start(r, k + 2, r.match[k + 1]):
                    k = r.after(k + 1, j)  # JOIN ... USING (columns)
                    mode = JOIN_COND
                    continue
                mode = FROM_ITEM
            elif up == "ON":
                if mode == AFTER_ITEM:
                    mode = JOIN_COND
            elif up == "CASE":
                # CASE ... WHEN ... THEN ... END is one expression: its WHEN/THEN/
                # ELSE must not end a FROM list or a join condition.
                end = case_end(r, k + 1, j)
                expr(r, k + 1, end, scope)
                k = end + 1
                continue
            elif up == "INTO" and top and mode == EXPR:
                k = select_into(r, k + 1, j)
                continue
            elif mode == AFTER_ITEM and r.dialect in _FACTOR_SUFFIX_DIALECTS and _factor_suffix(r, k):
                k = _skip_factor_suffix(r, k, j)
                continue
            elif up in CLAUSE_WORDS:
                mode = EXPR
        k += 1


# Dialects with words after a table factor that look like clause starts (see _factor_suffix).
_FACTOR_SUFFIX_DIALECTS = frozenset({BIGQUERY, DATABRICKS, MYSQL})
_TIME_TRAVEL = frozenset({"SYSTEM_TIME", "SYSTEM", "TIMESTAMP", "VERSION"})
_INDEX_HINTS = frozenset({"USE", "FORCE", "IGNORE"})


def _factor_suffix(r: Reader, k: int) -> bool:
    """BigQuery ``FOR SYSTEM_TIME AS OF``, MySQL ``USE|FORCE|IGNORE INDEX (...)``: part of the factor."""
    up = r.word(k)
    if up == "FOR":
        return r.word(k + 1) in _TIME_TRAVEL
    return r.dialect == MYSQL and up in _INDEX_HINTS and r.word(k + 1) in ("INDEX", "KEY")


def _skip_factor_suffix(r: Reader, k: int, j: int) -> int:
    """Skip a time-travel clause up to its timestamp, or an index hint up to its list."""
    if r.word(k) == "FOR":
        return k + 2  # AS OF <expr> follows: words and groups, read as the factor's tail
    k += 2
    if r.word(k) == "FOR":  # FORCE INDEX FOR JOIN|ORDER BY|GROUP BY (...)
        k = r.skip_words(k + 1, frozenset({"JOIN", "ORDER", "GROUP", "BY"}))
    return r.after(k, j) if r.is_p(k, "(") else k


def from_item(r: Reader, k: int, j: int, scope: Scope | None) -> tuple[int, int]:
    """Read one table factor at ``k``; returns (next index, next mode)."""
    tok = r.toks[k]
    kind = tok.kind
    if kind == WORD:
        up = tok.up
        if up in ("LATERAL", "ONLY"):
            return k + 1, FROM_ITEM
        if up == "TABLE" and r.is_p(k + 1, "("):
            # Snowflake TABLE(FLATTEN(...)) is a table function; TABLE('name')
            # or TABLE($var) is a table named by a string.
            parts = r.identifier_call(k + 1, j)
            if parts is not None:
                r.input(parts, scope)
            else:
                paren(r, k + 1, scope)
            return r.after(k + 1, j), AFTER_ITEM
        if up == "VALUES":
            return k + 1, EXPR
        if up == "ROWS" and r.word(k + 1) == "FROM" and r.is_p(k + 2, "("):
            paren(r, k + 2, scope)  # Postgres ROWS FROM (f(), g())
            return r.after(k + 2, j), AFTER_ITEM
        if up in CLAUSE_WORDS or up in JOIN_WORDS or up in ("ON", "USING", "FROM"):
            return k, EXPR  # malformed FROM list; let the clause reader take over
    elif kind == AT:
        return skip_stage(r, k, j), AFTER_ITEM
    elif kind not in (QUOTED, PLACEHOLDER):
        return k + 1, AFTER_ITEM  # 's3://url', a number, junk: not a table
    parts, nxt = r.read_name(k, j)
    if r.is_p(nxt, "("):
        # name(...) in FROM is a table function (generate_series, FLATTEN,
        # a user's set-returning function): not a table; its args may hold subqueries.
        paren(r, nxt, scope)
        return r.after(nxt, j), AFTER_ITEM
    if not _is_dual(r, parts):
        r.input(parts, scope)
    return nxt, AFTER_ITEM


def _is_dual(r: Reader, parts: Parts | None) -> bool:
    """Snowflake's (and Oracle's) one-row pseudo-table ``DUAL``; Postgres has none."""
    if r.dialect == POSTGRES or not parts or len(parts) != 1 or parts[0] is None:
        return False
    return not parts[0].quoted and parts[0].text.upper() == "DUAL"


def skip_stage(r: Reader, k: int, j: int) -> int:
    """Skip a stage reference (@s, @db.s.st/path/, @%t, @~): the tokens glued to it."""
    toks = r.toks
    end = toks[k].end
    k += 1
    while k < j:
        tok = toks[k]
        if tok.start != end or (tok.kind == PUNCT and tok.text in "(),;"):
            break
        end = tok.end
        k += 1
    return k


def select_into(r: Reader, k: int, j: int) -> int:
    """Postgres ``SELECT ... INTO [TEMP] [TABLE] t FROM``: t is written.

    Snowflake's SELECT INTO only assigns scripting variables, and so does
    PL/pgSQL's (any INTO inside a DO body, ``INTO STRICT v``, ``INTO v1, v2``):
    those write nothing.
    """
    if r.word(k) == "STRICT" or r.dialect == SNOWFLAKE or r.procedural or (k < j and r.toks[k].kind == PLACEHOLDER):
        return k + 1
    if r.dialect == MYSQL:
        # MySQL's SELECT INTO writes a file (OUTFILE, DUMPFILE) or variables, never a table.
        return k + 1
    k = r.skip_words(k, frozenset({"TEMP", "TEMPORARY", "UNLOGGED", "LOCAL", "GLOBAL", "TABLE"}))
    parts, nxt = r.read_name(k, j)
    if not r.is_p(nxt, ","):
        r.output(parts)
    return nxt
