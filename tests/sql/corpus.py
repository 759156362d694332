"""Hand-written lineage corpus: SQL, dialect, defaults, expected inputs/outputs.

Expectations are written by hand from the SQL-lineage contract in the README, as
names in the spec's ``str()`` form; they are compared with the library's
names using the spec's equality (case rules of the dialect).  The record
shape and ``case(...)`` come from ``cases.py``; the tests and the benchmark
(benchmarks/bench_sql_lineage.py) load this file by path with
``cases.load_corpus``, so import nothing else from the test suite.
"""

from __future__ import annotations

from tests.sql.cases import GEN, PG, SF, new_corpus

CASES, case = new_corpus()


# --------------------------------------------------------------------------- select
for d in (SF, PG):
    case(f"select-simple-{d}", "select", d, "SELECT a, b FROM orders", ["orders"])
    case(
        f"select-qualified-{d}", "select", d, "select * from raw.public.orders o where o.id > 3", ["raw.public.orders"]
    )
    case(
        f"select-join-{d}",
        "select",
        d,
        "SELECT o.id, c.name FROM sales.orders o JOIN sales.customers c ON c.id = o.cid",
        ["sales.orders", "sales.customers"],
    )
    case(
        f"select-left-join-{d}",
        "select",
        d,
        "SELECT * FROM a LEFT OUTER JOIN b ON a.id = b.id RIGHT JOIN c ON c.id = b.id FULL OUTER JOIN d ON d.id = c.id",
        ["a", "b", "c", "d"],
    )
    case(f"select-cross-natural-{d}", "select", d, "SELECT * FROM a CROSS JOIN b NATURAL JOIN c", ["a", "b", "c"])
    case(f"select-comma-join-{d}", "select", d, "SELECT * FROM a, b AS bb, s.c cc WHERE a.x = bb.x", ["a", "b", "s.c"])
    case(f"select-using-{d}", "select", d, "SELECT * FROM a JOIN b USING (id) JOIN c USING (id, dt)", ["a", "b", "c"])
    case(
        f"select-subquery-from-{d}",
        "select",
        d,
        "SELECT * FROM (SELECT id FROM events WHERE kind = 'x') sub",
        ["events"],
    )
    case(
        f"select-subquery-where-{d}",
        "select",
        d,
        "SELECT * FROM a WHERE id IN (SELECT id FROM b) AND EXISTS (SELECT 1 FROM c WHERE c.id = a.id)",
        ["a", "b", "c"],
    )
    case(
        f"select-scalar-subquery-{d}",
        "select",
        d,
        "SELECT id, (SELECT max(v) FROM lookup l WHERE l.id = a.id) AS mx FROM a",
        ["lookup", "a"],
    )
    case(
        f"select-case-subquery-{d}",
        "select",
        d,
        "SELECT CASE WHEN x > (SELECT avg(x) FROM stats) THEN 1 ELSE 0 END FROM facts",
        ["stats", "facts"],
    )
    case(
        f"select-union-{d}",
        "select",
        d,
        "SELECT id FROM a UNION ALL SELECT id FROM b UNION SELECT id FROM c",
        ["a", "b", "c"],
    )
    case(
        f"select-intersect-except-{d}",
        "select",
        d,
        "SELECT id FROM a INTERSECT SELECT id FROM b EXCEPT SELECT id FROM c",
        ["a", "b", "c"],
    )
    case(f"select-paren-union-{d}", "select", d, "(SELECT id FROM a) UNION (SELECT id FROM b)", ["a", "b"])
    case(f"select-distinct-from-{d}", "select", d, "SELECT * FROM a WHERE a.x IS DISTINCT FROM a.y", ["a"])
    case(
        f"select-extract-{d}",
        "select",
        d,
        "SELECT EXTRACT(YEAR FROM created_at), SUBSTRING(name FROM 2 FOR 3), TRIM(BOTH ' ' FROM s) FROM users",
        ["users"],
    )
    case(f"select-column-qualifiers-{d}", "select", d, "SELECT db.s.t.col, t.x FROM db.s.t", ["db.s.t"])
    case(
        f"select-nested-join-{d}",
        "select",
        d,
        "SELECT * FROM (a JOIN b ON a.id = b.id) JOIN c ON c.id = a.id",
        ["a", "b", "c"],
    )
    case(
        f"select-group-order-{d}",
        "select",
        d,
        "SELECT k, count(*) FROM t GROUP BY k HAVING count(*) > (SELECT 1 FROM h) ORDER BY 2 LIMIT 10",
        ["t", "h"],
    )
    case(f"select-window-{d}", "select", d, "SELECT id, row_number() OVER (PARTITION BY k ORDER BY ts) FROM w", ["w"])
    case(f"select-no-from-{d}", "select", d, "SELECT 1, now(), 'FROM x'", [])
    case(f"select-values-{d}", "select", d, "SELECT * FROM (VALUES (1, 'a'), (2, 'b')) AS v(id, name)", [])
    case(f"select-self-join-{d}", "select", d, "SELECT * FROM emp e JOIN emp m ON e.mgr = m.id", ["emp"])

case(
    "select-snowflake-qualify",
    "select",
    SF,
    "SELECT * FROM t QUALIFY row_number() OVER (PARTITION BY id ORDER BY ts DESC) = 1",
    ["t"],
)
case(
    "select-snowflake-at",
    "select",
    SF,
    "SELECT * FROM orders AT(OFFSET => -60*5) o JOIN c BEFORE(STATEMENT => '8e5d') ON true",
    ["orders", "c"],
)
case(
    "select-snowflake-sample",
    "select",
    SF,
    "SELECT * FROM big SAMPLE (10) JOIN small TABLESAMPLE BERNOULLI (5) ON 1=1",
    ["big", "small"],
)
case(
    "select-snowflake-pivot",
    "select",
    SF,
    "SELECT * FROM monthly_sales PIVOT(SUM(amount) FOR month IN (SELECT m FROM months)) AS p",
    ["monthly_sales", "months"],
)
case("select-snowflake-unpivot", "select", SF, "SELECT * FROM sales UNPIVOT(v FOR m IN (jan, feb))", ["sales"])
case(
    "select-snowflake-asof",
    "select",
    SF,
    "SELECT * FROM trades t ASOF JOIN quotes q MATCH_CONDITION(t.ts >= q.ts) ON t.sym = q.sym",
    ["trades", "quotes"],
)
case("select-snowflake-json-path", "select", SF, "SELECT v:customer.name::string, v['x'] FROM raw_json", ["raw_json"])
case("select-snowflake-minus", "select", SF, "SELECT id FROM a MINUS SELECT id FROM b", ["a", "b"])
case(
    "select-snowflake-changes",
    "select",
    SF,
    "SELECT * FROM t CHANGES(INFORMATION => DEFAULT) AT(TIMESTAMP => '2024-01-01'::timestamp)",
    ["t"],
)
case(
    "select-pg-lateral",
    "select",
    PG,
    "SELECT * FROM users u LEFT JOIN LATERAL (SELECT * FROM orders o WHERE o.uid = u.id LIMIT 3) lo ON true",
    ["users", "orders"],
)
case("select-pg-only", "select", PG, "SELECT * FROM ONLY parent_tbl", ["parent_tbl"])
case("select-pg-table-stmt", "select", PG, "TABLE archive.events", ["archive.events"])
case("select-pg-cast", "select", PG, "SELECT x::text, '{}'::jsonb -> 'a' FROM t1 WHERE y::int = 1", ["t1"])
case(
    "select-pg-array-subquery",
    "select",
    PG,
    "SELECT ARRAY(SELECT id FROM child c WHERE c.p = p.id) FROM parent p",
    ["child", "parent"],
)
case("select-pg-filter", "select", PG, "SELECT count(*) FILTER (WHERE x > 0) FROM measures", ["measures"])
case(
    "select-pg-for-update",
    "select",
    PG,
    "SELECT * FROM jobs WHERE state = 'new' FOR UPDATE OF jobs SKIP LOCKED",
    ["jobs"],
)
case("select-pg-any-subquery", "select", PG, "SELECT * FROM a WHERE id = ANY (SELECT id FROM b)", ["a", "b"])
case(
    "select-pg-overlay",
    "select",
    PG,
    "SELECT overlay(s PLACING 'x' FROM 2 FOR 1), position('a' IN s) FROM strs",
    ["strs"],
)
case(
    "select-generic",
    "select",
    GEN,
    "SELECT * FROM Sales.Orders JOIN sales.customers USING (id)",
    ["sales.orders", "sales.customers"],
)

