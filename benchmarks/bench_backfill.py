"""Benchmark of ``secoda-listener backfill``: task instances per second read from a real API and spooled.

    python benchmarks/bench_backfill.py [--tasks 300] [--page-sizes 25,100]

A real Airflow (the running one: 3.x's ``airflow api-server`` with the simple auth
manager, or 2.10's webserver with the basic-auth backend) on loopback serves one run of
tests/dags/backfill_many.py: ``--tasks`` mapped Bash tries, each rendering a psql
command (so lineage runs for every try), made by ``airflow dags test``, untimed. Then,
per page size, a backfill reads the whole history through the REST API and writes
each event to a fresh spool (the records the sender would deliver; delivery itself is
bench_spool.py's), timed; and once more into a sink that drops the events, which is
the API's and the mapping's share. One untimed backfill first (imports). Prints Markdown
table rows.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
# This process's own Airflow configuration (the [secoda] defaults), not the served home's.
os.environ.setdefault("AIRFLOW_HOME", tempfile.mkdtemp(prefix="bench-backfill-"))

from secoda_listener.delivery.record import Route, SpoolRecord  # noqa: E402
from secoda_listener.delivery.spool import Spool  # noqa: E402
from secoda_listener.event import model as ev  # noqa: E402
from secoda_listener.history.backfill import Backfill, Summary, record_body  # noqa: E402
from secoda_listener.history.client import AirflowClient, Credentials  # noqa: E402
from secoda_listener.history.window import Window  # noqa: E402
from tests.support.airflow_api import AirflowApi, api_env  # noqa: E402
from tests.support.airflow_home import TEST_DAGS, AirflowHome, airflow_major  # noqa: E402


class SpoolWriter:
    """The records backfill's spool sink writes, into a spool of its own (no delivery)."""

    def __init__(self, directory: Path) -> None:
        self.spool = Spool(directory, fsync=False)

    def put(self, event: ev.Event) -> None:
        body = record_body(event, ())
        self.spool.write(SpoolRecord(event.event_id, "secoda_default", Route.INGEST, body))

    def finish(self, summary: Summary) -> None:
        pass


class Drop:
    def put(self, event: ev.Event) -> None:
        pass

    def finish(self, summary: Summary) -> None:
        pass


def serve(tasks: int, root: Path) -> AirflowApi:
    root.mkdir(parents=True, exist_ok=True)
    home = AirflowHome.with_dags(root, TEST_DAGS / "backfill_many.py")
    home.migrate()
    env = api_env(home, root / "passwords.json")
    made = home.dags_test(
        "backfill_many", extra_env={**env, "BACKFILL_MANY_TASKS": str(tasks), "AIRFLOW__SECODA__ENABLED": "False"}
    )
    if made.returncode != 0:
        raise RuntimeError(f"airflow dags test failed:\n{made.output[-3000:]}")
    if airflow_major() < 3:
        home.airflow("dags", "reserialize", extra_env=env)
    env["BACKFILL_MANY_TASKS"] = str(tasks)  # the API server parses the DAG the same way
    return AirflowApi.start(home, env, root / "logs")


def timed(api: AirflowApi, sink: object, page_size: int) -> tuple[float, Summary, int]:
    client = AirflowClient(api.url, Credentials(username=api.username, password=api.password)).connect()
    window = Window(dt.datetime(2000, 1, 1, tzinfo=dt.timezone.utc), dt.datetime.now(dt.timezone.utc))
    before = client.requests
    started = time.perf_counter()
    summary = Backfill(client, window, sink, page_size=page_size).run()  # type: ignore[arg-type]
    return time.perf_counter() - started, summary, client.requests - before


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tasks", type=int, default=300)
    parser.add_argument("--page-sizes", default="25,100")
    args = parser.parse_args()
    sizes = [int(size) for size in args.page_sizes.split(",")]
    from airflow import __version__ as airflow_version

    with tempfile.TemporaryDirectory(prefix="bench-backfill-") as tmp:
        root = Path(tmp)
        api = serve(args.tasks, root / "deployment")
        try:
            timed(api, Drop(), 100)  # untimed warm-up: the first backfill of a process imports the lineage path
            print(f"Airflow {airflow_version} API on loopback, one run of {args.tasks} mapped Bash tries\n")
            print("| page size | what | task instances | events | requests | seconds | task instances/s | events/s |")
            print("| --- | --- | --- | --- | --- | --- | --- | --- |")
            for size in sizes:
                for label, sink in (
                    ("read + spooled", SpoolWriter(root / f"spool-{size}")),
                    ("read only", Drop()),
                ):
                    seconds, summary, requests = timed(api, sink, size)
                    print(
                        f"| {size} | {label} | {summary.tasks} | {summary.events} | {requests} | {seconds:.2f} | "
                        f"{summary.tasks / seconds:.0f} | {summary.events / seconds:.0f} |"
                    )
        finally:
            api.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
