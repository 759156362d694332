"""DAG-level cost of secoda-listener, beside the OpenLineage provider, in real Airflow.

    python benchmarks/bench_dag_overhead.py [--reps 5] [--ol-reps 3] [--skip-trouble] [--no-profile]
                                            [--json FILE] [--report-from FILE] [--keep]

Needs an environment with Airflow 3.x, its standard provider, secoda-listener
(``pip install -e .``) and, for the comparison, apache-airflow-providers-openlineage
(``benchmarks/run.py`` builds one). Every DAG run is a separate
``airflow dags test`` process in a throwaway Airflow home; the plugins load
through their entry points, as in production. All traffic goes to a local
Secoda-compatible receiver on 127.0.0.1 (``secoda-listener receiver``).

Secoda up (interleaved, ``--reps`` repetitions of off / secoda / openlineage,
the order rotated every repetition so drift hits each configuration alike):

* off: ``AIRFLOW__SECODA__ENABLED=False`` and OpenLineage disabled;
* secoda: secoda-listener on (default ``[secoda]`` settings, named in the
  report: ``spool_fsync``, ``flush_timeout``, ``request_timeout``), OpenLineage disabled;
* openlineage: the OpenLineage provider with its HTTP transport posting to the
  same receiver (on a path the receiver accepts, so every event gets a 200),
  secoda-listener disabled. Provider defaults otherwise (a fork per event,
  ``execution_timeout`` 10 s).

Secoda down (nothing listening: connection refused) and hanging (the receiver
accepts the connection and never answers, then resets it): secoda-listener on
the full DAG, OpenLineage on a 2-task DAG (each of its events costs seconds
there: 50 tasks would take most of an hour). Afterwards a receiver is brought
up, ``secoda-listener flush`` runs, and the delivered event ids are checked
against the expected events (2 per task plus the DAG run's success).

Per-task figures come from a timing plugin in ``benchmarks/plugins`` whose two
listeners stamp every hook before and after all other listeners: the time
inside the measured listener's hooks, and task i's span (from its ``running``
stamp to task i+1's: all of task i, hooks and end-of-task flush included).
Finally one secoda-on run under cProfile splits the hook path into its parts.

Prints Markdown (progress goes to stderr).
"""

from __future__ import annotations

import argparse
import importlib.metadata
import importlib.util
import json
import os
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Iterable

REPO = Path(__file__).resolve().parents[1]
HERE = REPO / "benchmarks"
DAGS = HERE / "dags"
PLUGINS = HERE / "plugins"
BIN = Path(sys.executable).parent

API_KEY = "bench-secoda-api-key-0123456789"
INTEGRATION_ID = "it-bench"
# The receiver answers 404 on unknown paths; OpenLineage posts to one it accepts.
OL_ENDPOINT = "api/v1/integration/run_logs/openlineage/ingest/"
LOGICAL_DATE = "2024-01-01"
TASKS = 50  # bench_chain_50 in benchmarks/dags
SMALL_DAG_TASKS = 2
# "Hanging": the receiver takes the request, never answers, finally resets the connection.
HANG_FAULT = {"delay": 3600, "reset": True, "times": 10**6}
CONFIGS = ("off", "secoda", "openlineage")


# --- plumbing -------------------------------------------------------------------------------


def have_openlineage() -> bool:
    return importlib.util.find_spec("airflow.providers.openlineage") is not None


def version(dist: str) -> str:
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