# --------------------------------------------------------------------------- cte
case("cte-basic-sf", "cte", SF, "WITH x AS (SELECT * FROM src) SELECT * FROM x", ["src"])
case("cte-basic-pg", "cte", PG, "WITH x AS (SELECT * FROM src) SELECT * FROM x", ["src"])
case(
    "cte-chain-pg",
    "cte",
    PG,
    "WITH a AS (SELECT * FROM t1), b AS (SELECT * FROM a JOIN t2 USING (id)) SELECT * FROM b",
    ["t1", "t2"],
)
case(
    "cte-chain-sf",
    "cte",
    SF,
    "WITH a AS (SELECT * FROM t1), b AS (SELECT * FROM a JOIN t2 USING (id)) SELECT * FROM b",
    ["t1", "t2"],
)
case(
    "cte-shadow-table-pg",
    "cte",
    PG,
    "WITH orders AS (SELECT * FROM orders WHERE status = 'paid') SELECT * FROM orders",
    ["orders"],
)
case(
    "cte-shadow-table-sf",
    "cte",
    SF,
    "WITH orders AS (SELECT * FROM orders WHERE status = 'paid') SELECT * FROM orders",
    [],
)
case(
    "cte-shadow-qualified-pg",
    "cte",
    PG,
    "WITH orders AS (SELECT * FROM public.orders) SELECT * FROM orders JOIN public.orders p USING (id)",
    ["public.orders"],
)
case(
    "cte-shadow-qualified-sf",
    "cte",
    SF,
    "WITH orders AS (SELECT * FROM raw.orders) SELECT * FROM orders",
    ["raw.orders"],
)
case(
    "cte-recursive-pg",
    "cte",
    PG,
    "WITH RECURSIVE tree AS (SELECT id, parent FROM nodes WHERE parent IS NULL UNION ALL "
    "SELECT n.id, n.parent FROM nodes n JOIN tree t ON n.parent = t.id) SELECT * FROM tree",
    ["nodes"],
)
case(
    "cte-recursive-sf-no-keyword",
    "cte",
    SF,
    "WITH tree AS (SELECT id, parent FROM nodes WHERE parent IS NULL UNION ALL "
    "SELECT n.id, n.parent FROM nodes n JOIN tree t ON n.parent = t.id) SELECT * FROM tree",
    ["nodes"],
)
case(
    "cte-recursive-pg-no-keyword",
    "cte",
    PG,
    "WITH tree AS (SELECT id FROM nodes UNION ALL SELECT n.id FROM nodes n JOIN tree t ON n.parent = t.id) SELECT * FROM tree",
    ["nodes", "tree"],
)
case(
    "cte-forward-ref-pg",
    "cte",
    PG,
    "WITH a AS (SELECT * FROM b), b AS (SELECT * FROM src) SELECT * FROM a",
    ["b", "src"],
)
case(
    "cte-forward-ref-recursive-pg",
    "cte",
    PG,
    "WITH RECURSIVE a AS (SELECT * FROM b), b AS (SELECT * FROM src) SELECT * FROM a",
    ["src"],
)
case(
    "cte-in-derived-invisible-pg",
    "cte",
    PG,
    "SELECT * FROM (WITH x AS (SELECT * FROM inner_src) SELECT * FROM x) d JOIN x ON x.id = d.id",
    ["inner_src", "x"],
)
case(
    "cte-in-derived-invisible-sf",
    "cte",
    SF,
    "SELECT * FROM (WITH x AS (SELECT * FROM inner_src) SELECT * FROM x) d JOIN x ON x.id = d.id",
    ["inner_src", "x"],
)
case(
    "cte-in-subquery-where-pg",
    "cte",
    PG,
    "SELECT * FROM t WHERE id IN (WITH s AS (SELECT id FROM u) SELECT id FROM s)",
    ["t", "u"],
)
case(
    "cte-quoted-name-sf",
    "cte",
    SF,
    'WITH "Mixed" AS (SELECT * FROM src) SELECT * FROM "Mixed" JOIN mixed USING (id)',
    ["src", "mixed"],
)
case("cte-quoted-upper-sf", "cte", SF, 'WITH "STAGE1" AS (SELECT * FROM src) SELECT * FROM stage1', ["src"])
case("cte-case-insensitive-pg", "cte", PG, "WITH Recent AS (SELECT * FROM ev) SELECT * FROM RECENT", ["ev"])
case("cte-column-list-pg", "cte", PG, "WITH c(a, b) AS (SELECT x, y FROM src) SELECT a FROM c", ["src"])
case(
    "cte-materialized-pg",
    "cte",
    PG,
    "WITH c AS MATERIALIZED (SELECT * FROM src), d AS NOT MATERIALIZED (SELECT * FROM c) SELECT * FROM d",
    ["src"],
)
case(
    "cte-insert-pg",
    "cte",
    PG,
    "WITH s AS (SELECT * FROM staging) INSERT INTO target SELECT * FROM s",
    ["staging"],
    ["target"],
)
case(
    "cte-inside-insert-sf",
    "cte",
    SF,
    "INSERT INTO target WITH s AS (SELECT * FROM staging) SELECT * FROM s",
    ["staging"],
    ["target"],
)
case(
    "cte-data-modifying-pg",
    "cte",
    PG,
    "WITH moved AS (DELETE FROM queue WHERE done RETURNING *) INSERT INTO archive SELECT * FROM moved",
    [],
    ["queue", "archive"],
)
case(
    "cte-data-modifying-update-pg",
    "cte",
    PG,
    "WITH upd AS (UPDATE accounts SET bal = bal - 1 FROM fees f WHERE f.id = accounts.id RETURNING accounts.id) "
    "SELECT * FROM upd",
    ["fees"],
    ["accounts"],
)
case(
    "cte-nested-scope-pg",
    "cte",
    PG,
    "WITH a AS (WITH b AS (SELECT * FROM src) SELECT * FROM b) SELECT * FROM a, b",
    ["src", "b"],
)
case(
    "cte-view-body-sf",
    "cte",
    SF,
    "CREATE VIEW v AS WITH x AS (SELECT * FROM s1) SELECT * FROM x JOIN s2 USING (id)",
    ["s1", "s2"],
    ["v"],
)
case("cte-generic-self", "cte", GEN, "WITH t AS (SELECT * FROM t) SELECT * FROM t", ["t"])
case(
    "cte-union-branches-pg", "cte", PG, "WITH a AS (SELECT 1 AS id) SELECT id FROM a UNION ALL SELECT id FROM b", ["b"]
)

# --------------------------------------------------------------------------- insert
for d in (SF, PG):
    case(f"insert-values-{d}", "insert", d, "INSERT INTO t (a, b) VALUES (1, 'x'), (2, 'y')", [], ["t"])
    case(
        f"insert-select-{d}",
        "insert",
        d,
        "INSERT INTO dw.fact SELECT * FROM stage.fact_new",
        ["stage.fact_new"],
        ["dw.fact"],
    )
    case(
        f"insert-cols-select-{d}",
        "insert",
        d,
        "INSERT INTO tgt (a, b) SELECT x, y FROM s1 JOIN s2 ON s1.k = s2.k",
        ["s1", "s2"],
        ["tgt"],
    )
    case(f"insert-self-{d}", "insert", d, "INSERT INTO t SELECT * FROM t WHERE id < 0", ["t"], ["t"])
    case(
        f"insert-values-subquery-{d}",
        "insert",
        d,
        "INSERT INTO t VALUES ((SELECT max(id) + 1 FROM ids), 'x')",
        ["ids"],
        ["t"],
    )
    case(f"insert-paren-select-{d}", "insert", d, "INSERT INTO t (SELECT * FROM s)", ["s"], ["t"])
