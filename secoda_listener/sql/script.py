"""From a script's text to statements: psql clean-up, tokenizing, splitting.

psql scripts (and pg_dump output) carry things that are not SQL: meta
commands such as ``\\set`` or ``\\copy`` (one line, no semicolon) and the data
rows that follow ``COPY ... FROM stdin;`` up to a ``\\.`` line.  They are
rewritten or removed before tokenizing so they cannot produce phantom tables.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from secoda_listener.sql.comments import unwrap_executable_comments
from secoda_listener.sql.fastlex import fast_lex
from secoda_listener.sql.name_forms import retoken
from secoda_listener.sql.names import GENERIC
from secoda_listener.sql.tokens import PUNCT, Tok, lex

# Above this much estimated work per call, sqlparse's lexer would eat the
# time budget: the one-regex tokenizer takes over.  sqlparse costs about 3 s
# a megabyte of ordinary SQL, but it tries its ~50 patterns once per token,
# so a symbol (a one-character token: parenthesis, comma, dot, semicolon)
# costs as much as several characters of a word: see lexing_cost().
SQLPARSE_BUDGET_CHARS = 300_000
SYMBOL_COST_CHARS = 8
_SYMBOL = re.compile(r"[^\w\s]")

_META_LINE = re.compile(r"^[ \t]*\\([A-Za-z]+)([^\r\n]*)$", re.MULTILINE)
_FROM_STDIN = re.compile(r"\bfrom\s+stdin\b[^;]*;[^\n]*\n", re.IGNORECASE)
_END_OF_DATA = re.compile(r"^\\\.[ \t]*\r?$", re.MULTILINE)


def strip_copy_data(text: str) -> str:
    """Drop the inline data of ``COPY ... FROM stdin;`` blocks (up to ``\\.``)."""
    if "\\." not in text or "stdin" not in text.lower():
        return text
    pieces: list[str] = []
    pos = 0
    while True:
        start = _FROM_STDIN.search(text, pos)
        if start is None:
            break
        end = _END_OF_DATA.search(text, start.end())
        if end is None:
            break
        pieces.append(text[pos : start.end()])
        pos = end.end()
    pieces.append(text[pos:])
    return "".join(pieces)


def _meta(match: re.Match[str]) -> str:
    # \copy is COPY run by the client; every other meta-command is dropped.
    if match.group(1).lower() == "copy":
        return "COPY" + match.group(2) + ";"
    return ""


def preprocess(text: str, dialect: str = GENERIC) -> str:
    text = unwrap_executable_comments(strip_copy_data(text), dialect)
    if "\\" in text:
        text = _META_LINE.sub(_meta, text)
    return text


class Tokenizer:
    """Chooses sqlparse's lexer while the per-call character budget lasts."""

    def __init__(self, dialect: str = GENERIC) -> None:
        self.dialect = dialect
        self.sqlparse_chars = 0

    def __call__(self, text: str) -> list[Tok]:
        return retoken(self._lex(text), self.dialect)

    def _lex(self, text: str) -> list[Tok]:
        if self.sqlparse_chars + len(text) <= SQLPARSE_BUDGET_CHARS:
            cost = lexing_cost(text)
            if self.sqlparse_chars + cost <= SQLPARSE_BUDGET_CHARS:
                self.sqlparse_chars += cost
                return lex(text, self.dialect)
        return fast_lex(text, self.dialect)


def lexing_cost(text: str) -> int:
    """sqlparse's work for ``text`` in characters of ordinary SQL (see SYMBOL_COST_CHARS)."""
    return len(text) + SYMBOL_COST_CHARS * len(_SYMBOL.findall(text))


def split(toks: list[Tok]) -> Iterator[list[Tok]]:
    """Statements of a token list, split at every ``;``.

    Splitting at every semicolon (not only at depth 0) keeps one unclosed
    parenthesis from swallowing the rest of a script; procedure bodies are in
    strings ($$...$$) so their semicolons are not tokens here.
    """
    start = 0
    for index, tok in enumerate(toks):
        if tok.kind == PUNCT and tok.text == ";":
            if index > start:
                yield toks[start:index]
            start = index + 1
    if start < len(toks):
        yield toks[start:]
