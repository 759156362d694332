"""Hand-written BigQuery corpus: sql-lineage-dialects.md sections 1-3, expectations by hand.

Names are written in the canonical form of section 2 (parts bare unless they
need double quotes; a project part compared in lower case).  Category
``malformed`` holds broken statements next to good ones (errors expected);
category ``case`` holds cases whose first spelling differs from the
canonical one.  Loaded by path (``cases.load_corpus``): import nothing else
from the test suite.
"""

from __future__ import annotations

from tests.sql.cases import BQ, new_corpus

CASES, case = new_corpus()
P, D = "proj", "ds"  # default project (database) and dataset (schema)

# ------------------------------------------------------------------ names and levels
case("bq-3part-backtick-path", "names", BQ, "SELECT a FROM `proj.sales.orders`", ["proj.sales.orders"])
case(
    "bq-path-quoting-forms",
    "names",
    BQ,
    "SELECT * FROM `p`.sales.t1 JOIN `p.sales`.t2 USING (id) JOIN `p`.`sales`.`t3` USING (id)",
    ["p.sales.t1", "p.sales.t2", "p.sales.t3"],
)
case(
    "bq-path-three-forms-one-table",
    "names",
    BQ,
    "SELECT * FROM `p.d.t` JOIN `p`.`d`.`t` USING (id) JOIN `p`.d.t USING (id)",
    ["p.d.t"],
)
case("bq-dashed-project", "names", BQ, "SELECT * FROM my-project-1.sales.orders", ["my-project-1.sales.orders"])
case(
    "bq-dashed-project-backticks",
    "names",
    BQ,
    "SELECT * FROM `my-project-1`.sales.orders o",
    ["my-project-1.sales.orders"],
)
case(
    "bq-project-case-insensitive",
    "case",
    BQ,
    "SELECT * FROM `My-Proj.ds.t` JOIN `my-proj`.ds.t USING (id)",
    ["my-proj.ds.t"],
)
case(
    "bq-dataset-table-case-sensitive",
    "names",
    BQ,
    "SELECT * FROM ds.Orders JOIN ds.orders USING (id) JOIN DS.orders USING (id)",
    ["ds.Orders", "ds.orders", "DS.orders"],
)
case("bq-1part-gets-dataset-and-project", "resolution", BQ, "SELECT * FROM orders", ["proj.ds.orders"], db=P, schema=D)
case("bq-2part-gets-project", "resolution", BQ, "SELECT * FROM other.orders", ["proj.other.orders"], db=P, schema=D)
case("bq-3part-stays", "resolution", BQ, "SELECT * FROM p2.other.orders", ["p2.other.orders"], db=P, schema=D)
case("bq-1part-project-only-stays", "resolution", BQ, "SELECT * FROM orders", ["orders"], db=P)
case(
    "bq-1part-dataset-only",
    "resolution",
    BQ,
    "SELECT * FROM orders JOIN x.y USING (id)",
    ["ds.orders", "x.y"],
    schema=D,
)
case("bq-quoted-part-with-space", "names", BQ, "SELECT * FROM ds.`my table`", ['ds."my table"'])
case(
    "bq-double-quotes-are-strings", "names", BQ, 'SELECT * FROM ds.t WHERE name = "ds.other" OR x = "FROM y"', ["ds.t"]
)
case("bq-triple-quoted-string", "names", BQ, "SELECT '''it's FROM x''' AS s, \"\"\"JOIN y\"\"\" FROM ds.t", ["ds.t"])

# ------------------------------------------------------------------ comments
case("bq-hash-comment", "comments", BQ, "SELECT * FROM ds.a # JOIN ds.b\nJOIN ds.c USING (id)", ["ds.a", "ds.c"])
case("bq-hash-comment-no-space", "comments", BQ, "#standardSQL\nSELECT * FROM ds.a #JOIN ds.b", ["ds.a"])
case("bq-dash-and-block-comments", "comments", BQ, "-- FROM ds.x\nSELECT * FROM ds.a /* JOIN ds.b */", ["ds.a"])

