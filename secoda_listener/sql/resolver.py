"""Session state that changes what a written name means (rule 7 of the spec).

Purely syntactic: ``USE``, ``SET search_path``, ``RESET`` and Snowflake
session variables are applied in statement order, and each table name is
qualified with whatever database/schema is current at that point.

The levels are the dialect's: BigQuery project/dataset, Databricks
catalog/schema (``USE CATALOG`` resets the schema to ``default``), MySQL a
single level, its database, held as the schema (the database is never used).
"""

from __future__ import annotations

from collections.abc import Sequence

from secoda_listener.sql.names import MYSQL, Identifier, TableName, split_dotted

# A bound on session variables kept, so a hostile script cannot grow memory.
_MAX_VARIABLES = 10_000


class NameResolver:
    """Current database/schema and session variables; turns parts into TableNames."""

    def __init__(
        self,
        dialect: str,
        default_database: Identifier | None,
        default_schema: Identifier | None,
    ) -> None:
        self.dialect = dialect
        if dialect == MYSQL:
            default_database = None  # database.table: a MySQL database is our schema level
        self.default_database = default_database
        self.default_schema = default_schema
        self.database = default_database
        self.schema = default_schema
        self.variables: dict[str, str] = {}

    # -- session changes ---------------------------------------------------

    def use_database(self, name: Identifier) -> None:
        self.database = name

    def use_schema(self, parts: Sequence[Identifier]) -> None:
        """``USE SCHEMA s`` sets the schema; ``USE SCHEMA d.s`` sets both."""
        if not parts:
            return
        if len(parts) >= 2:
            self.database = parts[-2]
        self.schema = parts[-1]

    def use_catalog(self, name: Identifier) -> None:
        """Databricks ``USE CATALOG c``: the schema goes back to ``default``."""
        self.database = name
        self.schema = Identifier("default", False)

    def set_schema(self, name: Identifier | None) -> None:
        """``SET search_path``: None means back to the default."""
        self.schema = name if name is not None else self.default_schema

    def reset_schema(self) -> None:
        self.schema = self.default_schema

    def set_variable(self, name: str, value: str) -> None:
        if len(self.variables) < _MAX_VARIABLES or name.upper() in self.variables:
            self.variables[name.upper()] = value

    def unset_variable(self, name: str) -> None:
        self.variables.pop(name.upper(), None)

    def variable(self, name: str) -> str | None:
        return self.variables.get(name.lstrip("$").upper())

    # -- qualification -------------------------------------------------------

    def default_schema_part(self) -> Identifier:
        # Snowflake db..t means the PUBLIC schema (the spec writes it db.public.t;
        # unquoted, so it still equals PUBLIC); Postgres has the same default.
        return Identifier("public", False)

    def qualify(self, parts: Sequence[Identifier | None]) -> TableName | None:
        """Apply current schema to 1-part names and current database to 2-part names."""
        filled = [p if p is not None else self.default_schema_part() for p in parts]
        if not filled or not filled[-1].text:
            return None
        # A name with an empty leading part (".t") is malformed; keep what is there.
        filled = [p for p in filled if p.text or p.quoted]
        if len(filled) == 1 and self.schema is not None:
            filled.insert(0, self.schema)
        if len(filled) == 2 and self.database is not None:
            filled.insert(0, self.database)
        return TableName(tuple(filled), self.dialect)

    def qualify_string(self, text: str) -> TableName | None:
        """A name written inside a string (IDENTIFIER('x.y'), SET v = 'x.y')."""
        return self.qualify(split_dotted(text))

    def with_prefix_of(self, old: TableName, new_table: Identifier) -> TableName:
        """Postgres ``RENAME TO n``: the new name stays in the old table's schema."""
        return TableName((*old.parts[:-1], new_table), self.dialect)
