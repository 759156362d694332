"""USE / SET / RESET / UNSET: statements that change name resolution, not data.

They produce no lineage themselves but update the :class:`NameResolver`
so that later statements in the same script qualify names correctly.
``USE`` per dialect: Snowflake ``USE d`` sets the database; Databricks ``USE
[SCHEMA|DATABASE] [c.]s`` the schema (and catalog), ``USE CATALOG c`` the
catalog with schema ``default``; MySQL ``USE d`` its one level (our schema).
"""

from __future__ import annotations

from secoda_listener.sql.names import DATABRICKS, MYSQL, Identifier, identifier_from_setting
from secoda_listener.sql.reader import Reader, Scope
from secoda_listener.sql.tokens import OP, PLACEHOLDER, PUNCT, QUOTED, STRING, WORD, Tok, string_value, unquote

_NOT_NAMESPACES = frozenset({"ROLE", "WAREHOUSE", "SECONDARY"})


def use(r: Reader, k: int, j: int, scope: Scope | None) -> None:
    """USE [DATABASE d | SCHEMA [d.]s | d | d.s]; roles and warehouses are ignored."""
    k += 1
    kind = r.word(k)
    if kind in _NOT_NAMESPACES:
        return
    if (kind in ("DATABASE", "SCHEMA") or (kind == "CATALOG" and r.dialect == DATABRICKS)) and k + 1 < j:
        k += 1
    else:
        kind = ""
    parts = [p for p in (r.read_name(k, j)[0] or []) if p is not None]
    if not parts:
        return
    if r.dialect == DATABRICKS:
        # DATABASE and SCHEMA are synonyms; USE CATALOG resets the schema.
        if kind == "CATALOG":
            r.resolver.use_catalog(parts[-1])
        else:
            r.resolver.use_schema(parts[-2:])
    elif r.dialect == MYSQL:
        r.resolver.use_schema(parts[-1:])  # USE d: the current database is our schema level
    elif kind == "DATABASE":
        r.resolver.use_database(parts[-1])
    elif kind == "SCHEMA" or len(parts) >= 2:
        r.resolver.use_schema(parts)
    else:
        r.resolver.use_database(parts[0])  # Snowflake: a bare name is a database


def set_(r: Reader, k: int, j: int, scope: Scope | None) -> None:
    """SET search_path / SET SCHEMA (Postgres) and SET var = 'value' (Snowflake)."""
    k = r.skip_words(k + 1, frozenset({"SESSION", "LOCAL"}))
    name = r.word(k)
    if name == "SEARCH_PATH" or name == "SCHEMA":
        k += 1
        if r.word(k) == "TO" or _is_equals(r, k):
            k += 1
        r.resolver.set_schema(_first_schema(r.toks[k:j]))
        return
    if r.is_p(k, "("):  # SET (a, b) = ('x', 'y')
        close = min(r.match[k], j)
        names = [t for t in r.toks[k + 1 : close] if t.kind in (WORD, QUOTED)]
        v = close + 1
        if _is_equals(r, v) and r.is_p(v + 1, "("):
            values = [t for t in r.toks[v + 2 : min(r.match[v + 1], j)] if not (t.kind == PUNCT and t.text == ",")]
            for var, value in zip(names, values):
                _assign(r, var, [value])
        return
    if k < j and r.toks[k].kind in (WORD, QUOTED) and _is_equals(r, k + 1):
        _assign(r, r.toks[k], r.toks[k + 2 : j])


def reset(r: Reader, k: int, j: int, scope: Scope | None) -> None:
    """RESET search_path / RESET ALL restores the default schema."""
    if r.word(k + 1) in ("SEARCH_PATH", "ALL"):
        r.resolver.reset_schema()


def unset(r: Reader, k: int, j: int, scope: Scope | None) -> None:
    """UNSET v / UNSET (a, b)."""
    for tok in r.toks[k + 1 : j]:
        if tok.kind in (WORD, QUOTED):
            r.resolver.unset_variable(unquote(tok.text))


def _is_equals(r: Reader, k: int) -> bool:
    return k < r.n and r.toks[k].kind == OP and r.toks[k].text == "="


def _assign(r: Reader, var: Tok, value: list[Tok]) -> None:
    """Keep a variable's value when it is a string (or strings/vars joined by ||)."""
    pieces: list[str] = []
    for index, tok in enumerate(value):
        if index % 2 == 1:
            if tok.text != "||":
                return
            continue
        if tok.kind == STRING:
            text = string_value(tok.text)
        elif tok.kind == PLACEHOLDER and tok.text.startswith("$"):
            text = r.resolver.variable(tok.text)
        else:
            text = None
        if text is None:
            return
        pieces.append(text)
    if pieces and len(value) % 2 == 1:
        r.resolver.set_variable(unquote(var.text), "".join(pieces))


def _first_schema(values: list[Tok]) -> Identifier | None:
    """First usable entry of a search_path list ("$user" cannot be resolved statically)."""
    for tok in values:
        if tok.kind == WORD:
            if tok.up == "DEFAULT":
                return None
            return Identifier(tok.text, False)
        if tok.kind == QUOTED:
            text = unquote(tok.text)
            if text != "$user":
                return Identifier(text, True)
        elif tok.kind == STRING:
            for entry in (string_value(tok.text) or "").split(","):
                entry = entry.strip()
                if entry and entry.strip('"') != "$user":
                    return identifier_from_setting(entry)
    return None
