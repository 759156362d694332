"""Run the example DAGs in a real Airflow, with no Secoda account, and show what Secoda would get.

    tox -e demo            (installs Airflow 3.3.2 and everything else first)
    python dags_example/run_examples.py   (in an environment that has them)

It starts the local Secoda-compatible receiver and a throwaway Postgres on
127.0.0.1, makes a fresh Airflow home, points the ``secoda_default``
connection at the receiver, runs each example DAG with ``airflow dags test``
(the Snowflake one against fakesnow), and prints a summary of what arrived:
per task, the event types and the lineage.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from secoda_listener.testing.receiver import Receiver  # noqa: E402
from tests.support.airflow_home import AirflowHome, secoda_connection  # noqa: E402
from tests.support.postgres import LocalPostgres  # noqa: E402

API_KEY = "demo-api-key"


def _postgres() -> LocalPostgres | None:
    try:
        return LocalPostgres.start()
    except Exception as exc:  # noqa: BLE001 - no Postgres binaries here (or it will not start): run the rest
        print(f"(skipping the Postgres example: could not start a local Postgres: {exc})")
        return None


def _wait_for_delivery(spool: Path, timeout: float = 60.0) -> None:
    """Until the delivery agent has sent everything spooled (it runs on after `dags test` returns)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        waiting = [p for sub in ("new", "cur") if (spool / sub).is_dir() for p in (spool / sub).iterdir()]
        if not waiting:
            return
        time.sleep(0.2)
    print(f"(after {timeout:.0f} s, events still wait in {spool}: see `secoda-listener status --spool-dir {spool}`)")


def main() -> int:
    work = Path(tempfile.mkdtemp(prefix="secoda-demo-"))
    store = work / "received.jsonl"
    home = AirflowHome(path=work / "airflow", dags_folder=REPO / "dags_example")
    home.path.mkdir()
    print(f"Airflow home: {home.path}\nReceiver store: {store}")
    home.migrate()
    postgres = _postgres()
    with Receiver(store=store, api_key=API_KEY) as receiver:
        env = {
            "AIRFLOW_CONN_SECODA_DEFAULT": secoda_connection(receiver.url, API_KEY),
            "AIRFLOW__SECODA__SPOOL_DIR": str(work / "spool"),
            "AIRFLOW__SECODA__EXTRACTORS": "my_company_lineage:CopyExtractor",
            # The delivery agent sends while the DAGs run; here it leaves soon after the demo.
            "AIRFLOW__SECODA__AGENT_IDLE_TIMEOUT": "5",
            "AIRFLOW_CONN_SNOWFLAKE_SALES": json.dumps(
                {
                    "conn_type": "snowflake",
                    "login": "fake",
                    "password": "fake-snow-password",
                    "schema": "S1",
                    "extra": {"account": "fakesnow", "database": "DB1", "warehouse": "WH"},
                }
            ),
        }
        runs = [("example_snowflake_sales", True)]
        if (REPO / "dags_example" / "example_custom_extractor.py").exists():
            runs.append(("example_custom_extractor", False))
        if postgres is not None:
            env["AIRFLOW_CONN_POSTGRES_SHOP"] = json.dumps(
                {
                    "conn_type": "postgres",
                    "host": "127.0.0.1",
                    "port": postgres.port,
                    "login": postgres.user,
                    "password": postgres.password,
                    "schema": postgres.database,
                }
            )
            runs.insert(0, ("example_postgres_shop", False))
        failed = []
        try:
            for dag_id, fakesnow in runs:
                result = home.dags_test(dag_id, extra_env=env, fakesnow=fakesnow)
                print(f"airflow dags test {dag_id}: exit {result.returncode} in {result.seconds:.1f} s")
                if result.returncode != 0:
                    failed.append(dag_id)
                    print(result.output[-3000:])
            _wait_for_delivery(work / "spool")
        finally:
            if postgres is not None:
                postgres.stop()
    print()
    subprocess.run(
        [sys.executable, "-m", "secoda_listener", "receiver", "--summary", "--store", str(store)], check=False
    )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
