"""Hand-written Databricks (Databricks SQL / Spark SQL) corpus: sql-lineage-dialects.md sections 1, 2 and 5.

Names in the canonical form of section 2: every part compared in lower case,
quoted or not; double quotes only around parts that need them.  Category
``malformed``: broken statements next to good ones (errors expected);
``case``: first spelling differs from the canonical one.
"""

from __future__ import annotations

from tests.sql.cases import DBX, new_corpus

CASES, case = new_corpus()
CAT, SC = "main", "sales"

# ------------------------------------------------------------------ levels and USE
case("dbx-1part-defaults", "resolution", DBX, "SELECT * FROM t", ["main.sales.t"], db=CAT, schema=SC)
case("dbx-2part-gets-catalog", "resolution", DBX, "SELECT * FROM s2.t", ["main.s2.t"], db=CAT, schema=SC)
case("dbx-3part-stays", "resolution", DBX, "SELECT * FROM dev.s2.t", ["dev.s2.t"], db=CAT, schema=SC)
case("dbx-1part-catalog-only-stays", "resolution", DBX, "SELECT * FROM t", ["t"], db=CAT)
case(
    "dbx-use-catalog-resets-schema",
    "resolution",
    DBX,
    "USE CATALOG dev; SELECT * FROM t",
    ["dev.default.t"],
    db=CAT,
    schema=SC,
)
case("dbx-use-catalog-2part", "resolution", DBX, "USE CATALOG dev; SELECT * FROM s.t", ["dev.s.t"], db=CAT, schema=SC)
case(
    "dbx-use-catalog-no-defaults",
    "resolution",
    DBX,
    "USE CATALOG dev; INSERT INTO t SELECT * FROM s.u",
    ["dev.s.u"],
    ["dev.default.t"],
)
case("dbx-use-schema", "resolution", DBX, "USE SCHEMA etl; SELECT * FROM t", ["main.etl.t"], db=CAT, schema=SC)
case("dbx-use-database", "resolution", DBX, "USE DATABASE etl; SELECT * FROM t", ["main.etl.t"], db=CAT, schema=SC)
case("dbx-use-bare", "resolution", DBX, "USE etl; SELECT * FROM t", ["main.etl.t"], db=CAT, schema=SC)
case("dbx-use-2part", "resolution", DBX, "USE dev.etl; SELECT * FROM t", ["dev.etl.t"], db=CAT, schema=SC)
case(
    "dbx-use-schema-2part",
    "resolution",
    DBX,
    "USE SCHEMA dev.etl; SELECT * FROM t JOIN x.y USING (id)",
    ["dev.etl.t", "dev.x.y"],
    db=CAT,
    schema=SC,
)
case(
    "dbx-use-then-catalog",
    "resolution",
    DBX,
    "USE SCHEMA etl; USE CATALOG dev; SELECT * FROM t",
    ["dev.default.t"],
    db=CAT,
    schema=SC,
)

# ------------------------------------------------------------------ quoting and case
case(
    "dbx-case-insensitive",
    "case",
    DBX,
    "SELECT * FROM `Sales`.`Orders` JOIN sales.orders USING (id) JOIN SALES.ORDERS USING (id)",
    ["sales.orders"],
)
case("dbx-backtick-special", "names", DBX, "SELECT * FROM `my catalog`.`my schema`.t", ['"my catalog"."my schema".t'])
case("dbx-double-quotes-are-strings", "names", DBX, 'SELECT * FROM t WHERE x = "FROM other" AND y = "it\\"s"', ["t"])
case("dbx-backtick-plain-part", "names", DBX, "SELECT * FROM `etl`.`t`", ["etl.t"])

# ------------------------------------------------------------------ IDENTIFIER()
case(
    "dbx-identifier-literal", "identifier", DBX, "SELECT * FROM IDENTIFIER('main.sales.orders')", ["main.sales.orders"]
)
case(
    "dbx-identifier-1part-defaults",
    "identifier",
    DBX,
    "SELECT * FROM IDENTIFIER('orders')",
    ["main.sales.orders"],
    db=CAT,
    schema=SC,
)
case("dbx-identifier-named-marker", "identifier", DBX, "SELECT * FROM IDENTIFIER(:tbl)", [])
case(
    "dbx-identifier-positional-marker", "identifier", DBX, "SELECT * FROM IDENTIFIER(?) JOIN real USING (id)", ["real"]
)
case("dbx-identifier-variable", "identifier", DBX, "SELECT * FROM IDENTIFIER(tbl_var)", [])
case("dbx-identifier-concat", "identifier", DBX, "SELECT * FROM IDENTIFIER('a.' || 'b')", [])
case(
    "dbx-identifier-insert", "identifier", DBX, "INSERT INTO IDENTIFIER('sales.t') SELECT * FROM s", ["s"], ["sales.t"]
)

