"""commands: assignments and expansion, wrappers and nested shells, cd, and what a command
reads (stdin, heredocs, files) and sends down a pipe (echo, printf, cat)."""

from __future__ import annotations

import os
from pathlib import Path

from secoda_listener.extractors.shell import find_sql
from secoda_listener.extractors.shell.commands import (
    Input,
    State,
    expand,
    nested_script,
    output_of,
    split_assignments,
    strip_wrappers,
)
from tests.extractors.shell import only

# --- assignments and expansion ------------------------------------------------------------


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


def test_expand_only_from_the_script_s_variables() -> None:
    assert expand("${DB}_x", {"DB": "shop"}) == "shop_x"
    assert expand("$DB", {}) is None and expand("$(hostname)", {}) is None and expand(None, {}) is None
    assert split_assignments(["A=1", "B=2", "psql", "C=3"]) == ({"A": "1", "B": "2"}, ["psql", "C=3"])


# --- files --------------------------------------------------------------------------------


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


# --- stdin and pipes ----------------------------------------------------------------------


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


def test_what_echo_printf_and_cat_send_down_a_pipe() -> None:
    state = State({}, None)
    assert output_of(["echo", "-n", "a", "b"], None, state, 100) == Input("a b\n", "stdin pipe")
    assert output_of(["printf", "%s;", "x", "y"], None, state, 100) == Input("x;y;", "stdin pipe")
    assert output_of(["cat"], Input("q", "heredoc"), state, 100) == Input("q", "stdin pipe")
    assert output_of(["grep", "x"], None, state, 100) is None


# --- wrappers and nested shells -----------------------------------------------------------


def test_bash_c_wrapping() -> None:
    found = find_sql('bash -c \'set -e; psql -h h -c "select 1" && snowsql --query "select 2" --accountname acct\'')
    assert [(f.dialect, f.sql, f.host, f.account) for f in found] == [
        ("postgres", "select 1", "h", None),
        ("snowflake", "select 2", None, "acct"),
    ]


def test_nested_shells_and_options() -> None:
    got = only('sh -euc "bash -lc \'psql -c \\"SELECT 9\\"\'"')
    assert got.sql == "SELECT 9"


def test_bash_reading_a_heredoc_script() -> None:
    got = only("bash -s <<'EOF'\nexport PGHOST=h9\npsql -c 'SELECT 1'\nEOF")
    assert (got.sql, got.host) == ("SELECT 1", "h9")


def test_wrappers_sudo_env_time_timeout() -> None:
    command = (
        "sudo -u postgres psql -c 'A'; env -i PGHOST=e1 psql -c 'B'; time psql -c 'C'; timeout -s KILL 60 psql -c 'D'"
    )
    found = find_sql(command)
    assert [f.sql for f in found] == ["A", "B", "C", "D"]
    assert found[1].host == "e1"


def test_full_path_to_the_client() -> None:
    assert only("/usr/lib/postgresql/16/bin/psql -c 'SELECT 1'").sql == "SELECT 1"


def test_wrappers_are_stripped_and_their_assignments_kept() -> None:
    env: dict[str, str] = {}
    assert strip_wrappers(["sudo", "-u", "pg", "env", "-i", "A=1", "nice", "-n", "5", "psql", "-c", "x"], env) == [
        "psql",
        "-c",
        "x",
    ]
    assert env == {"A": "1"}
    assert nested_script(["-eu", "-o", "pipefail", "-c", "psql -c x"], None) == "psql -c x"
    assert nested_script(["-s"], Input("psql -c x\n", "heredoc")) == "psql -c x\n"
    assert nested_script(["script.sh"], Input("ignored", "heredoc")) is None