# ------------------------------------------------------------------ select shapes
case(
    "bq-joins",
    "select",
    BQ,
    "SELECT * FROM a LEFT JOIN b ON a.id = b.id CROSS JOIN c FULL OUTER JOIN d ON TRUE",
    ["a", "b", "c", "d"],
)
case("bq-comma-join", "select", BQ, "SELECT * FROM ds.a, ds.b AS bb WHERE a.x = bb.x", ["ds.a", "ds.b"])
case(
    "bq-subqueries",
    "select",
    BQ,
    "SELECT * FROM a WHERE id IN (SELECT id FROM b) AND EXISTS (SELECT 1 FROM c WHERE c.id = a.id)",
    ["a", "b", "c"],
)
case("bq-scalar-subquery", "select", BQ, "SELECT (SELECT MAX(x) FROM ds.m) AS mx FROM ds.f", ["ds.m", "ds.f"])
case("bq-derived-table", "select", BQ, "SELECT * FROM (SELECT id FROM ds.events WHERE kind = 'x') sub", ["ds.events"])
case(
    "bq-union-distinct",
    "select",
    BQ,
    "SELECT id FROM a UNION ALL SELECT id FROM b UNION DISTINCT SELECT id FROM c",
    ["a", "b", "c"],
)
case("bq-unnest-column", "table_function", BQ, "SELECT x FROM ds.t, UNNEST(t.arr) AS x", ["ds.t"])
case("bq-unnest-literal", "table_function", BQ, "SELECT * FROM UNNEST([1, 2, 3]) AS n", [])
case(
    "bq-external-query",
    "table_function",
    BQ,
    "SELECT * FROM EXTERNAL_QUERY('proj.us.conn', 'SELECT * FROM pg_table')",
    [],
)
case(
    "bq-qualify-window",
    "select",
    BQ,
    "SELECT * FROM ds.t QUALIFY ROW_NUMBER() OVER (PARTITION BY id ORDER BY ts DESC) = 1",
    ["ds.t"],
)

# ------------------------------------------------------------------ INFORMATION_SCHEMA, wildcards, decorators
case("bq-infoschema-region", "metadata", BQ, "SELECT * FROM `region-us`.INFORMATION_SCHEMA.JOBS_BY_PROJECT", [])
case("bq-infoschema-project-region", "metadata", BQ, "SELECT * FROM proj.`region-eu`.INFORMATION_SCHEMA.TABLES", [])
case("bq-infoschema-dataset", "metadata", BQ, "SELECT * FROM ds.INFORMATION_SCHEMA.COLUMNS", [], db=P, schema=D)
case(
    "bq-infoschema-project-dataset",
    "metadata",
    BQ,
    "SELECT t.table_name FROM `proj.ds.INFORMATION_SCHEMA.TABLES` t JOIN ds.t2 USING (table_name)",
    ["ds.t2"],
)
case("bq-infoschema-unquoted-region", "metadata", BQ, "SELECT * FROM region-us.INFORMATION_SCHEMA.JOBS", [])
case(
    "bq-wildcard-table",
    "wildcard",
    BQ,
    "SELECT * FROM `proj.ds.events_*` WHERE _TABLE_SUFFIX BETWEEN '20240101' AND '20240131'",
    ["proj.ds.events_*"],
)
case(
    "bq-wildcard-table-defaults",
    "wildcard",
    BQ,
    "SELECT * FROM `ds.events_2024*`",
    ["proj.ds.events_2024*"],
    db=P,
    schema=D,
)
case(
    "bq-sharded-table-as-written",
    "wildcard",
    BQ,
    "SELECT * FROM ds.events_20240101 JOIN ds.events_20240102 USING (id)",
    ["ds.events_20240101", "ds.events_20240102"],
)
case("bq-partition-decorator", "decorator", BQ, "SELECT * FROM `proj.ds.t$20240101`", ["proj.ds.t"])
case(
    "bq-decorator-insert",
    "decorator",
    BQ,
    "INSERT INTO `proj.ds.t$20240101` SELECT * FROM ds.s",
    ["ds.s"],
    ["proj.ds.t"],
)
case(
    "bq-time-travel-join",
    "decorator",
    BQ,
    "SELECT * FROM ds.t FOR SYSTEM_TIME AS OF TIMESTAMP_SUB(CURRENT_TIMESTAMP(), INTERVAL 1 HOUR) JOIN ds.u USING (id)",
    ["ds.t", "ds.u"],
)
case(
    "bq-time-travel-comma",
    "decorator",
    BQ,
    "SELECT * FROM ds.t FOR SYSTEM_TIME AS OF '2024-01-01', ds.u WHERE t.id = u.id",
    ["ds.t", "ds.u"],
)

