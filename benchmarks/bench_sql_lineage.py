"""Benchmark of secoda_listener.sql: speed, accuracy on the corpus, huge inputs.

    python benchmarks/bench_sql_lineage.py [--seconds 3]

Prints Markdown table rows.  Accuracy is measured on the hand-written
corpora, tests/sql/corpus.py, tests/sql/corpus_realistic.py and
tests/sql/corpus_spec_audit.py (loaded by path), each alone and together: exact match = a case's inputs and outputs
both right; table-level F1 counts (role, table) pairs over all cases.
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
import time
from pathlib import Path
from types import ModuleType
from typing import Callable

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from secoda_listener.sql import TableName, extract_lineage  # noqa: E402


CORPORA = (
    ("secoda_sql_lineage_corpus", "corpus.py"),
    ("secoda_sql_lineage_corpus_realistic", "corpus_realistic.py"),
    ("secoda_sql_lineage_corpus_spec_audit", "corpus_spec_audit.py"),
)


def load_corpus(name: str = CORPORA[0][0], filename: str = CORPORA[0][1]) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, REPO / "tests" / "sql" / filename)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


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


def huge_insert() -> str:
    terms = " + ".join(f"coalesce(src.col_{i}, 0) * {i}" for i in range(20_000))
    sql = f"INSERT INTO analytics.totals SELECT {terms} AS total FROM raw.src AS src JOIN raw.other o ON o.id = src.id"
    return sql + " WHERE src.k IN (" + ", ".join(f"'{i:08d}'" for i in range(40_000)) + ")"


def huge_script() -> str:
    return "\n".join(
        f"INSERT INTO t{i % 50} (a, b) SELECT a, b FROM s{i % 70} JOIN d{i % 3} USING (k) WHERE x = {i};"
        for i in range(5_000)
    )


def deep_nesting() -> str:
    return "SELECT * FROM " + "(SELECT * FROM " * 500 + "deep_t" + ") AS x" * 500


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

    corpora = [(filename, load_corpus(name, filename).CASES) for name, filename in CORPORA]
    cases = [case for _, corpus in corpora for case in corpus]
    typical = [(c.sql, c.dialect) for c in cases if isinstance(c.sql, str) and c.sql.count(";") <= 1]
    rate = throughput(typical, args.seconds)

    print("| measure | value |")
    print("|---|---|")
    misses: list[str] = []
    for label, subset in corpora + [("all corpora", cases)]:
        exact, precision, recall, f1, missed = accuracy(subset)
        if label != "all corpora":
            misses += missed
        print(f"| {label}: cases | {len(subset)} |")
        print(f"| {label}: exact match (inputs and outputs) | {exact:.1%} |")
        print(f"| {label}: table-level precision / recall / F1 | {precision:.3f} / {recall:.3f} / {f1:.3f} |")
    print(f"| typical statements per second (1 process) | {rate:,.0f} |")
    for label, make, dialect in (
        ("1 MB INSERT..SELECT, 20,000 terms", huge_insert, "snowflake"),
        ("5,000-statement script", huge_script, "postgres"),
        ("500-deep nested subqueries", deep_nesting, "postgres"),
    ):
        seconds, size, tables, errors = timed(make, dialect)
        print(f"| {label} ({size / 1e6:.2f} MB) | {seconds:.2f} s, {tables} tables, {errors} error notes |")
    if args.show_misses and misses:
        print("\nNot exactly right: " + ", ".join(misses))
    return 0


if __name__ == "__main__":
    sys.exit(main())
