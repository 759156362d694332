"""clients: psql (options, conninfo, PG* variables), snowsql and snow sql; the SQL each runs and where."""

from __future__ import annotations

from pathlib import Path

from secoda_listener.extractors.shell import ShellSql, find_sql
from secoda_listener.extractors.shell.clients import Job, psql, snow_sql, snowsql
from tests.extractors.shell import only

# --- psql ---------------------------------------------------------------------------------


def test_psql_c_with_connection_options() -> None:
    got = only('psql -h db.internal -p 5432 -U etl -d shop -c "INSERT INTO a SELECT * FROM b"')
    assert got == ShellSql(
        dialect="postgres",
        sql="INSERT INTO a SELECT * FROM b",
        source="-c",
        host="db.internal",
        port="5432",
        database="shop",
        user="etl",
    )


def test_psql_multiple_c_in_order() -> None:
    found = find_sql("psql -d shop -c 'TRUNCATE t' -c \"INSERT INTO t SELECT 1\" -c 'ANALYZE t'")
    assert [f.sql for f in found] == ["TRUNCATE t", "INSERT INTO t SELECT 1", "ANALYZE t"]
    assert {f.database for f in found} == {"shop"}


def test_psql_long_options_and_attached_values() -> None:
    got = only("psql --host=h1 --port 6432 --username=u1 --dbname=d1 --command='SELECT 2' -X -q")
    assert (got.host, got.port, got.user, got.database, got.sql) == ("h1", "6432", "u1", "d1", "SELECT 2")
    got = only("psql -hh2 -p6543 -Uu2 -dd2 -cSELECT")
    assert (got.host, got.port, got.user, got.database, got.sql) == ("h2", "6543", "u2", "d2", "SELECT")


def test_psql_combined_short_flags_ending_in_c() -> None:
    got = only('psql -Atc "SELECT count(*) FROM orders" shop')
    assert (got.sql, got.database) == ("SELECT count(*) FROM orders", "shop")


def test_psql_options_with_values_are_not_mistaken_for_sql_or_db() -> None:
    got = only("psql -v ON_ERROR_STOP=1 --set=AUTOCOMMIT=off -o /tmp/out -P pager=off -c 'SELECT 1' shop bob")
    assert (got.sql, got.database, got.user) == ("SELECT 1", "shop", "bob")


def test_psql_positional_dbname_and_user() -> None:
    got = only("psql -h h analytics reporter -c 'SELECT 1'")
    assert (got.database, got.user) == ("analytics", "reporter")


def test_psql_uri_conninfo() -> None:
    got = only("psql 'postgresql://bob:pw@db.example.com:6543/analytics?sslmode=require' -c 'SELECT 1'")
    assert (got.host, got.port, got.database, got.user) == ("db.example.com", "6543", "analytics", "bob")


def test_psql_uri_conninfo_overrides_options_and_gives_search_path() -> None:
    got = only("psql -h ignored 'postgres://u@real:5433/db?options=-csearch_path%3Dmart' -c 'SELECT 1'")
    assert (got.host, got.port, got.database, got.schema) == ("real", "5433", "db", "mart")


def test_psql_keyword_conninfo_in_dbname_option() -> None:
    got = only("psql -d \"host=h1 port=5433 dbname=d1 user=u1 password='p w'\" -c 'SELECT 1'")
    assert (got.host, got.port, got.database, got.user) == ("h1", "5433", "d1", "u1")


def test_psql_env_assignments_before_the_command() -> None:
    got = only("PGHOST=envhost PGPORT=5439 PGDATABASE=envdb PGUSER=envuser PGPASSWORD=x psql -c 'SELECT 1'")
    assert (got.host, got.port, got.database, got.user) == ("envhost", "5439", "envdb", "envuser")


def test_psql_options_override_env() -> None:
    got = only("PGHOST=envhost PGDATABASE=envdb psql -h opthost -c 'SELECT 1'")
    assert (got.host, got.database) == ("opthost", "envdb")