def free_port() -> int:
    """A port nothing listens on (bound once and released): connecting to it is refused."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class ReceiverProcess:
    """``secoda-listener receiver`` in its own process (it does not share a GIL with anything)."""

    def __init__(self, store: Path, port: int = 0, faults: Iterable[dict] = ()) -> None:
        command = [sys.executable, "-m", "secoda_listener", "receiver", "--port", str(port),
                   "--store", str(store), "--api-key", API_KEY]
        for fault in faults:
            command += ["--fault", json.dumps(fault)]
        self.store = store
        self.stopped_at: float | None = None
        self.proc = subprocess.Popen(command, stdout=subprocess.PIPE, text=True,
                                     env={**os.environ, "PYTHONPATH": str(REPO)})
        line = self.proc.stdout.readline()  # "listening on http://127.0.0.1:PORT/api/v1/ (store: ...)"
        if not line.startswith("listening on "):
            self.proc.kill()
            raise RuntimeError(f"receiver did not start: {line!r}")
        self.url = line.split()[2]
        self.base = self.url.split("/api/v1/")[0]
        self.port = int(self.base.rsplit(":", 1)[1])

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.stopped_at = time.time()
            self.proc.terminate()
            self.proc.wait(timeout=30)

    def records(self) -> list[dict[str, Any]]:
        """Requests the receiver answered 200 (before it was told to stop)."""
        from secoda_listener.testing.receiver import read_store

        cutoff = self.stopped_at or float("inf")
        return [r for r in read_store(self.store) if r.get("status") == 200 and r.get("received_at", 0) < cutoff]


def secoda_conn(url: str) -> str:
    return json.dumps({"conn_type": "secoda", "host": url, "password": API_KEY,
                       "extra": {"integration_id": INTEGRATION_ID}})


def ol_transport(base: str) -> str:
    return json.dumps({"type": "http", "url": base, "endpoint": OL_ENDPOINT,
                       "auth": {"type": "api_key", "apiKey": API_KEY}})


class Bench:
    def __init__(self, work: Path) -> None:
        self.work = work
        self.home = work / "airflow"
        self.home.mkdir(parents=True)
        self.runs = 0

    def env(self, extra: dict[str, str]) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "OPENLINEAGE"))}
        env.update({
            "AIRFLOW_HOME": str(self.home),
            "AIRFLOW__CORE__DAGS_FOLDER": str(DAGS),
            "AIRFLOW__CORE__PLUGINS_FOLDER": str(PLUGINS),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__CORE__UNIT_TEST_MODE": "False",
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{self.home / 'airflow.db'}",
            "AIRFLOW__LOGGING__LOGGING_LEVEL": "INFO",
            "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
            "PYTHONPATH": str(REPO),
        })
        env.update(extra)
        return env

    def airflow(self, *args: str, extra: dict[str, str], log: Path, timeout: float = 900,
                prefix: Iterable[str] = ()) -> tuple[int, float, float]:
        """Run Airflow's CLI: exit status, wall seconds, CPU seconds (it and its children)."""
        cpu_before = _children_cpu()
        started = time.perf_counter()
        with open(log, "w", encoding="utf-8") as out:
            proc = subprocess.run([*prefix, str(BIN / "airflow"), *args], env=self.env(extra), cwd=self.home,
                                  stdout=out, stderr=subprocess.STDOUT, timeout=timeout)
        return proc.returncode, time.perf_counter() - started, _children_cpu() - cpu_before

    def migrate(self) -> None:
        code, _, _ = self.airflow("db", "migrate", extra={}, log=self.work / "migrate.log")
        if code:
            raise RuntimeError(f"airflow db migrate failed, see {self.work / 'migrate.log'}")

    def config_env(self, config: str, secoda_url: str, ol_base: str | None, spool: Path) -> dict[str, str]:
        env = {"AIRFLOW_CONN_SECODA_DEFAULT": secoda_conn(secoda_url), "AIRFLOW__SECODA__SPOOL_DIR": str(spool)}
        if config != "secoda":
            env["AIRFLOW__SECODA__ENABLED"] = "False"
        if config == "openlineage":
            assert ol_base is not None
            env["AIRFLOW__OPENLINEAGE__TRANSPORT"] = ol_transport(ol_base)
            env["AIRFLOW__OPENLINEAGE__NAMESPACE"] = "bench"
        else:
            env["AIRFLOW__OPENLINEAGE__DISABLED"] = "True"
        return env

    def dag_run(self, config: str, tasks: int, secoda_url: str, ol_base: str | None,
                label: str, prefix: Iterable[str] = ()) -> dict[str, Any]:
        """One ``airflow dags test``; its wall time and the per-task spans of its timing file."""
        self.runs += 1
        run_dir = self.work / f"{self.runs:03d}-{label}-{config}"
        run_dir.mkdir()
        timing = run_dir / "timing.txt"
        spool = run_dir / "spool"
        extra = self.config_env(config, secoda_url, ol_base, spool)
        extra["BENCH_TIMING_FILE"] = str(timing)
        code, wall, cpu = self.airflow("dags", "test", f"bench_chain_{tasks}", LOGICAL_DATE, extra=extra,
                                       log=run_dir / "dags_test.log", prefix=prefix)
        result = {"config": config, "label": label, "tasks": tasks, "returncode": code, "wall": wall, "cpu": cpu,
                  "spool": str(spool), "dir": str(run_dir), "env": extra, **parse_timing(timing)}
        if code != 0 or result["succeeded"] != tasks:
            raise RuntimeError(f"{label}/{config}: exit {code}, {result['succeeded']}/{tasks} tasks succeeded; "
                               f"see {run_dir / 'dags_test.log'}")
        return result

    def flush(self, run: dict[str, Any], url: str) -> str:
        """``secoda-listener flush`` on a run's spool, with the connection pointing at ``url``."""
        env = self.env({**run["env"], "AIRFLOW_CONN_SECODA_DEFAULT": secoda_conn(url)})
        env.pop("BENCH_TIMING_FILE", None)
        proc = subprocess.run([str(BIN / "secoda-listener"), "flush", "--timeout", "120"], env=env,
                              cwd=self.home, capture_output=True, text=True, timeout=300)
        return (proc.stdout.strip().splitlines() or [f"exit {proc.returncode}"])[0]


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def parse_timing(path: Path) -> dict[str, Any]:
    """Per-task spans and time inside other listeners' hooks, from the timing plugin's file."""
    starts: list[float] = []
    in_hooks: list[float] = []  # per task: sum over its hooks of (last stamp - first stamp)
    opened: dict[str, float] = {}
    last_end = exit_at = None
    succeeded = 0
    for line in path.read_text(encoding="utf-8").splitlines() if path.exists() else ():
        stamp, hook, _name, _pid = line.split()
        t = float(stamp)
        if hook == "exit":
            exit_at = t
            continue
        kind, _, edge = hook.partition(":")
        if edge == "first":
            opened[kind] = t
            if kind == "running":
                starts.append(t)
                in_hooks.append(0.0)
        elif edge == "last" and kind in opened and in_hooks:
            in_hooks[-1] += t - opened.pop(kind)
            if kind in ("success", "failed", "stopping"):
                last_end = t
            succeeded += kind == "success"
    spans = [b - a for a, b in zip(starts, starts[1:])]
    return {
        "succeeded": succeeded,
        "spans": spans,  # span i: task i, from its running stamp to task i+1's
        "in_hooks": in_hooks,
        "first": spans[0] if spans else None,
        "later": statistics.median(spans[1:]) if len(spans) > 1 else None,
        "last": (last_end - starts[-1]) if starts and last_end else None,  # last task: start -> its end stamp
        "hooks_first": in_hooks[0] if in_hooks else None,
        "hooks_later": statistics.median(in_hooks[1:]) if len(in_hooks) > 1 else None,
        "dag_span": (last_end - starts[0]) if starts and last_end else None,
        "exit_cost": (exit_at - last_end) if exit_at and last_end else None,
    }


