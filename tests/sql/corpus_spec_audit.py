"""Spec-audit corpus: probes written rule by rule from the SQL-lineage contract.

Every expectation here was predicted from the contract's text alone, before
running the library, and is written in the exact ``str()`` form the contract
defines (parts joined by ``.``; a part quoted in the SQL printed in double
quotes with embedded quotes doubled; unquoted parts as written; parts supplied
by defaults as given).  The test module compares both the spec's equality and
the exact strings.  Loaded by path (like corpus.py) so the benchmark can share
it: import nothing from the test suite but ``cases.py``.
"""

from __future__ import annotations

from collections.abc import Sequence

from tests.sql.cases import GEN, PG, SF, new_corpus

BOTH = (SF, PG)

# Defaults used by the "defaults set" variants.
DB = "dw"
SCH = "core"

CASES, case = new_corpus()


def _parts(name: str) -> list[str]:
    """Split a str()-form name at the dots that are outside double quotes."""
    parts, current, quoted = [], "", False
    for ch in name:
        if ch == '"':
            quoted = not quoted
        if ch == "." and not quoted:
            parts.append(current)
            current = ""
        else:
            current += ch
    parts.append(current)
    return parts


def qualified(name: str, db: str = DB, schema: str = SCH) -> str:
    """Rule 7 with both defaults set: 1-part gets db.schema, 2-part gets db."""
    parts = _parts(name)
    if len(parts) == 1:
        parts = [db, schema, *parts]
    elif len(parts) == 2:
        parts = [db, *parts]
    return ".".join(parts)


def both_ways(
    id: str, category: str, dialect: str, sql: str, inputs: Sequence[str] = (), outputs: Sequence[str] = ()
) -> None:
    """The case without defaults, and again with both defaults set."""
    case(id, category, dialect, sql, inputs, outputs)
    case(
        id + "-defaults",
        category,
        dialect,
        sql,
        [qualified(n) for n in inputs],
        [qualified(n) for n in outputs],
        DB,
        SCH,
    )


# =========================================================================== rule 1: outputs
for d in BOTH:
    both_ways(f"r1-insert-values-{d}", "r1", d, "INSERT INTO t VALUES (1, 'a')", [], ["t"])
    both_ways(f"r1-insert-select-{d}", "r1", d, "insert into s.t (a) select a from s.u", ["s.u"], ["s.t"])
    both_ways(f"r1-update-{d}", "r1", d, "UPDATE t SET a = 1 WHERE b = 2", [], ["t"])
    both_ways(f"r1-update-alias-{d}", "r1", d, "UPDATE s.t AS x SET a = x.b + 1", [], ["s.t"])
    both_ways(f"r1-delete-{d}", "r1", d, "DELETE FROM t WHERE a < 0", [], ["t"])
    both_ways(
        f"r1-merge-{d}",
        "r1",
        d,
        "MERGE INTO tgt t USING src s ON t.id = s.id WHEN MATCHED THEN UPDATE SET v = s.v "
        "WHEN NOT MATCHED THEN INSERT (id, v) VALUES (s.id, s.v)",
        ["src"],
        ["tgt"],
    )
    both_ways(f"r1-create-table-{d}", "r1", d, "CREATE TABLE t (id int, name varchar(10))", [], ["t"])
    both_ways(f"r1-create-table-if-not-exists-{d}", "r1", d, "CREATE TABLE IF NOT EXISTS s.t (id int)", [], ["s.t"])
    both_ways(f"r1-ctas-{d}", "r1", d, "CREATE TABLE t AS SELECT * FROM u", ["u"], ["t"])
    both_ways(
        f"r1-create-view-{d}",
        "r1",
        d,
        "CREATE OR REPLACE VIEW v AS SELECT a FROM t JOIN u USING (a)",
        ["t", "u"],
        ["v"],
    )
    both_ways(f"r1-create-view-columns-{d}", "r1", d, "CREATE VIEW v (x, y) AS SELECT a, b FROM t", ["t"], ["v"])
    both_ways(f"r1-create-mview-{d}", "r1", d, "CREATE MATERIALIZED VIEW mv AS SELECT count(*) FROM t", ["t"], ["mv"])
    both_ways(f"r1-create-temp-{d}", "r1", d, "CREATE TEMPORARY TABLE tmp AS SELECT * FROM t", ["t"], ["tmp"])
    both_ways(f"r1-truncate-{d}", "r1", d, "TRUNCATE TABLE s.t", [], ["s.t"])
    both_ways(f"r1-truncate-bare-{d}", "r1", d, "TRUNCATE t", [], ["t"])
    both_ways(f"r1-drop-table-{d}", "r1", d, "DROP TABLE IF EXISTS t", [], ["t"])
    both_ways(f"r1-drop-view-{d}", "r1", d, "DROP VIEW s.v", [], ["s.v"])
    both_ways(f"r1-drop-mview-{d}", "r1", d, "DROP MATERIALIZED VIEW mv", [], ["mv"])
    both_ways(f"r1-rename-{d}", "r1", d, "ALTER TABLE a.t RENAME TO a.u", ["a.t"], ["a.u"])
    both_ways(
        f"r1-ctas-union-{d}", "r1", d, "CREATE TABLE t AS SELECT a FROM x UNION SELECT a FROM y", ["x", "y"], ["t"]
    )

