"""lexer: quoting, heredocs, operators, comments and redirects; never raises on broken input."""

from __future__ import annotations

import pytest

from secoda_listener.extractors.shell import find_sql
from secoda_listener.extractors.shell.lexer import Command, Lexer, Redirect
from tests.extractors.shell import only

# --- heredocs -----------------------------------------------------------------------------


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


# --- words, operators, comments -----------------------------------------------------------


def test_chained_with_and_semicolon_pipe_and_newlines() -> None:
    command = (
        "set -euo pipefail\n"
        "psql -c 'SELECT 1' && psql -c 'SELECT 2'; psql -c 'SELECT 3' || exit 1\n"
        "psql -c 'SELECT 4' | tee out"
    )
    assert [f.sql for f in find_sql(command)] == ["SELECT 1", "SELECT 2", "SELECT 3", "SELECT 4"]


def test_line_continuations() -> None:
    got = only('psql \\\n  -h db \\\n  -d shop \\\n  -c "SELECT 1"')
    assert (got.host, got.database, got.sql) == ("db", "shop", "SELECT 1")


def test_multiline_sql_inside_quotes() -> None:
    got = only("psql -c '\n  INSERT INTO t\n  SELECT * FROM s;\n'")
    assert got.sql == "\n  INSERT INTO t\n  SELECT * FROM s;\n"


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


def test_the_lexer_gives_pipelines_of_commands_with_their_redirects() -> None:
    pipelines = Lexer("A=1 psql 'x y' 2>/dev/null | tee \"o\"ut && cat <<'E'\nbody $x\nE\n").run()
    assert pipelines == [
        [Command(["A=1", "psql", "x y"], [Redirect(">", "/dev/null")]), Command(["tee", "out"])],
        [Command(["cat"], [Redirect("<<", "E", body="body $x\n", expand=False)])],
    ]


# --- broken input -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("command", "expected_sql"),
    [
        ('psql -c "unbalanced', ["unbalanced"]),
        ("psql -c 'unbalanced single", ["unbalanced single"]),
        ("psql -c $'ansi unclosed", ["ansi unclosed"]),
        ('psql -c "$(unclosed"', ['$(unclosed"']),
        ("psql -c `unclosed", ["`unclosed"]),
        ("psql -c ${unclosed", ["${unclosed"]),
        ("psql -f", [""]),
        ("psql <<", []),
        ("psql <<EOF", [""]),
        ("| | ; && psql -c 'x' ))", ["x"]),
        ("\\", []),
        ("", []),
    ],
)
def test_broken_input_never_raises(command: str, expected_sql: list[str]) -> None:
    assert [f.sql for f in find_sql(command)] == expected_sql