def spool_counts(spool: str) -> dict[str, int]:
    root = Path(spool)
    return {sub: len(list((root / sub).iterdir())) if (root / sub).is_dir() else 0
            for sub in ("new", "cur", "failed")}


def expected_events(tasks: int) -> set[tuple[str, str]]:
    keys = {("task_running", f"t{i:02d}") for i in range(tasks)}
    keys |= {("task_success", f"t{i:02d}") for i in range(tasks)}
    return keys | {("dag_run_success", "")}


def secoda_keys(records: list[dict[str, Any]]) -> dict[str, tuple[str, str]]:
    """event_id -> (event_type, task_id) of secoda-listener events among ``records``."""
    out = {}
    for r in records:
        body = r.get("body") if isinstance(r.get("body"), dict) else {}
        if "event_type" not in body:
            continue  # an OpenLineage event
        ti = body.get("task_instance") or {}
        out[r["event_id"]] = (body["event_type"], ti.get("task_id") or "")
    return out


def ol_events(records: list[dict[str, Any]]) -> int:
    return sum(1 for r in records if isinstance(r.get("body"), dict) and "eventType" in r["body"])


# --- the scenarios -------------------------------------------------------------------------


def secoda_up(bench: Bench, args: argparse.Namespace, ol: bool) -> dict[str, Any]:
    configs = [c for c in CONFIGS if ol or c != "openlineage"]
    receiver = ReceiverProcess(bench.work / "up.jsonl")
    runs: dict[str, list[dict[str, Any]]] = {c: [] for c in configs}
    try:
        # One warm-up run (not counted): first-ever DAG parse, sqlite and page cache.
        bench.dag_run("off", args.tasks, receiver.url, receiver.base, "warmup")
        for rep in range(args.reps):
            order = configs[rep % len(configs):] + configs[:rep % len(configs)]
            for config in order:
                if config == "openlineage" and rep >= args.ol_reps:
                    continue
                before = len(receiver.records())
                run = bench.dag_run(config, args.tasks, receiver.url, receiver.base, f"up{rep}")
                time.sleep(0.3)  # let the receiver finish writing what it answered
                records = receiver.records()[before:]
                run["secoda_delivered"] = len(set(secoda_keys(records)))
                run["secoda_complete"] = set(secoda_keys(records).values()) == expected_events(args.tasks)
                run["ol_delivered"] = ol_events(records)
                run["spool_left"] = spool_counts(run["spool"])
                runs[config].append(run)
                print(f"  up rep {rep} {config:11s} wall {run['wall']:6.2f} s  task {1e3 * run['later']:6.1f} ms  "
                      f"first {1e3 * run['first']:6.1f} ms  in hooks {1e3 * run['hooks_later']:6.2f} ms  events secoda {run['secoda_delivered']} "
                      f"ol {run['ol_delivered']}", file=sys.stderr, flush=True)
    finally:
        receiver.stop()
    return runs