both_ways("r1-insert-overwrite-sf", "r1", SF, "INSERT OVERWRITE INTO t SELECT * FROM s", ["s"], ["t"])
both_ways(
    "r1-insert-all-sf", "r1", SF, "INSERT ALL INTO t1 INTO t2 (a) VALUES (x) SELECT x FROM src", ["src"], ["t1", "t2"]
)
both_ways(
    "r1-insert-first-sf",
    "r1",
    SF,
    "INSERT FIRST WHEN a > 1 THEN INTO big WHEN a > 0 THEN INTO mid ELSE INTO small SELECT a FROM src",
    ["src"],
    ["big", "mid", "small"],
)
both_ways(
    "r1-insert-overwrite-all-sf",
    "r1",
    SF,
    "INSERT OVERWRITE ALL INTO t1 INTO s.t2 SELECT * FROM src",
    ["src"],
    ["t1", "s.t2"],
)
both_ways(
    "r1-dynamic-table-sf",
    "r1",
    SF,
    "CREATE OR REPLACE DYNAMIC TABLE dt TARGET_LAG = '1 minute' WAREHOUSE = wh AS SELECT * FROM src",
    ["src"],
    ["dt"],
)
both_ways("r1-secure-view-sf", "r1", SF, "CREATE OR REPLACE SECURE VIEW v AS SELECT * FROM t", ["t"], ["v"])
both_ways("r1-transient-sf", "r1", SF, "CREATE TRANSIENT TABLE t (a int)", [], ["t"])
both_ways("r1-clone-sf", "r1", SF, "CREATE TABLE t2 CLONE t1", ["t1"], ["t2"])
both_ways("r1-clone-at-sf", "r1", SF, "CREATE OR REPLACE TABLE t2 CLONE s.t1 AT (OFFSET => -3600)", ["s.t1"], ["t2"])
both_ways("r1-like-sf", "r1", SF, "CREATE TABLE t2 LIKE t1", ["t1"], ["t2"])
both_ways("r1-undrop-sf", "r1", SF, "UNDROP TABLE s.t", [], ["s.t"])
both_ways("r1-copy-into-stage-sf", "r1", SF, "COPY INTO t FROM @my_stage/path/ FILE_FORMAT = (TYPE = CSV)", [], ["t"])
both_ways(
    "r1-copy-into-url-sf",
    "r1",
    SF,
    "COPY INTO s.t FROM 's3://bucket/data/' CREDENTIALS = (AWS_KEY_ID = 'x')",
    [],
    ["s.t"],
)
both_ways(
    "r1-copy-into-transform-sf",
    "r1",
    SF,
    "COPY INTO t (a, b) FROM (SELECT $1, $2 FROM @st/f.csv) FILE_FORMAT = (FORMAT_NAME = 'ff')",
    [],
    ["t"],
)
both_ways("r1-swap-sf", "r1", SF, "ALTER TABLE a SWAP WITH s.b", ["a", "s.b"], ["a", "s.b"])
both_ways("r1-create-view-if-not-exists-sf", "r1", SF, "CREATE VIEW IF NOT EXISTS v AS SELECT * FROM t", ["t"], ["v"])
both_ways("r1-select-into-pg", "r1", PG, "SELECT a, b INTO new_t FROM old_t WHERE a > 1", ["old_t"], ["new_t"])
both_ways("r1-select-into-temp-pg", "r1", PG, "SELECT * INTO TEMP TABLE tmp FROM old_t", ["old_t"], ["tmp"])
both_ways("r1-copy-from-file-pg", "r1", PG, "COPY t FROM '/data/t.csv' WITH (FORMAT csv, HEADER true)", [], ["t"])
both_ways("r1-copy-from-stdin-pg", "r1", PG, "COPY s.t (a, b) FROM STDIN", [], ["s.t"])
both_ways("r1-copy-from-program-pg", "r1", PG, "COPY t FROM PROGRAM 'gunzip -c /x.gz' CSV", [], ["t"])
both_ways("r1-refresh-mview-pg", "r1", PG, "REFRESH MATERIALIZED VIEW CONCURRENTLY s.mv", [], ["s.mv"])
both_ways("r1-refresh-mview-nodata-pg", "r1", PG, "REFRESH MATERIALIZED VIEW mv WITH NO DATA", [], ["mv"])
both_ways("r1-truncate-list-pg", "r1", PG, "TRUNCATE ONLY a, s.b RESTART IDENTITY CASCADE", [], ["a", "s.b"])
both_ways("r1-drop-list-pg", "r1", PG, "DROP TABLE IF EXISTS a, s.b CASCADE", [], ["a", "s.b"])
both_ways("r1-create-like-pg", "r1", PG, "CREATE TABLE t2 (LIKE t1 INCLUDING ALL)", ["t1"], ["t2"])
both_ways("r1-create-unlogged-pg", "r1", PG, "CREATE UNLOGGED TABLE t AS TABLE u", ["u"], ["t"])
both_ways("r1-ctas-with-data-pg", "r1", PG, "CREATE TABLE t AS SELECT * FROM u WITH NO DATA", ["u"], ["t"])
both_ways(
    "r1-mview-if-not-exists-pg",
    "r1",
    PG,
    "CREATE MATERIALIZED VIEW IF NOT EXISTS mv AS SELECT * FROM t WITH DATA",
    ["t"],
    ["mv"],
)
both_ways(
    "r1-create-recursive-view-pg",
    "r1",
    PG,
    "CREATE RECURSIVE VIEW nums (n) AS VALUES (1) UNION ALL SELECT n + 1 FROM nums WHERE n < 5",
    [],
    ["nums"],
)
both_ways("r1-rename-view-pg", "r1", PG, "ALTER VIEW v RENAME TO w", ["v"], ["w"])
both_ways("r1-rename-mview-pg", "r1", PG, "ALTER MATERIALIZED VIEW s.mv RENAME TO mv2", ["s.mv"], ["s.mv2"])

# =========================================================================== rule 2: inputs
for d in BOTH:
    both_ways(
        f"r2-join-using-{d}",
        "r2",
        d,
        "SELECT * FROM a JOIN b USING (id) LEFT JOIN s.c ON c.id = a.id",
        ["a", "b", "s.c"],
    )
    both_ways(f"r2-select-list-subquery-{d}", "r2", d, "SELECT (SELECT max(x) FROM m) AS mx FROM t", ["m", "t"])
    both_ways(
        f"r2-where-subquery-{d}",
        "r2",
        d,
        "SELECT * FROM t WHERE NOT EXISTS (SELECT 1 FROM u WHERE u.id = t.id)",
        ["t", "u"],
    )
    both_ways(
        f"r2-case-subquery-{d}",
        "r2",
        d,
        "SELECT CASE WHEN a IN (SELECT a FROM k) THEN 1 WHEN b > (SELECT 2 FROM j) THEN 2 END FROM t",
        ["k", "j", "t"],
    )
    both_ways(
        f"r2-update-set-subquery-{d}",
        "r2",
        d,
        "UPDATE t SET a = (SELECT max(a) FROM u WHERE u.id = t.id)",
        ["u"],
        ["t"],
    )
    both_ways(f"r2-update-from-{d}", "r2", d, "UPDATE t SET a = s.a FROM s.src s WHERE s.id = t.id", ["s.src"], ["t"])
    both_ways(
        f"r2-merge-using-subquery-{d}",
        "r2",
        d,
        "MERGE INTO t USING (SELECT * FROM a JOIN b USING (id)) s ON t.id = s.id WHEN MATCHED THEN DELETE",
        ["a", "b"],
        ["t"],
    )
    both_ways(
        f"r2-having-subquery-{d}",
        "r2",
        d,
        "SELECT k FROM t GROUP BY k HAVING count(*) > (SELECT count(*) FROM u)",
        ["t", "u"],
    )
    both_ways(
        f"r2-join-subquery-{d}",
        "r2",
        d,
        "SELECT * FROM t JOIN (SELECT id FROM u UNION SELECT id FROM v) x ON x.id = t.id",
        ["t", "u", "v"],
    )
    both_ways(
        f"r2-delete-where-subquery-{d}", "r2", d, "DELETE FROM t WHERE id IN (SELECT id FROM gone)", ["gone"], ["t"]
    )
    both_ways(
        f"r2-insert-values-subquery-{d}", "r2", d, "INSERT INTO t (a) VALUES ((SELECT max(a) FROM u))", ["u"], ["t"]
    )
    both_ways(
        f"r2-order-by-subquery-{d}", "r2", d, "SELECT a FROM t ORDER BY (SELECT b FROM u WHERE u.a = t.a)", ["t", "u"]
    )

both_ways("r2-delete-using-pg", "r2", PG, "DELETE FROM t USING u WHERE u.id = t.id", ["u"], ["t"])
both_ways("r2-delete-using-sf", "r2", SF, "DELETE FROM t USING u, s.v WHERE u.id = t.id", ["u", "s.v"], ["t"])
both_ways("r2-update-from-sf", "r2", SF, "UPDATE t SET t.a = u.a FROM u WHERE u.id = t.id", ["u"], ["t"])
both_ways(
    "r2-copy-into-stage-from-table-sf",
    "r2",
    SF,
    "COPY INTO @out_stage/daily/ FROM s.t FILE_FORMAT = (TYPE = PARQUET)",
    ["s.t"],
)
both_ways(
    "r2-copy-into-url-from-query-sf",
    "r2",
    SF,
    "COPY INTO 's3://bucket/out/' FROM (SELECT a FROM t JOIN u USING (id)) STORAGE_INTEGRATION = si",
    ["t", "u"],
)
both_ways("r2-copy-into-user-stage-sf", "r2", SF, "COPY INTO @~/unload/ FROM t", ["t"])
both_ways("r2-copy-into-table-stage-sf", "r2", SF, "COPY INTO @%t FROM (SELECT * FROM u)", ["u"])
both_ways("r2-copy-to-pg", "r2", PG, "COPY s.t TO '/tmp/t.csv' CSV HEADER", ["s.t"])
both_ways("r2-copy-to-stdout-pg", "r2", PG, "COPY t (a, b) TO STDOUT WITH (FORMAT csv)", ["t"])
both_ways("r2-copy-query-to-pg", "r2", PG, "COPY (SELECT * FROM t JOIN u USING (id)) TO STDOUT", ["t", "u"])
both_ways("r2-copy-query-to-program-pg", "r2", PG, "COPY (SELECT * FROM t) TO PROGRAM 'gzip > /tmp/t.gz'", ["t"])
both_ways("r2-clone-source-sf", "r2", SF, "CREATE TABLE t2 CLONE s.t1", ["s.t1"], ["t2"])
both_ways("r2-rename-source-pg", "r2", PG, "ALTER TABLE IF EXISTS t RENAME TO u", ["t"], ["u"])
both_ways(
    "r2-lateral-subquery-pg",
    "r2",
    PG,
    "SELECT * FROM t CROSS JOIN LATERAL (SELECT * FROM u WHERE u.id = t.id) x",
    ["t", "u"],
)