case(
    "insert-overwrite-sf",
    "insert",
    SF,
    "INSERT OVERWRITE INTO daily SELECT * FROM staging_daily",
    ["staging_daily"],
    ["daily"],
)
case(
    "insert-on-conflict-pg",
    "insert",
    PG,
    "INSERT INTO kv (k, v) VALUES ('a', 1) ON CONFLICT (k) DO UPDATE SET v = EXCLUDED.v, w = kv.w + 1",
    [],
    ["kv"],
)
case(
    "insert-on-conflict-nothing-pg",
    "insert",
    PG,
    "INSERT INTO kv SELECT k, v FROM src ON CONFLICT DO NOTHING",
    ["src"],
    ["kv"],
)
case("insert-returning-pg", "insert", PG, "INSERT INTO t (a) VALUES (1) RETURNING id, a", [], ["t"])
case("insert-default-values-pg", "insert", PG, "INSERT INTO t DEFAULT VALUES", [], ["t"])
case(
    "insert-alias-pg",
    "insert",
    PG,
    "INSERT INTO t AS x (a) SELECT a FROM s ON CONFLICT (a) DO UPDATE SET a = x.a",
    ["s"],
    ["t"],
)
case(
    "insert-generic-overwrite-table",
    "insert",
    GEN,
    "INSERT OVERWRITE TABLE part_t SELECT * FROM src",
    ["src"],
    ["part_t"],
)
case("insert-union-sf", "insert", SF, "INSERT INTO t SELECT id FROM a UNION ALL SELECT id FROM b", ["a", "b"], ["t"])

# --------------------------------------------------------------------------- insert all / first
case(
    "insert-all-unconditional",
    "insert_all",
    SF,
    "INSERT ALL INTO t1 INTO t2 (a, b) VALUES (x, y) SELECT x, y FROM src",
    ["src"],
    ["t1", "t2"],
)
case(
    "insert-all-conditional",
    "insert_all",
    SF,
    "INSERT ALL WHEN amount > 100 THEN INTO big_orders WHEN amount <= 100 THEN INTO small_orders (id) VALUES (id) "
    "ELSE INTO other_orders SELECT id, amount FROM raw.orders",
    ["raw.orders"],
    ["big_orders", "small_orders", "other_orders"],
)
case(
    "insert-first",
    "insert_all",
    SF,
    "INSERT FIRST WHEN c = 1 THEN INTO a WHEN c = 2 THEN INTO b SELECT c FROM s",
    ["s"],
    ["a", "b"],
)
case(
    "insert-overwrite-all",
    "insert_all",
    SF,
    "INSERT OVERWRITE ALL INTO x1 INTO x2 SELECT * FROM src JOIN dim USING (k)",
    ["src", "dim"],
    ["x1", "x2"],
)
case(
    "insert-all-qualified",
    "insert_all",
    SF,
    "INSERT ALL INTO db1.s1.t1 VALUES (a) INTO s2.t2 VALUES (b) SELECT a, b FROM s3.src",
    ["s3.src"],
    ["db1.s1.t1", "s2.t2"],
)
case(
    "insert-all-with-cte",
    "insert_all",
    SF,
    "INSERT ALL INTO t1 INTO t2 WITH c AS (SELECT * FROM src) SELECT * FROM c",
    ["src"],
    ["t1", "t2"],
)
case(
    "insert-all-paren-query", "insert_all", SF, "INSERT ALL INTO t1 INTO t2 (SELECT * FROM src)", ["src"], ["t1", "t2"]
)
case(
    "insert-all-same-table",
    "insert_all",
    SF,
    "INSERT ALL WHEN a = 1 THEN INTO t WHEN a = 2 THEN INTO T SELECT a FROM s",
    ["s"],
    ["t"],
)
case(
    "insert-all-defaults",
    "insert_all",
    SF,
    "INSERT ALL INTO t1 INTO t2 SELECT * FROM src",
    ["DB.SC.src"],
    ["DB.SC.t1", "DB.SC.t2"],
    db="DB",
    schema="SC",
)

# --------------------------------------------------------------------------- update
for d in (SF, PG):
    case(f"update-simple-{d}", "update", d, "UPDATE accounts SET balance = 0 WHERE id = 4", [], ["accounts"])
    case(f"update-from-{d}", "update", d, "UPDATE t SET x = s.x FROM src s WHERE s.id = t.id", ["src"], ["t"])
    case(
        f"update-subquery-set-{d}",
        "update",
        d,
        "UPDATE t SET x = (SELECT max(v) FROM vals WHERE vals.id = t.id)",
        ["vals"],
        ["t"],
    )
    case(
        f"update-where-subquery-{d}",
        "update",
        d,
        "UPDATE t SET flag = true WHERE id IN (SELECT id FROM flagged)",
        ["flagged"],
        ["t"],
    )
    case(
        f"update-self-subquery-{d}",
        "update",
        d,
        "UPDATE t SET x = 1 WHERE id IN (SELECT id FROM t WHERE y = 2)",
        ["t"],
        ["t"],
    )
    case(
        f"update-alias-{d}",
        "update",
        d,
        "UPDATE s.t AS tt SET x = 1 FROM s.u uu, s.v vv WHERE tt.id = uu.id",
        ["s.u", "s.v"],
        ["s.t"],
    )
case("update-returning-pg", "update", PG, "UPDATE t SET x = x + 1 WHERE id = 1 RETURNING x", [], ["t"])
case("update-only-pg", "update", PG, "UPDATE ONLY parent SET x = 1", [], ["parent"])
case("update-tuple-pg", "update", PG, "UPDATE t SET (a, b) = (SELECT a, b FROM s WHERE s.id = t.id)", ["s"], ["t"])
case(
    "update-from-join-sf",
    "update",
    SF,
    "UPDATE t1 SET t1.v = x.v FROM (SELECT t2.id, t3.v FROM t2 JOIN t3 ON t2.k = t3.k) x WHERE x.id = t1.id",
    ["t2", "t3"],
    ["t1"],
)

# --------------------------------------------------------------------------- delete
for d in (SF, PG):
    case(f"delete-simple-{d}", "delete", d, "DELETE FROM logs WHERE ts < '2020-01-01'", [], ["logs"])
    case(f"delete-using-{d}", "delete", d, "DELETE FROM t USING s WHERE s.id = t.id", ["s"], ["t"])
    case(f"delete-subquery-{d}", "delete", d, "DELETE FROM t WHERE id IN (SELECT id FROM dead)", ["dead"], ["t"])
    case(f"delete-all-{d}", "delete", d, "DELETE FROM sch.t", [], ["sch.t"])
case("delete-returning-pg", "delete", PG, "DELETE FROM t WHERE x RETURNING *", [], ["t"])
case(
    "delete-using-multi-pg",
    "delete",
    PG,
    "DELETE FROM t USING a, b WHERE a.id = t.id AND b.id = t.id",
    ["a", "b"],
    ["t"],
)
case(
    "delete-using-subquery-sf", "delete", SF, "DELETE FROM t USING (SELECT id FROM s) x WHERE x.id = t.id", ["s"], ["t"]
)
case("delete-only-pg", "delete", PG, "DELETE FROM ONLY p WHERE true", [], ["p"])
case("delete-self-pg", "delete", PG, "DELETE FROM t WHERE id NOT IN (SELECT min(id) FROM t GROUP BY k)", ["t"], ["t"])

# --------------------------------------------------------------------------- merge
for d in (SF, PG):
    case(
        f"merge-basic-{d}",
        "merge",
        d,
        "MERGE INTO tgt t USING src s ON t.id = s.id WHEN MATCHED THEN UPDATE SET v = s.v "
        "WHEN NOT MATCHED THEN INSERT (id, v) VALUES (s.id, s.v)",
        ["src"],
        ["tgt"],
    )
    case(
        f"merge-subquery-{d}",
        "merge",
        d,
        "MERGE INTO dw.dim d USING (SELECT * FROM stage.dim_new WHERE ok) n ON d.k = n.k "
        "WHEN MATCHED AND n.del THEN DELETE WHEN MATCHED THEN UPDATE SET a = n.a",
        ["stage.dim_new"],
        ["dw.dim"],
    )
    case(
        f"merge-cte-{d}",
        "merge",
        d,
        "MERGE INTO tgt USING (WITH x AS (SELECT * FROM raw) SELECT * FROM x) s ON tgt.id = s.id "
        "WHEN NOT MATCHED THEN INSERT VALUES (s.id)",
        ["raw"],
        ["tgt"],
    )
case(
    "merge-self-sf",
    "merge",
    SF,
    "MERGE INTO t USING (SELECT id, max(v) v FROM t GROUP BY id) s ON t.id = s.id WHEN MATCHED THEN DELETE",
    ["t"],
    ["t"],
)
case(
    "merge-set-subquery-sf",
    "merge",
    SF,
    "MERGE INTO t USING s ON t.id = s.id WHEN MATCHED THEN UPDATE SET v = (SELECT max(v) FROM other)",
    ["s", "other"],
    ["t"],
)
case(
    "merge-as-alias-pg",
    "merge",
    PG,
    "MERGE INTO customer_account AS ca USING recent_transactions AS tx ON tx.customer_id = ca.customer_id "
    "WHEN MATCHED THEN UPDATE SET balance = balance + transaction_value "
    "WHEN NOT MATCHED THEN INSERT VALUES (tx.customer_id, tx.transaction_value) WHEN NOT MATCHED BY SOURCE THEN DO NOTHING",
    ["recent_transactions"],
    ["customer_account"],
)