def secoda_trouble(bench: Bench, args: argparse.Namespace, mode: str) -> dict[str, Any]:
    """secoda-listener with Secoda down or hanging, then recovery and the loss check."""
    receiver = None
    if mode == "down":
        url = f"http://127.0.0.1:{free_port()}/api/v1/"
    else:
        receiver = ReceiverProcess(bench.work / f"secoda-{mode}.jsonl", faults=[HANG_FAULT])
        url = receiver.url
    try:
        run = bench.dag_run("secoda", args.tasks, url, None, mode)
    finally:
        if receiver is not None:
            receiver.stop()
    run["spool_after_run"] = spool_counts(run["spool"])
    delivered_during = secoda_keys(receiver.records()) if receiver else {}
    recovery = ReceiverProcess(bench.work / f"secoda-{mode}-recovery.jsonl")
    try:
        run["flush"] = bench.flush(run, recovery.url)
        time.sleep(0.3)
        delivered = {**delivered_during, **secoda_keys(recovery.records())}
    finally:
        recovery.stop()
    expected = expected_events(args.tasks)
    run["delivered_during"] = len(delivered_during)
    run["expected"] = len(expected)
    run["delivered_ids"] = len(delivered)
    run["lost"] = len(expected - set(delivered.values()))
    run["spool_after_flush"] = spool_counts(run["spool"])
    print(f"  secoda {mode}: wall {run['wall']:.2f} s first {run['first']:.3f} s later {1e3 * run['later']:.1f} ms; "
          f"flush: {run['flush']}; delivered {run['delivered_ids']}/{run['expected']}", file=sys.stderr, flush=True)
    return run


