"""Benchmark of secoda_listener.sql: speed, accuracy on the corpus, huge inputs.

    python benchmarks/bench_sql_lineage.py [--seconds 3]

Prints Markdown table rows.  Accuracy is measured on the hand-written
corpora listed in tests/sql/cases.py (CORPORA: corpus.py, corpus_realistic.py,
corpus_spec_audit.py and the one-dialect corpora corpus_bigquery.py,
corpus_redshift.py, corpus_databricks.py, corpus_mysql.py), each alone and
together: exact match = a case's inputs and outputs both right; table-level
F1 counts (role, table) pairs over all cases.  Speed per corpus: each case is
one call, timed alone, round after round for the corpus's share of
``--seconds``: statements per second, median and p99 per call.  The huge
inputs are those of the robustness tests (tests/sql/huge_inputs.py), also run
in each dialect of sql-lineage-dialects.md.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path
from typing import Callable

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from secoda_listener.sql import TableName, extract_lineage  # noqa: E402
from tests.sql.cases import CORPORA, load_corpus  # noqa: E402
from tests.sql.huge_inputs import ADVERSARIAL, deep_subqueries, huge_insert, huge_script  # noqa: E402

# The dialects of sql-lineage-dialects.md.
NEW_DIALECTS = ("bigquery", "redshift", "databricks", "mysql")


def accuracy(cases: list) -> tuple[float, float, float, float, list[str]]:
    exact = tp = predicted = expected = 0
    misses = []
    for case in cases:
        result = extract_lineage(case.sql, case.dialect, case.default_database, case.default_schema)
        got = {("in", n) for n in result.inputs} | {("out", n) for n in result.outputs}
        want = {("in", TableName.parse(t, case.dialect)) for t in case.inputs}
        want |= {("out", TableName.parse(t, case.dialect)) for t in case.outputs}
        tp += len(got & want)
        predicted += len(got)
        expected += len(want)
        if got == want:
            exact += 1
        else:
            misses.append(case.id)
    precision = tp / predicted if predicted else 1.0
    recall = tp / expected if expected else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return exact / len(cases), precision, recall, f1, misses


def throughput(statements: list[tuple[str, str]], seconds: float) -> float:
    done = 0
    start = time.perf_counter()
    while time.perf_counter() - start < seconds:
        for sql, dialect in statements:
            extract_lineage(sql, dialect)
        done += len(statements)
    return done / (time.perf_counter() - start)


def per_call(cases: list, seconds: float) -> tuple[float, float, float]:
    """Statements per second, median and p99 seconds per call, over rounds of ``cases``."""
    calls = [(c.sql, c.dialect, c.default_database, c.default_schema) for c in cases]
    times: list[float] = []
    clock = time.perf_counter
    deadline = clock() + seconds
    while clock() < deadline or not times:
        for sql, dialect, database, schema in calls:
            start = clock()
            extract_lineage(sql, dialect, database, schema)
            times.append(clock() - start)
    times.sort()
    p99 = times[min(len(times) - 1, int(len(times) * 0.99))]
    return len(times) / sum(times), statistics.median(times), p99


def timed(make: Callable[[], str], dialect: str) -> tuple[float, int, int, int]:
    sql = make()
    start = time.perf_counter()
    result = extract_lineage(sql, dialect)
    return time.perf_counter() - start, len(sql), len(result.inputs) + len(result.outputs), len(result.errors)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=3.0, help="duration of the throughput run")
    parser.add_argument("--show-misses", action="store_true", help="list corpus cases not exactly right")
    args = parser.parse_args()

    corpora = [(filename, load_corpus(filename).CASES) for filename in CORPORA]
    cases = [case for _, corpus in corpora for case in corpus]
    typical = [(c.sql, c.dialect) for c in cases if isinstance(c.sql, str) and c.sql.count(";") <= 1]
    rate = throughput(typical, args.seconds)

    print("| measure | value |")
    print("|---|---|")
    misses: list[str] = []
    for label, subset in [*corpora, ("all corpora", cases)]:
        exact, precision, recall, f1, missed = accuracy(subset)
        if label != "all corpora":
            misses += missed
        print(f"| {label}: cases | {len(subset)} |")
        print(f"| {label}: exact match (inputs and outputs) | {exact:.1%} |")
        print(f"| {label}: table-level precision / recall / F1 | {precision:.3f} / {recall:.3f} / {f1:.3f} |")
    print(f"| typical statements per second (1 process) | {rate:,.0f} |")
    for label, subset in corpora:
        per_second, median, p99 = per_call(subset, args.seconds / len(corpora))
        print(
            f"| {label}: statements per second / median / p99 per statement | "
            f"{per_second:,.0f} / {median * 1e3:.3f} ms / {p99 * 1e3:.3f} ms |"
        )
    for label, make, dialects in (
        ("1 MB INSERT..SELECT, 20,000 terms", huge_insert, ("snowflake", *NEW_DIALECTS)),
        ("5,000-statement script", huge_script, ("postgres", *NEW_DIALECTS)),
        ("500-deep nested subqueries", deep_subqueries, ("postgres", *NEW_DIALECTS)),
    ):
        for dialect in dialects:
            seconds, size, tables, errors = timed(make, dialect)
            print(
                f"| {label} ({size / 1e6:.2f} MB), {dialect} | {seconds:.2f} s, {tables} tables, {errors} error notes |"
            )
    # The adversarial shapes of the robustness tests (which check their answers, not their time).
    for name, (sql, _) in sorted(ADVERSARIAL.items()):
        worst = max(timed(lambda sql=sql: sql, dialect)[0] for dialect in ("postgres", "snowflake"))
        print(f"| adversarial `{name}` ({len(sql) / 1e6:.2f} MB), slower of postgres/snowflake | {worst:.2f} s |")
        worst = max(timed(lambda sql=sql: sql, dialect)[0] for dialect in NEW_DIALECTS)
        print(
            f"| adversarial `{name}` ({len(sql) / 1e6:.2f} MB), slowest of {'/'.join(NEW_DIALECTS)} | {worst:.2f} s |"
        )
    if args.show_misses and misses:
        print("\nNot exactly right: " + ", ".join(misses))
    return 0


if __name__ == "__main__":
    sys.exit(main())