# --------------------------------------------------------------------------- create
for d in (SF, PG):
    case(f"create-table-{d}", "create", d, "CREATE TABLE t (id INT PRIMARY KEY, name TEXT NOT NULL)", [], ["t"])
    case(f"create-table-if-not-exists-{d}", "create", d, "CREATE TABLE IF NOT EXISTS s.t (id INT)", [], ["s.t"])
    case(f"ctas-{d}", "create", d, "CREATE TABLE new_t AS SELECT * FROM old_t WHERE x > 0", ["old_t"], ["new_t"])
    case(
        f"ctas-paren-{d}",
        "create",
        d,
        "CREATE TABLE new_t AS (SELECT a FROM x UNION SELECT a FROM y)",
        ["x", "y"],
        ["new_t"],
    )
    case(
        f"create-view-{d}",
        "create",
        d,
        "CREATE VIEW v_orders AS SELECT * FROM orders JOIN items USING (oid)",
        ["orders", "items"],
        ["v_orders"],
    )
    case(
        f"create-or-replace-view-{d}",
        "create",
        d,
        "CREATE OR REPLACE VIEW rpt.v AS SELECT a FROM rpt.base",
        ["rpt.base"],
        ["rpt.v"],
    )
    case(f"create-temp-table-{d}", "create", d, "CREATE TEMPORARY TABLE tmp_x AS SELECT * FROM src", ["src"], ["tmp_x"])
    case(
        f"create-mv-{d}",
        "create",
        d,
        "CREATE MATERIALIZED VIEW mv AS SELECT k, sum(v) FROM facts GROUP BY k",
        ["facts"],
        ["mv"],
    )
    case(
        f"create-references-{d}",
        "create",
        d,
        "CREATE TABLE child (id INT, pid INT REFERENCES parent(id), FOREIGN KEY (pid) REFERENCES other.parent (id))",
        [],
        ["child"],
    )
    case(f"create-view-columns-{d}", "create", d, "CREATE VIEW v (a, b) AS SELECT x, y FROM src", ["src"], ["v"])
case(
    "create-or-replace-table-sf",
    "create",
    SF,
    "CREATE OR REPLACE TRANSIENT TABLE db.s.t COPY GRANTS AS SELECT * FROM db.s.src",
    ["db.s.src"],
    ["db.s.t"],
)
case("create-like-sf", "create", SF, "CREATE TABLE new_t LIKE old_t", ["old_t"], ["new_t"])
case(
    "create-clone-sf",
    "create",
    SF,
    "CREATE OR REPLACE TABLE backup.orders CLONE prod.orders",
    ["prod.orders"],
    ["backup.orders"],
)
case(
    "create-clone-at-sf",
    "create",
    SF,
    "CREATE TABLE t_restore CLONE t AT(TIMESTAMP => '2024-01-01 00:00'::timestamp_ltz)",
    ["t"],
    ["t_restore"],
)
case("create-like-pg", "create", PG, "CREATE TABLE t2 (LIKE t1 INCLUDING ALL)", ["t1"], ["t2"])
case(
    "create-like-extra-cols-pg",
    "create",
    PG,
    "CREATE TABLE t2 (id serial, LIKE s.t1 INCLUDING DEFAULTS, extra text)",
    ["s.t1"],
    ["t2"],
)
case(
    "create-dynamic-table-sf",
    "create",
    SF,
    "CREATE OR REPLACE DYNAMIC TABLE dt TARGET_LAG = '20 minutes' WAREHOUSE = wh AS SELECT * FROM base JOIN dim USING (k)",
    ["base", "dim"],
    ["dt"],
)
case(
    "create-secure-view-sf", "create", SF, "CREATE SECURE VIEW sv COMMENT = 'x' AS SELECT * FROM base", ["base"], ["sv"]
)
case(
    "create-view-recursive-sf", "create", SF, "CREATE RECURSIVE VIEW rv (id) AS SELECT id FROM nodes", ["nodes"], ["rv"]
)
case(
    "create-external-table-sf",
    "create",
    SF,
    "CREATE EXTERNAL TABLE ext (c VARCHAR AS (value:c::varchar)) LOCATION = @mystage/path/ FILE_FORMAT = (TYPE = PARQUET)",
    [],
    ["ext"],
)
case(
    "create-table-template-sf",
    "create",
    SF,
    "CREATE TABLE t USING TEMPLATE (SELECT ARRAY_AGG(OBJECT_CONSTRUCT(*)) FROM TABLE(INFER_SCHEMA(LOCATION => '@s', FILE_FORMAT => 'ff')))",
    [],
    ["t"],
)
case("create-unlogged-pg", "create", PG, "CREATE UNLOGGED TABLE IF NOT EXISTS u AS TABLE src", ["src"], ["u"])
case(
    "create-mv-no-data-pg",
    "create",
    PG,
    "CREATE MATERIALIZED VIEW IF NOT EXISTS mv AS SELECT * FROM src WITH NO DATA",
    ["src"],
    ["mv"],
)
case(
    "create-view-check-option-pg",
    "create",
    PG,
    "CREATE VIEW v AS SELECT * FROM t WHERE x > 0 WITH LOCAL CHECK OPTION",
    ["t"],
    ["v"],
)
case(
    "create-table-with-options-pg",
    "create",
    PG,
    "CREATE TABLE t (a int) WITH (fillfactor = 70) TABLESPACE fast",
    [],
    ["t"],
)
case(
    "create-partition-of-pg",
    "create",
    PG,
    "CREATE TABLE m_2024 PARTITION OF measurements FOR VALUES FROM ('2024-01-01') TO ('2025-01-01')",
    [],
    ["m_2024"],
)
case(
    "create-temp-on-commit-pg",
    "create",
    PG,
    "CREATE TEMP TABLE tt ON COMMIT DROP AS SELECT * FROM src",
    ["src"],
    ["tt"],
)
case(
    "create-view-generated-col-pg",
    "create",
    PG,
    "CREATE TABLE g (a int, b int GENERATED ALWAYS AS (a * 2) STORED)",
    [],
    ["g"],
)
case(
    "create-view-with-options-pg",
    "create",
    PG,
    "CREATE VIEW v WITH (security_barrier) AS SELECT * FROM t",
    ["t"],
    ["v"],
)
case("create-local-temp-sf", "create", SF, "CREATE LOCAL TEMPORARY TABLE lt (a int)", [], ["lt"])
case("create-iceberg-sf", "create", SF, "CREATE ICEBERG TABLE ice (a int) CATALOG = 'SNOWFLAKE'", [], ["ice"])
case("create-volatile-generic", "create", GEN, "CREATE VOLATILE TABLE vt AS (SELECT * FROM src)", ["src"], ["vt"])

# --------------------------------------------------------------------------- select into
case("select-into-pg", "select_into", PG, "SELECT * INTO new_t FROM old_t WHERE x", ["old_t"], ["new_t"])
case(
    "select-into-temp-pg",
    "select_into",
    PG,
    "SELECT a, b INTO TEMP TABLE tmp FROM s JOIN u USING (id)",
    ["s", "u"],
    ["tmp"],
)
case(
    "select-into-unlogged-pg",
    "select_into",
    PG,
    "SELECT id INTO UNLOGGED stage.t2 FROM stage.t1",
    ["stage.t1"],
    ["stage.t2"],
)
case(
    "select-into-generic",
    "select_into",
    GEN,
    "SELECT * INTO archive_2020 FROM events WHERE yr = 2020",
    ["events"],
    ["archive_2020"],
)
case("select-into-var-sf", "select_into", SF, "SELECT count(*) INTO :cnt FROM t", ["t"], [])
case(
    "select-into-defaults-pg",
    "select_into",
    PG,
    "SELECT * INTO t2 FROM t1",
    ["dbx.app.t1"],
    ["dbx.app.t2"],
    db="dbx",
    schema="app",
)