def ol_trouble(bench: Bench, mode: str) -> dict[str, Any]:
    receiver = None
    if mode == "down":
        base = f"http://127.0.0.1:{free_port()}"
    else:
        receiver = ReceiverProcess(bench.work / f"ol-{mode}.jsonl", faults=[HANG_FAULT])
        base = receiver.base
    try:
        run = bench.dag_run("openlineage", SMALL_DAG_TASKS, f"http://127.0.0.1:{free_port()}/api/v1/", base, mode)
    finally:
        if receiver is not None:
            receiver.stop()
    run["expected"] = 2 * SMALL_DAG_TASKS + 1
    run["delivered_ids"] = ol_events(receiver.records()) if receiver else 0
    run["lost"] = run["expected"] - run["delivered_ids"]  # no spool: nothing can be replayed later
    print(f"  openlineage {mode}: wall {run['wall']:.2f} s first {run['first']:.2f} s last {run['last']:.2f} s",
          file=sys.stderr, flush=True)
    return run


# --- where secoda-listener's time goes --------------------------------------------------------

# (label, file under the repo, function): inclusive time per task under cProfile (main thread).
PROFILE_ROWS = (
    ("all secoda-listener hooks", "secoda_listener/listener.py", "wrapper"),
    ("- on_task_instance_running", "secoda_listener/listener.py", "on_task_instance_running"),
    ("- on_task_instance_success", "secoda_listener/listener.py", "on_task_instance_success"),
    ("- before_stopping", "secoda_listener/listener.py", "before_stopping"),
    ("extraction (`extract`, waiting on its bounded thread)", "secoda_listener/extract.py", "extract"),
    ("redaction (`redact_event`)", "secoda_listener/redact.py", "redact_event"),
    ("spool write (`Spool.write`, hook path)", "secoda_listener/spool.py", "write"),
    ("end-of-task flush (`Outbox.flush`)", "secoda_listener/outbox.py", "flush"),
    ("- HTTP POST (`Transport.post`)", "secoda_listener/transport.py", "post"),
    ("- delete after 2xx (`Spool.delete`)", "secoda_listener/spool.py", "delete"),
    ("- connection lookup (`resolve_endpoint`)", "secoda_listener/connection.py", "resolve_endpoint"),
    ("config reads (`conf._raw`)", "secoda_listener/conf.py", "_raw"),
)
# Built-ins, counted only where secoda-listener called them directly.
PROFILE_BUILTINS = (("os.fsync (file and directory, spool writes)", "<built-in method posix.fsync>"),)

_IMPORT_PROBE = (
    "import importlib, sys, time\n"
    "import airflow.plugins_manager\n"
    "started = time.perf_counter()\n"
    "importlib.import_module(sys.argv[1])\n"
    "print(time.perf_counter() - started)\n"
)


def import_cost(bench: Bench, module: str, times: int = 3) -> float | None:
    """Median seconds to import ``module`` in a process that has Airflow imported already."""
    values = []
    for _ in range(times):
        proc = subprocess.run([sys.executable, "-c", _IMPORT_PROBE, module], env=bench.env({}), cwd=bench.home,
                              capture_output=True, text=True, timeout=120)
        if proc.returncode:
            return None
        values.append(float(proc.stdout.strip().splitlines()[-1]))
    return statistics.median(values)


