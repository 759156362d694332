"""Hand-written MySQL corpus: sql-lineage-dialects.md sections 1, 2 and 6.

Two name levels (``database.table``, the database being our schema level;
``default_database`` is never used).  Names in the canonical form of section
2: every part compared in lower case; double quotes only around parts that
need them.  Category ``malformed``: broken statements next to good ones
(errors expected); ``case``: first spelling differs from the canonical one.
"""

from __future__ import annotations

from tests.sql.cases import MY, new_corpus

CASES, case = new_corpus()
SC = "shop"

# ------------------------------------------------------------------ levels and USE
case("my-1part-gets-database", "resolution", MY, "SELECT * FROM orders", ["shop.orders"], schema=SC)
case(
    "my-default-database-ignored",
    "resolution",
    MY,
    "SELECT * FROM orders JOIN x.y USING (id)",
    ["shop.orders", "x.y"],
    db="prod",
    schema=SC,
)
case("my-only-default-database", "resolution", MY, "SELECT * FROM orders", ["orders"], db="prod")
case("my-2part-stays", "resolution", MY, "SELECT * FROM other.orders", ["other.orders"], db="prod", schema=SC)
case("my-use", "resolution", MY, "USE analytics; SELECT * FROM t", ["analytics.t"], schema=SC)
case("my-use-backticks", "resolution", MY, "USE `My DB`; SELECT * FROM t", ['"My DB".t'])
case(
    "my-use-between-statements",
    "resolution",
    MY,
    "INSERT INTO t SELECT * FROM s; USE b; INSERT INTO t SELECT * FROM s",
    ["a.s", "b.s"],
    ["a.t", "b.t"],
    schema="a",
)

# ------------------------------------------------------------------ quoting, case, odd names
case(
    "my-case-insensitive",
    "case",
    MY,
    "SELECT * FROM `Orders` JOIN orders USING (id) JOIN ORDERS USING (id)",
    ["orders"],
)
case(
    "my-case-insensitive-database",
    "case",
    MY,
    "SELECT * FROM Shop.Orders JOIN `shop`.`orders` USING (id)",
    ["shop.orders"],
)
case("my-backtick-special", "names", MY, "SELECT * FROM `Order Lines`.`t`", ['"Order Lines".t'])
case("my-double-quotes-are-strings", "names", MY, 'SELECT * FROM t WHERE name = "FROM x" OR n = "a\\"b"', ["t"])
case("my-name-starts-with-digit", "names", MY, "SELECT * FROM 2024_sales", ["2024_sales"])
case(
    "my-qualified-name-starts-with-digit",
    "names",
    MY,
    "SELECT * FROM db1.1st_table JOIN 9lives USING (id)",
    ["db1.1st_table", "9lives"],
)

# ------------------------------------------------------------------ comments
case("my-hash-comment", "comments", MY, "SELECT * FROM a # JOIN b\nJOIN c USING (id)", ["a", "c"])
case("my-hash-comment-no-space", "comments", MY, "SELECT * FROM a #JOIN b\n", ["a"])
case("my-dash-comment", "comments", MY, "SELECT * FROM a -- JOIN b\n JOIN c USING (id)", ["a", "c"])
case("my-block-comment", "comments", MY, "SELECT * FROM a /* JOIN b USING (id) */", ["a"])
case("my-executable-comment", "comments", MY, "SELECT * FROM a /*! JOIN b USING (id) */", ["a", "b"])
case(
    "my-mysqldump-header",
    "comments",
    MY,
    "/*!40101 SET @OLD_CHARACTER_SET_CLIENT=@@CHARACTER_SET_CLIENT */;\n"
    "/*!40000 ALTER TABLE `t` DISABLE KEYS */;\nINSERT INTO `t` VALUES (1),(2);\n/*!40000 ALTER TABLE `t` ENABLE KEYS */;",
    [],
    ["t"],
)
case(
    "my-mysqldump-view",
    "comments",
    MY,
    "/*!50001 CREATE ALGORITHM=UNDEFINED */\n/*!50013 DEFINER=`root`@`localhost` SQL SECURITY DEFINER */\n"
    "/*!50001 VIEW `v` AS select `t`.`id` AS `id` from `t` */;",
    ["t"],
    ["v"],
)