# ------------------------------------------------------------------ files are not tables
case("dbx-parquet-path", "files", DBX, "SELECT * FROM parquet.`/data/events`", [])
case("dbx-delta-path-join", "files", DBX, "SELECT * FROM delta.`s3://bucket/tbl` d JOIN t USING (id)", ["t"])
case("dbx-json-volume", "files", DBX, "SELECT * FROM json.`/Volumes/main/raw/files/x.json`", [])
case("dbx-csv-dbfs", "files", DBX, "SELECT * FROM csv.`dbfs:/mnt/x.csv`", [])
case("dbx-read-files", "files", DBX, "SELECT * FROM read_files('/Volumes/main/raw/landing', format => 'csv')", [])
case("dbx-range", "table_function", DBX, "SELECT * FROM range(10)", [])

# ------------------------------------------------------------------ select shapes
case("dbx-joins", "select", DBX, "SELECT * FROM a JOIN b ON a.id = b.id RIGHT JOIN c ON c.id = a.id", ["a", "b", "c"])
case(
    "dbx-semi-anti-join",
    "select",
    DBX,
    "SELECT * FROM a LEFT SEMI JOIN b ON a.id = b.id LEFT ANTI JOIN c ON a.id = c.id",
    ["a", "b", "c"],
)
case(
    "dbx-lateral-view",
    "select",
    DBX,
    "SELECT a.id, x, k FROM a LATERAL VIEW explode(a.arr) t AS x LATERAL VIEW OUTER json_tuple(a.j, 'k') j AS k",
    ["a"],
)
case(
    "dbx-subqueries",
    "select",
    DBX,
    "SELECT * FROM a WHERE id IN (SELECT id FROM b) AND EXISTS (SELECT 1 FROM c)",
    ["a", "b", "c"],
)
case(
    "dbx-time-travel",
    "select",
    DBX,
    "SELECT * FROM t VERSION AS OF 3 JOIN u TIMESTAMP AS OF '2024-01-01' USING (id)",
    ["t", "u"],
)

# ------------------------------------------------------------------ CTEs
case("dbx-cte", "cte", DBX, "WITH c AS (SELECT * FROM s) SELECT * FROM c", ["s"])
case("dbx-cte-without-as", "cte", DBX, "WITH c (SELECT * FROM s) SELECT * FROM C", ["s"])
case("dbx-cte-own-name-is-table", "cte", DBX, "WITH c AS (SELECT * FROM c) SELECT * FROM c", ["c"])
case("dbx-cte-chain", "cte", DBX, "WITH a AS (SELECT * FROM src), B AS (SELECT * FROM A) SELECT * FROM b", ["src"])
case("dbx-cte-insert", "cte", DBX, "WITH c AS (SELECT * FROM s) INSERT INTO t SELECT * FROM c", ["s"], ["t"])

# ------------------------------------------------------------------ INSERT
case("dbx-insert-select", "insert", DBX, "INSERT INTO t SELECT * FROM s", ["s"], ["t"])
case(
    "dbx-insert-table-partition",
    "insert",
    DBX,
    "INSERT INTO TABLE t PARTITION (dt = '2024-01-01') SELECT a FROM s",
    ["s"],
    ["t"],
)
case("dbx-insert-overwrite-table", "insert", DBX, "INSERT OVERWRITE TABLE t SELECT * FROM s", ["s"], ["t"])
case("dbx-insert-overwrite-partition", "insert", DBX, "INSERT OVERWRITE t PARTITION (dt) SELECT * FROM s", ["s"], ["t"])
case("dbx-insert-values", "insert", DBX, "INSERT INTO t VALUES (1, 'a'), (2, 'b')", [], ["t"])
case(
    "dbx-insert-overwrite-directory",
    "insert",
    DBX,
    "INSERT OVERWRITE DIRECTORY '/tmp/out' USING parquet SELECT * FROM s",
    ["s"],
)
case(
    "dbx-insert-overwrite-local-directory",
    "insert",
    DBX,
    "INSERT OVERWRITE LOCAL DIRECTORY '/tmp/out' ROW FORMAT DELIMITED FIELDS TERMINATED BY ',' SELECT * FROM s",
    ["s"],
)
case(
    "dbx-insert-overwrite-directory-options",
    "insert",
    DBX,
    "INSERT OVERWRITE DIRECTORY USING json OPTIONS ('path' '/tmp/o') SELECT * FROM s JOIN u USING (id)",
    ["s", "u"],
)