def profile(bench: Bench, args: argparse.Namespace) -> dict[str, Any]:
    """One secoda-on run under cProfile (Secoda up) and the inclusive time of the hook path's parts."""
    import pstats

    receiver = ReceiverProcess(bench.work / "profile.jsonl")
    prof = bench.work / "secoda.prof"
    try:
        run = bench.dag_run("secoda", args.tasks, receiver.url, None, "profile",
                            prefix=(sys.executable, "-m", "cProfile", "-o", str(prof)))
    finally:
        receiver.stop()
    stats = pstats.Stats(str(prof)).stats  # type: ignore[attr-defined]
    rows = []
    for label, path, func in PROFILE_ROWS:
        calls = inclusive = 0.0
        for (filename, _line, name), (_cc, ncalls, _tt, cumtime, _callers) in stats.items():
            if name == func and filename.replace(os.sep, "/").endswith(path):
                calls += ncalls
                inclusive += cumtime
        rows.append((label, calls, inclusive))
    for label, builtin in PROFILE_BUILTINS:
        calls = inclusive = 0.0
        for (filename, _line, name), entry in stats.items():
            if filename == "~" and name == builtin:
                for (caller_file, _l, _n), caller_entry in entry[4].items():
                    if "secoda_listener" in caller_file.replace(os.sep, "/"):
                        calls += caller_entry[1]
                        inclusive += caller_entry[3]
        rows.append((f"{label} (called by secoda-listener)", calls, inclusive))
    total = sum(entry[2] for entry in stats.values())
    print(f"  profile: wall {run['wall']:.2f} s", file=sys.stderr, flush=True)
    return {"rows": rows, "total": total, "wall": run["wall"],
            "import_secoda": import_cost(bench, "secoda_listener.capture.plugin")}


def profile_report(result: dict[str, Any], n: int) -> str:
    lines = [
        "",
        f"**Where secoda-listener's time goes** (one {n}-task run under cProfile, Secoda up; cProfile slows "
        "Python code, so read the shares, not the absolute figures; the unprofiled cost is above)",
        "",
        "| part of the hook path | calls per task | ms per task (inclusive) | share of the hooks |",
        "| --- | --- | --- | --- |",
    ]
    hooks = result["rows"][0][2] or float("nan")
    for label, calls, inclusive in result["rows"]:
        lines.append(f"| {label} | {calls / n:.2f} | {inclusive / n * 1e3:.2f} | {inclusive / hooks:.0%} |")
    lines.append("")
    cost = result["import_secoda"]
    lines.append(f"Importing the secoda-listener plugin in a process that has Airflow loaded: "
                 f"{ms(cost) if cost is not None else 'failed'} (median of 3; once per process, paid with "
                 f"`enabled = False` too, so it is in none of the on - off differences above).")
    return "\n".join(lines)


# --- the report ----------------------------------------------------------------------------


def secoda_defaults() -> str:
    from secoda_listener.conf import OPTIONS

    return ", ".join(f"{key} = {OPTIONS[key].default}" for key in ("spool_fsync", "flush_timeout", "request_timeout")
                     if key in OPTIONS)


def med(values: Iterable[float | None]) -> float:
    vals = [v for v in values if v is not None]
    return statistics.median(vals) if vals else float("nan")


def ms(seconds: float) -> str:
    return f"{seconds * 1e3:,.1f} ms"


def paired(runs: dict[str, list[dict]], config: str, key: str, n: int = 1) -> list[float]:
    """Per repetition: (config - off) / n of ``key`` (runs of one repetition pair up)."""
    off = {r["label"]: r for r in runs["off"]}
    return [(r[key] - off[r["label"]][key]) / n for r in runs[config] if r["label"] in off]


def ratios(runs: dict[str, list[dict]], config: str, key: str) -> list[float]:
    off = {r["label"]: r for r in runs["off"]}
    return [r[key] / off[r["label"]][key] for r in runs[config] if r["label"] in off]