# =========================================================================== rule 3: DML target
for d in BOTH:
    both_ways(f"r3-insert-self-{d}", "r3", d, "INSERT INTO t SELECT * FROM t", ["t"], ["t"])
    both_ways(
        f"r3-update-self-subquery-{d}",
        "r3",
        d,
        "UPDATE t SET a = 0 WHERE id IN (SELECT id FROM t WHERE b IS NULL)",
        ["t"],
        ["t"],
    )
    both_ways(f"r3-delete-self-subquery-{d}", "r3", d, "DELETE FROM t WHERE ts < (SELECT max(ts) FROM t)", ["t"], ["t"])
    both_ways(f"r3-update-target-alias-only-{d}", "r3", d, "UPDATE t SET a = t.b * 2 WHERE t.c > 0", [], ["t"])
    both_ways(
        f"r3-merge-target-only-{d}",
        "r3",
        d,
        "MERGE INTO t USING u ON t.id = u.id WHEN MATCHED THEN UPDATE SET t.v = u.v",
        ["u"],
        ["t"],
    )
    both_ways(
        f"r3-column-qualifier-3part-{d}",
        "r3",
        d,
        "SELECT db.s.t.col, s.t.col2 FROM db.s.t WHERE db.s.t.id > 0",
        ["db.s.t"],
    )
    both_ways(
        f"r3-column-qualifier-where-{d}",
        "r3",
        d,
        "SELECT * FROM s.t JOIN s.u ON s.t.id = s.u.id WHERE s.t.x = 1",
        ["s.t", "s.u"],
    )
    both_ways(
        f"r3-insert-qualified-target-read-{d}",
        "r3",
        d,
        "INSERT INTO s.t SELECT * FROM s.t WHERE id > 0",
        ["s.t"],
        ["s.t"],
    )
both_ways("r3-update-from-self-pg", "r3", PG, "UPDATE t SET a = t2.a FROM t AS t2 WHERE t2.id = t.parent", ["t"], ["t"])
both_ways("r3-delete-using-self-pg", "r3", PG, "DELETE FROM t USING t AS t2 WHERE t.id < t2.id", ["t"], ["t"])
both_ways(
    "r3-merge-using-self-sf",
    "r3",
    SF,
    "MERGE INTO t USING (SELECT id, max(v) v FROM t GROUP BY id) s ON t.id = s.id WHEN MATCHED THEN DELETE",
    ["t"],
    ["t"],
)
both_ways("r3-returning-insert-pg", "r3", PG, "INSERT INTO t (a) SELECT a FROM u RETURNING t.id, t.a", ["u"], ["t"])
both_ways("r3-returning-update-pg", "r3", PG, "UPDATE t SET a = 1 WHERE id = 3 RETURNING *", [], ["t"])
both_ways("r3-returning-delete-pg", "r3", PG, "DELETE FROM t WHERE id = 3 RETURNING id", [], ["t"])
both_ways(
    "r3-returning-cte-flow-pg",
    "r3",
    PG,
    "WITH gone AS (DELETE FROM t WHERE ts < now() RETURNING *) INSERT INTO t_archive SELECT * FROM gone",
    [],
    ["t", "t_archive"],
)
both_ways(
    "r3-returning-update-cte-flow-pg",
    "r3",
    PG,
    "WITH changed AS (UPDATE t SET a = a + 1 RETURNING id, a) INSERT INTO log SELECT id, a FROM changed",
    [],
    ["t", "log"],
)
both_ways(
    "r3-on-conflict-excluded-pg",
    "r3",
    PG,
    "INSERT INTO t (id, v) VALUES (1, 2) ON CONFLICT (id) DO UPDATE SET v = EXCLUDED.v + t.v",
    [],
    ["t"],
)

# =========================================================================== rule 4: not tables
# CTEs
for d in BOTH:
    both_ways(
        f"r4-cte-basic-{d}",
        "r4-cte",
        d,
        "WITH c AS (SELECT * FROM src) SELECT * FROM c JOIN other USING (id)",
        ["src", "other"],
    )
    both_ways(
        f"r4-cte-in-subquery-{d}",
        "r4-cte",
        d,
        "WITH c AS (SELECT id FROM src) SELECT * FROM t WHERE id IN (SELECT id FROM c)",
        ["src", "t"],
    )
    both_ways(
        f"r4-cte-qualified-is-table-{d}",
        "r4-cte",
        d,
        "WITH c AS (SELECT 1 AS id) SELECT * FROM c JOIN s.c USING (id)",
        ["s.c"],
    )
    both_ways(
        f"r4-cte-derived-invisible-{d}",
        "r4-cte",
        d,
        "SELECT * FROM (WITH c AS (SELECT * FROM src) SELECT * FROM c) x, c",
        ["src", "c"],
    )
    both_ways(
        f"r4-cte-derived-visible-inside-{d}",
        "r4-cte",
        d,
        "WITH c AS (SELECT * FROM src) SELECT * FROM (SELECT * FROM c) x JOIN (SELECT * FROM c) y USING (id)",
        ["src"],
    )
    both_ways(
        f"r4-cte-where-subquery-invisible-{d}",
        "r4-cte",
        d,
        "SELECT * FROM t WHERE a IN (WITH c AS (SELECT a FROM src) SELECT a FROM c) AND b IN (SELECT b FROM c)",
        ["t", "src", "c"],
    )
    both_ways(
        f"r4-cte-recursive-{d}",
        "r4-cte",
        d,
        "WITH RECURSIVE r (n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r WHERE n < 9) SELECT n FROM r",
        [],
    )
    both_ways(
        f"r4-cte-insert-select-{d}",
        "r4-cte",
        d,
        "INSERT INTO t WITH c AS (SELECT * FROM src) SELECT * FROM c",
        ["src"],
        ["t"],
    )
    both_ways(
        f"r4-cte-ctas-{d}",
        "r4-cte",
        d,
        "CREATE TABLE t AS WITH c AS (SELECT * FROM src) SELECT * FROM c",
        ["src"],
        ["t"],
    )
    both_ways(
        f"r4-cte-union-{d}",
        "r4-cte",
        d,
        "WITH a AS (SELECT 1 x), b AS (SELECT 2 x) SELECT x FROM a UNION ALL SELECT x FROM b",
        [],
    )
    both_ways(
        f"r4-cte-chain-{d}",
        "r4-cte",
        d,
        "WITH a AS (SELECT * FROM src), b AS (SELECT * FROM a) SELECT * FROM b",
        ["src"],
    )
