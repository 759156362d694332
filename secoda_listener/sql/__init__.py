"""Table-level lineage of SQL text, built on sqlparse's lexer.

Dialects: ``snowflake``, ``postgres``, ``bigquery``, ``redshift``,
``databricks``, ``mysql`` and ``generic`` (aliases: ``postgresql``, ``pg``,
``psql``, ``mariadb``, ``spark``, ``sparksql``).

    >>> lineage = extract_lineage("INSERT INTO t SELECT * FROM s", "postgres")
    >>> [str(n) for n in lineage.inputs], [str(n) for n in lineage.outputs]
    (['s'], ['t'])

The contract is the SQL-lineage contract in the README (sql-lineage.md) and,
for BigQuery, Redshift, Databricks and MySQL, sql-lineage-dialects.md.
Module map, one job each:

* ``names``      identifiers, table names, folding, equality, printing (per-dialect case rules)
* ``name_forms`` dialect forms of written names: BigQuery paths, dashes, ``$`` decorators and
  INFORMATION_SCHEMA, Redshift ``#temp``, MySQL ``2024_t``, Databricks ``format.`path```
* ``result``     the result type and its collector
* ``tokens``     sqlparse's lexer (per-dialect string and quoting rules) reduced to flat tokens
* ``fastlex``    one-regex tokenizer for texts too big for the budget
* ``comments``   comment rules by dialect (Snowflake ``//``, BigQuery/MySQL ``#``, Postgres
  nesting, MySQL ``/*! ... */``)
* ``script``     psql clean-up and statement splitting
* ``resolver``   current database/schema (per-dialect levels) and session variables
* ``reader``     per-statement token access, name reading, CTE scopes
* ``query``      SELECT/WITH/FROM/JOIN/subquery reading;  ``spans``  where [...] and CASE end
* ``dml``, ``ddl``, ``copying``, ``session``   per-statement-kind readers
* ``loading``    LOAD DATA, BigQuery EXPORT DATA, Redshift UNLOAD
* ``multi_table`` MySQL multi-table UPDATE/DELETE and RENAME TABLE lists
* ``procedural`` Snowflake Scripting / PL/pgSQL / BigQuery scripting prefixes, DO and EXECUTE bodies
* ``statements`` dispatch by statement kind (shared readers, then each dialect's own)
* ``fallback``   bounded flat scan when structured reading gives up
* ``extract``    the never-failing, time-bounded entry point
"""

from secoda_listener.sql.extract import extract_lineage
from secoda_listener.sql.names import Identifier, TableName
from secoda_listener.sql.result import SqlLineage

__all__ = ["Identifier", "SqlLineage", "TableName", "extract_lineage"]