# --------------------------------------------------------------------------- drop / truncate / undrop / refresh
for d in (SF, PG):
    case(f"drop-table-{d}", "drop", d, "DROP TABLE IF EXISTS s.old_t", [], ["s.old_t"])
    case(f"drop-view-{d}", "drop", d, "DROP VIEW v1", [], ["v1"])
    case(f"drop-mv-{d}", "drop", d, "DROP MATERIALIZED VIEW IF EXISTS mv1", [], ["mv1"])
    case(f"truncate-{d}", "truncate", d, "TRUNCATE TABLE stage.t", [], ["stage.t"])
    case(f"drop-schema-{d}", "drop", d, "DROP SCHEMA IF EXISTS old_schema CASCADE", [], [])
case("drop-multi-pg", "drop", PG, "DROP TABLE a, s.b, c CASCADE", [], ["a", "s.b", "c"])
case("drop-dynamic-sf", "drop", SF, "DROP DYNAMIC TABLE dt", [], ["dt"])
case("drop-index-pg", "drop", PG, "DROP INDEX IF EXISTS idx_a", [], [])
case("drop-sequence-pg", "drop", PG, "DROP SEQUENCE seq_a", [], [])
case("drop-function-pg", "drop", PG, "DROP FUNCTION f(int)", [], [])
case("drop-stage-sf", "drop", SF, "DROP STAGE my_stage", [], [])
case("truncate-multi-pg", "truncate", PG, "TRUNCATE a, b RESTART IDENTITY CASCADE", [], ["a", "b"])
case("truncate-only-pg", "truncate", PG, "TRUNCATE ONLY parent", [], ["parent"])
case("truncate-bare-pg", "truncate", PG, "TRUNCATE events", [], ["events"])
case("truncate-if-exists-sf", "truncate", SF, "TRUNCATE TABLE IF EXISTS db.s.t", [], ["db.s.t"])
case("undrop-table-sf", "undrop", SF, "UNDROP TABLE s.t", [], ["s.t"])
case("undrop-schema-sf", "undrop", SF, "UNDROP SCHEMA s", [], [])
case("undrop-dynamic-sf", "undrop", SF, "UNDROP DYNAMIC TABLE dt", [], ["dt"])
case("refresh-mv-pg", "refresh", PG, "REFRESH MATERIALIZED VIEW CONCURRENTLY rpt.mv WITH DATA", [], ["rpt.mv"])
case("refresh-mv-plain-pg", "refresh", PG, "REFRESH MATERIALIZED VIEW mv", [], ["mv"])
case("refresh-dynamic-sf", "refresh", SF, "ALTER DYNAMIC TABLE dt REFRESH", [], ["dt"])

# --------------------------------------------------------------------------- alter
case("rename-sf", "alter", SF, "ALTER TABLE s.a RENAME TO s.b", ["s.a"], ["s.b"])
case("rename-unqualified-sf", "alter", SF, "ALTER TABLE a RENAME TO b", ["a"], ["b"])
case(
    "rename-pg-keeps-schema",
    "alter",
    PG,
    "ALTER TABLE sales.old_name RENAME TO new_name",
    ["sales.old_name"],
    ["sales.new_name"],
)
case("rename-pg-if-exists", "alter", PG, "ALTER TABLE IF EXISTS ONLY a RENAME TO b", ["a"], ["b"])
case("rename-view-pg", "alter", PG, "ALTER VIEW rpt.v1 RENAME TO v2", ["rpt.v1"], ["rpt.v2"])
case("rename-pg-defaults", "alter", PG, "ALTER TABLE x.a RENAME TO b", ["d.x.a"], ["d.x.b"], db="d", schema="p")
case("rename-column-pg", "alter", PG, "ALTER TABLE t RENAME COLUMN a TO b", [], [])
case("rename-column-nokw-pg", "alter", PG, "ALTER TABLE t RENAME a TO b", [], [])
case("rename-constraint-pg", "alter", PG, "ALTER TABLE t RENAME CONSTRAINT c1 TO c2", [], [])
case(
    "swap-sf",
    "alter",
    SF,
    "ALTER TABLE prod.t SWAP WITH prod.t_new",
    ["prod.t", "prod.t_new"],
    ["prod.t", "prod.t_new"],
)
case("set-schema-pg", "alter", PG, "ALTER TABLE public.t SET SCHEMA archive", ["public.t"], ["archive.t"])
case(
    "set-schema-defaults-pg",
    "alter",
    PG,
    "ALTER TABLE t SET SCHEMA archive",
    ["db.public.t"],
    ["db.archive.t"],
    db="db",
    schema="public",
)
case("alter-add-column", "alter", PG, "ALTER TABLE t ADD COLUMN c int DEFAULT 0", [], [])
case("alter-cluster-sf", "alter", SF, "ALTER TABLE t CLUSTER BY (a, b)", [], [])
case("alter-set-sf", "alter", SF, "ALTER TABLE t SET DATA_RETENTION_TIME_IN_DAYS = 1", [], [])
case("alter-fk-pg", "alter", PG, "ALTER TABLE t ADD CONSTRAINT fk FOREIGN KEY (a) REFERENCES other (id)", [], [])
case("alter-owner-pg", "alter", PG, "ALTER TABLE t OWNER TO bob", [], [])
case("alter-warehouse-sf", "alter", SF, "ALTER WAREHOUSE wh SET WAREHOUSE_SIZE = 'LARGE'", [], [])
case("alter-session-sf", "alter", SF, "ALTER SESSION SET QUERY_TAG = 'x'", [], [])
case("alter-schema-rename-sf", "alter", SF, "ALTER SCHEMA s1 RENAME TO s2", [], [])
case("rename-mv-pg", "alter", PG, "ALTER MATERIALIZED VIEW mv1 RENAME TO mv2", ["mv1"], ["mv2"])
case("rename-quoted-pg", "alter", PG, 'ALTER TABLE "Sales"."Old" RENAME TO "New"', ['"Sales"."Old"'], ['"Sales"."New"'])

# --------------------------------------------------------------------------- copy
case(
    "copy-into-table-sf",
    "copy",
    SF,
    "COPY INTO raw.events FROM @raw.stage/events/ FILE_FORMAT = (TYPE = JSON)",
    [],
    ["raw.events"],
)
case(
    "copy-into-table-url-sf",
    "copy",
    SF,
    "COPY INTO t FROM 's3://bucket/path/' CREDENTIALS = (AWS_KEY_ID = 'x') FILE_FORMAT = (FORMAT_NAME = my_csv)",
    [],
    ["t"],
)
case(
    "copy-into-transform-sf",
    "copy",
    SF,
    "COPY INTO t (a, b) FROM (SELECT $1:a, $1:b FROM @s/data/ x) PATTERN = '.*[.]json'",
    [],
    ["t"],
)
case(
    "copy-into-stage-sf",
    "copy",
    SF,
    "COPY INTO @unload/out/ FROM analytics.report HEADER = TRUE",
    ["analytics.report"],
    [],
)
case(
    "copy-into-stage-query-sf",
    "copy",
    SF,
    "COPY INTO @%t/out FROM (SELECT * FROM a JOIN b USING (id)) FILE_FORMAT = (TYPE = CSV)",
    ["a", "b"],
    [],
)
case(
    "copy-into-url-sf",
    "copy",
    SF,
    "COPY INTO 's3://b/unload/' FROM (SELECT * FROM export_me) STORAGE_INTEGRATION = si",
    ["export_me"],
    [],
)
case("copy-into-user-stage-sf", "copy", SF, "COPY INTO @~/backup FROM t", ["t"], [])
case("copy-into-table-stage-sf", "copy", SF, "COPY INTO mytable FROM @%mytable PURGE = TRUE", [], ["mytable"])
case("copy-files-sf", "copy", SF, "COPY FILES INTO @dst FROM @src", [], [])
case(
    "copy-from-file-pg",
    "copy",
    PG,
    "COPY public.t (a, b) FROM '/tmp/t.csv' WITH (FORMAT csv, HEADER true)",
    [],
    ["public.t"],
)
case("copy-from-stdin-pg", "copy", PG, "COPY t FROM STDIN", [], ["t"])
case("copy-to-pg", "copy", PG, "COPY t TO '/tmp/out.csv' CSV HEADER", ["t"], [])
case("copy-to-stdout-pg", "copy", PG, "COPY s.t (a) TO STDOUT", ["s.t"], [])
case(
    "copy-query-to-pg",
    "copy",
    PG,
    "COPY (SELECT * FROM a JOIN b ON a.id = b.id) TO PROGRAM 'gzip > /tmp/x.gz'",
    ["a", "b"],
    [],
)
case("copy-from-program-pg", "copy", PG, "COPY t FROM PROGRAM 'curl http://x' WITH (FORMAT csv)", [], ["t"])
case("copy-psql-meta-pg", "copy", PG, "\\copy t FROM 'data.csv' CSV\nSELECT * FROM t2;", ["t2"], ["t"])
case(
    "copy-stdin-data-pg",
    "copy",
    PG,
    "COPY public.users (id, name) FROM stdin;\n1\tSELECT FROM fake\n2\tbob\n\\.\nSELECT * FROM real_t;",
    ["real_t"],
    ["public.users"],
)
case("copy-generic-into", "copy", GEN, "COPY INTO t FROM @s", [], ["t"])
case("copy-generic-pg-style", "copy", GEN, "COPY t TO STDOUT", ["t"], [])

