"""Run every benchmark in benchmarks/ and rewrite the results table in benchmarks/README.md.

    python benchmarks/run.py            # all of them, README updated (~15 min on 2 cores)
    python benchmarks/run.py --quick    # smoke run with small sizes; README left alone
    python benchmarks/run.py --only bench_sql_lineage.py --no-readme

The benchmarks run in a dedicated virtualenv (Airflow 3.3.2, the standard and
OpenLineage providers, this checkout installed editable): ``--venv DIR``, else
``$SECODA_BENCH_VENV``, else ``.venv-bench`` in the repository, created on
first use. Only the standard library is needed to run this script itself.

Results go between the ``<!-- results:begin -->`` and ``<!-- results:end -->``
markers of benchmarks/README.md, with the machine and the date, and into
``benchmarks/results/<UTC time>.md`` (not committed).
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import re
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
README = HERE / "README.md"
BEGIN, END = "<!-- results:begin -->", "<!-- results:end -->"

VENV_REQUIREMENTS = (
    "apache-airflow==3.3.2",
    "apache-airflow-providers-standard",
    "apache-airflow-providers-openlineage",
    # bench_scheduler: Airflow 3 on a Postgres metadata database needs both drivers.
    "psycopg2-binary",
    "asyncpg",
)

# Arguments run.py gives each benchmark (--full: none, every benchmark's own defaults).
# bench_spool's memory step flushes its backlog under tracemalloc (~300-600 events/s on
# 2 cores): 50,000 instead of its default 100,000 keeps the whole run near 15 minutes.
DEFAULT_ARGS = {"bench_spool.py": ["--backlog", "50000"]}
QUICK_ARGS = {
    "bench_spool.py": ["--writes", "1000", "--deliver", "2000", "--backlog", "5000"],
    "bench_sql_lineage.py": ["--seconds", "1"],
    "bench_dag_overhead.py": ["--quick"],
    "bench_scheduler.py": ["--quick"],
    "bench_redact.py": ["--runs", "100"],
    "bench_hook_lineage.py": ["--tasks", "20"],
    "bench_backfill.py": ["--tasks", "50"],
}

TITLES = {
    "bench_dag_overhead.py": (
        "DAG-level overhead on loopback, at 100 ms and at 100 ms over TLS: "
        "secoda-listener vs off vs OpenLineage (bench_dag_overhead.py)"
    ),
    "bench_scheduler.py": (
        "A real deployment (LocalExecutor task processes): start/end-of-task cost, "
        "event arrival, duplicates (bench_scheduler.py)"
    ),
    "bench_spool.py": "Spool and sender (bench_spool.py)",
    "bench_sql_lineage.py": "SQL lineage library (bench_sql_lineage.py)",
    "bench_redact.py": "Redaction on the hook path (bench_redact.py)",
    "bench_hook_lineage.py": "Hook-level lineage at task end (bench_hook_lineage.py)",
    "bench_backfill.py": "Backfill from the Airflow REST API (bench_backfill.py)",
}

#: Shared code of the benchmarks, not one of them.
NOT_BENCHMARKS = frozenset({"bench_support.py"})


def venv_python(venv: Path) -> Path:
    return venv / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def ensure_venv(venv: Path) -> Path:
    python = venv_python(venv)
    if python.exists():
        return python
    print(
        f"creating the benchmark virtualenv {venv} (Airflow 3.3.2, standard + OpenLineage providers, "
        f"this checkout editable)",
        flush=True,
    )
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    pip = [str(python), "-m", "pip", "install", "--disable-pip-version-check", "--quiet"]
    subprocess.run([*pip, *VENV_REQUIREMENTS], check=True)
    subprocess.run([*pip, "-e", str(REPO)], check=True)
    return python


_ENV_PROBE = """
import importlib.metadata as md, json, platform, sys
def v(d):
    try:
        return md.version(d)
    except md.PackageNotFoundError:
        return None
import secoda_listener
print(json.dumps({"python": platform.python_version(), "airflow": v("apache-airflow-core") or v("apache-airflow"),
                  "openlineage": v("apache-airflow-providers-openlineage"),
                  "standard": v("apache-airflow-providers-standard"),
                  "secoda_listener": v("secoda-listener"), "secoda_path": secoda_listener.__file__}))
