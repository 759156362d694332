"""MySQL statements over a list of tables: multi-table UPDATE and DELETE, RENAME TABLE.

* ``UPDATE t1 [JOIN t2 ON ...] | t1, t2 SET t1.a = t2.b ...``: the tables whose
  columns are assigned in SET are written; the others of the list are read.
* ``DELETE t1[.*][, t2] FROM <list>`` and ``DELETE FROM t1[, t2] USING <list>``:
  the named tables are written, the others of the list read.
* ``RENAME TABLE a TO b [, c TO d]``: each source read, each target written.

Targets name tables through their aliases in the list; ``t`` and ``db.t``
also match an entry of that table.  An unqualified SET column in a
multi-table UPDATE cannot be attributed without the schema: it is credited
to the first table of the list.
"""

from __future__ import annotations

from typing import Optional

from secoda_listener.sql import dml
from secoda_listener.sql.query import EXPR, clauses, derived, paren
from secoda_listener.sql.reader import Parts, Reader, Scope
from secoda_listener.sql.tokens import OP, PUNCT, QUOTED, WORD, unquote

# Words that end a table list (or an entry's tail) at depth 0.
_LIST_END = frozenset({"SET", "WHERE", "ORDER", "LIMIT", "USING", "FROM"})
_JOINS = frozenset({"JOIN", "STRAIGHT_JOIN"})
_NOT_ALIAS = frozenset(
    {"JOIN", "STRAIGHT_JOIN", "INNER", "CROSS", "LEFT", "RIGHT", "OUTER", "NATURAL", "ON", "USING"}
    | {"USE", "FORCE", "IGNORE", "PARTITION", "SET", "WHERE", "ORDER", "LIMIT", "FROM", "AS"}
)

Entry = tuple[Parts, Optional[str]]  # a named table of the list and its alias (lower case)


def _find(r: Reader, k: int, j: int, words: frozenset[str]) -> int:
    """First of ``words`` at depth 0 in ``[k, j)``, or ``j``."""
    while k < j:
        if r.is_p(k, "("):
            k = r.after(k, j)
            continue
        if r.word(k) in words:
            return k
        k += 1
    return j


def table_list(r: Reader, k: int, j: int, scope: Scope | None) -> list[Entry]:
    """Named tables of a table reference list; derived tables and conditions are read as they go."""
    entries: list[Entry] = []
    expect = True
    while k < j:
        tok = r.toks[k]
        if tok.kind == PUNCT and tok.text == "(":
            if expect:
                derived(r, k, j, scope)  # a subquery or a nested join: its tables are read
                expect = False
            else:
                paren(r, k, scope)  # ON (...), USING (cols), index hint lists
            k = r.after(k, j)
            continue
        if tok.kind == PUNCT and tok.text == ",":
            expect = True
            k += 1
            continue
        if r.word(k) in _JOINS:
            expect = True
            k += 1
            continue
        if expect and tok.kind in (WORD, QUOTED) and r.word(k) not in _NOT_ALIAS:
            parts, k = r.read_name(k, j)
            alias = None
            if r.word(k) == "AS":
                k += 1
            if k < j and (r.toks[k].kind == QUOTED or (r.toks[k].kind == WORD and r.word(k) not in _NOT_ALIAS)):
                alias = unquote(r.toks[k].text).lower()
                k += 1
            if parts:
                entries.append((parts, alias))
            expect = False
            continue
        k += 1
    return entries


class _Index:
    """Entries of a table list by alias and by name suffix (``t``, ``db.t``), first one wins.

    A dict, so that a statement naming thousands of targets stays linear.
    """

    def __init__(self, entries: list[Entry]) -> None:
        self.aliases: dict[str, int] = {}
        self.names: dict[tuple[str, ...], int] = {}
        for index, (parts, alias) in enumerate(entries):
            if alias is not None:
                self.aliases.setdefault(alias, index)
            named = tuple(p.text.lower() for p in parts if p is not None)
            for start in range(len(named)):
                self.names.setdefault(named[start:], index)

    def find(self, target: Parts) -> int | None:
        written = tuple(p.text.lower() for p in target if p is not None)
        if len(written) == 1 and written[0] in self.aliases:
            return self.aliases[written[0]]
        return self.names.get(written) if written else None


