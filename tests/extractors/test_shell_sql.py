"""find_sql: the SQL a shell command sends to psql / snowsql / snow sql, and where to."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import attrs
import pytest

from secoda_listener.extractors.shell_sql import ShellSql, find_sql

REPO = Path(__file__).resolve().parents[2]


def only(command: str, **kwargs: object) -> ShellSql:
    found = find_sql(command, **kwargs)  # type: ignore[arg-type]
    assert len(found) == 1, found
    return found[0]


# --- psql -c ------------------------------------------------------------------------------


def test_psql_c_with_connection_options() -> None:
    got = only('psql -h db.internal -p 5432 -U etl -d shop -c "INSERT INTO a SELECT * FROM b"')
    assert got == ShellSql(
        dialect="postgres", sql="INSERT INTO a SELECT * FROM b", source="-c",
        host="db.internal", port="5432", database="shop", user="etl",
    )  # fmt: skip


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


def test_exported_variables_carry_to_later_statements() -> None:
    command = "export PGHOST=db1\nPGDATABASE=shop\nexport PGOPTIONS='-c search_path=staging'\npsql -c 'SELECT 1'"
    got = only(command)
    assert (got.host, got.database, got.schema) == ("db1", "shop", "staging")


def test_variables_in_option_values_are_expanded_from_the_script_only() -> None:
    got = only("DB=warehouse; psql -d $DB -h ${HOST_FROM_OUTSIDE} -c 'SELECT 1'")
    assert got.database == "warehouse"
    assert got.host is None  # unknown here: never taken from this process's environment


def test_sql_text_is_not_expanded() -> None:
    got = only("psql -c \"SELECT * FROM t WHERE d = '$DAY'\"")
    assert got.sql == "SELECT * FROM t WHERE d = '$DAY'"


def test_password_in_conninfo_is_never_a_field() -> None:
    got = only("psql postgresql://bob:hunter2@h/db -c 'SELECT 1'")
    assert "hunter2" not in repr(got)


# --- files ----------------------------------------------------------------------------------


@pytest.fixture
def sql_dir(tmp_path: Path) -> Path:
    (tmp_path / "load.sql").write_text("INSERT INTO mart.t SELECT * FROM raw.t;\n")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "other.sql").write_text("DELETE FROM mart.t;\n")
    return tmp_path


def test_psql_f_reads_the_file_relative_to_cwd(sql_dir: Path) -> None:
    got = only("psql -h db -f load.sql", cwd=str(sql_dir))
    assert (got.sql, got.source, got.note) == ("INSERT INTO mart.t SELECT * FROM raw.t;\n", "-f load.sql", None)


def test_psql_f_absolute_path_and_long_option(sql_dir: Path) -> None:
    got = only(f"psql --file={sql_dir / 'load.sql'}")
    assert got.sql.startswith("INSERT INTO mart.t")


def test_cd_changes_where_relative_files_are_read(sql_dir: Path) -> None:
    got = only("set -e\ncd sub && psql -f other.sql", cwd=str(sql_dir))
    assert got.sql == "DELETE FROM mart.t;\n"


def test_cd_to_a_dynamic_directory_makes_relative_paths_unknown(sql_dir: Path) -> None:
    got = only('cd "$WORKDIR" && psql -f load.sql', cwd=str(sql_dir))
    assert got.sql == "" and "dynamically" in (got.note or "")


def test_mixed_c_and_f_keep_their_order(sql_dir: Path) -> None:
    found = find_sql("psql -c 'BEGIN' -f load.sql -c 'COMMIT'", cwd=str(sql_dir))
    assert [f.source for f in found] == ["-c", "-f load.sql", "-c"]
    assert found[1].sql.startswith("INSERT")


def test_missing_file_gives_empty_sql_and_a_note(tmp_path: Path) -> None:
    got = only("psql -f nope.sql", cwd=str(tmp_path))
    assert got.sql == "" and got.source == "-f nope.sql"
    assert "nope.sql" in (got.note or "") and "No such file" in (got.note or "")


def test_unreadable_file_gives_a_note(tmp_path: Path) -> None:
    secret = tmp_path / "locked.sql"
    secret.write_text("SELECT 1;")
    secret.chmod(0)
    try:
        readable = os.access(secret, os.R_OK)  # root can read anyway
        got = only("psql -f locked.sql", cwd=str(tmp_path))
        if readable:
            assert got.sql == "SELECT 1;"
        else:
            assert got.sql == "" and "could not read" in (got.note or "")
    finally:
        secret.chmod(0o600)


def test_directory_and_fifo_are_not_read(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.sql"
    os.mkfifo(fifo)
    found = find_sql(f"psql -f {tmp_path} -f pipe.sql", cwd=str(tmp_path))
    assert [f.sql for f in found] == ["", ""]
    assert all("not a regular file" in (f.note or "") for f in found)


def test_file_path_needing_expansion_gives_a_note() -> None:
    got = only('for f in *.sql; do psql -f "$f"; done')
    assert got.sql == "" and "expansion" in (got.note or "")


def test_large_file_is_capped(tmp_path: Path) -> None:
    (tmp_path / "big.sql").write_text("SELECT 1;\n" * 1000)
    got = only("psql -f big.sql", cwd=str(tmp_path), max_file_bytes=95)
    assert got.sql == ("SELECT 1;\n" * 10)[:95]
    assert "truncated" in (got.note or "")


def test_input_redirect_from_file(sql_dir: Path) -> None:
    got = only("psql -h db shop < load.sql", cwd=str(sql_dir))
    assert (got.sql, got.source, got.database) == ("INSERT INTO mart.t SELECT * FROM raw.t;\n", "< load.sql", "shop")


def test_cat_file_piped_in(sql_dir: Path) -> None:
    got = only("cat load.sql sub/other.sql | psql shop", cwd=str(sql_dir))
    assert got.sql == "INSERT INTO mart.t SELECT * FROM raw.t;\nDELETE FROM mart.t;\n"
    assert got.source == "stdin pipe"


# --- heredocs, pipes, here-strings --------------------------------------------------------


def test_heredoc_unquoted_delimiter() -> None:
    command = "psql -d shop <<EOF\nINSERT INTO t SELECT \\$1, '$DAY';\nEOF\necho done"
    got = only(command)
    assert (got.sql, got.source, got.database) == ("INSERT INTO t SELECT $1, '$DAY';\n", "heredoc", "shop")


def test_heredoc_quoted_delimiter_keeps_backslashes() -> None:
    got = only("psql <<'SQL'\nSELECT E'a\\nb';\nSQL\n")
    assert got.sql == "SELECT E'a\\nb';\n"


def test_heredoc_dash_strips_leading_tabs() -> None:
    got = only("if true; then\n\tpsql <<-EOF\n\t\tSELECT 1;\n\tEOF\nfi")
    assert got.sql == "SELECT 1;\n"


def test_heredoc_followed_by_chained_command_on_the_same_line() -> None:
    found = find_sql("psql -d a <<EOF && snowsql -q 'SELECT 2'\nSELECT 1;\nEOF\n")
    assert [(f.dialect, f.sql) for f in found] == [("postgres", "SELECT 1;\n"), ("snowflake", "SELECT 2")]


def test_heredoc_without_end_delimiter_runs_to_the_end() -> None:
    got = only("psql <<EOF\nSELECT 1;\nSELECT 2;")
    assert got.sql == "SELECT 1;\nSELECT 2;\n"


def test_two_heredocs_in_a_script() -> None:
    command = "psql -d a <<A\nSELECT 'a';\nA\nsnowsql -a acct <<B\nSELECT 'b';\nB\n"
    found = find_sql(command)
    assert [(f.dialect, f.sql) for f in found] == [("postgres", "SELECT 'a';\n"), ("snowflake", "SELECT 'b';\n")]
    assert found[1].account == "acct"


def test_echo_piped_into_psql() -> None:
    got = only('echo "SELECT 42" | psql -Atq mydb')
    assert (got.sql, got.source, got.database) == ("SELECT 42\n", "stdin pipe", "mydb")


def test_printf_piped_into_psql() -> None:
    got = only("printf 'SELECT %s;\\n' 7 | psql")
    assert got.sql == "SELECT 7;\n"


def test_cat_heredoc_piped_into_snowsql() -> None:
    got = only("cat <<EOF | snowsql -a acme -d RAW\nCOPY INTO t FROM @s;\nEOF")
    assert (got.sql, got.source, got.account, got.database) == ("COPY INTO t FROM @s;\n", "stdin pipe", "acme", "RAW")


def test_unknown_producer_piped_in_gives_a_note() -> None:
    got = only("pg_dump -h src shop | psql -h dst shop")
    assert got.sql == "" and got.host == "dst" and "pg_dump" in (got.note or "")


def test_here_string() -> None:
    got = only("psql -d mydb <<< 'SELECT 5'")
    assert (got.sql, got.source) == ("SELECT 5\n", "here-string")


def test_c_wins_over_stdin() -> None:
    got = only("echo 'SELECT ignored' | psql -c 'SELECT used'")
    assert got.sql == "SELECT used"


def test_psql_without_sql_reports_nothing() -> None:
    assert find_sql("psql -l") == []
    assert find_sql("psql -h db -c") == [ShellSql(dialect="postgres", sql="", source="-c", host="db")]


# --- snowsql and snow sql -----------------------------------------------------------------


def test_snowsql_q_with_connection() -> None:
    got = only("snowsql -a acme-xy12345 -u loader -d RAW -s PUBLIC -r LOADER -w WH -o quiet=true -q 'COPY INTO t FROM @s'")
    assert got == ShellSql(
        dialect="snowflake", sql="COPY INTO t FROM @s", source="-q",
        account="acme-xy12345", user="loader", database="RAW", schema="PUBLIC",
    )  # fmt: skip


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


# --- chaining and wrapping ----------------------------------------------------------------


def test_chained_with_and_semicolon_pipe_and_newlines() -> None:
    command = "set -euo pipefail\npsql -c 'SELECT 1' && psql -c 'SELECT 2'; psql -c 'SELECT 3' || exit 1\npsql -c 'SELECT 4' | tee out"
    assert [f.sql for f in find_sql(command)] == ["SELECT 1", "SELECT 2", "SELECT 3", "SELECT 4"]


def test_line_continuations() -> None:
    got = only('psql \\\n  -h db \\\n  -d shop \\\n  -c "SELECT 1"')
    assert (got.host, got.database, got.sql) == ("db", "shop", "SELECT 1")


def test_multiline_sql_inside_quotes() -> None:
    got = only("psql -c '\n  INSERT INTO t\n  SELECT * FROM s;\n'")
    assert got.sql == "\n  INSERT INTO t\n  SELECT * FROM s;\n"


def test_bash_c_wrapping() -> None:
    found = find_sql("bash -c 'set -e; psql -h h -c \"select 1\" && snowsql --query \"select 2\" --accountname acct'")
    assert [(f.dialect, f.sql, f.host, f.account) for f in found] == [
        ("postgres", "select 1", "h", None),
        ("snowflake", "select 2", None, "acct"),
    ]


def test_nested_shells_and_options() -> None:
    got = only("sh -euc \"bash -lc 'psql -c \\\"SELECT 9\\\"'\"")
    assert got.sql == "SELECT 9"


def test_bash_reading_a_heredoc_script() -> None:
    got = only("bash -s <<'EOF'\nexport PGHOST=h9\npsql -c 'SELECT 1'\nEOF")
    assert (got.sql, got.host) == ("SELECT 1", "h9")


def test_wrappers_sudo_env_time_timeout() -> None:
    command = "sudo -u postgres psql -c 'A'; env -i PGHOST=e1 psql -c 'B'; time psql -c 'C'; timeout -s KILL 60 psql -c 'D'"
    found = find_sql(command)
    assert [f.sql for f in found] == ["A", "B", "C", "D"]
    assert found[1].host == "e1"


def test_full_path_to_the_client() -> None:
    assert only("/usr/lib/postgresql/16/bin/psql -c 'SELECT 1'").sql == "SELECT 1"


def test_comments_are_ignored() -> None:
    assert find_sql("# psql -c 'SELECT no'\necho hi # psql -c 'SELECT no'") == []


def test_ansi_c_quoting() -> None:
    assert only("psql -c $'SELECT 1;\\nSELECT \\'x\\';'").sql == "SELECT 1;\nSELECT 'x';"


def test_redirects_with_fd_numbers_do_not_confuse_arguments() -> None:
    got = only("psql -d shop -c 'SELECT 1' 2>&1 >/tmp/log")
    assert (got.database, got.sql) == ("shop", "SELECT 1")


def test_command_substitution_stays_one_word() -> None:
    got = only("psql -h $(hostname -f) -c 'SELECT 1'")
    assert got.host is None and got.sql == "SELECT 1"


def test_other_commands_are_ignored() -> None:
    assert find_sql("python etl.py --sql 'SELECT 1' && echo psql && grep -c x f") == []


def test_shellsql_is_frozen() -> None:
    got = only("psql -c 'SELECT 1'")
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        got.sql = "x"  # type: ignore[misc]


# --- broken and hostile input -------------------------------------------------------------


@pytest.mark.parametrize(
    ("command", "expected_sql"),
    [
        ('psql -c "unbalanced', ["unbalanced"]),
        ("psql -c 'unbalanced single", ["unbalanced single"]),
        ("psql -c $'ansi unclosed", ["ansi unclosed"]),
        ("psql -c \"$(unclosed\"", ["$(unclosed\""]),
        ("psql -c `unclosed", ["`unclosed"]),
        ("psql -c ${unclosed", ["${unclosed"]),
        ("psql -f", [""]),
        ("psql <<", []),
        ("psql <<EOF", ["" ]),
        ("| | ; && psql -c 'x' ))", ["x"]),
        ("\\", []),
        ("", []),
    ],
)
def test_broken_input_never_raises(command: str, expected_sql: list[str]) -> None:
    assert [f.sql for f in find_sql(command)] == expected_sql


def test_non_string_input_returns_nothing() -> None:
    assert find_sql(None) == []  # type: ignore[arg-type]


def test_nesting_is_bounded() -> None:
    command = "psql -c 'SELECT 0'"
    for _ in range(10):
        command = "bash -c " + "'" + command.replace("'", "'\\''") + "'"
    assert find_sql(command) == []  # deeper than MAX_NESTING: given up, not recursed forever


M = 1_000_000
HOSTILE = {
    "letters": "a" * M,
    "quotes": "'" * M,
    "double-quotes": '"' * M,
    "dollar-parens": "$(" * (M // 2),
    "backslashes": "\\" * M,
    "redirects": "<" * M,
    "heredocs": "psql <<EOF\n" * (M // 11),
    "pipes": "echo x | " * (M // 9),
    "nested-shells": "bash -c '" * (M // 9),
    "psql-flags": "psql -c \"x\" -f ; " * (M // 18),
    "spaces": "psql" + " " * M + "-c x",
    "operators": "&&;|" * (M // 4),
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_input_finishes_in_bounded_time(name: str) -> None:
    script = textwrap.dedent(
        f"""
        import sys
        sys.path.insert(0, {str(REPO)!r})
        from tests.extractors.test_shell_sql import HOSTILE
        from secoda_listener.extractors.shell_sql import MAX_RESULTS, find_sql
        found = find_sql(HOSTILE[{name!r}], cwd="/nonexistent")
        assert isinstance(found, list) and len(found) <= MAX_RESULTS
        print("ok")
        """
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"