# ------------------------------------------------------------------ CREATE
case(
    "dbx-ctas-full",
    "create",
    DBX,
    "CREATE OR REPLACE TABLE t (id INT, v STRING) USING delta PARTITIONED BY (id) LOCATION '/mnt/t' "
    "TBLPROPERTIES ('a' = 'b') AS SELECT * FROM s",
    ["s"],
    ["t"],
)
case("dbx-ctas-using", "create", DBX, "CREATE TABLE t USING parquet AS SELECT * FROM s", ["s"], ["t"])
case("dbx-ctas-without-as", "create", DBX, "CREATE TABLE t SELECT * FROM s", ["s"], ["t"])
case("dbx-ctas-without-as-using", "create", DBX, "CREATE TABLE t USING delta SELECT * FROM s", ["s"], ["t"])
case(
    "dbx-ctas-buckets",
    "create",
    DBX,
    "CREATE TABLE t CLUSTERED BY (id) INTO 4 BUCKETS AS SELECT * FROM s",
    ["s"],
    ["t"],
)
case("dbx-ctas-comment", "create", DBX, "CREATE TABLE t COMMENT 'FROM x' AS SELECT * FROM s", ["s"], ["t"])
case(
    "dbx-hive-format",
    "create",
    DBX,
    "CREATE TABLE t (id INT) ROW FORMAT DELIMITED FIELDS TERMINATED BY ',' STORED AS TEXTFILE",
    [],
    ["t"],
)
case("dbx-create-if-not-exists", "create", DBX, "CREATE TABLE IF NOT EXISTS t (id INT)", [], ["t"])
case("dbx-temp-view", "create", DBX, "CREATE OR REPLACE TEMP VIEW v AS SELECT * FROM s", ["s"], ["v"])
case("dbx-global-temp-view", "create", DBX, "CREATE GLOBAL TEMPORARY VIEW v AS SELECT * FROM s", ["s"], ["v"])
case("dbx-materialized-view", "create", DBX, "CREATE MATERIALIZED VIEW mv AS SELECT * FROM s", ["s"], ["mv"])
case("dbx-streaming-table", "create", DBX, "CREATE STREAMING TABLE st AS SELECT * FROM s", ["s"], ["st"])
case(
    "dbx-create-or-refresh-streaming",
    "create",
    DBX,
    "CREATE OR REFRESH STREAMING TABLE st AS SELECT * FROM s",
    ["s"],
    ["st"],
)
case("dbx-shallow-clone", "create", DBX, "CREATE TABLE t SHALLOW CLONE s", ["s"], ["t"])
case("dbx-deep-clone", "create", DBX, "CREATE OR REPLACE TABLE t DEEP CLONE etl.s", ["etl.s"], ["t"])
case("dbx-like", "create", DBX, "CREATE TABLE t LIKE s", ["s"], ["t"])

# ------------------------------------------------------------------ COPY INTO
case(
    "dbx-copy-into-path",
    "copy",
    DBX,
    "COPY INTO t FROM '/Volumes/main/raw/files' FILEFORMAT = CSV FORMAT_OPTIONS ('header' = 'true')",
    [],
    ["t"],
)
case(
    "dbx-copy-into-select",
    "copy",
    DBX,
    "COPY INTO t FROM (SELECT _c0::int AS id FROM 's3://b/p') FILEFORMAT = CSV",
    [],
    ["t"],
)
case("dbx-copy-into-validate-rows", "copy", DBX, "COPY INTO t FROM '/p' FILEFORMAT = JSON VALIDATE 15 ROWS", [], [])
case("dbx-copy-into-validate-all", "copy", DBX, "COPY INTO t FROM '/p' FILEFORMAT = PARQUET VALIDATE ALL", [], [])

# ------------------------------------------------------------------ DML / RESTORE / CACHE / REFRESH
case(
    "dbx-merge",
    "merge",
    DBX,
    "MERGE INTO t USING s ON t.id = s.id WHEN MATCHED THEN UPDATE SET * WHEN NOT MATCHED THEN INSERT *",
    ["s"],
    ["t"],
)
case(
    "dbx-merge-subquery",
    "merge",
    DBX,
    "MERGE INTO t USING (SELECT * FROM a) s ON t.id = s.id WHEN NOT MATCHED BY SOURCE THEN DELETE",
    ["a"],
    ["t"],
)
case("dbx-update", "update", DBX, "UPDATE t SET v = 1 WHERE id IN (SELECT id FROM s)", ["s"], ["t"])
case("dbx-delete", "delete", DBX, "DELETE FROM t WHERE id IN (SELECT id FROM s)", ["s"], ["t"])
case("dbx-truncate", "truncate", DBX, "TRUNCATE TABLE t", [], ["t"])
case("dbx-drop", "drop", DBX, "DROP TABLE IF EXISTS t; DROP VIEW v", [], ["t", "v"])
case("dbx-restore-version", "restore", DBX, "RESTORE TABLE t TO VERSION AS OF 3", [], ["t"])
case("dbx-restore-timestamp", "restore", DBX, "RESTORE etl.t TO TIMESTAMP AS OF '2024-01-01'", [], ["etl.t"])
case("dbx-cache-as", "cache", DBX, "CACHE TABLE c AS SELECT * FROM s", ["s"], ["c"])
case(
    "dbx-cache-lazy-options",
    "cache",
    DBX,
    "CACHE LAZY TABLE c OPTIONS ('storageLevel' 'DISK_ONLY') SELECT * FROM s",
    ["s"],
    ["c"],
)
case("dbx-refresh-mv", "refresh", DBX, "REFRESH MATERIALIZED VIEW mv", [], ["mv"])
case("dbx-refresh-streaming", "refresh", DBX, "REFRESH STREAMING TABLE st", [], ["st"])

