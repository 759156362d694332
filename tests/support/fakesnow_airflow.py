"""Run Airflow's CLI with fakesnow patched in: ``python -m tests.support.fakesnow_airflow dags test ...``.

fakesnow puts DuckDB behind the real Snowflake connector, so a
``SQLExecuteQueryOperator`` on a Snowflake connection really executes (inside
this one process, as ``airflow dags test`` runs every task in-process).
Only Snowflake's cloud is replaced; Airflow, the operator, the hook and the
plugin are the real ones.
"""

from __future__ import annotations

import sys

import fakesnow


def main() -> int:
    from airflow.__main__ import main as airflow_main

    sys.argv = ["airflow", *sys.argv[1:]]
    with fakesnow.patch():
        result = airflow_main()
    return int(result or 0)


if __name__ == "__main__":
    sys.exit(main())