# ------------------------------------------------------------------ select shapes
case("my-joins", "select", MY, "SELECT * FROM a LEFT JOIN b ON a.id = b.id CROSS JOIN c", ["a", "b", "c"])
case("my-straight-join", "select", MY, "SELECT * FROM a STRAIGHT_JOIN b ON a.id = b.id", ["a", "b"])
case(
    "my-subqueries",
    "select",
    MY,
    "SELECT * FROM a WHERE id IN (SELECT id FROM b) AND EXISTS (SELECT 1 FROM c)",
    ["a", "b", "c"],
)
case("my-derived", "select", MY, "SELECT * FROM (SELECT id FROM shop.e) AS x", ["shop.e"])
case(
    "my-index-hints",
    "hints",
    MY,
    "SELECT * FROM t USE INDEX (i1) JOIN u FORCE INDEX (PRIMARY) ON u.id = t.id",
    ["t", "u"],
)
case(
    "my-index-hint-for-join",
    "hints",
    MY,
    "SELECT * FROM t IGNORE INDEX FOR JOIN (i1), u IGNORE KEY (k) WHERE t.id = u.id",
    ["t", "u"],
)
case("my-index-hint-for-order", "hints", MY, "SELECT * FROM t FORCE INDEX FOR ORDER BY (i2) ORDER BY a", ["t"])

# ------------------------------------------------------------------ CTEs
case("my-cte", "cte", MY, "WITH c AS (SELECT * FROM s) SELECT * FROM c", ["s"])
case(
    "my-cte-case-insensitive",
    "cte",
    MY,
    "WITH Cte AS (SELECT * FROM s) SELECT * FROM cte JOIN CTE c2 USING (id)",
    ["s"],
)
case("my-cte-own-name-is-table", "cte", MY, "WITH c AS (SELECT * FROM c) SELECT * FROM c", ["c"])
case(
    "my-cte-recursive",
    "cte",
    MY,
    "WITH RECURSIVE r AS (SELECT 1 n UNION ALL SELECT n + 1 FROM r WHERE n < 3) SELECT * FROM r",
    [],
)
case(
    "my-cte-update", "cte", MY, "WITH c AS (SELECT * FROM s) UPDATE t JOIN c ON c.id = t.id SET t.v = c.v", ["s"], ["t"]
)

# ------------------------------------------------------------------ INSERT / REPLACE
case("my-insert-values", "insert", MY, "INSERT INTO t (a) VALUES (1)", [], ["t"])
case("my-insert-without-into", "insert", MY, "INSERT t (a) VALUES (1)", [], ["t"])
case("my-insert-ignore", "insert", MY, "INSERT IGNORE INTO t SELECT * FROM s", ["s"], ["t"])
case("my-insert-low-priority-ignore", "insert", MY, "INSERT LOW_PRIORITY IGNORE t SELECT * FROM s", ["s"], ["t"])
case(
    "my-insert-self-read",
    "insert",
    MY,
    "INSERT INTO t (a) SELECT a FROM s WHERE NOT EXISTS (SELECT 1 FROM t WHERE t.a = s.a)",
    ["s", "t"],
    ["t"],
)
case("my-replace-into", "insert", MY, "REPLACE INTO t SELECT * FROM s", ["s"], ["t"])
case("my-replace-without-into", "insert", MY, "REPLACE t VALUES (1)", [], ["t"])
case("my-replace-set", "insert", MY, "REPLACE INTO t SET a = 1, b = 2", [], ["t"])
case(
    "my-on-duplicate-values",
    "insert",
    MY,
    "INSERT INTO t (a, b) VALUES (1, 2) ON DUPLICATE KEY UPDATE a = VALUES(a), b = b + 1",
    [],
    ["t"],
)
case(
    "my-on-duplicate-select",
    "insert",
    MY,
    "INSERT INTO t SELECT * FROM s ON DUPLICATE KEY UPDATE b = s.b, c = s.c",
    ["s"],
    ["t"],
)
case("my-insert-set-subquery", "insert", MY, "INSERT INTO t SET a = 1, b = (SELECT MAX(x) FROM s)", ["s"], ["t"])
case(
    "my-on-duplicate-alias",
    "insert",
    MY,
    "INSERT INTO t VALUES (1) AS new ON DUPLICATE KEY UPDATE a = new.a",
    [],
    ["t"],
)