both_ways("r4-cte-self-name-pg", "r4-cte", PG, "WITH t AS (SELECT * FROM t WHERE a > 0) SELECT * FROM t", ["t"])
both_ways(
    "r4-cte-self-name-second-pg",
    "r4-cte",
    PG,
    "WITH a AS (SELECT 1 x), b AS (SELECT * FROM b JOIN a USING (x)) SELECT * FROM b",
    ["b"],
)
both_ways(
    "r4-cte-self-recursion-sf",
    "r4-cte",
    SF,
    "WITH r AS (SELECT 1 n UNION ALL SELECT n + 1 FROM r WHERE n < 9) SELECT n FROM r",
    [],
)
both_ways(
    "r4-cte-self-name-recursive-pg",
    "r4-cte",
    PG,
    "WITH RECURSIVE t AS (SELECT 1 n UNION ALL SELECT n + 1 FROM t WHERE n < 3) SELECT * FROM t",
    [],
)
both_ways(
    "r4-cte-later-not-visible-pg", "r4-cte", PG, "WITH a AS (SELECT * FROM b), b AS (SELECT 1 x) SELECT * FROM a", ["b"]
)
both_ways(
    "r4-cte-pg-data-modifying-update",
    "r4-cte",
    PG,
    "WITH c AS (SELECT id FROM src) UPDATE t SET a = 1 FROM c WHERE c.id = t.id",
    ["src"],
    ["t"],
)
both_ways(
    "r4-cte-pg-delete-using",
    "r4-cte",
    PG,
    "WITH c AS (SELECT id FROM src) DELETE FROM t USING c WHERE c.id = t.id",
    ["src"],
    ["t"],
)
both_ways(
    "r4-cte-sf-merge-using",
    "r4-cte",
    SF,
    "MERGE INTO t USING (WITH c AS (SELECT * FROM src) SELECT * FROM c) s ON t.id = s.id "
    "WHEN MATCHED THEN UPDATE SET t.v = s.v",
    ["src"],
    ["t"],
)
both_ways("r4-cte-quoted-sf", "r4-cte", SF, 'WITH "c" AS (SELECT 1 x) SELECT * FROM "c" JOIN c USING (x)', ["c"])
both_ways("r4-cte-quoted-upper-sf", "r4-cte", SF, 'WITH "C" AS (SELECT 1 x) SELECT * FROM c', [])
both_ways("r4-cte-quoted-pg", "r4-cte", PG, 'WITH "C" AS (SELECT 1 x) SELECT * FROM "C" JOIN c USING (x)', ["c"])
both_ways("r4-cte-quoted-lower-pg", "r4-cte", PG, 'WITH "c" AS (SELECT 1 x) SELECT * FROM C', [])

# Stages, URLs, files, STDIN/STDOUT/PROGRAM
both_ways("r4-stage-select-sf", "r4-stage", SF, "SELECT $1, $2 FROM @my_stage/path/ (FILE_FORMAT => 'ff') s", [])
both_ways("r4-stage-qualified-sf", "r4-stage", SF, "SELECT t.$1 FROM @db.sch.stg/x.csv t", [])
both_ways("r4-stage-table-sf", "r4-stage", SF, "SELECT $1 FROM @%orders", [])
both_ways("r4-stage-user-sf", "r4-stage", SF, "SELECT $1 FROM @~/staged/", [])
both_ways("r4-stage-join-sf", "r4-stage", SF, "SELECT * FROM t JOIN @stg/f.csv s ON s.$1 = t.id", ["t"])
both_ways("r4-copy-from-table-stage-sf", "r4-stage", SF, "COPY INTO t FROM @%t PURGE = TRUE", [], ["t"])
both_ways("r4-copy-from-user-stage-sf", "r4-stage", SF, "COPY INTO t FROM @~/data.csv.gz", [], ["t"])
both_ways("r4-copy-files-sf", "r4-stage", SF, "COPY FILES INTO @dst FROM @src", [])
both_ways(
    "r4-copy-url-azure-sf",
    "r4-stage",
    SF,
    "COPY INTO t FROM 'azure://acct.blob.core.windows.net/c/p/' FILE_FORMAT = (TYPE = JSON)",
    [],
    ["t"],
)
both_ways(
    "r4-copy-pattern-sf",
    "r4-stage",
    SF,
    "COPY INTO t FROM @stg PATTERN = '.*from_table.*[.]csv' FILE_FORMAT = (FORMAT_NAME = my_csv)",
    [],
    ["t"],
)
both_ways("r4-copy-stdin-pg", "r4-stage", PG, "COPY t FROM stdin WITH CSV", [], ["t"])
both_ways("r4-copy-program-to-pg", "r4-stage", PG, "COPY t TO PROGRAM 'cat > /tmp/x'", ["t"])
both_ways("r4-copy-file-to-pg", "r4-stage", PG, "COPY s.t TO '/tmp/from_t.csv'", ["s.t"])

# Table functions / UDTFs
both_ways("r4-flatten-lateral-sf", "r4-tf", SF, "SELECT f.value FROM t, LATERAL FLATTEN(input => t.v) f", ["t"])
both_ways("r4-flatten-table-sf", "r4-tf", SF, "SELECT f.value FROM t, TABLE(FLATTEN(t.v)) f", ["t"])
both_ways("r4-generator-sf", "r4-tf", SF, "SELECT seq4() FROM TABLE(GENERATOR(ROWCOUNT => 10))", [])
both_ways("r4-result-scan-sf", "r4-tf", SF, "SELECT * FROM TABLE(RESULT_SCAN(LAST_QUERY_ID()))", [])
both_ways(
    "r4-infer-schema-sf",
    "r4-tf",
    SF,
    "SELECT * FROM TABLE(INFER_SCHEMA(LOCATION => '@stg/x/', FILE_FORMAT => 'my_parquet'))",
    [],
)
both_ways("r4-udtf-sf", "r4-tf", SF, "SELECT * FROM TABLE(my_udtf(1, 'x'))", [])
both_ways("r4-udtf-qualified-sf", "r4-tf", SF, "SELECT * FROM t, TABLE(db.s.split_udtf(t.v)) x", ["t"])
both_ways("r4-udtf-subquery-arg-sf", "r4-tf", SF, "SELECT * FROM TABLE(my_udtf((SELECT max(a) FROM t)))", ["t"])
both_ways(
    "r4-flatten-join-sf",
    "r4-tf",
    SF,
    "SELECT * FROM t JOIN LATERAL FLATTEN(input => t.arr) f ON true JOIN u ON u.id = f.value",
    ["t", "u"],
)
both_ways(
    "r4-ctas-generator-sf",
    "r4-tf",
    SF,
    "CREATE TABLE nums AS SELECT seq4() n FROM TABLE(GENERATOR(ROWCOUNT => 100))",
    [],
    ["nums"],
)
both_ways("r4-generate-series-pg", "r4-tf", PG, "SELECT g FROM generate_series(1, 10) AS g", [])
both_ways("r4-generate-series-join-pg", "r4-tf", PG, "SELECT * FROM t CROSS JOIN generate_series(1, t.n) g", ["t"])
both_ways("r4-unnest-pg", "r4-tf", PG, "SELECT * FROM unnest(ARRAY[1, 2]) AS u(x)", [])
both_ways("r4-unnest-lateral-pg", "r4-tf", PG, "SELECT t.id, x FROM t, LATERAL unnest(t.arr) x", ["t"])
both_ways("r4-jsonb-each-pg", "r4-tf", PG, "SELECT k, v FROM t, jsonb_each(t.doc) AS e(k, v)", ["t"])
both_ways(
    "r4-jsonb-array-elements-pg",
    "r4-tf",
    PG,
    "SELECT e FROM t CROSS JOIN LATERAL jsonb_array_elements(t.items) e",
    ["t"],
)
both_ways(
    "r4-jsonb-to-recordset-pg", "r4-tf", PG, "SELECT * FROM jsonb_to_recordset('[{\"a\":1}]'::jsonb) AS x(a int)", []
)
both_ways("r4-user-srf-pg", "r4-tf", PG, "SELECT * FROM my_func(1)", [])
both_ways("r4-user-srf-qualified-pg", "r4-tf", PG, "SELECT * FROM s.my_func(1, 'a') f JOIN t ON t.id = f.id", ["t"])
both_ways("r4-user-srf-subquery-arg-pg", "r4-tf", PG, "SELECT * FROM my_func((SELECT max(id) FROM t))", ["t"])
both_ways("r4-rows-from-pg", "r4-tf", PG, "SELECT * FROM ROWS FROM (generate_series(1, 3), unnest(ARRAY['a'])) r", [])
both_ways("r4-insert-from-srf-pg", "r4-tf", PG, "INSERT INTO t SELECT * FROM generate_series(1, 5)", [], ["t"])
both_ways("r4-srf-in-select-list-pg", "r4-tf", PG, "SELECT unnest(arr), jsonb_array_elements(doc) FROM t", ["t"])