# ------------------------------------------------------------------ CTEs
case("bq-cte", "cte", BQ, "WITH c AS (SELECT * FROM ds.src) SELECT * FROM c", ["ds.src"])
case(
    "bq-cte-case-insensitive",
    "cte",
    BQ,
    "WITH Recent AS (SELECT * FROM ds.src) SELECT * FROM RECENT JOIN recent r2 USING (id)",
    ["ds.src"],
)
case("bq-cte-own-name-is-table", "cte", BQ, "WITH t AS (SELECT * FROM t) SELECT * FROM t", ["t"])
case(
    "bq-cte-sees-earlier-only", "cte", BQ, "WITH a AS (SELECT * FROM b), b AS (SELECT * FROM a) SELECT * FROM b", ["b"]
)
case(
    "bq-cte-recursive",
    "cte",
    BQ,
    "WITH RECURSIVE r AS (SELECT 1 AS n UNION ALL SELECT n + 1 FROM r WHERE n < 5) SELECT * FROM r",
    [],
)
case(
    "bq-insert-with-cte",
    "cte",
    BQ,
    "INSERT INTO ds.t WITH c AS (SELECT * FROM ds.s) SELECT * FROM c",
    ["ds.s"],
    ["ds.t"],
)

# ------------------------------------------------------------------ DML
case("bq-insert-values", "insert", BQ, "INSERT INTO ds.t (a, b) VALUES (1, 'x')", [], ["ds.t"])
case("bq-insert-without-into", "insert", BQ, "INSERT ds.t SELECT * FROM ds.s", ["ds.s"], ["ds.t"])
case("bq-insert-self-read", "insert", BQ, "INSERT ds.t (a) SELECT a FROM ds.t WHERE a > 0", ["ds.t"], ["ds.t"])
case("bq-insert-defaults", "insert", BQ, "INSERT INTO t SELECT * FROM s", ["proj.ds.s"], ["proj.ds.t"], db=P, schema=D)
case(
    "bq-merge-insert-row",
    "merge",
    BQ,
    "MERGE ds.t T USING ds.s S ON T.id = S.id WHEN MATCHED THEN UPDATE SET v = S.v WHEN NOT MATCHED THEN INSERT ROW",
    ["ds.s"],
    ["ds.t"],
)
case(
    "bq-merge-subquery-source",
    "merge",
    BQ,
    "MERGE INTO ds.t USING (SELECT * FROM ds.a JOIN ds.b USING (id)) s ON FALSE "
    "WHEN NOT MATCHED BY SOURCE THEN DELETE WHEN NOT MATCHED THEN INSERT (id) VALUES (id)",
    ["ds.a", "ds.b"],
    ["ds.t"],
)
case("bq-update-from", "update", BQ, "UPDATE ds.t SET v = s.v FROM ds.s WHERE s.id = t.id", ["ds.s"], ["ds.t"])
case("bq-update-subquery", "update", BQ, "UPDATE ds.t SET v = (SELECT MAX(v) FROM ds.m) WHERE TRUE", ["ds.m"], ["ds.t"])
case("bq-delete-without-from", "delete", BQ, "DELETE ds.t WHERE id IN (SELECT id FROM ds.gone)", ["ds.gone"], ["ds.t"])
case("bq-delete-from", "delete", BQ, "DELETE FROM ds.t WHERE TRUE", [], ["ds.t"])
case("bq-truncate", "truncate", BQ, "TRUNCATE TABLE ds.t", [], ["ds.t"])