# ------------------------------------------------------------------ UPDATE
case("my-update-single", "update", MY, "UPDATE t SET a = 1 WHERE id = 2", [], ["t"])
case("my-update-subquery", "update", MY, "UPDATE t SET a = (SELECT MAX(v) FROM s)", ["s"], ["t"])
case("my-update-join", "update", MY, "UPDATE t1 JOIN t2 ON t1.id = t2.id SET t1.a = t2.b", ["t2"], ["t1"])
case(
    "my-update-comma-both",
    "update",
    MY,
    "UPDATE t1, t2 SET t1.a = t2.a, t2.b = 0 WHERE t1.id = t2.id",
    [],
    ["t1", "t2"],
)
case(
    "my-update-aliases",
    "update",
    MY,
    "UPDATE orders o JOIN customers c ON c.id = o.cid SET o.name = c.name",
    ["customers"],
    ["orders"],
)
case(
    "my-update-qualified-aliases",
    "update",
    MY,
    "UPDATE shop.orders AS o INNER JOIN shop.items i ON i.oid = o.id LEFT JOIN shop.x ON x.id = o.id "
    "SET o.total = i.price WHERE x.id IS NULL",
    ["shop.items", "shop.x"],
    ["shop.orders"],
)
case(
    "my-update-derived",
    "update",
    MY,
    "UPDATE t1 JOIN (SELECT id, MAX(v) v FROM t3 GROUP BY id) d ON d.id = t1.id SET t1.v = d.v",
    ["t3"],
    ["t1"],
)
case("my-update-modifiers", "update", MY, "UPDATE LOW_PRIORITY IGNORE t1, t2 SET t2.x = t1.x", ["t1"], ["t2"])
case(
    "my-update-db-qualified-column",
    "update",
    MY,
    "UPDATE db1.t1 JOIN db2.t2 USING (id) SET db2.t2.flag = 1",
    ["db1.t1"],
    ["db2.t2"],
)
case("my-update-defaults", "update", MY, "UPDATE a JOIN b USING (id) SET a.x = b.x", ["shop.b"], ["shop.a"], schema=SC)

# ------------------------------------------------------------------ DELETE
case("my-delete-single", "delete", MY, "DELETE FROM t WHERE id = 1", [], ["t"])
case("my-delete-subquery", "delete", MY, "DELETE FROM t WHERE id IN (SELECT id FROM s)", ["s"], ["t"])
case("my-delete-join", "delete", MY, "DELETE t1 FROM t1 JOIN t2 ON t1.id = t2.id", ["t2"], ["t1"])
case(
    "my-delete-two-targets",
    "delete",
    MY,
    "DELETE t1, t2 FROM t1 INNER JOIN t2 INNER JOIN t3 WHERE t1.id = t2.id AND t2.id = t3.id",
    ["t3"],
    ["t1", "t2"],
)
case(
    "my-delete-using",
    "delete",
    MY,
    "DELETE FROM t1, t2 USING t1 INNER JOIN t2 INNER JOIN t3 WHERE t1.id = t2.id AND t2.id = t3.id",
    ["t3"],
    ["t1", "t2"],
)
case(
    "my-delete-alias",
    "delete",
    MY,
    "DELETE a FROM orders AS a JOIN customers b ON b.id = a.cid WHERE b.gone",
    ["customers"],
    ["orders"],
)
case(
    "my-delete-alias-star",
    "delete",
    MY,
    "DELETE o.* FROM orders o LEFT JOIN items i ON i.oid = o.id WHERE i.id IS NULL",
    ["items"],
    ["orders"],
)
case("my-delete-modifiers", "delete", MY, "DELETE LOW_PRIORITY QUICK IGNORE FROM t WHERE x", [], ["t"])
case("my-delete-order-limit", "delete", MY, "DELETE FROM t ORDER BY id LIMIT 10", [], ["t"])
case("my-delete-defaults", "delete", MY, "DELETE a FROM a JOIN b USING (id)", ["shop.b"], ["shop.a"], schema=SC)

