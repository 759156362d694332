"""Dialect-specific forms of written table names (sql-lineage-dialects.md).

The shared name reader (:meth:`~.reader.Reader.read_name`) reads dotted
words and quoted identifiers; this module adapts what it sees and what it
returns to the engines whose names look different:

* BigQuery: a backtick-quoted path is a path expression (`` `p.d.t` `` is
  three parts), unquoted project ids may hold dashes (``my-proj.d.t``), a
  ``$`` partition decorator is not part of the name, and INFORMATION_SCHEMA
  views are metadata, not tables.
* Redshift: ``#name`` is a temporary table (sqlparse reads ``#`` as a sigil);
  ``[...]`` is not a quoted name.
* MySQL: a name may start with digits (``2024_sales``).
* Databricks: ``format.`path``` (``parquet.`/p```) and quoted paths are files.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Optional

from secoda_listener.sql.names import BIGQUERY, DATABRICKS, MYSQL, REDSHIFT, Identifier
from secoda_listener.sql.tokens import AT, NUMBER, OP, PUNCT, QUOTED, STRING, WORD, Tok

Parts = list[Optional[Identifier]]

# Databricks/Spark data source names usable as ``format.`path```.
_FILE_FORMATS = frozenset(
    {"parquet", "delta", "json", "csv", "orc", "avro", "text", "binaryfile", "jdbc", "xml", "cloudfiles"}
)


def retoken(toks: list[Tok], dialect: str) -> list[Tok]:
    """Adjust the lexer's tokens to the dialect's name syntax (see module docstring)."""
    if dialect == REDSHIFT:
        return _temp_names(toks)
    if dialect == BIGQUERY:
        return _join_dashed(toks)
    if dialect == MYSQL:
        return _digit_names(toks)
    return toks


def _temp_names(toks: list[Tok]) -> list[Tok]:
    """Redshift ``#name``: one word (sqlparse gives ``#ab`` as a sigil name, ``#a`` as ``#`` and ``a``).

    ``[...]`` is no identifier syntax in Redshift (sqlparse reads it as one,
    T-SQL style): it becomes an opaque literal, as a SUPER subscript ``a[0]`` is.
    """
    out: list[Tok] = []
    i, n = 0, len(toks)
    while i < n:
        tok = toks[i]
        if tok.kind == QUOTED and tok.text.startswith("["):
            out.append(Tok(STRING, tok.text, tok.start))
        elif tok.kind == PUNCT and tok.text == "[" and (i == 0 or toks[i - 1].end != tok.start):
            # fastlex's "[", words, "]" (not glued to a name, so not a subscript): the same literal.
            close = _bracket_close(toks, i)
            out.append(Tok(STRING, "[]", tok.start))
            i = close
        elif tok.kind == AT and tok.text.startswith("#") and len(tok.text) > 1:
            out.append(Tok(WORD, tok.text, tok.start))
        elif (
            tok.kind == OP
            and tok.text == "#"
            and i + 1 < n
            and toks[i + 1].kind == WORD
            and toks[i + 1].start == tok.end
        ):
            out.append(Tok(WORD, "#" + toks[i + 1].text, tok.start))
            i += 1
        else:
            out.append(tok)
        i += 1
    return out


def _bracket_close(toks: list[Tok], i: int) -> int:
    """Index of the ``]`` closing the ``[`` at ``i`` (or of the last token before a ``;``)."""
    depth = 0
    for k in range(i, len(toks)):
        tok = toks[k]
        if tok.kind == PUNCT and tok.text == ";":
            return k - 1  # unclosed: the next statement is not part of it
        if tok.kind == PUNCT and tok.text in "[]":
            depth += 1 if tok.text == "[" else -1
            if depth == 0:
                return k
    return len(toks) - 1


def _dash_piece(tok: Tok) -> bool:
    return tok.kind in (WORD, NUMBER) or (tok.kind == OP and tok.text == "-")


def _join_dashed(toks: list[Tok]) -> list[Tok]:
    """``my-proj.d.t``: glue ``my``, ``-``, ``proj`` (written with no spaces) into one word.

    Only a run followed by a dot is a name part (a project, ``region-us``),
    so ``a-1`` in an expression stays arithmetic.  fastlex reads ``-1.`` as
    ``-`` and the number ``1.``: the dot is split off again.
    """
    if not any((tok.kind == OP and tok.text == "-") or tok.text.startswith("-") for tok in toks):
        return toks
    out: list[Tok] = []
    i, n = 0, len(toks)
    while i < n:
        tok = toks[i]
        j = i + 1
        if tok.kind == WORD:
            while j < n and toks[j].start == toks[j - 1].end and _dash_piece(toks[j]):
                j += 1
                if toks[j - 1].kind == NUMBER and toks[j - 1].text.endswith("."):
                    break
        run = toks[i:j]
        last = run[-1]
        number_dot = last.kind == NUMBER and last.text.endswith(".") and last.text[:-1].lstrip("-").isdigit()
        dot_next = j < n and toks[j].kind == PUNCT and toks[j].text == "." and toks[j].start == last.end
        glued = (
            len(run) > 1
            and any("-" in t.text for t in run[1:])
            and (dot_next or number_dot)
            and not last.text.rstrip(".").endswith("-")
        )
        if glued:
            text = "".join(t.text for t in run)
            if number_dot:
                out.append(Tok(WORD, text[:-1], tok.start))
                out.append(Tok(PUNCT, ".", last.end - 1))
            else:
                out.append(Tok(WORD, text, tok.start))
        else:
            out.extend(run)
        i = j
    return out


def _digit_names(toks: list[Tok]) -> list[Tok]:
    """MySQL ``2024_sales``: a name may start with digits (sqlparse gives ``202`` and ``4_sales``)."""
    out: list[Tok] = []
    i, n = 0, len(toks)
    while i < n:
        tok = toks[i]
        nxt = toks[i + 1] if i + 1 < n else None
        if (
            tok.kind == NUMBER
            and tok.text.isdigit()
            and nxt is not None
            and nxt.kind == WORD
            and nxt.start == tok.end
            and (nxt.text[:1].isalnum() or nxt.text[:1] == "_")
        ):
            out.append(Tok(WORD, tok.text + nxt.text, tok.start))
            i += 2
            continue
        out.append(tok)
        i += 1
    return out


def quoted_parts(text: str, dialect: str) -> list[Identifier]:
    """Parts of one quoted identifier: a BigQuery path splits at its dots."""
    if dialect == BIGQUERY and "." in text:
        return [Identifier(piece, True) for piece in text.split(".")]
    return [Identifier(text, True)]


def finish(parts: Parts, dialect: str) -> Parts | None:
    """The table name ``parts`` stand for, or None when they name no table."""
    if dialect == BIGQUERY:
        return _bigquery(parts)
    if dialect == DATABRICKS and _is_file(parts):
        return None
    return parts


def _bigquery(parts: Parts) -> Parts | None:
    if any(p is not None and p.text.upper() == "INFORMATION_SCHEMA" for p in parts[:-1]):
        return None
    last = parts[-1]
    if last is not None and "$" in last.text:
        # `p.d.t$20240101`: the partition decorator selects rows, not a table.
        parts = [*parts[:-1], Identifier(last.text.split("$", 1)[0], last.quoted)]
    return parts


def _looks_like_path(text: str) -> bool:
    return text.startswith("/") or ":/" in text


def _is_file(parts: Sequence[Identifier | None]) -> bool:
    last = parts[-1]
    if last is None or not last.quoted or not _looks_like_path(last.text):
        return False
    if len(parts) == 1:
        return True  # `/Volumes/...`, `dbfs:/...`
    first = parts[-2]
    return len(parts) == 2 and first is not None and first.text.lower() in _FILE_FORMATS
