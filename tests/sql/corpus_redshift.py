"""Hand-written Amazon Redshift corpus: sql-lineage-dialects.md sections 1, 2 and 4.

Names in the canonical form of section 2: every part compared in lower case,
quoted or not; double quotes only around parts that need them.  Category
``malformed``: broken statements next to good ones (errors expected);
``case``: first spelling differs from the canonical one.
"""

from __future__ import annotations

from tests.sql.cases import RS, new_corpus

CASES, case = new_corpus()
DB, SC = "dev", "public"

# ------------------------------------------------------------------ names and levels
case("rs-1part-defaults", "resolution", RS, "SELECT * FROM sales", ["dev.public.sales"], db=DB, schema=SC)
case("rs-2part-gets-database", "resolution", RS, "SELECT * FROM etl.sales", ["dev.etl.sales"], db=DB, schema=SC)
case("rs-3part-stays", "resolution", RS, "SELECT * FROM prod.etl.sales", ["prod.etl.sales"], db=DB, schema=SC)
case("rs-1part-database-only-stays", "resolution", RS, "SELECT * FROM sales", ["sales"], db=DB)
case(
    "rs-search-path",
    "resolution",
    RS,
    "SET search_path TO etl, public; SELECT * FROM t; RESET search_path; SELECT * FROM u",
    ["dev.etl.t", "dev.public.u"],
    db=DB,
    schema=SC,
)
case(
    "rs-search-path-equals",
    "resolution",
    RS,
    "SET search_path = staging; INSERT INTO t SELECT * FROM s",
    ["staging.s"],
    ["staging.t"],
)
case(
    "rs-quoted-case-insensitive",
    "case",
    RS,
    'SELECT * FROM "OrderLines" JOIN OrderLines USING (id) JOIN orderlines USING (id) JOIN "ORDERLINES" USING (id)',
    ["orderlines"],
)
case("rs-quoted-schema-case", "case", RS, 'SELECT * FROM "ETL"."Sales" JOIN etl.sales USING (id)', ["etl.sales"])
case("rs-quoted-special-chars", "names", RS, 'SELECT * FROM "my schema"."Order Lines"', ['"my schema"."Order Lines"'])
case("rs-backslash-escape-in-string", "names", RS, "SELECT * FROM a WHERE x = 'it\\'s FROM b'", ["a"])
case(
    "rs-system-tables",
    "names",
    RS,
    "SELECT * FROM pg_catalog.pg_table_def JOIN information_schema.tables USING (x) "
    "JOIN stl_load_errors USING (x) JOIN svv_table_info USING (x) JOIN sys_query_history USING (x)",
    ["pg_catalog.pg_table_def", "information_schema.tables", "stl_load_errors", "svv_table_info", "sys_query_history"],
)

# ------------------------------------------------------------------ select shapes
case(
    "rs-joins",
    "select",
    RS,
    "SELECT * FROM a LEFT JOIN b ON a.id = b.id FULL OUTER JOIN c ON c.id = b.id",
    ["a", "b", "c"],
)
case(
    "rs-subqueries",
    "select",
    RS,
    "SELECT * FROM a WHERE id IN (SELECT id FROM b) AND EXISTS (SELECT 1 FROM c)",
    ["a", "b", "c"],
)
case(
    "rs-derived",
    "select",
    RS,
    "SELECT * FROM (SELECT * FROM etl.e) x JOIN (SELECT * FROM etl.f) y USING (id)",
    ["etl.e", "etl.f"],
)
case("rs-union", "select", RS, "SELECT id FROM a UNION SELECT id FROM b EXCEPT SELECT id FROM c", ["a", "b", "c"])
case(
    "rs-super-subscripts-not-names",
    "select",
    RS,
    "SELECT c.orders[0].id, c.tags[1] FROM customer_orders c",
    ["customer_orders"],
)
case("rs-brackets-are-not-quoting", "names", RS, "SELECT * FROM t, [my table] x WHERE t.id = 1", ["t"])
case("rs-generate-series", "table_function", RS, "SELECT * FROM generate_series(1, 10) g", [])

# ------------------------------------------------------------------ CTEs
case("rs-cte", "cte", RS, "WITH c AS (SELECT * FROM s) SELECT * FROM c", ["s"])
case(
    "rs-cte-case-insensitive",
    "cte",
    RS,
    "WITH Cte AS (SELECT * FROM s) SELECT * FROM CTE JOIN cte c2 USING (id)",
    ["s"],
)
case("rs-cte-own-name-is-table", "cte", RS, "WITH c AS (SELECT * FROM c) SELECT * FROM c", ["c"])
case(
    "rs-cte-recursive",
    "cte",
    RS,
    "WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r WHERE n < 3) SELECT * FROM r",
    [],
)
case("rs-cte-insert", "cte", RS, "INSERT INTO t WITH c AS (SELECT * FROM s) SELECT * FROM c", ["s"], ["t"])

