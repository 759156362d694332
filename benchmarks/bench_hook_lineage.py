"""Benchmark of hook-level lineage: what reading Airflow's collector adds at the end of a task.

    python benchmarks/bench_hook_lineage.py [--tasks 200]

Each "task" gets a real collector (Airflow's ``HookLineageCollector``) filled through
its public API (``add_output_asset``, ``add_extra`` as ``send_sql_hook_lineage``
records SQL), untimed; then ``collected_lineage`` is timed alone: URIs to datasets,
folding, the cap, and for the SQL case parsing by our SQL library. Prints Markdown
table rows: median and p99 per task. Airflow 3 keeps 100 assets per direction unless
``[lineage] max_assets_per_collector`` says otherwise: set here to 10,000.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Callable

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

# Before Airflow is imported: its collector reads the cap once, and a home of our own.
os.environ["AIRFLOW__LINEAGE__MAX_ASSETS_PER_COLLECTOR"] = "10000"
os.environ.setdefault("AIRFLOW_HOME", tempfile.mkdtemp(prefix="bench-hook-lineage-"))
os.environ["AIRFLOW_CONN_BENCH_PG"] = json.dumps({"conn_type": "postgres", "host": "db.bench", "schema": "shop"})

from secoda_listener.extractors.hook_lineage import collected_lineage  # noqa: E402


def collector_class() -> Any:
    try:  # Airflow 3
        from airflow.sdk.lineage import HookLineageCollector
    except ImportError:  # Airflow 2.10
        from airflow.lineage.hook import HookLineageCollector
    return HookLineageCollector


class ObjectStoreHook:
    """The context a collector entry names: a hook instance."""


def objects(count: int) -> Callable[[Any], None]:
    """``count`` objects uploaded under one prefix (folded into it above 50)."""

    def fill(collector: Any) -> None:
        hook = ObjectStoreHook()
        add = getattr(collector, "add_output_asset", None) or collector.add_output_dataset
        for i in range(count):
            add(context=hook, uri=f"s3://bench-bucket/exports/2024-01-01/part-{i:05d}.csv")

    return fill


def tables(count: int) -> Callable[[Any], None]:
    """``count`` distinct tables written (never folded; cut to 200)."""

    def fill(collector: Any) -> None:
        hook = ObjectStoreHook()
        add = getattr(collector, "add_output_asset", None) or collector.add_output_dataset
        for i in range(count):
            add(context=hook, uri=f"postgres://warehouse:5432/shop/public/t_{i:05d}")

    return fill


def sql_statements(count: int) -> Callable[[Any], None] | None:
    """``count`` distinct statements run through a PostgresHook, as common-sql records them."""
    try:
        from airflow.providers.postgres.hooks.postgres import PostgresHook
    except ImportError:
        return None

    def fill(collector: Any) -> None:
        hook = PostgresHook(postgres_conn_id="bench_pg")
        for i in range(count):
            sql = (
                f"INSERT INTO mart.daily_{i % 10} SELECT o.id, c.name "
                f"FROM raw.orders_{i} o JOIN raw.customers c USING (cid)"
            )
            collector.add_extra(context=hook, key="sql_job", value={"sql": sql, "row_count": i})

    return fill if hasattr(collector_class(), "add_extra") else None


def per_task(fill: Callable[[Any], None] | None, tasks: int) -> tuple[float, float, int, int]:
    """Median and p99 seconds of ``collected_lineage`` per task, and the datasets/errors it returned."""
    make = collector_class()
    times = []
    shapes = set()
    for _ in range(tasks + 3):  # the first ones import and warm caches
        collector = make() if fill is not None else None
        if fill is not None:
            fill(collector)
        started = time.perf_counter()
        # None: no hook touched the collector, so Airflow never made one in this process.
        result = collected_lineage(None, collector=collector)
        times.append(time.perf_counter() - started)
        shapes.add((len(result.inputs) + len(result.outputs), len(result.errors)))
    if len(shapes) != 1:  # every task read the same thing, or the figures mean nothing
        raise SystemExit(f"tasks of one case returned different lineage: {sorted(shapes)}")
    times = sorted(times[3:])
    datasets, errors = shapes.pop()
    return statistics.median(times), times[max(0, int(len(times) * 0.99) - 1)], datasets, errors


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=200, help="tasks measured per case (5,000-asset cases: a tenth)")
    args = parser.parse_args()
    cases: list[tuple[str, Callable[[Any], None] | None, int]] = [
        ("0 assets, no hook used the collector", None, args.tasks),
        ("0 assets, an empty collector", objects(0), args.tasks),
        ("100 objects under one prefix", objects(100), args.tasks),
        ("100 tables", tables(100), args.tasks),
        ("5,000 objects under one prefix", objects(5000), max(10, args.tasks // 10)),
        ("5,000 tables", tables(5000), max(10, args.tasks // 10)),
    ]
    sql = sql_statements(100)
    if sql is not None:
        cases.append(("100 SQL statements through PostgresHook", sql, max(10, args.tasks // 10)))
    print("| collected in the task | median per task | p99 per task | datasets reported | lines in errors |")
    print("|---|---|---|---|---|")
    for label, fill, tasks in cases:
        median, p99, datasets, errors = per_task(fill, tasks)
        print(f"| {label} | {median * 1e3:.3f} ms | {p99 * 1e3:.3f} ms | {datasets} | {errors} |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