def report(up: dict[str, list[dict]], trouble: dict[str, dict], args: argparse.Namespace,
           elapsed: float) -> str:
    n = args.tasks
    lines = [
        f"Airflow {version('apache-airflow-core')}, secoda-listener {version('secoda-listener')}, "
        f"apache-airflow-providers-openlineage {version('apache-airflow-providers-openlineage')}; "
        f"`airflow dags test` of a chain of {n} BashOperator `true` tasks, {args.reps} interleaved repetitions "
        f"(OpenLineage in the first {min(args.ol_reps, args.reps)}) (+1 warm-up), sqlite metadata DB; "
        f"secoda-listener defaults: {secoda_defaults()}; "
        f"benchmark wall time {elapsed / 60:.1f} min.",
        "",
        "**Secoda up** (medians over repetitions; overhead = configuration - off, same repetition)",
        "",
        "| measure | off | secoda-listener | OpenLineage | target |",
        "| --- | --- | --- | --- | --- |",
    ]
    cols = [c for c in ("secoda", "openlineage") if up.get(c)]

    def row(name: str, off: str, values: dict[str, str], target: str = "") -> None:
        cells = [values.get(c, "n/a") for c in ("secoda", "openlineage")]
        lines.append(f"| {name} | {off} | {' | '.join(cells)} | {target} |")

    row("`dags test` wall time", f"{med(r['wall'] for r in up['off']):.2f} s",
        {c: f"{med(r['wall'] for r in up[c]):.2f} s" for c in cols})
    row(f"**per-task overhead, wall: median of (on - off) / {n}**", "-",
        {c: f"**{ms(med(paired(up, c, 'wall', n)))}**" for c in cols}, "< 10 ms (OpenLineage ~160 ms)")
    row(f"per-task overhead, in the DAG (first task start -> last task end) / {n}", "-",
        {c: ms(med(paired(up, c, 'dag_span', n))) for c in cols})
    row("median task span (task 2..49)", ms(med(r["later"] for r in up["off"])),
        {c: ms(med(r["later"] for r in up[c])) for c in cols})
    row("per-task overhead, median task span - off", "-", {c: ms(med(paired(up, c, 'later'))) for c in cols})
    row("**time inside the listener's hooks, per task (median, task 2..50)**",
        ms(med(r.get("hooks_later") for r in up["off"])),
        {c: f"**{ms(med(r.get('hooks_later') for r in up[c]))}**" for c in cols}, "< 10 ms")
    row("time inside the listener's hooks, first task", ms(med(r.get("hooks_first") for r in up["off"])),
        {c: ms(med(r.get("hooks_first") for r in up[c])) for c in cols})
    row("first task span (task 1)", ms(med(r["first"] for r in up["off"])),
        {c: ms(med(r["first"] for r in up[c])) for c in cols})
    row(f"per-task CPU overhead (user+sys of the process and its children): (on - off) / {n}", "-",
        {c: ms(med(paired(up, c, 'cpu', n))) for c in cols})
    row("on/off ratio, wall time", "1", {c: f"{med(ratios(up, c, 'wall')):.3f}" for c in cols})
    row("on/off ratio, time in the DAG", "1", {c: f"{med(ratios(up, c, 'dag_span')):.3f}" for c in cols})
    row("on/off ratio, median task span", "1", {c: f"{med(ratios(up, c, 'later')):.3f}" for c in cols})
    row("on/off ratio, CPU time", "1", {c: f"{med(ratios(up, c, 'cpu')):.3f}" for c in cols})
    expected = len(expected_events(n))
    sec = up.get("secoda", [])
    row("events delivered during each run", "-", {
        "secoda": f"{min(r['secoda_delivered'] for r in sec)}-{max(r['secoda_delivered'] for r in sec)} of "
                  f"{expected}; left in spool: {max(sum(r['spool_left'].values()) for r in sec)}" if sec else "n/a",
        "openlineage": f"{min(r['ol_delivered'] for r in up['openlineage'])}-"
                       f"{max(r['ol_delivered'] for r in up['openlineage'])}" if up.get("openlineage") else "n/a",
    })
    lines += ["", "Per-repetition per-task overhead, wall (ms): " + "; ".join(
        f"{c} " + ", ".join(f"{v * 1e3:.1f}" for v in paired(up, c, "wall", n)) for c in cols)]

    off_first, off_later = med(r["first"] for r in up["off"]), med(r["later"] for r in up["off"])
    off_last = med(r["last"] for r in up["off"])
    lines += [
        "",
        f"**Secoda down / hanging** (one run each; secoda-listener on the {n}-task DAG, OpenLineage on a "
        f"{SMALL_DAG_TASKS}-task DAG; overhead = span - the off runs' median span above)",
        "",
        "| scenario | DAG wall time | first task: overhead | later tasks: median / p90 / max overhead | "
        "later tasks over 50 ms | after the last task, to process exit | events delivered (expected) |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for key, label in (("secoda-down", "secoda-listener, Secoda down (connection refused)"),
                       ("secoda-hang", "secoda-listener, Secoda hanging (never answers)"),
                       ("ol-down", "OpenLineage, backend down (connection refused)"),
                       ("ol-hang", "OpenLineage, backend hanging (never answers)")):
        run = trouble.get(key)
        if run is None:
            continue
        if key.startswith("secoda"):
            later = sorted(s - off_later for s in run["spans"][1:])
            events = (f"{run['delivered_ids']} ({run['expected']}): {run['delivered_during']} during the run, "
                      f"the rest by `secoda-listener flush` afterwards ({run['flush']}); **lost: {run['lost']}**")
        else:  # 2 tasks: the second one's span ends at its own end stamp, compare like with like
            later = [run["last"] - off_last]
            events = f"{run['delivered_ids']} ({run['expected']}); **lost: {run['lost']}** (no spool, no replay)"
        p90 = later[min(len(later) - 1, int(0.9 * len(later)))]
        slow = sum(1 for v in later if v > 0.05)
        exit_cost = ms(run["exit_cost"]) if run.get("exit_cost") is not None else "-"
        lines.append(f"| {label} | {run['wall']:.1f} s | {run['first'] - off_first:.2f} s | "
                     f"{ms(med(later))} / {ms(p90)} / {ms(max(later))} | {slow} of {len(later)} | {exit_cost} | "
                     f"{events} |")
    lines += ["", "Targets (secoda-listener): first task <= `flush_timeout` (2 s), later tasks < 50 ms, 0 lost."]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=5, help="interleaved repetitions with Secoda up (default 5)")
    parser.add_argument("--ol-reps", type=int, default=3,
                        help="of which OpenLineage takes part in the first N (default 3; its cost is far above noise)")
    parser.add_argument("--skip-trouble", action="store_true", help="only the Secoda-up comparison")
    parser.add_argument("--no-profile", action="store_true", help="skip the cProfile breakdown of the hook path")
    parser.add_argument("--json", type=Path, help="also write every measurement here")
    parser.add_argument("--report-from", type=Path, metavar="JSON",
                        help="print the report of an earlier --json file instead of measuring")
    parser.add_argument("--keep", action="store_true", help="keep the work directory (logs, spools, stores)")
    args = parser.parse_args()
    args.tasks = TASKS
    if args.report_from:
        saved = json.loads(args.report_from.read_text(encoding="utf-8"))
        vars(args).update(saved["args"])
        text = report(saved["up"], saved["trouble"], args, saved["elapsed"])
        print(text + ("\n" + profile_report(saved["profile"], args.tasks) if saved.get("profile") else ""))
        return 0

    ol = have_openlineage()
    if not ol:
        print("apache-airflow-providers-openlineage is not installed: OpenLineage columns skipped",
              file=sys.stderr)
    started = time.perf_counter()
    work = Path(tempfile.mkdtemp(prefix="bench-dag-"))
    print(f"work directory: {work}", file=sys.stderr)
    bench = Bench(work)
    trouble: dict[str, dict] = {}
    prof: dict[str, Any] | None = None
    try:
        bench.migrate()
        up = secoda_up(bench, args, ol)
        if not args.skip_trouble:
            trouble["secoda-down"] = secoda_trouble(bench, args, "down")
            trouble["secoda-hang"] = secoda_trouble(bench, args, "hang")
            if ol:
                trouble["ol-down"] = ol_trouble(bench, "down")
                trouble["ol-hang"] = ol_trouble(bench, "hang")
        if not args.no_profile:
            prof = profile(bench, args)
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    elapsed = time.perf_counter() - started
    text = report(up, trouble, args, elapsed)
    if prof is not None:
        text += "\n" + profile_report(prof, args.tasks)
    print(text)
    if args.json:
        saved = {"args": {"reps": args.reps, "ol_reps": args.ol_reps}, "elapsed": elapsed,
                 "up": up, "trouble": trouble, "profile": prof}
        args.json.write_text(json.dumps(saved, indent=1, default=str), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