def test_password_in_conninfo_is_never_a_field() -> None:
    got = only("psql postgresql://bob:hunter2@h/db -c 'SELECT 1'")
    assert "hunter2" not in repr(got)


def test_mixed_c_and_f_keep_their_order(sql_dir: Path) -> None:
    found = find_sql("psql -c 'BEGIN' -f load.sql -c 'COMMIT'", cwd=str(sql_dir))
    assert [f.source for f in found] == ["-c", "-f load.sql", "-c"]
    assert found[1].sql.startswith("INSERT")


def test_c_wins_over_stdin() -> None:
    got = only("echo 'SELECT ignored' | psql -c 'SELECT used'")
    assert got.sql == "SELECT used"


def test_psql_without_sql_reports_nothing() -> None:
    assert find_sql("psql -l") == []
    assert find_sql("psql -h db -c") == [ShellSql(dialect="postgres", sql="", source="-c", host="db")]


def test_psql_parser_gives_the_connection_and_the_jobs_in_order() -> None:
    connection, jobs = psql(["-h", "h1", "-c", "SELECT 1", "-f", "-", "-f", "a.sql", "shop"], {"PGPORT": "6432"})
    assert connection == {"host": "h1", "port": "6432", "database": "shop", "user": None, "schema": None}
    assert jobs == [Job("inline", "SELECT 1", "-c"), Job("stdin", None, "-f -"), Job("file", "a.sql", "-f a.sql")]


# --- snowsql and snow sql -----------------------------------------------------------------


def test_snowsql_q_with_connection() -> None:
    got = only(
        "snowsql -a acme-xy12345 -u loader -d RAW -s PUBLIC -r LOADER -w WH -o quiet=true -q 'COPY INTO t FROM @s'"
    )
    assert got == ShellSql(
        dialect="snowflake",
        sql="COPY INTO t FROM @s",
        source="-q",
        account="acme-xy12345",
        user="loader",
        database="RAW",
        schema="PUBLIC",
    )


def test_snowsql_long_options() -> None:
    got = only('snowsql --accountname=acct --username u --dbname D --schemaname S --query "SELECT 1"')
    assert (got.account, got.user, got.database, got.schema, got.sql) == ("acct", "u", "D", "S", "SELECT 1")


def test_snowsql_env_variables() -> None:
    got = only("SNOWSQL_ACCOUNT=a1 SNOWSQL_DATABASE=D1 SNOWSQL_SCHEMA=S1 SNOWSQL_PWD=x snowsql -q 'SELECT 1'")
    assert (got.account, got.database, got.schema) == ("a1", "D1", "S1")


def test_snowsql_f(sql_dir: Path) -> None:
    got = only("snowsql -c prod -f load.sql", cwd=str(sql_dir))
    assert (got.source, got.sql[:6]) == ("-f load.sql", "INSERT")


def test_snow_sql() -> None:
    got = only("snow sql -q 'SELECT 3' --account ac --database DB --schema S -c prod")
    assert (got.dialect, got.sql, got.account, got.database, got.schema) == ("snowflake", "SELECT 3", "ac", "DB", "S")


def test_snow_sql_reads_stdin_only_with_i() -> None:
    assert find_sql("echo 'SELECT 1' | snow sql") == []
    assert only("echo 'SELECT 1' | snow sql -i").sql == "SELECT 1\n"


def test_snowflake_parsers_keep_no_host_or_port_and_report_explicit_stdin() -> None:
    connection, jobs = snowsql(["-a", "acct", "-h", "host.example", "-p", "443", "-q", "SELECT 1"], {})
    assert connection == {"account": "acct", "user": None, "database": None, "schema": None}
    assert jobs == [Job("inline", "SELECT 1", "-q")]
    connection, jobs, explicit_stdin = snow_sql(["-i", "--database", "DB"], {"SNOWFLAKE_ACCOUNT": "env-acct"})
    assert (connection["account"], connection["database"], jobs, explicit_stdin) == ("env-acct", "DB", [], True)