# Sequences, indexes, file formats, warehouses, roles, schemas, databases, functions, procedures, types
for d in BOTH:
    both_ways(f"r4-nextval-{d}", "r4-objects", d, "INSERT INTO t (id, a) VALUES (nextval('s.seq'), 1)", [], ["t"])
    both_ways(f"r4-create-sequence-{d}", "r4-objects", d, "CREATE SEQUENCE s.seq START 1", [])
    both_ways(f"r4-create-index-{d}", "r4-objects", d, "CREATE INDEX idx ON t (a)", [])
    both_ways(f"r4-create-schema-{d}", "r4-objects", d, "CREATE SCHEMA IF NOT EXISTS s", [])
    both_ways(f"r4-drop-schema-{d}", "r4-objects", d, "DROP SCHEMA s CASCADE", [])
    both_ways(f"r4-drop-sequence-{d}", "r4-objects", d, "DROP SEQUENCE IF EXISTS s.seq", [])
    both_ways(f"r4-drop-function-{d}", "r4-objects", d, "DROP FUNCTION IF EXISTS f(int)", [])
    both_ways(f"r4-create-database-{d}", "r4-objects", d, "CREATE DATABASE analytics", [])
    both_ways(f"r4-drop-database-{d}", "r4-objects", d, "DROP DATABASE analytics", [])
    both_ways(f"r4-create-role-{d}", "r4-objects", d, "CREATE ROLE analyst", [])
    both_ways(
        f"r4-references-{d}",
        "r4-objects",
        d,
        "CREATE TABLE t (id int PRIMARY KEY, pid int REFERENCES p (id), qid int, "
        "FOREIGN KEY (qid) REFERENCES s.q (id) ON DELETE CASCADE)",
        [],
        ["t"],
    )
    both_ways(f"r4-values-list-{d}", "r4-objects", d, "SELECT * FROM (VALUES (1, 'a'), (2, 'b')) AS v (id, n)", [])
    both_ways(
        f"r4-values-join-{d}", "r4-objects", d, "SELECT * FROM t JOIN (VALUES (1), (2)) AS v (id) ON v.id = t.id", ["t"]
    )
    both_ways(f"r4-values-statement-{d}", "r4-objects", d, "VALUES (1, 2), (3, 4)", [])
    both_ways(
        f"r4-string-literal-{d}",
        "r4-objects",
        d,
        "SELECT 'SELECT * FROM fake1', 'x FROM fake2' AS s FROM t WHERE a = 'JOIN fake3'",
        ["t"],
    )
    both_ways(
        f"r4-comments-{d}",
        "r4-objects",
        d,
        "SELECT a -- FROM fake1\nFROM /* JOIN fake2 */ t\n-- INSERT INTO fake3\n",
        ["t"],
    )
    both_ways(f"r4-drop-index-{d}", "r4-objects", d, "DROP INDEX idx", [])
both_ways("r4-seq-nextval-sf", "r4-objects", SF, "INSERT INTO t (id, a) SELECT seq1.nextval, a FROM u", ["u"], ["t"])
both_ways("r4-seq-default-sf", "r4-objects", SF, "CREATE TABLE t (id int DEFAULT s.seq1.nextval, a int)", [], ["t"])
both_ways(
    "r4-create-file-format-sf", "r4-objects", SF, "CREATE OR REPLACE FILE FORMAT ff TYPE = CSV SKIP_HEADER = 1", []
)
both_ways(
    "r4-create-stage-sf",
    "r4-objects",
    SF,
    "CREATE OR REPLACE STAGE stg URL = 's3://b/p/' FILE_FORMAT = (FORMAT_NAME = 'ff')",
    [],
)
both_ways("r4-create-warehouse-sf", "r4-objects", SF, "CREATE WAREHOUSE IF NOT EXISTS wh WAREHOUSE_SIZE = XSMALL", [])
both_ways("r4-use-warehouse-role-sf", "r4-objects", SF, "USE WAREHOUSE wh; USE ROLE analyst; SELECT * FROM t", ["t"])
both_ways("r4-create-database-clone-sf", "r4-objects", SF, "CREATE DATABASE dev CLONE prod", [])
both_ways("r4-create-schema-clone-sf", "r4-objects", SF, "CREATE SCHEMA s2 CLONE s1", [])
both_ways("r4-undrop-schema-sf", "r4-objects", SF, "UNDROP SCHEMA s", [])
both_ways("r4-drop-file-format-sf", "r4-objects", SF, "DROP FILE FORMAT IF EXISTS ff", [])
both_ways("r4-drop-stage-sf", "r4-objects", SF, "DROP STAGE stg", [])
both_ways("r4-create-type-pg", "r4-objects", PG, "CREATE TYPE mood AS ENUM ('sad', 'ok')", [])
both_ways("r4-create-composite-type-pg", "r4-objects", PG, "CREATE TYPE pair AS (a int, b text)", [])
both_ways("r4-drop-type-pg", "r4-objects", PG, "DROP TYPE IF EXISTS mood", [])
both_ways("r4-serial-pg", "r4-objects", PG, "CREATE TABLE t (id serial PRIMARY KEY, d date DEFAULT now())", [], ["t"])
both_ways("r4-nextval-select-pg", "r4-objects", PG, "SELECT nextval('seq'), currval('seq'), setval('seq', 1)", [])
both_ways("r4-alter-sequence-pg", "r4-objects", PG, "ALTER SEQUENCE s.seq RESTART WITH 1", [])
both_ways(
    "r4-create-unique-index-pg",
    "r4-objects",
    PG,
    "CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS idx ON s.t USING btree (a) WHERE b IS NOT NULL",
    [],
)
both_ways("r4-alter-index-pg", "r4-objects", PG, "ALTER INDEX idx RENAME TO idx2", [])
both_ways("r4-create-extension-pg", "r4-objects", PG, "CREATE EXTENSION IF NOT EXISTS pg_trgm WITH SCHEMA ext", [])
both_ways(
    "r4-excluded-select-pg",
    "r4-objects",
    PG,
    "INSERT INTO t SELECT * FROM u ON CONFLICT (id) DO UPDATE SET a = EXCLUDED.a WHERE t.a <> EXCLUDED.a",
    ["u"],
    ["t"],
)
both_ways("r4-dollar-string-pg", "r4-objects", PG, "SELECT $$ FROM fake $$ AS s, $q$JOIN fake2$q$ FROM t", ["t"])
both_ways("r4-escape-string-pg", "r4-objects", PG, "SELECT E'it\\'s FROM fake' FROM t", ["t"])
both_ways("r4-backslash-string-sf", "r4-objects", SF, "SELECT 'it\\'s FROM fake' FROM t", ["t"])
both_ways("r4-cast-type-pg", "r4-objects", PG, "SELECT a::my_schema.my_type, CAST(b AS mood) FROM t", ["t"])
both_ways(
    "r4-alter-add-fk-pg", "r4-objects", PG, "ALTER TABLE t ADD CONSTRAINT fk FOREIGN KEY (pid) REFERENCES p (id)", []
)