# ------------------------------------------------------------------ CREATE
case("my-ctas", "create", MY, "CREATE TABLE t AS SELECT * FROM s", ["s"], ["t"])
case("my-ctas-without-as", "create", MY, "CREATE TABLE t SELECT * FROM s", ["s"], ["t"])
case(
    "my-ctas-temporary-ignore",
    "create",
    MY,
    "CREATE TEMPORARY TABLE tmp (id INT) IGNORE SELECT id FROM s",
    ["s"],
    ["tmp"],
)
case("my-ctas-replace-as", "create", MY, "CREATE TABLE t (id INT) REPLACE AS SELECT id FROM s", ["s"], ["t"])
case("my-create-like", "create", MY, "CREATE TABLE t LIKE s", ["s"], ["t"])
case("my-create-paren-like", "create", MY, "CREATE TABLE IF NOT EXISTS t (LIKE other.s)", ["other.s"], ["t"])
case(
    "my-create-foreign-key",
    "create",
    MY,
    "CREATE TABLE t (id INT PRIMARY KEY, cid INT, FOREIGN KEY (cid) REFERENCES customers(id)) ENGINE=InnoDB",
    [],
    ["t"],
)
case("my-create-view", "create", MY, "CREATE VIEW v AS SELECT * FROM s", ["s"], ["v"])
case(
    "my-create-view-prefixes",
    "create",
    MY,
    "CREATE OR REPLACE ALGORITHM=MERGE DEFINER=`u`@`%` SQL SECURITY INVOKER VIEW v AS SELECT * FROM s WITH CHECK OPTION",
    ["s"],
    ["v"],
)

# ------------------------------------------------------------------ RENAME
case("my-rename", "rename", MY, "RENAME TABLE a TO b", ["shop.a"], ["shop.b"], schema=SC)
case("my-rename-list", "rename", MY, "RENAME TABLE a TO b, c TO d", ["a", "c"], ["b", "d"])
case("my-rename-across-databases", "rename", MY, "RENAME TABLE shop.a TO archive.a", ["shop.a"], ["archive.a"])
case(
    "my-rename-swap-via-tmp",
    "rename",
    MY,
    "RENAME TABLE a TO tmp, b TO a, tmp TO b",
    ["a", "b", "tmp"],
    ["tmp", "a", "b"],
)
case("my-alter-rename-to", "rename", MY, "ALTER TABLE a RENAME TO b", ["shop.a"], ["shop.b"], schema=SC)
case("my-alter-rename-as-current-db", "rename", MY, "ALTER TABLE old.a RENAME AS b", ["old.a"], ["cur.b"], schema="cur")
case("my-alter-rename-bare", "rename", MY, "ALTER TABLE a RENAME b", ["a"], ["b"])

