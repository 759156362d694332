"""Secrets never leave: a real DAG run touches secrets through every path a task can
(tests/dags/secoda_secrets.py), the events stay spooled, then a real flush delivers
them to the receiver. No secret, and not the API key, may be in the spool, the
receiver's store, the plugin's log lines or its CLI output. The API key must not
be in any output at all.

Paths exercised, honestly:

* connection password, rendered into a BashOperator command by ``{{ conn.x.password }}``
  (Airflow's masker knows the value);
* a Variable named ``*password*``, rendered by ``{{ var.value.x }}`` (masker knows it);
* literals in a Bash command: ``export DB_PASSWORD=...`` and ``curl -H "Authorization: Bearer ..."``
  (only the pattern scrubbers can catch these; curl is a no-op shell function);
* literals in SQL: ``CREATE STAGE ... CREDENTIALS=(AWS_KEY_ID='...' AWS_SECRET_KEY='...')`` held by a
  ``SQLExecuteQueryOperator`` subclass whose ``execute`` does nothing: templates render, the built-in
  SQL extractor runs and the event carries the SQL; only the statement is not sent to Snowflake;
* a failed task's exception message holding the connection password and two literals.
"""

from __future__ import annotations

import json
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import API_KEY
from tests.support.airflow_home import REPO, secoda_connection

CONN_PASSWORD = "Pg-conn-pw-7c1e5b"
VAR_PASSWORD = "var-secret-Qx81zK"
BASH_PASSWORD = "bash-literal-pw-4242"
BASH_TOKEN = "bash-bearer-token-9f8e7d"
SQL_KEY_ID = "AKIASQLLITERAL0001"
SQL_SECRET = "sql-literal-aws-secret-Zz9"
EXC_URI_PASSWORD = "exc-uri-pw-5150"
EXC_PASSWORD = "exc-literal-pw-3131"

#: Secrets Airflow itself knows and masks everywhere (its own logs included).
KNOWN_TO_AIRFLOW = (CONN_PASSWORD, VAR_PASSWORD)
#: Literals only our scrubbers can recognise.
LITERALS = (BASH_PASSWORD, BASH_TOKEN, SQL_KEY_ID, SQL_SECRET, EXC_URI_PASSWORD, EXC_PASSWORD)
ALL_SECRETS = KNOWN_TO_AIRFLOW + LITERALS + (API_KEY,)

EXPECTED_SQL = (
    "CREATE OR REPLACE STAGE raw.landing URL='s3://acme-landing/events/2024-01-01/' "
    "CREDENTIALS=(AWS_KEY_ID='***' AWS_SECRET_KEY='***') FILE_FORMAT=(TYPE=JSON)"
)


def _found(text: str, secrets: tuple[str, ...] = ALL_SECRETS) -> list[str]:
    return [secret for secret in secrets if secret in text]


def _plugin_lines(output: str) -> list[str]:
    """The lines the plugin logged (its logger names and message prefix)."""
    return [line for line in output.splitlines() if "secoda_listener" in line or "secoda-listener" in line]