# ------------------------------------------------------------------ temporary tables
case(
    "rs-hash-temp-table",
    "temp",
    RS,
    "CREATE TEMP TABLE #stage AS SELECT * FROM raw.events; INSERT INTO dw.f SELECT * FROM #stage",
    ["raw.events", "public.#stage"],
    ["public.#stage", "dw.f"],
    schema=SC,
)
case("rs-select-into-hash-temp", "temp", RS, "SELECT * INTO #t FROM s", ["s"], ["#t"])
case("rs-hash-temp-create-drop", "temp", RS, "CREATE TABLE #t (id int); DROP TABLE #t", [], ["#t"])
case("rs-select-into-temp-table", "temp", RS, "SELECT * INTO TEMP TABLE t2 FROM s", ["s"], ["t2"])

# ------------------------------------------------------------------ COPY / UNLOAD
case(
    "rs-copy-s3",
    "copy",
    RS,
    "COPY sales FROM 's3://bucket/sales/' IAM_ROLE 'arn:aws:iam::1:role/r' FORMAT AS PARQUET",
    [],
    ["sales"],
)
case(
    "rs-copy-columns-credentials",
    "copy",
    RS,
    "COPY etl.sales (id, amt) FROM 's3://b/p' CREDENTIALS 'aws_access_key_id=x;aws_secret_access_key=y' CSV IGNOREHEADER 1",
    [],
    ["etl.sales"],
)
case(
    "rs-copy-dynamodb",
    "copy",
    RS,
    "COPY favoritemovies FROM 'dynamodb://Movies' IAM_ROLE 'r' READRATIO 50",
    [],
    ["favoritemovies"],
)
case(
    "rs-copy-defaults",
    "copy",
    RS,
    "COPY sales FROM 's3://b/x' IAM_ROLE 'r' JSON 'auto'",
    [],
    ["dev.public.sales"],
    db=DB,
    schema=SC,
)
case("rs-unload", "unload", RS, "UNLOAD ('SELECT * FROM venue') TO 's3://b/unload/' IAM_ROLE 'r'", ["venue"])
case(
    "rs-unload-doubled-quotes",
    "unload",
    RS,
    "UNLOAD ('select * from venue where venuestate = ''NV'' and venueid in (select id from good)') "
    "TO 's3://b/x' IAM_ROLE 'r' PARALLEL OFF",
    ["venue", "good"],
)
case(
    "rs-unload-backslash-quotes",
    "unload",
    RS,
    "UNLOAD ('SELECT * FROM sales WHERE note = \\'FROM x\\'') TO 's3://b/' IAM_ROLE 'r'",
    ["sales"],
)
case(
    "rs-unload-defaults",
    "unload",
    RS,
    "UNLOAD ('SELECT * FROM venue JOIN etl.v USING (id)') TO 's3://b/'",
    ["dev.public.venue", "dev.etl.v"],
    db=DB,
    schema=SC,
)

# ------------------------------------------------------------------ ALTER
case("rs-append-from", "alter", RS, "ALTER TABLE target APPEND FROM staging", ["staging"], ["target", "staging"])
case(
    "rs-append-from-options",
    "alter",
    RS,
    "ALTER TABLE etl.target APPEND FROM etl.staging IGNOREEXTRA",
    ["etl.staging"],
    ["etl.target", "etl.staging"],
)
case("rs-rename-keeps-schema", "alter", RS, "ALTER TABLE etl.t RENAME TO t2", ["etl.t"], ["etl.t2"])
case("rs-rename-defaults", "alter", RS, "ALTER TABLE t RENAME TO t2", ["public.t"], ["public.t2"], schema=SC)