# ------------------------------------------------------------------ LOAD DATA / SELECT INTO
case("my-load-data", "load", MY, "LOAD DATA INFILE '/tmp/x.csv' INTO TABLE t FIELDS TERMINATED BY ','", [], ["t"])
case(
    "my-load-data-local-replace",
    "load",
    MY,
    "LOAD DATA LOCAL INFILE 'x.csv' REPLACE INTO TABLE shop.t (a, b)",
    [],
    ["shop.t"],
)
case("my-load-data-defaults", "load", MY, "LOAD DATA INFILE 'x' IGNORE INTO TABLE t", [], ["shop.t"], schema=SC)
case("my-into-outfile-end", "select", MY, "SELECT * FROM t INTO OUTFILE '/tmp/out.csv'", ["t"])
case("my-into-outfile-middle", "select", MY, "SELECT a INTO OUTFILE '/tmp/o' FIELDS TERMINATED BY ',' FROM t", ["t"])
case("my-into-dumpfile", "select", MY, "SELECT a INTO DUMPFILE '/tmp/o' FROM t", ["t"])
case("my-into-variable", "select", MY, "SELECT COUNT(*) INTO @n FROM t", ["t"])
case("my-into-variables", "select", MY, "SELECT a, b INTO @x, @y FROM t WHERE id = 1", ["t"])

# ------------------------------------------------------------------ TRUNCATE / DROP
case("my-truncate", "truncate", MY, "TRUNCATE t; TRUNCATE TABLE u", [], ["t", "u"])
case("my-drop", "drop", MY, "DROP TABLE IF EXISTS a, b; DROP TEMPORARY TABLE c; DROP VIEW v", [], ["a", "b", "c", "v"])

# ------------------------------------------------------------------ no lineage
for i, sql in enumerate(
    [
        "OPTIMIZE TABLE t",
        "ANALYZE TABLE t",
        "CHECK TABLE t",
        "REPAIR TABLE t",
        "LOCK TABLES t WRITE, u READ",
        "UNLOCK TABLES",
        "FLUSH TABLES",
        "SET NAMES utf8mb4",
        "SET @x = 1",
        "SHOW TABLES",
        "DESCRIBE t",
        "DESC t",
        "EXPLAIN SELECT * FROM t",
        "GRANT SELECT ON shop.* TO 'u'@'%'",
        "CREATE DATABASE d",
        "CREATE SCHEMA d",
        "ALTER DATABASE d CHARACTER SET utf8mb4",
        "CREATE INDEX i ON t (a)",
        "DROP INDEX i ON t",
        "START TRANSACTION",
        "BEGIN",
        "COMMIT",
        "ALTER TABLE t RENAME COLUMN a TO b",
        "ALTER TABLE t RENAME INDEX i TO j",
        "ALTER TABLE t ADD INDEX idx (a)",
        "ALTER TABLE t ADD KEY k (a)",
        "ALTER TABLE t DROP COLUMN c",
        "ALTER TABLE t ADD COLUMN c INT",
        "USE shop",
        "DELIMITER $$",
        "CREATE FUNCTION f() RETURNS INT DETERMINISTIC RETURN 1",
        "DROP FUNCTION IF EXISTS f",
        "EXPLAIN UPDATE t SET a = 1",
    ]
):
    case(f"my-no-lineage-{i}", "no_lineage", MY, sql, [], [])

# ------------------------------------------------------------------ scripts
case(
    "my-multi-statement",
    "multi",
    MY,
    "CREATE TEMPORARY TABLE stage SELECT * FROM raw; INSERT INTO final SELECT * FROM stage; DROP TEMPORARY TABLE stage",
    ["shop.raw", "shop.stage"],
    ["shop.stage", "shop.final"],
    schema=SC,
)

# ------------------------------------------------------------------ malformed next to good
case("my-malformed-paren", "malformed", MY, "SELECT * FROM a WHERE (; INSERT INTO b SELECT * FROM c", ["a", "c"], ["b"])
case("my-malformed-update", "malformed", MY, "UPDATE SET; DELETE t1 FROM t1 JOIN t2 USING (id)", ["t2"], ["t1"])
case("my-malformed-rename", "malformed", MY, "RENAME TABLE a; REPLACE INTO t SELECT * FROM s", ["s"], ["t"])