# =========================================================================== rule 5: no lineage
_NO_LINEAGE_SF = [
    "GRANT SELECT ON TABLE t TO ROLE r",
    "GRANT SELECT ON ALL TABLES IN SCHEMA s TO ROLE r",
    "REVOKE INSERT ON t FROM ROLE r",
    "COMMENT ON TABLE t IS 'SELECT * FROM fake'",
    "COMMENT ON COLUMN t.c IS 'x'",
    "CALL my_proc('INSERT INTO fake SELECT 1')",
    "SET x = 1",
    "USE DATABASE d",
    "USE SCHEMA s",
    "ALTER SESSION SET QUERY_TAG = 'from t'",
    "SHOW TABLES IN SCHEMA s",
    "DESCRIBE TABLE t",
    "DESC VIEW v",
    "LIST @stg",
    "BEGIN",
    "BEGIN TRANSACTION",
    "COMMIT",
    "ROLLBACK",
    "CREATE STAGE stg",
    "CREATE FILE FORMAT ff TYPE = JSON",
    "ALTER WAREHOUSE wh SET WAREHOUSE_SIZE = LARGE",
    "ALTER WAREHOUSE wh SUSPEND",
    "ALTER TABLE t CLUSTER BY (a, b)",
    "ALTER TABLE t SET DATA_RETENTION_TIME_IN_DAYS = 7",
    "ALTER TABLE t RENAME COLUMN a TO b",
    "ALTER TABLE t ADD COLUMN c int",
    "ALTER TABLE t DROP COLUMN c",
    "ALTER TABLE t ALTER COLUMN c SET DATA TYPE varchar(20)",
    "ALTER TABLE IF EXISTS t SET COMMENT = 'x'",
    "ALTER VIEW v SET SECURE",
    "DROP SCHEMA s",
    "DROP SEQUENCE seq",
    "DROP FUNCTION f(int)",
    "CREATE SCHEMA s",
    "CREATE INDEX i ON t (a)",
]
_NO_LINEAGE_PG = [
    "GRANT SELECT, INSERT ON t TO analyst",
    "GRANT USAGE ON SCHEMA s TO analyst",
    "REVOKE ALL ON t FROM public",
    "COMMENT ON TABLE t IS 'from x'",
    "ANALYZE t",
    "ANALYZE VERBOSE s.t (a, b)",
    "VACUUM FULL t",
    "VACUUM (VERBOSE, ANALYZE) s.t",
    "CALL my_proc(1, 'x')",
    "SET statement_timeout = 0",
    "SET search_path TO s",
    "SHOW search_path",
    "BEGIN",
    "BEGIN ISOLATION LEVEL SERIALIZABLE",
    "START TRANSACTION",
    "COMMIT",
    "END",
    "CREATE INDEX i ON t (a)",
    "CREATE SCHEMA s AUTHORIZATION u",
    "CREATE EXTENSION postgis",
    "ALTER TABLE t CLUSTER ON idx",
    "ALTER TABLE t SET (fillfactor = 70)",
    "ALTER TABLE t SET TABLESPACE fast",
    "ALTER TABLE t RENAME COLUMN a TO b",
    "ALTER TABLE t RENAME a TO b",
    "ALTER TABLE ONLY t ADD COLUMN c int DEFAULT 0",
    "ALTER TABLE t ALTER COLUMN c TYPE bigint USING c::bigint",
    "ALTER TABLE t OWNER TO bob",
    "ALTER TABLE t ENABLE ROW LEVEL SECURITY",
    "DROP SCHEMA IF EXISTS s CASCADE",
    "DROP INDEX CONCURRENTLY IF EXISTS i",
    "DROP SEQUENCE seq",
    "DROP FUNCTION f",
    "LOCK TABLE t IN ACCESS EXCLUSIVE MODE",
    "LOCK t",
    "NOTIFY chan, 'INSERT INTO fake'",
]
for i, sql in enumerate(_NO_LINEAGE_SF):
    both_ways(f"r5-sf-{i:02d}", "r5", SF, sql, [])
for i, sql in enumerate(_NO_LINEAGE_PG):
    both_ways(f"r5-pg-{i:02d}", "r5", PG, sql, [])
for d in BOTH:
    both_ways(
        f"r5-transaction-around-insert-{d}", "r5", d, "BEGIN; INSERT INTO t SELECT * FROM u; COMMIT;", ["u"], ["t"]
    )

# =========================================================================== rule 6: scripts
for d in BOTH:
    both_ways(
        f"r6-create-then-read-{d}",
        "r6",
        d,
        "CREATE TABLE stage AS SELECT * FROM src; INSERT INTO tgt SELECT * FROM stage;",
        ["src", "stage"],
        ["stage", "tgt"],
    )
    both_ways(
        f"r6-temp-table-{d}",
        "r6",
        d,
        "CREATE TEMP TABLE tmp (a int); INSERT INTO tmp SELECT a FROM src; "
        "INSERT INTO tgt SELECT a FROM tmp; DROP TABLE tmp",
        ["src", "tmp"],
        ["tmp", "tgt"],
    )
    both_ways(
        f"r6-dedupe-across-statements-{d}",
        "r6",
        d,
        "SELECT * FROM a; SELECT * FROM a JOIN b USING (id); DELETE FROM b",
        ["a", "b"],
        ["b"],
    )
    both_ways(f"r6-list-of-texts-{d}", "r6", d, "INSERT INTO x SELECT * FROM y", ["y"], ["x"])
case("r6-sequence-input-sf", "r6", SF, ["INSERT INTO x SELECT * FROM y", "SELECT * FROM x"], ["y", "x"], ["x"])
case(
    "r6-sequence-input-pg",
    "r6",
    PG,
    ("CREATE TABLE x AS SELECT 1 a", "UPDATE y SET a = (SELECT a FROM x)"),
    ["x"],
    ["x", "y"],
)

# =========================================================================== rule 7: name resolution
for d in BOTH:
    case(f"r7-only-db-1part-{d}", "r7", d, "SELECT * FROM t", ["t"], db="d")
    case(f"r7-only-db-2part-{d}", "r7", d, "SELECT * FROM s.t", ["d.s.t"], db="d")
    case(f"r7-only-db-3part-{d}", "r7", d, "SELECT * FROM x.s.t", ["x.s.t"], db="d")
    case(f"r7-only-schema-1part-{d}", "r7", d, "SELECT * FROM t", ["sc.t"], schema="sc")
    case(f"r7-only-schema-2part-{d}", "r7", d, "SELECT * FROM s.t", ["s.t"], schema="sc")
    case(f"r7-both-3part-stays-{d}", "r7", d, "SELECT * FROM x.s.t", ["x.s.t"], db="d", schema="sc")
    case(f"r7-output-only-db-{d}", "r7", d, "INSERT INTO t SELECT * FROM s.u", ["d.s.u"], ["t"], db="d")
    case(
        f"r7-use-schema-2part-{d}",
        "r7",
        d,
        "USE SCHEMA d2.s2; SELECT * FROM t; SELECT * FROM x.u",
        ["d2.s2.t", "d2.x.u"],
    )
    case(
        f"r7-use-schema-2part-defaults-{d}",
        "r7",
        d,
        "USE SCHEMA d2.s2; SELECT * FROM t; SELECT * FROM x.u",
        ["d2.s2.t", "d2.x.u"],
        db="d",
        schema="sc",
    )
    case(
        f"r7-temp-qualified-{d}",
        "r7",
        d,
        "CREATE TEMP TABLE tmp AS SELECT 1 a; SELECT * FROM tmp",
        ["d.sc.tmp"],
        ["d.sc.tmp"],
        db="d",
        schema="sc",
    )
    case(
        f"r7-order-matters-{d}",
        "r7",
        d,
        "SELECT * FROM t; USE SCHEMA s2; SELECT * FROM t",
        ["d.sc.t", "d.s2.t"],
        db="d",
        schema="sc",
    )