# ------------------------------------------------------------------ CREATE / REFRESH / DML
case("rs-create-like", "create", RS, "CREATE TABLE t (LIKE s)", ["s"], ["t"])
case(
    "rs-create-like-including-defaults",
    "create",
    RS,
    "CREATE TEMP TABLE t (LIKE etl.s INCLUDING DEFAULTS)",
    ["etl.s"],
    ["t"],
)
case("rs-ctas-keys", "create", RS, "CREATE TEMP TABLE t DISTKEY(id) SORTKEY(dt) AS SELECT * FROM s", ["s"], ["t"])
case(
    "rs-create-diststyle-backup",
    "create",
    RS,
    "CREATE TABLE t (id int, dt date) DISTSTYLE KEY DISTKEY (id) COMPOUND SORTKEY (dt) BACKUP NO",
    [],
    ["t"],
)
case("rs-ctas-backup", "create", RS, "CREATE TABLE t BACKUP NO DISTSTYLE EVEN AS SELECT * FROM s", ["s"], ["t"])
case(
    "rs-mv-auto-refresh",
    "create",
    RS,
    "CREATE MATERIALIZED VIEW mv AUTO REFRESH YES AS SELECT id FROM s",
    ["s"],
    ["mv"],
)
case(
    "rs-view-no-schema-binding",
    "create",
    RS,
    "CREATE VIEW v AS SELECT * FROM spectrum.ext WITH NO SCHEMA BINDING",
    ["spectrum.ext"],
    ["v"],
)
case("rs-refresh-mv", "create", RS, "REFRESH MATERIALIZED VIEW mv", [], ["mv"])
case(
    "rs-external-table",
    "create",
    RS,
    "CREATE EXTERNAL TABLE spectrum.sales (id int) PARTITIONED BY (dt date) STORED AS PARQUET LOCATION 's3://b/sales/'",
    [],
    ["spectrum.sales"],
)
case("rs-insert-select", "insert", RS, "INSERT INTO t SELECT * FROM s", ["s"], ["t"])
case("rs-insert-values", "insert", RS, "INSERT INTO etl.t (a) VALUES (1), (2)", [], ["etl.t"])
case("rs-update-from", "update", RS, "UPDATE t SET v = s.v FROM s WHERE s.id = t.id", ["s"], ["t"])
case("rs-delete-using", "delete", RS, "DELETE FROM t USING s WHERE s.id = t.id", ["s"], ["t"])
case(
    "rs-merge",
    "merge",
    RS,
    "MERGE INTO t USING s ON t.id = s.id WHEN MATCHED THEN UPDATE SET v = s.v WHEN NOT MATCHED THEN INSERT VALUES (s.id, s.v)",
    ["s"],
    ["t"],
)
case("rs-truncate", "truncate", RS, "TRUNCATE t; TRUNCATE TABLE etl.u", [], ["t", "etl.u"])
case("rs-drop", "drop", RS, "DROP TABLE IF EXISTS a, b; DROP VIEW v", [], ["a", "b", "v"])

# ------------------------------------------------------------------ no lineage
for i, sql in enumerate(
    [
        "ANALYZE t",
        "ANALYZE t (a, b)",
        "ANALYZE",
        "VACUUM",
        "VACUUM DELETE ONLY t TO 75 PERCENT",
        "VACUUM SORT ONLY etl.t",
        "CREATE EXTERNAL SCHEMA spectrum FROM DATA CATALOG DATABASE 'db' IAM_ROLE 'r'",
        "CREATE SCHEMA etl",
        "GRANT SELECT ON t TO u",
        "REVOKE ALL ON SCHEMA etl FROM GROUP g",
        "BEGIN",
        "COMMIT",
        "SET statement_timeout TO 1000",
        "SHOW TABLES FROM SCHEMA dev.public",
        "ALTER TABLE t ADD COLUMN c int",
        "ALTER TABLE t RENAME COLUMN a TO b",
        "ALTER TABLE t ALTER DISTKEY c",
        "CREATE FUNCTION f(int) RETURNS int STABLE AS $$ SELECT $1 $$ LANGUAGE sql",
        "DROP FUNCTION f(int)",
        "EXPLAIN SELECT * FROM t",
        "CREATE INDEX i ON t (a)",
    ]
):
    case(f"rs-no-lineage-{i}", "no_lineage", RS, sql, [], [])

# ------------------------------------------------------------------ scripts
case(
    "rs-multi-statement",
    "multi",
    RS,
    "CREATE TABLE stage AS SELECT * FROM raw; INSERT INTO final SELECT * FROM stage; DROP TABLE stage",
    ["raw", "stage"],
    ["stage", "final"],
)
case(
    "rs-multi-copy-then-merge",
    "multi",
    RS,
    "BEGIN; COPY staging FROM 's3://b/x' IAM_ROLE 'r'; "
    "MERGE INTO target USING staging s ON target.id = s.id WHEN MATCHED THEN DELETE; "
    "ALTER TABLE target APPEND FROM staging; COMMIT;",
    ["staging"],
    ["staging", "target"],
)

# ------------------------------------------------------------------ malformed next to good
case("rs-malformed-paren", "malformed", RS, "SELECT * FROM a WHERE (; INSERT INTO b SELECT * FROM c", ["a", "c"], ["b"])
case("rs-malformed-unload", "malformed", RS, "UNLOAD ('SELECT * FROM') TO 's3://x'; SELECT * FROM ok", ["ok"])
case("rs-malformed-copy", "malformed", RS, "COPY; INSERT INTO t SELECT * FROM s", ["s"], ["t"])