"""


def describe_env(python: Path) -> dict:
    import json

    # Outside the checkout and without PYTHONPATH: what the venv itself has installed.
    out = subprocess.run(
        [str(python), "-c", _ENV_PROBE],
        capture_output=True,
        text=True,
        cwd="/",
        env={k: v for k, v in os.environ.items() if k != "PYTHONPATH"},
    )
    if out.returncode:
        raise SystemExit(
            f"the benchmark venv cannot import secoda_listener (pip install -e . into it):\n{out.stderr[-2000:]}"
        )
    info = json.loads(out.stdout)
    if not Path(info["secoda_path"]).resolve().is_relative_to(REPO):
        print(f"warning: the venv's secoda_listener is {info['secoda_path']}, not this checkout", file=sys.stderr)
    return info


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = ""
    try:
        kib = int(re.search(r"MemTotal:\s+(\d+)", Path("/proc/meminfo").read_text()).group(1))
        memory = f", {kib / 1024 / 1024:.0f} GiB RAM"
    except (OSError, AttributeError):
        pass
    return f"{cpu}, {os.cpu_count()} CPUs{memory}, {platform.system()} {platform.release()}"


def load() -> str:
    try:
        return " / ".join(f"{x:.1f}" for x in os.getloadavg())
    except OSError:
        return "n/a"


def run_benchmark(python: Path, script: Path, args: list[str]) -> tuple[int, str, float]:
    print(f"\n=== {script.name} {' '.join(args)}", flush=True)
    started = time.perf_counter()
    # stdout is the result (Markdown); progress and warnings go to stderr, straight to the console.
    proc = subprocess.run([str(python), str(script), *args], cwd=REPO, stdout=subprocess.PIPE, text=True)
    elapsed = time.perf_counter() - started
    print(proc.stdout, flush=True)
    print(f"=== {script.name}: exit {proc.returncode} in {elapsed / 60:.1f} min", flush=True)
    return proc.returncode, proc.stdout.strip(), elapsed


def replace_sections(sections: list[str]) -> None:
    """Put each ``### title`` section in place of the README's section of that title (or at the end).

    For ``--only`` runs: the other benchmarks' results stay as their own run left them.
    """
    text = README.read_text(encoding="utf-8")
    start, end = text.find(BEGIN), text.find(END)
    if start < 0 or end < start:
        raise SystemExit(f"{README} has no {BEGIN} ... {END} markers: results not written there")
    results = text[start + len(BEGIN) : end]
    for section in sections:
        title = section.splitlines()[0]
        at = results.find(title + "\n")
        if at < 0:
            results = results.rstrip("\n") + "\n\n" + section + "\n"
            continue
        following = results.find("\n### ", at + len(title))
        tail = results[following:] if following >= 0 else "\n"
        results = results[:at] + section + "\n" + tail
    README.write_text(text[: start + len(BEGIN)] + results + text[end:], encoding="utf-8")


def rewrite_readme(section: str) -> None:
    text = README.read_text(encoding="utf-8")
    start, end = text.find(BEGIN), text.find(END)
    if start < 0 or end < start:
        raise SystemExit(f"{README} has no {BEGIN} ... {END} markers: results not written there")
    README.write_text(text[: start + len(BEGIN)] + "\n" + section + "\n" + text[end:], encoding="utf-8")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--venv",
        type=Path,
        default=Path(os.environ.get("SECODA_BENCH_VENV") or REPO / ".venv-bench"),
        help="benchmark virtualenv (default: $SECODA_BENCH_VENV or .venv-bench; created if missing)",
    )
    parser.add_argument("--only", action="append", metavar="FILE", help="run only this benchmark (repeatable)")
    parser.add_argument("--quick", action="store_true", help="small sizes, a smoke test; README left alone")
    parser.add_argument("--full", action="store_true", help="every benchmark with its own defaults (slower)")
    parser.add_argument("--no-readme", action="store_true", help="do not rewrite benchmarks/README.md")
    args = parser.parse_args()

    python = ensure_venv(args.venv)
    env = describe_env(python)
    scripts = sorted(s for s in HERE.glob("bench_*.py") if s.name not in NOT_BENCHMARKS)
    if args.only:
        scripts = [s for s in scripts if s.name in args.only]
        if not scripts:
            raise SystemExit(f"no benchmark named {args.only}")
    extra = QUICK_ARGS if args.quick else {} if args.full else DEFAULT_ARGS

    started_at = datetime.datetime.now(datetime.timezone.utc)
    load_before = load()
    started = time.perf_counter()
    sections = []
    failed = []
    for script in scripts:
        script_args = extra.get(script.name, [])
        code, output, elapsed = run_benchmark(python, script, script_args)
        title = TITLES.get(script.name, script.name)
        command = " ".join(["python", f"benchmarks/{script.name}", *script_args])
        body = output if code == 0 else f"**failed (exit {code})**; see the console of the run.\n\n{output}"
        if code:
            failed.append(script.name)
        sections.append(f"### {title}\n\n`{command}`, {elapsed / 60:.1f} min\n\n{body}")
    total = time.perf_counter() - started

    header = (
        f"Measured {started_at:%Y-%m-%d %H:%M} UTC on {machine()}; Python {env['python']}, "
        f"Airflow {env['airflow']}, apache-airflow-providers-standard {env['standard']}, "
        f"apache-airflow-providers-openlineage {env['openlineage'] or 'not installed'}, "
        f"secoda-listener {env['secoda_listener']}. `python benchmarks/run.py{' --quick' if args.quick else ''}"
        f"{' --full' if args.full else ''}`: {total / 60:.1f} min; load average (1/5/15 min) "
        f"{load_before} before, {load()} after."
    )
    report = header + "\n\n" + "\n\n".join(sections)
    results = HERE / "results"
    results.mkdir(exist_ok=True)
    saved = results / f"{started_at:%Y%m%dT%H%M%SZ}.md"
    saved.write_text(report + "\n", encoding="utf-8")
    print(f"\nall benchmarks: {total / 60:.1f} min; results saved to {saved.relative_to(REPO)}")
    if args.quick or args.no_readme:
        print("benchmarks/README.md left alone (--quick or --no-readme)")
    elif args.only:
        stamped = [
            f"{s}\n\n(Measured {started_at:%Y-%m-%d %H:%M} UTC with `--only`; load {load_before} before.)"
            for s in sections
        ]
        replace_sections(stamped)
        print("the sections of these benchmarks replaced in benchmarks/README.md")
    else:
        rewrite_readme(report)
        print("results written into benchmarks/README.md")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