# --------------------------------------------------------------------------- names / quoting / case
case("quoted-sf", "names", SF, 'SELECT * FROM "raw"."events"', ['"raw"."events"'])
case("quoted-upper-equals-plain-sf", "names", SF, 'SELECT * FROM "ORDERS" JOIN orders USING (id)', ["ORDERS"])
case("quoted-lower-differs-sf", "names", SF, 'SELECT * FROM "orders" JOIN orders USING (id)', ['"orders"', "orders"])
case("quoted-lower-equals-plain-pg", "names", PG, 'SELECT * FROM "orders" JOIN ORDERS USING (id)', ["orders"])
case("quoted-upper-differs-pg", "names", PG, 'SELECT * FROM "ORDERS" JOIN orders USING (id)', ['"ORDERS"', "orders"])
case(
    "quoted-spaces",
    "names",
    PG,
    'INSERT INTO analytics."Sales Data"."Q1 ""Final"" Orders" SELECT * FROM s',
    ["s"],
    ['analytics."Sales Data"."Q1 ""Final"" Orders"'],
)
case("mixed-case-unquoted-sf", "names", SF, "SELECT * FROM Raw.Events e JOIN RAW.EVENTS f USING (id)", ["raw.events"])
case("db-dot-dot-sf", "names", SF, "SELECT * FROM mydb..orders", ["mydb.public.orders"])
case(
    "db-dot-dot-insert-sf",
    "names",
    SF,
    "INSERT INTO mydb..t SELECT * FROM other..s",
    ["other.PUBLIC.s"],
    ["mydb.public.t"],
)
case("three-part-pg", "names", PG, "SELECT * FROM db1.s1.t1", ["db1.s1.t1"])
case("identifier-string-sf", "names", SF, "SELECT * FROM IDENTIFIER('db.s.t')", ["db.s.t"])
case("identifier-quoted-in-string-sf", "names", SF, "SELECT * FROM IDENTIFIER('\"My Table\"')", ['"My Table"'])
case(
    "identifier-var-sf",
    "names",
    SF,
    "SET tbl = 'analytics.orders';\nSELECT * FROM IDENTIFIER($tbl)",
    ["analytics.orders"],
)
case(
    "identifier-var-insert-sf",
    "names",
    SF,
    "SET src = 'raw.e'; SET dst = 'clean.e'; INSERT INTO IDENTIFIER($dst) SELECT * FROM IDENTIFIER($src)",
    ["raw.e"],
    ["clean.e"],
)
case(
    "identifier-var-concat-sf",
    "names",
    SF,
    "SET sch = 'raw'; SELECT * FROM IDENTIFIER($sch || '.events')",
    ["raw.events"],
)
case("identifier-unset-var-sf", "names", SF, "SELECT * FROM IDENTIFIER($nope) JOIN t USING (id)", ["t"])
case("identifier-defaults-sf", "names", SF, "SELECT * FROM IDENTIFIER('t')", ["D.S.t"], db="D", schema="S")
case(
    "identifier-multi-set-sf",
    "names",
    SF,
    "SET (a, b) = ('s.x', 's.y'); SELECT * FROM IDENTIFIER($a), IDENTIFIER($b)",
    ["s.x", "s.y"],
)
case("table-string-sf", "names", SF, "SET t = 'db.s.t1'; SELECT * FROM TABLE($t)", ["db.s.t1"])
case("unicode-name-pg", "names", PG, "SELECT * FROM données.événements", ["données.événements"])
case("dollar-in-name-sf", "names", SF, "SELECT * FROM my$table", ["my$table"])
case("quoted-dotted-pg", "names", PG, 'SELECT * FROM "a.b".c', ['"a.b".c'])
case("backtick-generic", "names", GEN, "SELECT * FROM `proj`.`ds`.`t`", ['"proj"."ds"."t"'])
case("spaces-around-dot-pg", "names", PG, "SELECT * FROM s . t", ["s.t"])

# --------------------------------------------------------------------------- resolution (defaults, USE, search_path)
case(
    "defaults-both-sf",
    "resolution",
    SF,
    "SELECT * FROM t JOIN s.u USING (id) JOIN d.s.v USING (id)",
    ["DB.SCH.t", "DB.s.u", "d.s.v"],
    db="DB",
    schema="SCH",
)
case(
    "defaults-both-pg",
    "resolution",
    PG,
    "INSERT INTO t SELECT * FROM s.u",
    ["db.s.u"],
    ["db.public.t"],
    db="db",
    schema="public",
)
case("defaults-db-only", "resolution", PG, "SELECT * FROM t JOIN s.u USING (id)", ["t", "db.s.u"], db="db")
case("defaults-schema-only", "resolution", SF, "SELECT * FROM t JOIN s.u USING (id)", ["sch.t", "s.u"], schema="sch")
case("use-database-sf", "resolution", SF, "USE DATABASE prod; SELECT * FROM s.t", ["prod.s.t"])
case("use-schema-sf", "resolution", SF, "USE SCHEMA prod.raw; SELECT * FROM t", ["prod.raw.t"])
case("use-schema-one-part-sf", "resolution", SF, "USE SCHEMA raw; SELECT * FROM t", ["D.raw.t"], db="D", schema="S")
case(
    "use-database-keeps-schema-sf",
    "resolution",
    SF,
    "USE DATABASE other; SELECT * FROM t",
    ["other.S.t"],
    db="D",
    schema="S",
)
case("use-bare-sf", "resolution", SF, "USE analytics; SELECT * FROM s.t", ["analytics.s.t"])
case(
    "use-role-sf", "resolution", SF, "USE ROLE admin; USE WAREHOUSE wh; SELECT * FROM t", ["D.S.t"], db="D", schema="S"
)
case(
    "use-applies-in-order-sf",
    "resolution",
    SF,
    "INSERT INTO a SELECT * FROM b; USE SCHEMA x; INSERT INTO c SELECT * FROM d",
    ["D.S.b", "D.x.d"],
    ["D.S.a", "D.x.c"],
    db="D",
    schema="S",
)
case("search-path-pg", "resolution", PG, "SET search_path TO staging, public; SELECT * FROM t", ["staging.t"])
case(
    "search-path-eq-pg",
    "resolution",
    PG,
    "SET search_path = mart; INSERT INTO f SELECT * FROM g",
    ["db.mart.g"],
    ["db.mart.f"],
    db="db",
)
case("search-path-user-pg", "resolution", PG, 'SET search_path TO "$user", sales; SELECT * FROM t', ["sales.t"])
case("search-path-string-pg", "resolution", PG, "SET search_path TO 'etl'; SELECT * FROM t", ["etl.t"])
case(
    "reset-search-path-pg",
    "resolution",
    PG,
    "SET search_path TO etl; SELECT * FROM a; RESET search_path; SELECT * FROM b",
    ["etl.a", "public.b"],
    schema="public",
)
case("search-path-local-pg", "resolution", PG, "SET LOCAL search_path TO tmp; SELECT * FROM t", ["tmp.t"])
case("set-schema-stmt-pg", "resolution", PG, "SET SCHEMA 'reporting'; SELECT * FROM t", ["reporting.t"])
case(
    "search-path-default-pg",
    "resolution",
    PG,
    "SET search_path TO x; SET search_path TO DEFAULT; SELECT * FROM t",
    ["p.t"],
    schema="p",
)
case("search-path-two-part-not-affected-pg", "resolution", PG, "SET search_path TO x; SELECT * FROM y.t", ["y.t"])
case("list-input-state-carries-sf", "resolution", SF, ["USE SCHEMA db1.s1", "SELECT * FROM t"], ["db1.s1.t"])
case(
    "temp-table-qualified-pg",
    "resolution",
    PG,
    "CREATE TEMP TABLE tmp AS SELECT * FROM src",
    ["db.app.src"],
    ["db.app.tmp"],
    db="db",
    schema="app",
)
case(
    "defaults-quoted-sf",
    "resolution",
    SF,
    "SELECT * FROM t",
    ['"My DB"."My Schema".t'],
    db='"My DB"',
    schema='"My Schema"',
)
case(
    "defaults-cte-not-qualified-pg",
    "resolution",
    PG,
    "WITH c AS (SELECT * FROM src) SELECT * FROM c",
    ["d.s.src"],
    db="d",
    schema="s",
)
case("use-identifier-sf", "resolution", SF, "USE SCHEMA IDENTIFIER('db9.s9'); SELECT * FROM t", ["db9.s9.t"])

