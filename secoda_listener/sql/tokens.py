"""Significant tokens of a SQL text, produced by sqlparse's lexer.

Only the lexer of sqlparse is used: its grouping pass is both slow (~2 ms a
statement) and refuses deep or long input.  The lexer's output is reduced to
a flat list of :class:`Tok` (whitespace and comments dropped, multi-word
keywords such as ``LEFT OUTER JOIN`` split back into words) which the
statement readers walk with plain indexes.
"""

from __future__ import annotations

import re

from sqlparse import tokens as T
from sqlparse.keywords import SQL_REGEX
from sqlparse.lexer import Lexer

from secoda_listener.sql.comments import LINE_COMMENTS, real_comment_end
from secoda_listener.sql.names import (
    BACKTICK_DIALECTS,
    BIGQUERY,
    DATABRICKS,
    GENERIC,
    MYSQL,
    POSTGRES,
    REDSHIFT,
    SNOWFLAKE,
)

# Token kinds.  Plain ints: compared millions of times on big inputs.
WORD = 1  # unquoted identifier or keyword
QUOTED = 2  # "quoted identifier" (also `backticks` and [brackets])
STRING = 3  # 'string' or $$dollar string$$
NUMBER = 4
PUNCT = 5  # ( ) , . ; :: : [ ]
OP = 6  # operators, including * and @ that is not a name
PLACEHOLDER = 7  # ? %s %(x)s :x $1 $var
AT = 8  # @name (a stage, or a T-SQL variable)
OTHER = 9  # lexer errors, psql commands, anything unexpected


class Tok:
    """One significant token: kind, text as written, upper-cased text, offsets."""

    __slots__ = ("end", "kind", "start", "text", "up")

    def __init__(self, kind: int, text: str, start: int) -> None:
        self.kind = kind
        self.text = text
        self.up = text.upper() if kind == WORD else text
        self.start = start
        self.end = start + len(text)

    def __repr__(self) -> str:  # pragma: no cover - debugging aid
        return f"Tok({self.kind}, {self.text!r})"


# String literals, per dialect.  sqlparse's own rule ('(''|\\'|[^'])*') is
# wrong both ways: it ends Snowflake's '\\' (an escaped backslash) late and
# Postgres' 'C:\' (a complete standard string) late, swallowing the SQL
# that follows.  Postgres: standard strings have no backslash escapes, E'...'
# strings do.  Snowflake (and generic SQL): a backslash escapes any character.
# Written as "unrolled loops" (a run of plain characters, then one escape and
# another run, repeated): the same language as ('(''|\\.|[^'])*'), but the
# regex engine keeps one backtracking frame per escape instead of one per
# character, so a 1 MB literal costs no memory.
ESCAPING_STRING = r"'[^'\\]*(?:(?:''|\\[\s\S])[^'\\]*)*'"
STANDARD_STRING = r"'[^']*(?:''[^']*)*'"
E_STRING = r"E'[^'\\]*(?:(?:''|\\[\s\S])[^'\\]*)*'"
# BigQuery, Databricks and MySQL: "..." is a string (backslash escapes), not an identifier.
ESCAPING_DQ_STRING = r'"[^"\\]*(?:(?:""|\\[\s\S])[^"\\]*)*"'
# BigQuery triple-quoted strings, which may hold single quotes and newlines.
TRIPLE_STRINGS = (r"'''[\s\S]*?'''", r'"""[\s\S]*?"""')
STRING_PATTERNS: dict[str, tuple[str, ...]] = {
    POSTGRES: (E_STRING, STANDARD_STRING),
    SNOWFLAKE: (ESCAPING_STRING,),
    GENERIC: (ESCAPING_STRING,),
    # Redshift keeps backslash escapes in literals (UNLOAD ('... \'NV\' ...')).
    REDSHIFT: (ESCAPING_STRING,),
    BIGQUERY: (*TRIPLE_STRINGS, ESCAPING_STRING, ESCAPING_DQ_STRING),
    DATABRICKS: (ESCAPING_STRING, ESCAPING_DQ_STRING),
    MYSQL: (ESCAPING_STRING, ESCAPING_DQ_STRING),
}


def _private_lexer(dialect: str, strings: tuple[str, ...]) -> Lexer:
    # sqlparse's default lexer is a process-wide singleton that other code in
    # the Airflow process may reconfigure; private instances are immune.
    lexer = Lexer()
    lexer.default_initialization()
    regex = [(comment, T.Comment.Single) for comment in LINE_COMMENTS.get(dialect, ())]
    if dialect in BACKTICK_DIALECTS:
        # Ahead of sqlparse's "..." identifier rule, which would otherwise win.
        regex.extend((string, T.String.Single) for string in strings)
    for pattern, ttype in SQL_REGEX:
        if ttype == T.String.Single:
            if dialect not in BACKTICK_DIALECTS:
                regex.extend((string, ttype) for string in strings)
        else:
            regex.append((pattern, ttype))
    lexer.set_SQL_REGEX(regex)
    return lexer


