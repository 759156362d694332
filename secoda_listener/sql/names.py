"""Identifiers and table names: quoting, case folding, equality, printing.

A table name is kept exactly as written (text and quotedness of each part) so
that ``str()`` can reproduce it; equality and hashing go through a normalised
key that applies the engine's folding rule, so ``ORDERS``, ``orders`` and (on
Snowflake) ``"ORDERS"`` are one table while ``"Orders"`` is another.
"""

from __future__ import annotations

import attrs

SNOWFLAKE = "snowflake"
POSTGRES = "postgres"
GENERIC = "generic"
DIALECTS: tuple[str, ...] = (SNOWFLAKE, POSTGRES, GENERIC)


def fold(text: str, dialect: str) -> str:
    """How the engine stores an unquoted identifier (Snowflake upper, others lower)."""
    return text.upper() if dialect == SNOWFLAKE else text.lower()


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
        return self.text if self.quoted else fold(self.text, dialect)


@attrs.frozen(eq=False)
class TableName:
    """A (possibly qualified) table name: ``parts`` is database, schema, table."""

    parts: tuple[Identifier, ...]
    dialect: str = GENERIC

    @property
    def key(self) -> tuple[str, ...]:
        """The normalised name used for equality (same as the OpenLineage parts)."""
        return tuple(part.key(self.dialect) for part in self.parts)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, TableName):
            return NotImplemented
        return self.key == other.key

    def __hash__(self) -> int:
        return hash(self.key)

    def __str__(self) -> str:
        return ".".join(str(part) for part in self.parts)

    def openlineage_name(self) -> str:
        """Dotted dataset name following OpenLineage's convention for the platform."""
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


def split_dotted(text: str) -> list[Identifier | None]:
    """Split ``a."b.c".d`` into identifiers; an empty part (``db..t``) becomes None.

    Used for names inside strings (``IDENTIFIER('x.y')``, ``SET v = 'x.y'``,
    defaults) where the SQL lexer never saw the dots.
    """
    parts: list[Identifier | None] = []
    i, n = 0, len(text)
    while True:
        while i < n and text[i].isspace():
            i += 1
        if i < n and text[i] == '"':
            # Quoted part: read up to the closing quote, "" is an escaped quote.
            i += 1
            chars: list[str] = []
            while i < n:
                if text[i] == '"':
                    if i + 1 < n and text[i + 1] == '"':
                        chars.append('"')
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