# --------------------------------------------------------------------------- table functions
case(
    "flatten-sf",
    "table_function",
    SF,
    "SELECT f.value FROM events e, LATERAL FLATTEN(input => e.payload:items) f",
    ["events"],
)
case("table-flatten-sf", "table_function", SF, "SELECT * FROM t, TABLE(FLATTEN(t.arr)) f", ["t"])
case("generator-sf", "table_function", SF, "SELECT seq4() FROM TABLE(GENERATOR(ROWCOUNT => 10))", [])
case("result-scan-sf", "table_function", SF, "SELECT * FROM TABLE(RESULT_SCAN(LAST_QUERY_ID()))", [])
case(
    "infer-schema-sf",
    "table_function",
    SF,
    "SELECT * FROM TABLE(INFER_SCHEMA(LOCATION => '@mystage', FILE_FORMAT => 'my_parquet'))",
    [],
)
case("udtf-sf", "table_function", SF, "SELECT * FROM TABLE(db.s.my_udtf(1, 'x')) u JOIN t ON t.id = u.id", ["t"])
case("udtf-subquery-arg-sf", "table_function", SF, "SELECT * FROM TABLE(my_udtf((SELECT max(id) FROM src)))", ["src"])
case(
    "generate-series-pg",
    "table_function",
    PG,
    "SELECT d FROM generate_series('2024-01-01'::date, now(), '1 day') AS d",
    [],
)
case("unnest-pg", "table_function", PG, "SELECT * FROM t, unnest(t.tags) AS tag", ["t"])
case("unnest-ordinality-pg", "table_function", PG, "SELECT * FROM unnest(ARRAY[1,2]) WITH ORDINALITY AS x(v, n)", [])
case(
    "jsonb-each-pg",
    "table_function",
    PG,
    "SELECT * FROM docs d CROSS JOIN LATERAL jsonb_each(d.body) kv JOIN jsonb_array_elements(d.arr) e ON true",
    ["docs"],
)
case("json-to-recordset-pg", "table_function", PG, "SELECT * FROM jsonb_to_recordset('[{\"a\":1}]') AS x(a int)", [])
case(
    "user-srf-pg",
    "table_function",
    PG,
    "SELECT * FROM reporting.active_users(now()) au JOIN users u ON u.id = au.id",
    ["users"],
)
case(
    "rows-from-pg", "table_function", PG, "SELECT * FROM ROWS FROM (generate_series(1, 3), unnest(ARRAY['a'])) AS x", []
)
case("srf-in-select-pg", "table_function", PG, "SELECT generate_series(1, n) FROM counts", ["counts"])
case("directory-sf", "table_function", SF, "SELECT * FROM DIRECTORY(@mystage)", [])
case("split-to-table-sf", "table_function", SF, "SELECT * FROM t, LATERAL SPLIT_TO_TABLE(t.csv, ',') s", ["t"])

# --------------------------------------------------------------------------- stages / urls / files
case("stage-select-sf", "stage", SF, "SELECT $1, $2 FROM @my_stage/path/file.csv (FILE_FORMAT => 'csv') t", [])
case("stage-qualified-sf", "stage", SF, "SELECT t.$1 FROM @db.sch.stg t JOIN dim d ON d.k = t.$1", ["dim"])
case("stage-table-sf", "stage", SF, "SELECT * FROM @%orders", [])
case("stage-user-sf", "stage", SF, "SELECT * FROM @~/staged", [])
case("put-sf", "stage", SF, "PUT file:///tmp/data.csv @my_stage AUTO_COMPRESS = TRUE", [])
case("get-sf", "stage", SF, "GET @my_stage/data.csv file:///tmp/", [])
case("list-sf", "stage", SF, "LIST @my_stage", [])
case("remove-sf", "stage", SF, "REMOVE @my_stage pattern='.*old.*'", [])
case("create-stage-sf", "stage", SF, "CREATE OR REPLACE STAGE my_stage URL = 's3://b/' FILE_FORMAT = (TYPE = CSV)", [])
case("create-file-format-sf", "stage", SF, "CREATE FILE FORMAT my_csv TYPE = CSV FIELD_DELIMITER = ','", [])

# --------------------------------------------------------------------------- no lineage
for d in (SF, PG):
    case(f"grant-{d}", "no_lineage", d, "GRANT SELECT ON TABLE t TO ROLE analyst", [])
    case(f"revoke-{d}", "no_lineage", d, "REVOKE INSERT ON t FROM bob", [])
    case(f"comment-{d}", "no_lineage", d, "COMMENT ON TABLE t IS 'orders table'", [])
    case(f"begin-commit-{d}", "no_lineage", d, "BEGIN; COMMIT; ROLLBACK", [])
    case(f"show-{d}", "no_lineage", d, "SHOW TABLES", [])
    case(f"create-index-{d}", "no_lineage", d, "CREATE INDEX idx ON t (a)", [])
    case(f"create-schema-{d}", "no_lineage", d, "CREATE SCHEMA IF NOT EXISTS analytics", [])
    case(f"call-{d}", "no_lineage", d, "CALL refresh_all('x')", [])
    case(f"create-sequence-{d}", "no_lineage", d, "CREATE SEQUENCE seq1 START 1", [])
    case(
        f"create-function-{d}",
        "no_lineage",
        d,
        "CREATE OR REPLACE FUNCTION f(x int) RETURNS int AS $$ SELECT x FROM t $$ LANGUAGE sql",
        [],
    )
case("analyze-pg", "no_lineage", PG, "ANALYZE t", [])
case("vacuum-pg", "no_lineage", PG, "VACUUM (ANALYZE, VERBOSE) t", [])
case("vacuum-full-pg", "no_lineage", PG, "VACUUM FULL t", [])
case("lock-pg", "no_lineage", PG, "LOCK TABLE t IN ACCESS EXCLUSIVE MODE", [])
case("notify-pg", "no_lineage", PG, "NOTIFY channel, 'payload'", [])
case("create-extension-pg", "no_lineage", PG, "CREATE EXTENSION IF NOT EXISTS pgcrypto", [])
case("describe-sf", "no_lineage", SF, "DESCRIBE TABLE t", [])
case("desc-sf", "no_lineage", SF, "DESC TABLE t", [])
case("alter-session-tz-sf", "no_lineage", SF, "ALTER SESSION SET TIMEZONE = 'UTC'", [])
case("create-warehouse-sf", "no_lineage", SF, "CREATE WAREHOUSE IF NOT EXISTS wh WITH WAREHOUSE_SIZE = 'XSMALL'", [])
case("create-role-sf", "no_lineage", SF, "CREATE ROLE analyst", [])
case("set-var-sf", "no_lineage", SF, "SET x = (SELECT max(id) FROM t)", [])
case("start-transaction-pg", "no_lineage", PG, "START TRANSACTION ISOLATION LEVEL SERIALIZABLE", [])
case("set-timezone-pg", "no_lineage", PG, "SET TIME ZONE 'UTC'", [])
case("explain-pg", "no_lineage", PG, "EXPLAIN SELECT * FROM t", [])
case("drop-schema-sf", "no_lineage", SF, "DROP SCHEMA s", [])
case("create-database-clone-sf", "no_lineage", SF, "CREATE DATABASE dev CLONE prod", [])
case("create-type-pg", "no_lineage", PG, "CREATE TYPE mood AS ENUM ('sad', 'ok')", [])
case(
    "create-procedure-sf",
    "no_lineage",
    SF,
    "CREATE OR REPLACE PROCEDURE p() RETURNS string LANGUAGE SQL AS $$ BEGIN INSERT INTO t SELECT 1; RETURN 'x'; END $$",
    [],
)
case("do-block-pg", "no_lineage", PG, "DO $$ BEGIN PERFORM 1; END $$", [])
case("comment-column-pg", "no_lineage", PG, "COMMENT ON COLUMN t.a IS 'x'", [])

