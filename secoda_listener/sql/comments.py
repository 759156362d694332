"""Comment rules that differ by dialect, shared by both tokenizers.

* Snowflake also starts a line comment with ``//`` (besides ``--``).
* BigQuery and MySQL also start one with ``#`` (sqlparse only knows ``# ``);
  in Redshift ``#name`` is a temporary table, not a comment.
* Postgres block comments nest: ``/* a /* b */ still comment */``.
* MySQL executable comments ``/*! ... */`` are SQL: their body is unwrapped
  before tokenizing (:func:`unwrap_executable_comments`).
"""

from __future__ import annotations

import re

from secoda_listener.sql.names import BIGQUERY, MYSQL, POSTGRES, SNOWFLAKE

# Extra line-comment patterns per dialect (regex text, to the end of the line;
# "\\#" because fastlex compiles them in verbose mode, where a bare # is a comment).
LINE_COMMENTS: dict[str, tuple[str, ...]] = {
    SNOWFLAKE: (r"//[^\r\n]*",),
    BIGQUERY: (r"\#[^\r\n]*",),
    MYSQL: (r"\#[^\r\n]*",),
}
# /*!  or /*!50013 (a minimum server version), the body, */ (or the end of the text).
_EXECUTABLE = re.compile(r"/\*!(\d{0,6})(.*?)(?:\*/|\Z)", re.DOTALL)

_BLOCK_DELIMITERS = re.compile(r"/\*|\*/")


def nests_block_comments(dialect: str) -> bool:
    return dialect == POSTGRES


def nested_comment_end(text: str, start: int) -> int:
    """End offset of the nesting block comment opened at ``start`` (or len(text))."""
    depth = 0
    for m in _BLOCK_DELIMITERS.finditer(text, start):
        depth += 1 if m.group() == "/*" else -1
        if depth == 0:
            return m.end()
    return len(text)


def real_comment_end(text: str, start: int, end: int, dialect: str) -> int:
    """Where the block comment lexed as ``text[start:end]`` really ends.

    Both lexers stop a block comment at the first ``*/``; in a dialect whose
    comments nest, an inner ``/*`` pushes the end further out.
    """
    if nests_block_comments(dialect) and text.find("/*", start + 2, end) >= 0:
        return nested_comment_end(text, start)
    return end


def _executable_body(match: re.Match[str]) -> str:
    # Same length as the comment, so token offsets still point into the text.
    body = match.group(2)
    return " " * (3 + len(match.group(1))) + body + " " * (len(match.group()) - 3 - len(match.group(1)) - len(body))


def unwrap_executable_comments(text: str, dialect: str) -> str:
    """MySQL runs the body of ``/*! ... */`` (mysqldump's wrappers): make it plain SQL."""
    if dialect != MYSQL or "/*!" not in text:
        return text
    return _EXECUTABLE.sub(_executable_body, text)
