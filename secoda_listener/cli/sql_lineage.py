"""``secoda-listener lineage``: print the table lineage of a SQL file as JSON.

secoda-listener lineage --dialect snowflake --default-database DB query.sql
cat script.sql | secoda-listener lineage --dialect postgres
secoda-listener lineage --dialect bigquery --default-database my-project --default-schema dataset q.sql

Dialects: snowflake, postgres, bigquery, redshift, databricks, mysql, generic.
"""

from __future__ import annotations

import argparse
import json
import sys

DIALECT_CHOICES = ("snowflake", "postgres", "bigquery", "redshift", "databricks", "mysql", "generic")


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "lineage",
        help="print the tables a SQL file reads and writes",
        description="Print the table lineage (inputs, outputs, errors) of a SQL script as JSON.",
    )
    parser.add_argument("--dialect", required=True, choices=DIALECT_CHOICES, help="SQL dialect of the script")
    parser.add_argument("--default-database", default=None, help="database for names without one")
    parser.add_argument("--default-schema", default=None, help="schema for names without one")
    parser.add_argument("file", metavar="FILE", nargs="?", default="-", help="SQL file to read ('-' or absent: stdin)")
    parser.set_defaults(func=run)


def _read(path: str) -> str:
    if path == "-":
        data = sys.stdin.buffer.read()
    else:
        with open(path, "rb") as handle:
            data = handle.read()
    # Undecodable bytes must not stop the command: lineage of the rest still matters.
    return data.decode("utf-8", errors="replace")


def run(args: argparse.Namespace) -> int:
    from secoda_listener.sql import extract_lineage

    try:
        text = _read(args.file)
    except OSError as exc:
        name = "stdin" if args.file == "-" else args.file
        print(f"secoda-listener lineage: cannot read {name}: {exc.strerror or exc}", file=sys.stderr)
        return 1
    lineage = extract_lineage(text, args.dialect, args.default_database, args.default_schema)
    json.dump(lineage.to_dict(), sys.stdout, indent=2, ensure_ascii=False)
    sys.stdout.write("\n")
    return 0