# ------------------------------------------------------------------ DDL
case("bq-ctas-or-replace", "create", BQ, "CREATE OR REPLACE TABLE ds.t AS SELECT * FROM ds.s", ["ds.s"], ["ds.t"])
case(
    "bq-temp-table-defaults",
    "create",
    BQ,
    "CREATE TEMP TABLE tmp AS SELECT * FROM s",
    ["proj.ds.s"],
    ["proj.ds.tmp"],
    db=P,
    schema=D,
)
case(
    "bq-create-if-not-exists-options",
    "create",
    BQ,
    "CREATE TABLE IF NOT EXISTS ds.t (id INT64, ts TIMESTAMP) PARTITION BY DATE(ts) CLUSTER BY id "
    "OPTIONS (description = 'from x')",
    [],
    ["ds.t"],
)
case(
    "bq-materialized-view",
    "create",
    BQ,
    "CREATE MATERIALIZED VIEW ds.mv AS SELECT id, COUNT(*) c FROM ds.s GROUP BY id",
    ["ds.s"],
    ["ds.mv"],
)
case(
    "bq-view-options",
    "create",
    BQ,
    "CREATE OR REPLACE VIEW `proj.ds.v` OPTIONS (friendly_name = 'v') AS SELECT * FROM ds.s",
    ["ds.s"],
    ["proj.ds.v"],
)
case(
    "bq-temp-table-without-query",
    "create",
    BQ,
    "CREATE TEMPORARY TABLE t (a INT64, b STRING)",
    [],
    ["proj.ds.t"],
    db=P,
    schema=D,
)
case("bq-clone", "create", BQ, "CREATE OR REPLACE TABLE ds.c CLONE ds.s", ["ds.s"], ["ds.c"])
case(
    "bq-snapshot-clone",
    "create",
    BQ,
    "CREATE SNAPSHOT TABLE ds.snap CLONE ds.s FOR SYSTEM_TIME AS OF '2024-01-01'",
    ["ds.s"],
    ["ds.snap"],
)
case("bq-copy", "create", BQ, "CREATE TABLE ds.c COPY ds.s", ["ds.s"], ["ds.c"])
case("bq-like", "create", BQ, "CREATE TABLE ds.c LIKE ds.s", ["ds.s"], ["ds.c"])
case(
    "bq-external-table",
    "create",
    BQ,
    "CREATE EXTERNAL TABLE ds.ext OPTIONS (format = 'CSV', uris = ['gs://b/*.csv'])",
    [],
    ["ds.ext"],
)

# ------------------------------------------------------------------ EXPORT / LOAD
case(
    "bq-export-data",
    "export",
    BQ,
    "EXPORT DATA OPTIONS (uri = 'gs://bucket/out/*.csv', format = 'CSV', overwrite = true) AS SELECT * FROM ds.t ORDER BY id",
    ["ds.t"],
)
case(
    "bq-export-data-connection",
    "export",
    BQ,
    "EXPORT DATA WITH CONNECTION `proj.us.conn` OPTIONS (uri = 's3://b/x/*', format = 'PARQUET') "
    "AS SELECT a FROM ds.t JOIN ds.u USING (id)",
    ["ds.t", "ds.u"],
)
case(
    "bq-load-data-into",
    "load",
    BQ,
    "LOAD DATA INTO ds.t FROM FILES (format = 'CSV', uris = ['gs://b/*.csv'])",
    [],
    ["ds.t"],
)
case(
    "bq-load-data-overwrite",
    "load",
    BQ,
    "LOAD DATA OVERWRITE ds.t (id INT64) FROM FILES (format = 'PARQUET', uris = ['gs://b/*'])",
    [],
    ["ds.t"],
)
case(
    "bq-load-data-defaults",
    "load",
    BQ,
    "LOAD DATA INTO t FROM FILES (format = 'AVRO', uris = ['gs://b/x'])",
    [],
    ["proj.ds.t"],
    db=P,
    schema=D,
)