# --------------------------------------------------------------------------- multi-statement
case(
    "multi-union-pg",
    "multi",
    PG,
    "INSERT INTO a SELECT * FROM b; DELETE FROM c WHERE x IN (SELECT x FROM d);",
    ["b", "d"],
    ["a", "c"],
)
case(
    "multi-created-then-read-pg",
    "multi",
    PG,
    "CREATE TEMP TABLE tmp AS SELECT * FROM src; INSERT INTO tgt SELECT * FROM tmp; DROP TABLE tmp;",
    ["src", "tmp"],
    ["tmp", "tgt"],
)
case(
    "multi-created-then-read-sf",
    "multi",
    SF,
    "CREATE OR REPLACE TABLE stage_t AS SELECT * FROM raw_t;\nMERGE INTO final_t f USING stage_t s ON f.id = s.id "
    "WHEN MATCHED THEN UPDATE SET v = s.v;",
    ["raw_t", "stage_t"],
    ["stage_t", "final_t"],
)
case("multi-list-input", "multi", PG, ["INSERT INTO a SELECT * FROM b", "SELECT * FROM c"], ["b", "c"], ["a"])
case(
    "multi-with-transaction-pg",
    "multi",
    PG,
    "BEGIN;\nTRUNCATE t;\nINSERT INTO t SELECT * FROM s;\nCOMMIT;",
    ["s"],
    ["t"],
)
case(
    "multi-comments-pg",
    "multi",
    PG,
    "-- load\n/* block; with semicolon */ INSERT INTO a SELECT 1; -- trailing; comment\nSELECT * FROM b -- from c\n",
    ["b"],
    ["a"],
)
case("multi-dedupe-pg", "multi", PG, 'SELECT * FROM a; SELECT * FROM A; SELECT * FROM "a"', ["a"])
case("multi-empty-statements", "multi", SF, ";;; SELECT * FROM a;;", ["a"])
case(
    "multi-block-sf",
    "multi",
    SF,
    "BEGIN\n  CREATE TABLE x AS SELECT * FROM y;\n  INSERT INTO z SELECT * FROM x;\nEND;",
    ["y", "x"],
    ["x", "z"],
)
case("multi-execute-immediate-sf", "multi", SF, "EXECUTE IMMEDIATE 'INSERT INTO t SELECT * FROM s'", ["s"], ["t"])
case("multi-execute-immediate-dollar-sf", "multi", SF, "EXECUTE IMMEDIATE $$ BEGIN DELETE FROM t; END; $$", [], ["t"])
case(
    "multi-swap-flow-sf",
    "multi",
    SF,
    "CREATE TABLE t_new CLONE t; INSERT INTO t_new SELECT * FROM delta; ALTER TABLE t SWAP WITH t_new;",
    ["t", "delta", "t_new"],
    ["t_new", "t"],
)
case("multi-declare-cursor-pg", "multi", PG, "DECLARE c CURSOR FOR SELECT * FROM big_t", ["big_t"])

# --------------------------------------------------------------------------- placeholders
case("placeholder-format-pg", "placeholders", PG, "INSERT INTO t (a, b) VALUES (%s, %s)", [], ["t"])
case("placeholder-pyformat-pg", "placeholders", PG, "SELECT * FROM t WHERE id = %(id)s AND ts > %(since)s", ["t"])
case("placeholder-named-sf", "placeholders", SF, "SELECT * FROM t WHERE id = :id AND k IN (:a, :b)", ["t"])
case("placeholder-qmark-sf", "placeholders", SF, "UPDATE t SET v = ? WHERE id = ?", [], ["t"])
case("placeholder-numeric-pg", "placeholders", PG, "DELETE FROM t WHERE id = $1 AND x = $2", [], ["t"])
case(
    "placeholder-in-subquery-pg",
    "placeholders",
    PG,
    "INSERT INTO t SELECT * FROM s WHERE s.d = %(ds)s AND s.k IN (SELECT k FROM u WHERE u.x = %s)",
    ["s", "u"],
    ["t"],
)
case(
    "placeholder-merge-sf",
    "placeholders",
    SF,
    "MERGE INTO t USING (SELECT :id AS id, :v AS v) s ON t.id = s.id WHEN MATCHED THEN UPDATE SET v = s.v",
    [],
    ["t"],
)
case("placeholder-limit-pg", "placeholders", PG, "SELECT * FROM t LIMIT %s OFFSET %s", ["t"])
case("placeholder-copy-sf", "placeholders", SF, "COPY INTO t FROM @s FILES = (?)", [], ["t"])
case("placeholder-identifier-bind-sf", "placeholders", SF, "SELECT * FROM IDENTIFIER(?) JOIN t USING (id)", ["t"])
case("placeholder-cast-pg", "placeholders", PG, "SELECT * FROM t WHERE d = %(d)s::date", ["t"])

# --------------------------------------------------------------------------- strings and comments
case("string-with-from-pg", "strings", PG, "SELECT 'select * from fake' AS q, \"from\" FROM real_t", ["real_t"])
case("comment-table-pg", "strings", PG, "SELECT * /* FROM fake */ FROM real_t -- JOIN other\n", ["real_t"])
case("dollar-string-pg", "strings", PG, "SELECT $x$ FROM fake $x$ FROM t", ["t"])
case("escaped-quote-pg", "strings", PG, "SELECT 'it''s FROM x' FROM t WHERE y = 'a;b'", ["t"])
case("semicolon-in-string-sf", "strings", SF, "INSERT INTO t VALUES ('a;b'); SELECT * FROM s", ["s"], ["t"])
case("hint-comment-sf", "strings", SF, "SELECT /*+ broadcast */ * FROM t", ["t"])

# --------------------------------------------------------------------------- regressions found while probing
case(
    "case-in-join-condition-sf",
    "select",
    SF,
    "SELECT * FROM t1 LEFT JOIN t3 ON CASE WHEN t1.b = 1 THEN 1 ELSE 0 END = 1, t4",
    ["t1", "t3", "t4"],
)
case(
    "case-with-subqueries-pg",
    "select",
    PG,
    "SELECT CASE WHEN a IN (SELECT a FROM x) THEN CASE WHEN b THEN 1 END ELSE (SELECT 1 FROM y) END FROM z",
    ["x", "y", "z"],
)
case("select-into-strict-plpgsql", "select_into", PG, "SELECT a, b INTO STRICT v1, v2 FROM t", ["t"], [])
case("select-into-variables-plpgsql", "select_into", PG, "SELECT a, b INTO v1, v2 FROM t", ["t"], [])
case("object-constant-sf", "select", SF, "INSERT INTO t SELECT {'a': 1, 'b': x} FROM s", ["s"], ["t"])
case(
    "cte-forward-ref-sf",
    "cte",
    SF,
    "WITH a AS (SELECT * FROM b), b AS (SELECT * FROM src) SELECT * FROM a",
    ["b", "src"],
)
case(
    "merge-using-cte-pg",
    "merge",
    PG,
    "WITH src AS (SELECT * FROM staging) MERGE INTO tgt USING src ON tgt.id = src.id WHEN MATCHED THEN DELETE",
    ["staging"],
    ["tgt"],
)
case("delete-self-using-pg", "delete", PG, "DELETE FROM t a USING t b WHERE a.id < b.id AND a.k = b.k", ["t"], ["t"])
case(
    "update-from-function-pg", "update", PG, "UPDATE t SET a = x.v FROM jsonb_each(t.j) x WHERE x.key = 'a'", [], ["t"]
)
case("exclude-star-sf", "select", SF, "SELECT * EXCLUDE (a) RENAME (b AS c) FROM t", ["t"])
case("stage-quoted-sf", "stage", SF, 'SELECT $1 FROM @"Db"."Sch".stg/p/ (PATTERN => \'.*\')', [])
case(
    "swap-defaults-sf",
    "alter",
    SF,
    "ALTER TABLE a SWAP WITH b",
    ["D.S.a", "D.S.b"],
    ["D.S.a", "D.S.b"],
    db="D",
    schema="S",
)
case("undrop-defaults-sf", "undrop", SF, "UNDROP TABLE t", [], ["D.S.t"], db="D", schema="S")
case("copy-defaults-pg", "copy", PG, "COPY t FROM STDIN", [], ["db.public.t"], db="db", schema="public")