case(
    "r7-use-database-sf",
    "r7",
    SF,
    "USE DATABASE d2; SELECT * FROM t; SELECT * FROM s.u",
    ["d2.sc.t", "d2.s.u"],
    db="d",
    schema="sc",
)
case("r7-use-database-no-defaults-sf", "r7", SF, "USE DATABASE d2; SELECT * FROM t; SELECT * FROM s.u", ["t", "d2.s.u"])
case(
    "r7-use-schema-sf",
    "r7",
    SF,
    "USE SCHEMA s2; SELECT * FROM t; SELECT * FROM s.u",
    ["d.s2.t", "d.s.u"],
    db="d",
    schema="sc",
)
case("r7-use-schema-no-db-sf", "r7", SF, "USE SCHEMA s2; SELECT * FROM t", ["s2.t"])
case(
    "r7-use-database-then-schema-sf",
    "r7",
    SF,
    "USE DATABASE d2; USE SCHEMA s2; INSERT INTO t SELECT * FROM u",
    ["d2.s2.u"],
    ["d2.s2.t"],
)
case("r7-use-quoted-sf", "r7", SF, 'USE SCHEMA "My Db"."My Schema"; SELECT * FROM t', ['"My Db"."My Schema".t'])
case(
    "r7-search-path-pg",
    "r7",
    PG,
    "SET search_path TO a, b; SELECT * FROM t; SELECT * FROM x.u",
    ["d.a.t", "d.x.u"],
    db="d",
    schema="sc",
)
case(
    "r7-search-path-equals-pg", "r7", PG, "SET search_path = a, public; SELECT * FROM t", ["d.a.t"], db="d", schema="sc"
)
case("r7-search-path-no-defaults-pg", "r7", PG, "SET search_path TO a; SELECT * FROM t", ["a.t"])
case(
    "r7-search-path-reset-pg",
    "r7",
    PG,
    "SET search_path TO a; SELECT * FROM t; RESET search_path; SELECT * FROM u",
    ["d.a.t", "d.sc.u"],
    db="d",
    schema="sc",
)
case(
    "r7-search-path-reset-none-pg",
    "r7",
    PG,
    "SET search_path TO a; SELECT * FROM t; RESET search_path; SELECT * FROM u",
    ["a.t", "u"],
)
case(
    "r7-search-path-quoted-pg", "r7", PG, 'SET search_path TO "My Schema"; SELECT * FROM t', ['d."My Schema".t'], db="d"
)
case("r7-search-path-session-pg", "r7", PG, "SET SESSION search_path TO a; INSERT INTO t VALUES (1)", [], ["a.t"])
case(
    "r7-search-path-output-pg",
    "r7",
    PG,
    "SET search_path TO a; CREATE TABLE t AS SELECT * FROM b.u",
    ["d.b.u"],
    ["d.a.t"],
    db="d",
    schema="sc",
)
case("r7-db-dot-dot-sf", "r7", SF, "SELECT * FROM db..t", ["db.public.t"])
case("r7-db-dot-dot-defaults-sf", "r7", SF, "SELECT * FROM db..t", ["db.public.t"], db="d", schema="sc")
case("r7-db-dot-dot-output-sf", "r7", SF, "INSERT INTO db..t SELECT 1", [], ["db.public.t"])
case("r7-identifier-2part-sf", "r7", SF, "SELECT * FROM IDENTIFIER('x.y')", ["d.x.y"], db="d", schema="sc")
case("r7-identifier-1part-sf", "r7", SF, "SELECT * FROM IDENTIFIER('t')", ["d.sc.t"], db="d", schema="sc")
case("r7-identifier-3part-sf", "r7", SF, "SELECT * FROM IDENTIFIER('a.b.c')", ["a.b.c"], db="d", schema="sc")
case("r7-identifier-quoted-sf", "r7", SF, "SELECT * FROM IDENTIFIER('\"My T\"')", ['d.sc."My T"'], db="d", schema="sc")
case("r7-identifier-no-defaults-sf", "r7", SF, "SELECT * FROM IDENTIFIER('x.y')", ["x.y"])
case(
    "r7-identifier-output-sf",
    "r7",
    SF,
    "INSERT INTO IDENTIFIER('s.t') SELECT * FROM IDENTIFIER('u')",
    ["d.sc.u"],
    ["d.s.t"],
    db="d",
    schema="sc",
)
case("r7-identifier-create-sf", "r7", SF, "CREATE TABLE IDENTIFIER('s.t') (a int)", [], ["s.t"])
case("r7-identifier-var-sf", "r7", SF, "SET v = 'x.y'; SELECT * FROM IDENTIFIER($v)", ["d.x.y"], db="d", schema="sc")
case(
    "r7-identifier-var-1part-sf",
    "r7",
    SF,
    "SET tbl = 'orders'; DELETE FROM IDENTIFIER($tbl)",
    [],
    ["d.sc.orders"],
    db="d",
    schema="sc",
)
case("r7-identifier-var-3part-sf", "r7", SF, "SET v = 'a.b.c'; SELECT * FROM IDENTIFIER($v)", ["a.b.c"])
case(
    "r7-identifier-var-reassigned-sf",
    "r7",
    SF,
    "SET v = 'a'; SELECT * FROM IDENTIFIER($v); SET v = 'b'; SELECT * FROM IDENTIFIER($v)",
    ["a", "b"],
)
case("r7-identifier-var-case-sf", "r7", SF, "SET MyVar = 's.t'; SELECT * FROM IDENTIFIER($myvar)", ["s.t"])
case(
    "r7-identifier-var-multi-set-sf",
    "r7",
    SF,
    "SET (src, dst) = ('s.a', 's.b'); INSERT INTO IDENTIFIER($dst) SELECT * FROM IDENTIFIER($src)",
    ["s.a"],
    ["s.b"],
)
case(
    "r7-identifier-var-then-use-sf",
    "r7",
    SF,
    "SET v = 't'; USE SCHEMA s9; SELECT * FROM IDENTIFIER($v)",
    ["d.s9.t"],
    db="d",
    schema="sc",
)
case("r7-rename-keeps-schema-pg", "r7", PG, "ALTER TABLE s.t RENAME TO n", ["d.s.t"], ["d.s.n"], db="d", schema="sc")
case(
    "r7-rename-keeps-schema-3part-pg",
    "r7",
    PG,
    "ALTER TABLE x.s.t RENAME TO n",
    ["x.s.t"],
    ["x.s.n"],
    db="d",
    schema="sc",
)
case("r7-rename-keeps-schema-nodefaults-pg", "r7", PG, "ALTER TABLE s.t RENAME TO n", ["s.t"], ["s.n"])
case("r7-rename-1part-pg", "r7", PG, "ALTER TABLE t RENAME TO n", ["d.sc.t"], ["d.sc.n"], db="d", schema="sc")
case("r7-rename-1part-nodefaults-pg", "r7", PG, "ALTER TABLE t RENAME TO n", ["t"], ["n"])
case(
    "r7-rename-search-path-pg",
    "r7",
    PG,
    "SET search_path TO x; ALTER TABLE t RENAME TO n",
    ["d.x.t"],
    ["d.x.n"],
    db="d",
)
case("r7-rename-sf", "r7", SF, "ALTER TABLE s.t RENAME TO n", ["d.s.t"], ["d.sc.n"], db="d", schema="sc")
case("r7-rename-qualified-sf", "r7", SF, "ALTER TABLE s.t RENAME TO s2.n", ["d.s.t"], ["d.s2.n"], db="d", schema="sc")
case("r7-set-schema-pg", "r7", PG, "ALTER TABLE s.t SET SCHEMA s2", ["d.s.t"], ["d.s2.t"], db="d", schema="sc")
case("r7-set-schema-1part-pg", "r7", PG, "ALTER TABLE t SET SCHEMA s2", ["d.sc.t"], ["d.s2.t"], db="d", schema="sc")
case("r7-set-schema-nodefaults-pg", "r7", PG, "ALTER TABLE s.t SET SCHEMA s2", ["s.t"], ["s2.t"])
case("r7-set-schema-view-pg", "r7", PG, "ALTER VIEW IF EXISTS v SET SCHEMA archive", ["v"], ["archive.v"])
case(
    "r7-swap-defaults-sf",
    "r7",
    SF,
    "ALTER TABLE a SWAP WITH b",
    ["d.sc.a", "d.sc.b"],
    ["d.sc.a", "d.sc.b"],
    db="d",
    schema="sc",
)
case("r7-temp-pg", "r7", PG, "CREATE TEMP TABLE tmp (a int)", [], ["d.public.tmp"], db="d", schema="public")