@pytest.fixture
def secrets_run(run_dag, receiver, tmp_path: Path, airflow_home):
    """Run the DAG with delivery off (flush_timeout 0), look at the spool, then flush it."""
    env = {
        "AIRFLOW_CONN_SECODA_SECRETS_PG": json.dumps(
            {
                "conn_type": "postgres",
                "host": "db.internal",
                "login": "etl",
                "password": CONN_PASSWORD,
                "port": 5432,
                "schema": "shop",
            }
        ),
        "AIRFLOW_CONN_SECODA_SECRETS_SNOW": json.dumps(
            {
                "conn_type": "snowflake",
                "login": "etl",
                "password": "snow-pw-unused",
                "extra": {"account": "acme-xy12345", "database": "RAW", "warehouse": "WH"},
            }
        ),
        "AIRFLOW_VAR_SECODA_DB_PASSWORD": VAR_PASSWORD,
    }
    result = run_dag("secoda_secrets", env=env, flush_timeout="0")
    spool = tmp_path / "spool"
    spool_files = {path: path.read_bytes() for path in spool.rglob("*") if path.is_file()}
    spool_modes = {path: (path.is_dir(), stat.S_IMODE(path.stat().st_mode)) for path in [spool, *spool.rglob("*")]}

    cli_env = airflow_home.env(
        {
            "AIRFLOW_CONN_SECODA_DEFAULT": secoda_connection(receiver.url, API_KEY),
            "AIRFLOW__SECODA__SPOOL_DIR": str(spool),
            "PYTHONPATH": str(REPO),
            **env,
        }
    )
    flushed = subprocess.run(
        [sys.executable, "-m", "secoda_listener", "flush", "--timeout", "30"],
        env=cli_env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    status = subprocess.run(
        [sys.executable, "-m", "secoda_listener", "status"], env=cli_env, capture_output=True, text=True, timeout=120
    )
    return {
        "run": result,
        "spool_files": spool_files,
        "spool_modes": spool_modes,
        "flush": flushed,
        "status": status,
        "records": receiver.received(),
        "store": receiver.store_path.read_text(),
        "logs": {
            path: path.read_text(errors="replace")
            for path in (airflow_home.path / "logs").rglob("*")
            if path.is_file() and "secoda_secrets" in str(path)
        },
    }


def test_no_secret_leaves_through_any_path(secrets_run) -> None:
    run = secrets_run["run"]
    records = secrets_run["records"]
    bodies = [record["body"] for record in records]
    events = {(b["task_instance"]["task_id"], b["event_type"]): b for b in bodies if "task_instance" in b}

    # The run happened as designed: every task reported, the failing one failed.
    assert ("fails_with_secrets", "task_failed") in events, run.output[-4000:]
    for task_id in ("conn_password", "masked_variable", "bash_literals", "sql_literal"):
        assert (task_id, "task_success") in events, (task_id, run.output[-4000:])
    assert secrets_run["flush"].returncode == 0, secrets_run["flush"].stdout + secrets_run["flush"].stderr
    assert all(record["status"] == 200 for record in records)

    # Events were spooled (delivery was off during the run), privately.
    spooled = [path for path in secrets_run["spool_files"] if path.parent.name == "new"]
    assert len(spooled) >= len(events)
    for path, (is_dir, mode) in secrets_run["spool_modes"].items():
        assert mode == (0o700 if is_dir else 0o600), (path, oct(mode))

    # Nowhere: not in any spool file, not at the receiver, not in the plugin's own log lines or CLI output.
    for path, data in secrets_run["spool_files"].items():
        assert _found(data.decode("utf-8", "replace")) == [], path
    assert _found(secrets_run["store"]) == []
    assert _plugin_lines(run.output), "the plugin logged nothing: the log check would be vacuous"
    assert _found("\n".join(_plugin_lines(run.output))) == []
    for name in ("flush", "status"):
        cli = secrets_run[name]
        assert _found(cli.stdout + cli.stderr) == [], name
    # The API key is nowhere in the run's output or task logs. (Airflow's own lines in
    # `airflow dags test` output, e.g. "Running command: [...]" and the traceback, do show
    # the command's and the exception's secrets; those lines are Airflow's, not the plugin's.)
    assert API_KEY not in run.output
    for path, text in secrets_run["logs"].items():
        assert _found("\n".join(_plugin_lines(text))) == [] and API_KEY not in text, path

    # What arrived is still useful: only the values are masked.
    sql_event = events[("sql_literal", "task_success")]["task_instance"]
    assert sql_event["sql"] == EXPECTED_SQL
    bash_source = events[("bash_literals", "task_success")]["task_instance"]["source_code"]
    assert "export DB_PASSWORD=***" in bash_source
    assert 'curl -s -H "Authorization: Bearer ***" https://api.example.invalid/v1/ping' in bash_source
    conn_source = events[("conn_password", "task_success")]["task_instance"]["source_code"]
    assert conn_source == 'test -n "***" && echo "connection password is set"'
    var_source = events[("masked_variable", "task_success")]["task_instance"]["source_code"]
    assert var_source == 'test -n "***" && echo "variable is set"'
    error = events[("fails_with_secrets", "task_failed")]["task_instance"]["error"]
    assert error.startswith("RuntimeError: could not connect to postgresql://etl:")
    assert "db.internal:5432/shop" in error and "db-replica.internal/shop" in error