# ------------------------------------------------------------------ ALTER
case("dbx-rename-qualified", "alter", DBX, "ALTER TABLE main.sales.t RENAME TO t2", ["main.sales.t"], ["main.sales.t2"])
case(
    "dbx-rename-defaults",
    "alter",
    DBX,
    "ALTER TABLE t RENAME TO t2",
    ["main.sales.t"],
    ["main.sales.t2"],
    db=CAT,
    schema=SC,
)
case(
    "dbx-rename-view-other-schema",
    "alter",
    DBX,
    "ALTER VIEW v RENAME TO other.v2",
    ["main.sales.v"],
    ["main.other.v2"],
    db=CAT,
    schema=SC,
)

# ------------------------------------------------------------------ no lineage
for i, sql in enumerate(
    [
        "CACHE TABLE t",
        "UNCACHE TABLE t",
        "UNCACHE TABLE IF EXISTS t",
        "CLEAR CACHE",
        "REFRESH TABLE t",
        "REFRESH FUNCTION f",
        "REFRESH '/mnt/path'",
        "OPTIMIZE t ZORDER BY (a)",
        "OPTIMIZE t WHERE dt >= '2024-01-01'",
        "VACUUM t RETAIN 168 HOURS",
        "ANALYZE TABLE t COMPUTE STATISTICS FOR ALL COLUMNS",
        "FSCK REPAIR TABLE t",
        "MSCK REPAIR TABLE t",
        "ADD JAR '/x.jar'",
        "SET spark.sql.shuffle.partitions = 10",
        "SHOW TABLES IN s",
        "DESCRIBE TABLE EXTENDED t",
        "DESCRIBE HISTORY t",
        "ALTER TABLE t SET TBLPROPERTIES ('a' = 'b')",
        "ALTER TABLE t ADD COLUMNS (c INT)",
        "CREATE SCHEMA IF NOT EXISTS s",
        "CREATE DATABASE d",
        "CREATE FUNCTION f AS 'com.x.F'",
        "DROP FUNCTION f",
        "GRANT SELECT ON TABLE t TO `user@example.com`",
        "USE CATALOG dev",
        "EXPLAIN SELECT * FROM t",
        "DESC t",
        "ALTER TABLE t DROP COLUMN c",
        "ALTER SCHEMA s SET DBPROPERTIES ('a' = 'b')",
    ]
):
    case(f"dbx-no-lineage-{i}", "no_lineage", DBX, sql, [], [])

# ------------------------------------------------------------------ scripts
case(
    "dbx-multi-statement",
    "multi",
    DBX,
    "CREATE OR REPLACE TEMP VIEW stage AS SELECT * FROM raw; INSERT INTO final SELECT * FROM stage; "
    "OPTIMIZE final; VACUUM final",
    ["main.sales.raw", "main.sales.stage"],
    ["main.sales.stage", "main.sales.final"],
    db=CAT,
    schema=SC,
)
case(
    "dbx-multi-use-between",
    "multi",
    DBX,
    "INSERT INTO t SELECT * FROM s; USE CATALOG dev; USE SCHEMA etl; INSERT INTO t SELECT * FROM s",
    ["main.sales.s", "dev.etl.s"],
    ["main.sales.t", "dev.etl.t"],
    db=CAT,
    schema=SC,
)

# ------------------------------------------------------------------ malformed next to good
case(
    "dbx-malformed-paren", "malformed", DBX, "SELECT * FROM a WHERE (; INSERT INTO b SELECT * FROM c", ["a", "c"], ["b"]
)
case("dbx-malformed-identifier", "malformed", DBX, "SELECT * FROM IDENTIFIER(; SELECT * FROM ok", ["ok"])
case(
    "dbx-malformed-copy",
    "malformed",
    DBX,
    "COPY INTO; MERGE INTO t USING s ON t.id = s.id WHEN MATCHED THEN DELETE",
    ["s"],
    ["t"],
)