# =========================================================================== names and case normalisation
for d in BOTH:
    case(
        f"nm-spec-example-{d}",
        "names",
        d,
        'SELECT * FROM analytics."Sales Data"."Q1 ""Final"" Orders"',
        ['analytics."Sales Data"."Q1 ""Final"" Orders"'],
    )
    case(
        f"nm-spec-example-output-{d}",
        "names",
        d,
        'INSERT INTO analytics."Sales Data"."Q1 ""Final"" Orders" SELECT 1',
        [],
        ['analytics."Sales Data"."Q1 ""Final"" Orders"'],
    )
    case(f"nm-quoted-dot-{d}", "names", d, 'SELECT * FROM "a.b".c', ['"a.b".c'])
    case(f"nm-quoted-default-qualify-{d}", "names", d, 'SELECT * FROM "My T"', ['d.sc."My T"'], db="d", schema="sc")
    case(f"nm-unquoted-as-written-{d}", "names", d, "SELECT * FROM Sales.Orders", ["Sales.Orders"])
    case(f"nm-mixed-quote-parts-{d}", "names", d, 'SELECT * FROM "Raw".events', ['"Raw".events'])
    case(f"nm-quoted-with-defaults-2part-{d}", "names", d, 'SELECT * FROM "S"."T"', ['d."S"."T"'], db="d")
case("nm-sf-quoted-upper-equals", "names", SF, 'SELECT * FROM "ORDERS" o JOIN orders p ON o.id = p.id', ['"ORDERS"'])
case(
    "nm-sf-upper-lower-equal",
    "names",
    SF,
    "SELECT * FROM Orders JOIN ORDERS USING (id) JOIN orders USING (id)",
    ["Orders"],
)
case(
    "nm-sf-quoted-lower-distinct",
    "names",
    SF,
    'SELECT * FROM "raw"."events" JOIN RAW.EVENTS USING (id)',
    ['"raw"."events"', "RAW.EVENTS"],
)
case(
    "nm-sf-quoted-lower-vs-lower", "names", SF, 'SELECT * FROM "orders" JOIN orders USING (id)', ['"orders"', "orders"]
)
case(
    "nm-sf-dedupe-defaults",
    "names",
    SF,
    'SELECT * FROM orders JOIN "ORDERS" USING (id) JOIN sc.ORDERS USING (id)',
    ["d.sc.orders"],
    db="d",
    schema="sc",
)
case("nm-sf-dedupe-in-out", "names", SF, 'INSERT INTO "T" SELECT * FROM t', ["t"], ['"T"'])
case("nm-pg-quoted-lower-equals", "names", PG, 'SELECT * FROM "orders" JOIN orders USING (id)', ['"orders"'])
case(
    "nm-pg-quoted-upper-distinct", "names", PG, 'SELECT * FROM "ORDERS" JOIN orders USING (id)', ['"ORDERS"', "orders"]
)
case("nm-pg-upper-lower-equal", "names", PG, "SELECT * FROM Orders JOIN ORDERS USING (id)", ["Orders"])
case("nm-pg-quoted-mixed", "names", PG, 'SELECT * FROM "Orders" JOIN "orders" USING (id)', ['"Orders"', '"orders"'])
case("nm-pg-dedupe-in-out", "names", PG, 'UPDATE "t" SET a = 1 FROM t AS x WHERE x.id = "t".id', ["t"], ['"t"'])
case("nm-pg-quoted-escape", "names", PG, 'SELECT * FROM "we""ird"', ['"we""ird"'])
case("nm-sf-quoted-escape", "names", SF, 'CREATE TABLE "a""b" (x int)', [], ['"a""b"'])
case("nm-unicode", "names", PG, "SELECT * FROM café", ["café"])
case("nm-generic-folds", "names", GEN, 'SELECT * FROM "ORDERS" JOIN orders USING (id)', ['"ORDERS"', "orders"])

# =========================================================================== contested corners
case(
    "cc-returning-into-other-pg",
    "contested",
    PG,
    "WITH d AS (DELETE FROM src WHERE x RETURNING *) INSERT INTO dst SELECT * FROM d",
    [],
    ["src", "dst"],
)
for d in BOTH:
    case(
        f"cc-like-{d}", "contested", d, "CREATE TABLE t LIKE s" if d == SF else "CREATE TABLE t (LIKE s)", ["s"], ["t"]
    )
case("cc-clone-sf", "contested", SF, "CREATE TABLE t CLONE s", ["s"], ["t"])
case("cc-undrop-sf", "contested", SF, "UNDROP TABLE t", [], ["t"])
case("cc-undrop-view-sf", "contested", SF, "UNDROP VIEW v", [], ["v"])
case("cc-refresh-pg", "contested", PG, "REFRESH MATERIALIZED VIEW mv", [], ["mv"])
case("cc-set-schema-pg", "contested", PG, "ALTER TABLE t SET SCHEMA s", ["t"], ["s.t"])
case("cc-alter-props-sf", "contested", SF, "ALTER TABLE t SET CHANGE_TRACKING = TRUE", [])
case("cc-alter-props-pg", "contested", PG, "ALTER TABLE t ADD COLUMN x int, DROP COLUMN y", [])
case(
    "cc-temp-pg",
    "contested",
    PG,
    "CREATE TEMP TABLE tmp AS SELECT * FROM u",
    ["d.s.u"],
    ["d.s.tmp"],
    db="d",
    schema="s",
)
case("cc-identifier-var-sf", "contested", SF, "SET t = 'db.s.x'; TRUNCATE TABLE IDENTIFIER($t)", [], ["db.s.x"])
case("cc-identifier-var-unset-sf", "contested", SF, "SELECT * FROM IDENTIFIER($never_set) JOIN u USING (id)", ["u"])

# =========================================================================== comments per dialect (rule 4)
both_ways("cm-double-slash-sf", "comments", SF, "SELECT * FROM t // JOIN fake ON true\nJOIN u ON true", ["t", "u"])
both_ways(
    "cm-double-slash-line-sf",
    "comments",
    SF,
    "// INSERT INTO fake SELECT 1\nINSERT INTO t SELECT * FROM u",
    ["u"],
    ["t"],
)
both_ways(
    "cm-double-slash-in-string-sf",
    "comments",
    SF,
    "COPY INTO t FROM 's3://b/p//x' FILE_FORMAT = (TYPE = CSV)",
    [],
    ["t"],
)
both_ways("cm-nested-block-pg", "comments", PG, "SELECT 1 /* a /* b */ FROM fake */ FROM t", ["t"])
both_ways(
    "cm-nested-block-deep-pg",
    "comments",
    PG,
    "INSERT INTO t /* x /* y /* z */ JOIN fake1 */ JOIN fake2 */ SELECT * FROM u",
    ["u"],
    ["t"],
)
both_ways("cm-block-not-nested-sf", "comments", SF, "SELECT 1 /* a /* b */ FROM t", ["t"])
both_ways("cm-block-in-string-pg", "comments", PG, "SELECT '/* x' FROM t JOIN u ON '*/' = u.a", ["t", "u"])
both_ways("r1-copy-binary-pg", "r1", PG, "COPY BINARY t FROM '/x.bin'", [], ["t"])
