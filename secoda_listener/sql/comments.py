"""Comment rules that differ by dialect, shared by both tokenizers.

* Snowflake also starts a line comment with ``//`` (besides ``--``).
* Postgres block comments nest: ``/* a /* b */ still comment */``.
"""

from __future__ import annotations

import re

from secoda_listener.sql.names import POSTGRES, SNOWFLAKE

# Extra line-comment patterns per dialect (regex text, to the end of the line).
LINE_COMMENTS: dict[str, tuple[str, ...]] = {SNOWFLAKE: (r"//[^\r\n]*",)}

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
