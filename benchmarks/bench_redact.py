"""Benchmark of redaction: what one event costs on the hook path before it is spooled.

    python benchmarks/bench_redact.py [--runs 500]

Airflow's masker plus the SQL/shell scrubber and the size cap, on a typical
task event (40 SQL statements) and on one with secrets in it. Prints Markdown
table rows (median and 95th percentile per event).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from secoda_listener.event.redact import redact_event  # noqa: E402

BIG = 512 * 1024


def event(sql: str) -> dict:
    return {
        "event_id": "e",
        "event_type": "task_success",
        "task_instance": {"task_id": "t", "dag_id": "d", "sql": sql, "state": "success"},
        "dag": {"dag_id": "d", "description": "a DAG"},
        "lineage": {"inputs": [], "outputs": [], "errors": []},
    }


def per_event(body: dict, runs: int) -> tuple[float, float]:
    redact_event(body, max_bytes=BIG)  # warm: imports, the masker's set-up
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        redact_event(body, max_bytes=BIG)
        times.append(time.perf_counter() - start)
    times.sort()
    return statistics.median(times), times[int(len(times) * 0.95) - 1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=500)
    args = parser.parse_args()
    typical = event("INSERT INTO t SELECT a, b FROM s WHERE x = 'y' AND z = 1;\n" * 40)
    secret = event("COPY INTO t FROM 's3://b/p' CREDENTIALS=(AWS_KEY_ID='AKIA' AWS_SECRET_KEY='s3cr3t');\n" * 40)
    print("| event | median per event | p95 per event |")
    print("|---|---|---|")
    for label, body in (("typical, 40 statements", typical), ("40 statements with credentials", secret)):
        median, p95 = per_event(body, args.runs)
        print(f"| {label} | {median * 1e3:.2f} ms | {p95 * 1e3:.2f} ms |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
