"""Table-level lineage of SQL text (Snowflake, Postgres, generic), built on sqlparse.

    >>> lineage = extract_lineage("INSERT INTO t SELECT * FROM s", "postgres")
    >>> [str(n) for n in lineage.inputs], [str(n) for n in lineage.outputs]
    (['s'], ['t'])

The contract is the SQL-lineage contract in the README.  Module map, one job each:

* ``names``      identifiers, table names, folding, equality, printing
* ``result``     the result type and its collector
* ``tokens``     sqlparse's lexer (per-dialect string rules) reduced to flat tokens
* ``fastlex``    one-regex tokenizer for texts too big for the budget
* ``comments``   comment rules by dialect (Snowflake ``//``, Postgres nesting)
* ``script``     psql clean-up and statement splitting
* ``resolver``   current database/schema and session variables
* ``reader``     per-statement token access, name reading, CTE scopes
* ``query``      SELECT/WITH/FROM/JOIN/subquery reading
* ``dml``, ``ddl``, ``copying``, ``session``   per-statement-kind readers
* ``procedural`` Snowflake Scripting / PL/pgSQL prefixes, DO and EXECUTE bodies
* ``statements`` dispatch by statement kind
* ``fallback``   bounded flat scan when structured reading gives up
* ``extract``    the never-failing, time-bounded entry point
"""

from secoda_listener.sql.extract import extract_lineage
from secoda_listener.sql.names import Identifier, TableName
from secoda_listener.sql.result import SqlLineage

__all__ = ["Identifier", "SqlLineage", "TableName", "extract_lineage"]
