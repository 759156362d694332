"""``secoda-listener lineage`` run as a real process: ``python -m secoda_listener lineage``."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def lineage(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH", "")]))
    return subprocess.run(
        [sys.executable, "-m", "secoda_listener", "lineage", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        cwd=REPO,
        timeout=60,
    )


def test_reads_file_and_prints_indented_json(tmp_path: Path) -> None:
    script = tmp_path / "load.sql"
    script.write_text("USE SCHEMA raw;\nINSERT INTO dw.fact SELECT * FROM events JOIN dim USING (k);\n")
    done = lineage("--dialect", "snowflake", "--default-database", "PROD", str(script))
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {
        "inputs": ["PROD.raw.events", "PROD.raw.dim"],
        "outputs": ["PROD.dw.fact"],
        "errors": [],
    }
    assert done.stdout.startswith("{\n  ")  # indented


def test_reads_stdin_by_default_and_with_dash() -> None:
    for args in ((), ("-",)):
        done = lineage(
            "--dialect",
            "postgres",
            "--default-schema",
            "public",
            *args,
            stdin="COPY t FROM STDIN; COPY (SELECT * FROM s) TO STDOUT;",
        )
        assert done.returncode == 0, done.stderr
        result = json.loads(done.stdout)
        assert result["inputs"] == ["public.s"]
        assert result["outputs"] == ["public.t"]


def test_generic_dialect_and_errors_reported() -> None:
    done = lineage("--dialect", "generic", stdin="SELECT * FROM a JOIN")
    assert done.returncode == 0
    result = json.loads(done.stdout)
    assert result["inputs"] == ["a"]
    assert result["errors"], "truncated SQL must be reported"


def test_unreadable_file_exits_1_with_message(tmp_path: Path) -> None:
    missing = tmp_path / "missing.sql"
    done = lineage("--dialect", "postgres", str(missing))
    assert done.returncode == 1
    assert "cannot read" in done.stderr and "missing.sql" in done.stderr
    assert done.stdout == ""


def test_dialect_is_required_and_checked() -> None:
    assert lineage(stdin="SELECT 1").returncode == 2
    done = lineage("--dialect", "oracle", stdin="SELECT 1")
    assert done.returncode == 2
    assert "invalid choice" in done.stderr


def test_undecodable_bytes_do_not_stop_the_command(tmp_path: Path) -> None:
    script = tmp_path / "latin1.sql"
    script.write_bytes(b"INSERT INTO t SELECT '\xe9t\xe9' FROM s")
    done = lineage("--dialect", "postgres", str(script))
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["outputs"] == ["t"]


def test_new_dialects_are_accepted_and_read_by_their_rules(tmp_path: Path) -> None:
    """One script per dialect of sql-lineage-dialects.md, through the real command."""
    scripts = {
        "bigquery": (
            "INSERT ds.t SELECT * FROM `other-proj.raw.events_*` # a comment\n",
            ["proj", "ds"],
            {"inputs": ["other-proj.raw.events_*"], "outputs": ["proj.ds.t"]},
        ),
        "redshift": (
            "UNLOAD ('SELECT * FROM venue') TO 's3://b/x' IAM_ROLE 'r'; ALTER TABLE t APPEND FROM s;",
            ["dev", "public"],
            {"inputs": ["dev.public.venue", "dev.public.s"], "outputs": ["dev.public.t", "dev.public.s"]},
        ),
        "databricks": (
            "USE CATALOG dev; CREATE TABLE t AS SELECT * FROM parquet.`/p` JOIN `Sales`.Orders USING (id);",
            ["main", "sales"],
            {"inputs": ["dev.Sales.Orders"], "outputs": ["dev.default.t"]},
        ),
        "mysql": (
            "UPDATE t1 JOIN t2 ON t1.id = t2.id SET t1.a = t2.b; RENAME TABLE a TO archive.a;",
            ["ignored", "shop"],
            {"inputs": ["shop.t2", "shop.a"], "outputs": ["shop.t1", "archive.a"]},
        ),
    }
    for dialect, (sql, (database, schema), expected) in scripts.items():
        script = tmp_path / f"{dialect}.sql"
        script.write_text(sql)
        done = lineage("--dialect", dialect, "--default-database", database, "--default-schema", schema, str(script))
        assert done.returncode == 0, (dialect, done.stderr)
        assert json.loads(done.stdout) == {**expected, "errors": []}, dialect
