"""Identifiers and table names: quoting, case folding, equality, printing.

A table name is kept exactly as written (text and quotedness of each part) so
that ``str()`` can reproduce it; equality and hashing go through a normalised
key that applies the engine's folding rule, so ``ORDERS``, ``orders`` and (on
Snowflake) ``"ORDERS"`` are one table while ``"Orders"`` is another.

BigQuery, Redshift, Databricks and MySQL (sql-lineage-dialects.md, section 2)
ignore quotedness when comparing: Redshift, Databricks and MySQL compare every
part in lower case; BigQuery keeps dataset and table case and lower-cases the
project of a 3-part name.  Their ``str()`` double-quotes a part only when its
text needs it (a dot, a quote, a backtick or whitespace).
"""

from __future__ import annotations

import attrs

SNOWFLAKE = "snowflake"
POSTGRES = "postgres"
GENERIC = "generic"
BIGQUERY = "bigquery"
REDSHIFT = "redshift"
DATABRICKS = "databricks"
MYSQL = "mysql"
DIALECTS: tuple[str, ...] = (SNOWFLAKE, POSTGRES, GENERIC, BIGQUERY, REDSHIFT, DATABRICKS, MYSQL)
# Dialects whose names compare without regard to quoting (section 2 of the dialect spec).
QUOTE_BLIND = frozenset({BIGQUERY, REDSHIFT, DATABRICKS, MYSQL})
# Dialects whose identifiers are quoted with backticks, and whose "..." is a string.
BACKTICK_DIALECTS = frozenset({BIGQUERY, DATABRICKS, MYSQL})
_NEEDS_QUOTES = frozenset('."`')


def fold(text: str, dialect: str) -> str:
    """How the engine stores an unquoted identifier (Snowflake upper, others lower; BigQuery keeps it)."""
    if dialect == SNOWFLAKE:
        return text.upper()
    return text if dialect == BIGQUERY else text.lower()


def cte_key(part: Identifier, dialect: str) -> str:
    """How CTE names compare: case-insensitively in the four quote-blind dialects."""
    return part.text.lower() if dialect in QUOTE_BLIND else part.key(dialect)


def _reported(part: Identifier) -> str:
    """A quote-blind dialect's part: bare unless its text needs double quotes."""
    text = part.text
    if not text or any(c in _NEEDS_QUOTES or c.isspace() for c in text):
        return '"' + text.replace('"', '""') + '"'
    return text


@attrs.frozen
class Identifier:
    """One part of a name, as written: its text (without quotes) and whether it was quoted."""

    text: str
    quoted: bool = False

    def __str__(self) -> str:
        if self.quoted:
            return '"' + self.text.replace('"', '""') + '"'
        return self.text

    def key(self, dialect: str) -> str:
        # A quoted part keeps its exact text; an unquoted part is folded.  This
        # makes a quoted part that equals the folded form (Snowflake "ORDERS")
        # compare equal to the plain identifier, exactly as the engine does.
        # In the quote-blind dialects quoting changes nothing: fold both.
        if dialect in QUOTE_BLIND:
            return fold(self.text, dialect)
        return self.text if self.quoted else fold(self.text, dialect)


@attrs.frozen(eq=False)
class TableName:
    """A (possibly qualified) table name: ``parts`` is database, schema, table."""

    parts: tuple[Identifier, ...]
    dialect: str = GENERIC

    @property
    def key(self) -> tuple[str, ...]:
        """The normalised name used for equality (same as the OpenLineage parts)."""
        key = tuple(part.key(self.dialect) for part in self.parts)
        if self.dialect == BIGQUERY and len(key) == 3:
            # BigQuery project ids are lower-case by construction: compare them so.
            key = (key[0].lower(), *key[1:])
        return key

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, TableName):
            return NotImplemented
        return self.key == other.key

    def __hash__(self) -> int:
        return hash(self.key)

    def __str__(self) -> str:
        if self.dialect in QUOTE_BLIND:
            return ".".join(_reported(part) for part in self.parts)
        return ".".join(str(part) for part in self.parts)

    def openlineage_name(self) -> str:
        """Dotted dataset name following OpenLineage's convention for the platform.

        Snowflake ``DB.SCHEMA.TABLE``, Postgres/Redshift ``db.schema.table``,
        BigQuery ``project.dataset.table``, Databricks ``catalog.schema.table``,
        MySQL ``database.table``: the parts as the engine compares them.
        """
        return ".".join(self.key)

    def _part(self, from_end: int) -> str | None:
        return self.parts[-from_end].text if len(self.parts) >= from_end else None

    @property
    def table(self) -> str | None:
        return self._part(1)

    @property
    def schema(self) -> str | None:
        return self._part(2)

    @property
    def database(self) -> str | None:
        return self._part(3)

    @classmethod
    def parse(cls, text: str, dialect: str = GENERIC) -> TableName:
        """Read a name in ``str()`` form (``db."My Schema".t``) back into a TableName."""
        parts = split_dotted(text)
        return cls(tuple(part or Identifier("") for part in parts), dialect)


def split_dotted(text: str, backticks: bool = False) -> list[Identifier | None]:
    """Split ``a."b.c".d`` into identifiers; an empty part (``db..t``) becomes None.

    Used for names inside strings (``IDENTIFIER('x.y')``, ``SET v = 'x.y'``,
    defaults) where the SQL lexer never saw the dots.  ``backticks``: parts
    are quoted with backticks (Databricks), not double quotes.
    """
    quote = "`" if backticks else '"'
    parts: list[Identifier | None] = []
    i, n = 0, len(text)
    while True:
        while i < n and text[i].isspace():
            i += 1
        if i < n and text[i] == quote:
            # Quoted part: read up to the closing quote, "" is an escaped quote.
            i += 1
            chars: list[str] = []
            while i < n:
                if text[i] == quote:
                    if i + 1 < n and text[i + 1] == quote:
                        chars.append(quote)
                        i += 2
                        continue
                    i += 1
                    break
                chars.append(text[i])
                i += 1
            parts.append(Identifier("".join(chars), True))
            while i < n and text[i] != ".":
                i += 1
        else:
            end = text.find(".", i)
            end = n if end < 0 else end
            word = text[i:end].strip()
            parts.append(Identifier(word, False) if word else None)
            i = end
        if i >= n:
            return parts
        i += 1  # the dot


def identifier_from_setting(value: str) -> Identifier | None:
    """A default database/schema given as a plain string (optionally double-quoted)."""
    value = value.strip()
    if not value:
        return None
    parts = split_dotted(value)
    return parts[-1] if parts and parts[-1] is not None else Identifier(value, False)