# ------------------------------------------------------------------ ALTER / DROP
case("bq-rename-stays-in-dataset", "alter", BQ, "ALTER TABLE ds.t RENAME TO t2", ["ds.t"], ["ds.t2"])
case("bq-rename-defaults", "alter", BQ, "ALTER TABLE t RENAME TO t2", ["proj.ds.t"], ["proj.ds.t2"], db=P, schema=D)
case("bq-drop-table", "drop", BQ, "DROP TABLE ds.t", [], ["ds.t"])
case("bq-drop-snapshot", "drop", BQ, "DROP SNAPSHOT TABLE IF EXISTS ds.snap", [], ["ds.snap"])
case("bq-drop-view", "drop", BQ, "DROP VIEW ds.v; DROP MATERIALIZED VIEW ds.mv", [], ["ds.v", "ds.mv"])

# ------------------------------------------------------------------ scripting and no-lineage statements
for i, sql in enumerate(
    [
        "ALTER TABLE ds.t SET OPTIONS (description = 'x')",
        "ALTER TABLE ds.t ADD COLUMN c STRING",
        "ALTER TABLE ds.t DROP COLUMN c",
        "DECLARE x INT64 DEFAULT 0",
        "SET x = 5",
        "CALL ds.proc()",
        "ASSERT x > 0 AS 'x positive'",
        "EXECUTE IMMEDIATE 'INSERT INTO ds.t SELECT * FROM ds.s'",
        "CREATE TEMP FUNCTION f(x INT64) AS (x + 1)",
        "CREATE TABLE FUNCTION ds.tf(n INT64) AS SELECT * FROM ds.s WHERE id = n",
        "DROP FUNCTION ds.f",
        "CREATE SCHEMA IF NOT EXISTS proj.ds2 OPTIONS (location = 'EU')",
        "DROP SCHEMA ds2 CASCADE",
        "GRANT `roles/bigquery.dataViewer` ON TABLE ds.t TO 'user:a@example.com'",
        "BEGIN TRANSACTION",
        "COMMIT TRANSACTION",
        "ALTER SCHEMA ds SET OPTIONS (default_table_expiration_days = 7)",
        "REVOKE `roles/bigquery.dataViewer` ON TABLE ds.t FROM 'user:a@example.com'",
        "EXPLAIN SELECT * FROM ds.t",
    ]
):
    case(f"bq-no-lineage-{i}", "no_lineage", BQ, sql, [], [])
case("bq-script-block", "script", BQ, "BEGIN\n  INSERT INTO ds.t SELECT * FROM ds.s;\nEND;", ["ds.s"], ["ds.t"])
case(
    "bq-transaction-script",
    "script",
    BQ,
    "BEGIN TRANSACTION; DELETE ds.t WHERE TRUE; COMMIT TRANSACTION;",
    [],
    ["ds.t"],
)
case(
    "bq-if-block",
    "script",
    BQ,
    "DECLARE n INT64;\nIF (SELECT COUNT(*) FROM ds.s) > 0 THEN\n  INSERT INTO ds.t SELECT * FROM ds.s;\nEND IF;",
    ["ds.s"],
    ["ds.t"],
)
case(
    "bq-multi-statement-temp",
    "multi",
    BQ,
    "CREATE TEMP TABLE stage AS SELECT * FROM raw; INSERT INTO final SELECT * FROM stage; DROP TABLE stage",
    ["proj.ds.raw", "proj.ds.stage"],
    ["proj.ds.stage", "proj.ds.final"],
    db=P,
    schema=D,
)

# ------------------------------------------------------------------ malformed next to good
case(
    "bq-malformed-paren",
    "malformed",
    BQ,
    "SELECT * FROM ds.a WHERE (; INSERT INTO ds.t SELECT * FROM ds.s",
    ["ds.a", "ds.s"],
    ["ds.t"],
)
case("bq-malformed-empty-insert", "malformed", BQ, "INSERT INTO; SELECT * FROM ds.ok", ["ds.ok"])
case(
    "bq-malformed-garbage",
    "malformed",
    BQ,
    "FROM WHERE SELECT; MERGE ds.t USING ds.s ON TRUE WHEN MATCHED THEN DELETE",
    ["ds.s"],
    ["ds.t"],
)