def _record(r: Reader, entries: list[Entry], written: set[int], scope: Scope | None) -> None:
    for index, (parts, _) in enumerate(entries):
        if index in written:
            r.output(parts)
        else:
            r.input(parts, scope)


def update(r: Reader, k: int, j: int, scope: Scope | None) -> None:
    """``UPDATE [LOW_PRIORITY] [IGNORE] <table list> SET ...``."""
    start = k
    k = r.skip_words(k + 1, frozenset({"LOW_PRIORITY", "IGNORE"}))
    set_at = _find(r, k, j, frozenset({"SET"}))
    list_end = _find(r, k, set_at, frozenset({"JOIN", "STRAIGHT_JOIN"}))
    if list_end == set_at and not any(r.is_p(i, ",") for i in range(k, set_at)):
        dml.update(r, start, j, scope)  # one table: the shared reader
        return
    entries = table_list(r, k, set_at, scope)
    index = _Index(entries)
    written: set[int] = set()
    end = _find(r, set_at + 1, j, frozenset({"WHERE", "ORDER", "LIMIT"}))
    i = set_at + 1
    while i < end:  # assignments: [[db.]t.]col = expr, ...
        parts, nxt = r.read_name(i, end)
        if parts and nxt < end and r.toks[nxt].kind == OP and r.toks[nxt].text == "=" and entries:
            found = index.find(parts[:-1]) if len(parts) >= 2 else 0
            if found is not None:
                written.add(found)
        i = _next_assignment(r, max(nxt, i + 1), end)
    _record(r, entries, written, scope)
    clauses(r, set_at + 1, j, scope, EXPR)  # subqueries in SET values and WHERE


def _next_assignment(r: Reader, k: int, end: int) -> int:
    """Index after the next depth-0 comma (start of the next assignment), or ``end``."""
    while k < end:
        if r.is_p(k, "("):
            k = r.after(k, end)
            continue
        if r.is_p(k, ","):
            return k + 1
        k += 1
    return end


def _targets(r: Reader, k: int, j: int) -> list[Parts]:
    """``t1[.*], db.t2[.*]`` before FROM / USING."""
    targets: list[Parts] = []
    while k < j:
        parts, k = r.read_name(k, j)
        if parts:
            targets.append(parts)
        if k < j and r.toks[k].kind == OP and r.toks[k].text == "*":
            k += 1
        if not r.is_p(k, ","):
            break
        k += 1
    return targets


def delete(r: Reader, k: int, j: int, scope: Scope | None) -> None:
    """``DELETE [LOW_PRIORITY] [QUICK] [IGNORE] ...``: the single- and multi-table forms."""
    start = k
    k = r.skip_words(k + 1, frozenset({"LOW_PRIORITY", "QUICK", "IGNORE"}))
    if r.word(k) == "FROM":
        list_at = _find(r, k + 1, j, frozenset({"USING"}))
        if list_at == j:
            dml.delete(r, start, j, scope)  # DELETE FROM t [WHERE ...]: the shared reader
            return
        targets = _targets(r, k + 1, list_at)
    else:
        list_at = _find(r, k, j, frozenset({"FROM"}))
        targets = _targets(r, k, list_at)
    end = _find(r, list_at + 1, j, frozenset({"WHERE", "ORDER", "LIMIT"}))
    entries = table_list(r, list_at + 1, end, scope)
    index = _Index(entries)
    written: set[int] = set()
    for target in targets:
        found = index.find(target)
        if found is None:
            r.output(target)  # not in the list (malformed): still the table named
        else:
            written.add(found)
    _record(r, entries, written, scope)
    clauses(r, end, j, scope, EXPR)


def rename(r: Reader, k: int, j: int, scope: Scope | None) -> None:
    """``RENAME TABLE a TO b [, c TO d ...]``: targets resolve against the current database."""
    if r.word(k + 1) not in ("TABLE", "TABLES"):
        return  # RENAME USER: no lineage
    k += 2
    while k < j:
        source, k = r.read_name(k, j)
        if r.word(k) != "TO":
            r.problem = "RENAME TABLE: a source without TO <target>"
            return
        target, k = r.read_name(k + 1, j)
        if source and target:
            r.input(source, None)
            r.output(target)
        if not r.is_p(k, ","):
            return
        k += 1