_LEXERS = {dialect: _private_lexer(dialect, strings) for dialect, strings in STRING_PATTERNS.items()}
_WORDS = re.compile(r"\S+")


def _kind(ttype: T._TokenType, value: str) -> int:
    if ttype in T.Name.Placeholder:
        return PLACEHOLDER
    if ttype in T.String.Symbol:
        return QUOTED
    if ttype in T.Literal.String or ttype is T.Literal:
        return STRING
    if ttype in T.Number:
        return NUMBER
    if ttype in T.Name:
        if value[:1] in "`[":
            return QUOTED
        if value[:1] in "@#":
            return AT
        return WORD
    if ttype in T.Keyword:
        return WORD
    if value in ("{", "}"):
        return PUNCT  # Snowflake object constants {'k': v}: valid SQL, not damage
    if ttype in T.Punctuation:
        return PUNCT
    if ttype in T.Operator.Comparison and value[:1].isalpha():
        return WORD  # LIKE / NOT ILIKE: words to us (CREATE TABLE t (LIKE s))
    if ttype in T.Operator or ttype in T.Wildcard or ttype in T.Assignment:
        return AT if value[:1] == "@" else OP
    return OTHER


def lex(text: str, dialect: str = GENERIC) -> list[Tok]:
    """Tokenize ``text`` with sqlparse, keeping only the significant tokens."""
    out: list[Tok] = []
    base: int | None = 0
    while base is not None:
        base = _lex_from(text, base, dialect, out)
    return out


def _lex_from(text: str, base: int, dialect: str, out: list[Tok]) -> int | None:
    """Lex ``text[base:]`` into ``out``; returns where to lex again, or None when done.

    A nesting block comment (Postgres) that really ends after sqlparse's end
    of it makes the tokens up to its real end skipped; only a token that
    straddles that end forces lexing again from there.
    """
    pos = base
    comment_end = base
    for ttype, value in _LEXERS.get(dialect, _LEXERS[GENERIC]).get_tokens(text[base:] if base else text):
        start = pos
        pos += len(value)
        if start < comment_end:
            if pos > comment_end:
                return comment_end
            continue
        if ttype in T.Comment:
            if ttype in T.Comment.Multiline:
                comment_end = real_comment_end(text, start, pos, dialect)
            continue
        if ttype in T.Whitespace or ttype in T.Newline:
            continue
        if value == "/" and text.startswith("/*", start):
            break  # an unterminated block comment: the rest is comment text
        kind = _kind(ttype, value)
        if kind == WORD and (" " in value or "\t" in value or "\n" in value or "\r" in value):
            # sqlparse glues some keyword sequences (LEFT OUTER JOIN, IF NOT
            # EXISTS, CREATE OR REPLACE): split them so readers see words.
            for m in _WORDS.finditer(value):
                word = m.group()
                out.append(Tok(STRING if word[:1] == "'" else WORD, word, start + m.start()))
            continue
        out.append(Tok(kind, value, start))
    return None


def match_parens(toks: list[Tok]) -> list[int]:
    """For each ``(`` the index of its ``)`` (or len(toks) if unclosed), else -1.

    Iterative, so 500-deep nesting costs nothing special.
    """
    n = len(toks)
    match = [-1] * n
    stack: list[int] = []
    for i, tok in enumerate(toks):
        if tok.kind != PUNCT:
            continue
        if tok.text == "(":
            stack.append(i)
        elif tok.text == ")" and stack:
            opener = stack.pop()
            match[opener] = i
            match[i] = opener
    for opener in stack:
        match[opener] = n
    return match


def unquote(text: str) -> str:
    """Text of a quoted identifier token without its quotes."""
    if len(text) >= 2 and text[0] == '"' and text[-1] == '"':
        return text[1:-1].replace('""', '"')
    if len(text) >= 2 and text[0] == "`":
        return text[1:-1].replace("``", "`")
    if len(text) >= 2 and text[0] == "[":
        return text[1:-1]
    return text


def string_value(text: str, double_quoted: bool = False) -> str | None:
    """Content of a string literal token ('x', E'x', $$x$$, $tag$x$tag$).

    ``double_quoted``: also "x", a string in BigQuery, Databricks and MySQL.
    """
    if len(text) >= 2 and text[0] == "'" and text[-1] == "'":
        return text[1:-1].replace("''", "'").replace("\\'", "'")
    if double_quoted and len(text) >= 2 and text[0] == '"' and text[-1] == '"':
        return text[1:-1].replace('""', '"').replace('\\"', '"')
    if text.startswith("$"):
        close = text.find("$", 1)
        if close > 0 and text.endswith(text[: close + 1]) and len(text) >= 2 * (close + 1):
            return text[close + 1 : len(text) - close - 1]
    return None
