"""DAG-level cost of secoda-listener, beside the OpenLineage provider, in real Airflow.

    python benchmarks/bench_dag_overhead.py [--tasks 20 --tasks 50] [--latency 0 --latency 0.1]
                                            [--tls auto|off|on|both] [--reps 3] [--ol-reps 3] [--quick]
                                            [--skip-trouble] [--no-profile] [--json FILE] [--report-from FILE]
                                            [--keep]

Needs an environment with Airflow 3.x, its standard provider, secoda-listener
(``pip install -e .``) and, for the comparison, apache-airflow-providers-openlineage
(``benchmarks/run.py`` builds one). Every DAG run is a separate
``airflow dags test`` process in a throwaway Airflow home; the plugins load
through their entry points, as in production. All traffic goes to a local
Secoda-compatible receiver on 127.0.0.1 (``secoda-listener receiver``).

Secoda up, for every network the stand-in simulates (``--latency``: the round
trip it answers in, default loopback 0 and 0.1 s; ``--tls``: ``auto``, the
default, adds HTTPS for every non-zero latency, so the defaults measure
loopback, 100 ms and 100 ms over TLS) and every chain length (``--tasks``,
default 20 and 50): ``--reps`` interleaved repetitions of off / secoda /
openlineage, the order rotated every repetition so drift hits each
configuration alike:

* off: ``AIRFLOW__SECODA__ENABLED=False`` and OpenLineage disabled;
* secoda: secoda-listener on (default ``[secoda]`` settings, named in the
  report), OpenLineage disabled; its repetitions share one spool (as the
  runs on one host do), so an event one run leaves behind is sent by the next;
* openlineage: the OpenLineage provider with its HTTP transport posting to the
  same receiver (on a path the receiver accepts, so every event gets a 200;
  over TLS trusting the stand-in's CA through ``sslContext.caCertPath``),
  secoda-listener disabled. Provider defaults otherwise (a fork per event,
  ``execution_timeout`` 10 s).

Each run has its own logical date, so its events have their own ids; after the
repetitions ``secoda-listener flush`` sends whatever the shared spool still
holds, and the receiver's store is checked for events stored twice (by event
id; OpenLineage's by run id, type and time): the duplicates.

Secoda down (nothing listening: connection refused) and hanging (the receiver
accepts the connection and never answers, then resets it), on loopback:
secoda-listener on the longest DAG, OpenLineage on a 2-task DAG (each of its
events costs seconds there). Afterwards a receiver is brought up,
``secoda-listener flush`` runs, and the delivered event ids are checked
against the expected events (2 per task plus the DAG run's success).

Per-task figures come from a timing plugin in ``benchmarks/plugins`` whose two
listeners stamp every hook before and after all other listeners: the time
inside the measured listener's hooks, and task i's span (from its ``running``
stamp to task i+1's: all of task i, hooks and end-of-task flush included).
Finally one secoda-on run under cProfile splits the hook path into its parts.

``--quick``: 1 repetition, the 20-task DAG only, no profile, no OpenLineage
down/hanging runs (a few minutes).

Prints Markdown (progress goes to stderr).
"""

from __future__ import annotations

import argparse
import datetime
import importlib.util
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from bench_support import (  # noqa: E402
    BIN,
    HANG_FAULT,
    REPO,
    ReceiverProcess,
    duplicates,
    event_key,
    free_port,
    is_openlineage,
    is_secoda,
    med,
    ms,
    network_label,
    ol_transport,
    secoda_conn,
    stop_processes_naming,
    version,
)

DAGS = HERE / "dags"
PLUGINS = HERE / "plugins"

FIRST_LOGICAL_DATE = datetime.date(2024, 1, 1)
SIZES = (20, 50)  # bench_chain_20 and bench_chain_50 in benchmarks/dags
SMALL_DAG_TASKS = 2
CONFIGS = ("off", "secoda", "openlineage")
DEFAULT_LATENCIES = (0.0, 0.1)
FLUSH_WAIT = 10.0  # seconds to let a spool drain on its own after the last run, before the final flush


# --- plumbing -------------------------------------------------------------------------------


def have_openlineage() -> bool:
    return importlib.util.find_spec("airflow.providers.openlineage") is not None


def networks(args: argparse.Namespace) -> list[tuple[float, bool]]:
    """(latency, tls) pairs to measure, in order."""
    out = []
    for latency in args.latency:
        if args.tls in ("off", "both") or (args.tls == "auto"):
            out.append((latency, False))
        if args.tls in ("on", "both") or (args.tls == "auto" and latency > 0):
            out.append((latency, True))
    return out


def net_key(latency: float, tls: bool) -> str:
    return f"{latency:g}s-{'tls' if tls else 'http'}"


class Bench:
    def __init__(self, work: Path) -> None:
        self.work = work
        self.home = work / "airflow"
        self.home.mkdir(parents=True)
        self.runs = 0

    def env(self, extra: dict[str, str]) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "OPENLINEAGE"))}
        env.update(
            {
                "AIRFLOW_HOME": str(self.home),
                "AIRFLOW__CORE__DAGS_FOLDER": str(DAGS),
                "AIRFLOW__CORE__PLUGINS_FOLDER": str(PLUGINS),
                "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
                "AIRFLOW__CORE__UNIT_TEST_MODE": "False",
                "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{self.home / 'airflow.db'}",
                "AIRFLOW__LOGGING__LOGGING_LEVEL": "INFO",
                "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
                "PYTHONPATH": str(REPO),
            }
        )
        env.update(extra)
        return env

    def airflow(
        self, *args: str, extra: dict[str, str], log: Path, timeout: float = 900, prefix: Iterable[str] = ()
    ) -> tuple[int, float, float]:
        """Run Airflow's CLI: exit status, wall seconds, CPU seconds (it and its children)."""
        cpu_before = _children_cpu()
        started = time.perf_counter()
        with open(log, "w", encoding="utf-8") as out:
            proc = subprocess.run(
                [*prefix, str(BIN / "airflow"), *args],
                env=self.env(extra),
                cwd=self.home,
                stdout=out,
                stderr=subprocess.STDOUT,
                timeout=timeout,
            )
        return proc.returncode, time.perf_counter() - started, _children_cpu() - cpu_before

    def migrate(self) -> None:
        code, _, _ = self.airflow("db", "migrate", extra={}, log=self.work / "migrate.log")
        if code:
            raise RuntimeError(f"airflow db migrate failed, see {self.work / 'migrate.log'}")

    def config_env(
        self, config: str, receiver_url: str, ol_base: str | None, spool: Path, ca_path: str | None = None
    ) -> dict[str, str]:
        env = {"AIRFLOW_CONN_SECODA_DEFAULT": secoda_conn(receiver_url), "AIRFLOW__SECODA__SPOOL_DIR": str(spool)}
        if ca_path:
            env["REQUESTS_CA_BUNDLE"] = ca_path  # what secoda-listener's transport trusts
        if config != "secoda":
            env["AIRFLOW__SECODA__ENABLED"] = "False"
        if config == "openlineage":
            assert ol_base is not None
            env["AIRFLOW__OPENLINEAGE__TRANSPORT"] = ol_transport(ol_base, ca_path)
            env["AIRFLOW__OPENLINEAGE__NAMESPACE"] = "bench"
        else:
            env["AIRFLOW__OPENLINEAGE__DISABLED"] = "True"
        return env

    def dag_run(
        self,
        config: str,
        tasks: int,
        secoda_url: str,
        ol_base: str | None,
        label: str,
        prefix: Iterable[str] = (),
        spool: Path | None = None,
        ca_path: str | None = None,
    ) -> dict[str, Any]:
        """One ``airflow dags test`` (a logical date of its own); wall time and per-task spans of its timing file."""
        self.runs += 1
        run_dir = self.work / f"{self.runs:03d}-{label}-{config}"
        run_dir.mkdir()
        timing = run_dir / "timing.txt"
        spool = spool or run_dir / "spool"
        logical_date = (FIRST_LOGICAL_DATE + datetime.timedelta(days=self.runs)).isoformat()
        extra = self.config_env(config, secoda_url, ol_base, spool, ca_path)
        extra["BENCH_TIMING_FILE"] = str(timing)
        code, wall, cpu = self.airflow(
            "dags",
            "test",
            f"bench_chain_{tasks}",
            logical_date,
            extra=extra,
            log=run_dir / "dags_test.log",
            prefix=prefix,
        )
        result = {
            "config": config,
            "label": label,
            "tasks": tasks,
            "returncode": code,
            "wall": wall,
            "cpu": cpu,
            "logical_date": logical_date,
            "spool": str(spool),
            "dir": str(run_dir),
            "env": extra,
            **parse_timing(timing),
        }
        if code != 0 or result["succeeded"] != tasks:
            raise RuntimeError(
                f"{label}/{config}: exit {code}, {result['succeeded']}/{tasks} tasks succeeded; "
                f"see {run_dir / 'dags_test.log'}"
            )
        return result

    def flush(self, run: dict[str, Any], url: str) -> str:
        """``secoda-listener flush`` on a run's spool, with the connection pointing at ``url``."""
        env = self.env({**run["env"], "AIRFLOW_CONN_SECODA_DEFAULT": secoda_conn(url)})
        env.pop("BENCH_TIMING_FILE", None)
        proc = subprocess.run(
            [str(BIN / "secoda-listener"), "flush", "--timeout", "120"],
            env=env,
            cwd=self.home,
            capture_output=True,
            text=True,
            timeout=300,
        )
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


SPOOL_RECORD_DIRS = ("tmp", "new", "cur", "failed")


def spool_counts(spool: str) -> dict[str, int]:
    root = Path(spool)
    return {sub: len(list((root / sub).iterdir())) if (root / sub).is_dir() else 0 for sub in SPOOL_RECORD_DIRS}


def expected_events(tasks: int) -> set[tuple[str, str]]:
    keys = {("task_running", f"t{i:02d}") for i in range(tasks)}
    keys |= {("task_success", f"t{i:02d}") for i in range(tasks)}
    return keys | {("dag_run_success", "")}


def _logical_date(body: dict[str, Any]) -> str:
    return str((body.get("dag_run") or {}).get("logical_date") or "")[:10]


def secoda_keys(records: list[dict[str, Any]], logical_date: str | None = None) -> dict[str, tuple[str, str]]:
    """event_id -> (event_type, task_id) of secoda-listener events among ``records`` (of one run's logical date)."""
    out = {}
    for r in records:
        if not is_secoda(r) or (logical_date and _logical_date(r["body"]) != logical_date):
            continue
        ti = r["body"].get("task_instance") or {}
        out[r["event_id"]] = (r["body"]["event_type"], ti.get("task_id") or "")
    return out


def ol_events(records: list[dict[str, Any]]) -> int:
    return sum(1 for r in records if is_openlineage(r))


def _dag_id(record: dict[str, Any]) -> str:
    body = record.get("body") if isinstance(record.get("body"), dict) else {}
    if is_openlineage(record):
        return str((body.get("job") or {}).get("name") or "").split(".")[0]
    return str((body.get("dag") or {}).get("dag_id") or "")


# --- the scenarios -------------------------------------------------------------------------


def secoda_up(bench: Bench, args: argparse.Namespace, ol: bool) -> dict[str, Any]:
    """Every network x chain length: interleaved repetitions of the configurations, then delivery checks."""
    configs = [c for c in CONFIGS if ol or c != "openlineage"]
    out: dict[str, Any] = {}
    warmed = False
    for latency, tls in networks(args):
        key = net_key(latency, tls)
        receiver = ReceiverProcess(bench.work / f"up-{key}.jsonl", latency=latency, tls=tls)
        entry: dict[str, Any] = {"latency": latency, "tls": tls, "sizes": {}}
        try:
            entry["keepalive_ms"] = receiver.keepalive_ms()
            if not warmed:  # one run not counted: first-ever DAG parse, sqlite and page cache
                bench.dag_run("off", min(args.tasks), receiver.url, receiver.base, "warmup")
                warmed = True
            for size in args.tasks:
                spool = bench.work / f"spool-{key}-{size}"  # shared by this size's secoda runs, as on one host
                runs: dict[str, list[dict[str, Any]]] = {c: [] for c in configs}
                for rep in range(args.reps):
                    order = configs[rep % len(configs) :] + configs[: rep % len(configs)]
                    for config in order:
                        if config == "openlineage" and rep >= args.ol_reps:
                            continue
                        before = len(receiver.records())
                        run = bench.dag_run(
                            config,
                            size,
                            receiver.url,
                            receiver.base,
                            f"{key}-{size}-up{rep}",
                            spool=spool if config == "secoda" else None,
                            ca_path=receiver.ca_path,
                        )
                        time.sleep(0.3)  # let the receiver finish writing what it answered
                        records = receiver.records()[before:]
                        mine = secoda_keys(records, run["logical_date"])
                        run["secoda_delivered"] = len(mine)
                        run["secoda_complete"] = set(mine.values()) == expected_events(size)
                        run["ol_delivered"] = ol_events(records)
                        run["spool_left"] = spool_counts(run["spool"])
                        runs[config].append(run)
                        print(
                            f"  {network_label(latency, tls):15s} {size} tasks rep {rep} {config:11s} "
                            f"wall {run['wall']:6.2f} s  task {1e3 * run['later']:6.1f} ms  "
                            f"first {1e3 * run['first']:6.1f} ms  in hooks {1e3 * run['hooks_later']:6.2f} ms  "
                            f"events secoda {run['secoda_delivered']} ol {run['ol_delivered']}",
                            file=sys.stderr,
                            flush=True,
                        )
                entry["sizes"][str(size)] = {"runs": runs, "delivery": secoda_delivery(bench, receiver, runs, size)}
        finally:
            receiver.stop()
        records = receiver.all_records()
        for size, sized in entry["sizes"].items():
            dag = f"bench_chain_{size}"
            mine = [r for r in records if _dag_id(r) == dag]
            sized["delivery"]["secoda_duplicates"] = duplicates(r for r in mine if is_secoda(r))
            sized["delivery"]["ol_duplicates"] = duplicates(r for r in mine if is_openlineage(r))
            sized["delivery"]["ol_keys"] = len({event_key(r) for r in mine if is_openlineage(r)})
        out[key] = entry
    return out


def secoda_delivery(bench: Bench, receiver: ReceiverProcess, runs: dict[str, list[dict]], size: int) -> dict[str, Any]:
    """After a size's repetitions: let the shared spool drain, flush what is left, count what arrived."""
    sec = runs.get("secoda") or []
    if not sec:
        return {}
    spool = sec[-1]["spool"]
    deadline = time.monotonic() + FLUSH_WAIT
    while sum(spool_counts(spool).values()) and time.monotonic() < deadline:
        time.sleep(0.5)  # a delivery process of the plugin's own may still be at work
    left_after_runs = sum(spool_counts(spool).values())
    during = {r["logical_date"]: r["secoda_delivered"] for r in sec}
    flush = bench.flush(sec[-1], receiver.url) if left_after_runs else "nothing left to flush"
    time.sleep(0.3)
    stopped = stop_processes_naming([spool])  # e.g. a delivery process the plugin started for this spool
    records = receiver.records()
    delivered = {date: len(secoda_keys(records, date)) for date in during}
    return {
        "expected": len(expected_events(size)) * len(sec),
        "during": sum(during.values()),
        "left_after_runs": left_after_runs,
        "flush": flush,
        "after_flush": sum(delivered.values()),
        "left_after_flush": sum(spool_counts(spool).values()),
        "stopped_processes": len(stopped),
    }


def secoda_trouble(bench: Bench, args: argparse.Namespace, mode: str) -> dict[str, Any]:
    """secoda-listener with Secoda down or hanging; then Secoda comes back at the same address."""
    tasks = max(args.tasks)
    receiver = None
    if mode == "down":
        port = free_port()
        url = f"http://127.0.0.1:{port}/api/v1/"
    else:
        receiver = ReceiverProcess(bench.work / f"secoda-{mode}.jsonl", faults=[HANG_FAULT])
        port, url = receiver.port, receiver.url
    try:
        run = bench.dag_run("secoda", tasks, url, None, mode)
    finally:
        if receiver is not None:
            receiver.stop()
    run["spool_after_run"] = spool_counts(run["spool"])
    delivered_during = secoda_keys(receiver.records()) if receiver else {}
    expected = expected_events(tasks)
    recovery = ReceiverProcess.on_port(bench.work / f"secoda-{mode}-recovery.jsonl", port)
    try:
        # Whatever the plugin delivers by itself once Secoda is back (a delivery process of its own, a timer).
        came_back = time.monotonic()
        run["recovered_in"] = None
        while time.monotonic() - came_back < args.recovery_wait:
            if set({**delivered_during, **secoda_keys(recovery.records())}.values()) >= expected:
                run["recovered_in"] = time.monotonic() - came_back
                break
            time.sleep(0.5)
        run["on_its_own"] = len(secoda_keys(recovery.records()))
        run["recovery_wait"] = args.recovery_wait
        if run["recovered_in"] is None:
            run["flush"] = bench.flush(run, recovery.url)
            deadline = time.monotonic() + FLUSH_WAIT
            while sum(spool_counts(run["spool"]).values()) and time.monotonic() < deadline:
                time.sleep(0.5)
        else:
            run["flush"] = "not needed"
        time.sleep(0.3)
        delivered = {**delivered_during, **secoda_keys(recovery.records())}
        run["duplicates"] = len(duplicates([*(receiver.all_records() if receiver else []), *recovery.all_records()]))
    finally:
        recovery.stop()
        run["stopped_processes"] = len(stop_processes_naming([run["spool"]]))
    run["delivered_during"] = len(delivered_during)
    run["expected"] = len(expected)
    run["delivered_ids"] = len(delivered)
    run["spool_after_flush"] = spool_counts(run["spool"])
    run["still_spooled"] = sum(run["spool_after_flush"].values())
    # Not delivered and not in the spool any more: gone for good.
    run["lost"] = max(0, len(expected - set(delivered.values())) - run["still_spooled"])
    print(
        f"  secoda {mode}: wall {run['wall']:.2f} s first {run['first']:.3f} s later {1e3 * run['later']:.1f} ms; "
        f"on its own after recovery {run['on_its_own']} (in {run['recovered_in']}); flush: {run['flush']}; "
        f"delivered {run['delivered_ids']}/{run['expected']}",
        file=sys.stderr,
        flush=True,
    )
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
    print(
        f"  openlineage {mode}: wall {run['wall']:.2f} s first {run['first']:.2f} s last {run['last']:.2f} s",
        file=sys.stderr,
        flush=True,
    )
    return run


# --- where secoda-listener's time goes --------------------------------------------------------

# (label, file under the repo, function): inclusive time per task under cProfile (main thread).
# The paths follow the package's layout; a row whose function was renamed or moved reads 0 calls.
PROFILE_ROWS = (
    ("all secoda-listener hooks", "secoda_listener/capture/listener.py", "wrapper"),
    ("- on_task_instance_running", "secoda_listener/capture/listener.py", "on_task_instance_running"),
    ("- on_task_instance_success", "secoda_listener/capture/listener.py", "on_task_instance_success"),
    ("- before_stopping", "secoda_listener/capture/listener.py", "before_stopping"),
    ("extraction (`ExtractorManager.lineage_for`)", "secoda_listener/extractors/manager.py", "lineage_for"),
    ("redaction (`redact_event`)", "secoda_listener/event/redact.py", "redact_event"),
    ("spool write (`Spool.write`, hook path)", "secoda_listener/delivery/spool.py", "write"),
    ("end-of-task flush (`Outbox.flush`)", "secoda_listener/delivery/outbox.py", "flush"),
    ("- HTTP POST (`Transport.post`)", "secoda_listener/delivery/transport.py", "post"),
    ("- delete after 2xx (`Spool.delete`)", "secoda_listener/delivery/spool.py", "delete"),
    ("- connection lookup (`resolve_endpoint`)", "secoda_listener/delivery/secoda_connection.py", "resolve_endpoint"),
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
        proc = subprocess.run(
            [sys.executable, "-c", _IMPORT_PROBE, module],
            env=bench.env({}),
            cwd=bench.home,
            capture_output=True,
            text=True,
            timeout=120,
        )
        if proc.returncode:
            return None
        values.append(float(proc.stdout.strip().splitlines()[-1]))
    return statistics.median(values)


def run_spool(bench: Bench) -> str:
    """The spool of the newest run (each run without a shared spool has its own)."""
    return str(max(bench.work.glob("[0-9][0-9][0-9]-*"), key=lambda p: p.name) / "spool")


def profile(bench: Bench, args: argparse.Namespace) -> dict[str, Any]:
    """One secoda-on run under cProfile (Secoda up, loopback) and the inclusive time of the hook path's parts."""
    import pstats

    receiver = ReceiverProcess(bench.work / "profile.jsonl")
    prof = bench.work / "secoda.prof"
    try:
        run = bench.dag_run(
            "secoda",
            max(args.tasks),
            receiver.url,
            None,
            "profile",
            prefix=(sys.executable, "-m", "cProfile", "-o", str(prof)),
        )
    finally:
        receiver.stop()
        stop_processes_naming([run_spool(bench)])
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
    return {
        "rows": rows,
        "total": total,
        "wall": run["wall"],
        "tasks": max(args.tasks),
        "import_secoda": import_cost(bench, "secoda_listener.capture.plugin"),
    }


def profile_report(result: dict[str, Any], n: int) -> str:
    n = result.get("tasks", n)
    lines = [
        "",
        f"**Where secoda-listener's time goes** (one {n}-task run under cProfile, Secoda up on loopback; cProfile "
        "slows Python code, so read the shares, not the absolute figures; the unprofiled cost is above)",
        "",
        "| part of the hook path | calls per task | ms per task (inclusive) | share of the hooks |",
        "| --- | --- | --- | --- |",
    ]
    hooks = result["rows"][0][2] or float("nan")
    for label, calls, inclusive in result["rows"]:
        lines.append(f"| {label} | {calls / n:.2f} | {inclusive / n * 1e3:.2f} | {inclusive / hooks:.0%} |")
    lines.append("")
    cost = result["import_secoda"]
    lines.append(
        f"Importing the secoda-listener plugin in a process that has Airflow loaded: "
        f"{ms(cost) if cost is not None else 'failed'} (median of 3; once per process, paid with "
        f"`enabled = False` too, so it is in none of the on - off differences above)."
    )
    return "\n".join(lines)


# --- the report ----------------------------------------------------------------------------


def secoda_defaults() -> str:
    from secoda_listener.conf import OPTIONS

    return ", ".join(
        f"{key} = {OPTIONS[key].default}"
        for key in ("spool_fsync", "flush_timeout", "request_timeout")
        if key in OPTIONS
    )


def paired(runs: dict[str, list[dict]], config: str, key: str, n: int = 1) -> list[float]:
    """Per repetition: (config - off) / n of ``key`` (runs of one repetition pair up)."""
    off = {r["label"]: r for r in runs["off"]}
    return [(r[key] - off[r["label"]][key]) / n for r in runs.get(config, []) if r["label"] in off]


def ratios(runs: dict[str, list[dict]], config: str, key: str) -> list[float]:
    off = {r["label"]: r for r in runs["off"]}
    return [r[key] / off[r["label"]][key] for r in runs.get(config, []) if r["label"] in off]


def _ratio(a: float, b: float) -> str:
    if a != a or b != b or b == 0:
        return "n/a"
    return f"{a / b:.2f}"


def up_report(up: dict[str, Any]) -> list[str]:
    lines = [
        "**Secoda up** (medians over repetitions; added = configuration - off, same repetition; per task = the "
        "`dags test` process's wall time difference / number of tasks)",
        "",
        "| Secoda stand-in | tasks | `dags test` wall, off | **added per task, secoda-listener** | "
        "**added per task, OpenLineage** | secoda-listener / OpenLineage | added per task from the median task span, "
        "secoda-listener / OpenLineage | in the listener's hooks per task (median, later tasks), secoda-listener / "
        "OpenLineage | first task's span, off / secoda-listener / OpenLineage |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    per_rep = []
    for entry in up.values():
        label = network_label(entry["latency"], entry["tls"])
        for size, sized in entry["sizes"].items():
            runs, n = sized["runs"], int(size)
            wall = {c: med(paired(runs, c, "wall", n)) for c in ("secoda", "openlineage")}
            span = {c: med(paired(runs, c, "later")) for c in ("secoda", "openlineage")}
            hooks = {c: med(r.get("hooks_later") for r in runs.get(c, [])) for c in ("secoda", "openlineage")}
            first = {c: med(r["first"] for r in runs.get(c, [])) for c in CONFIGS}
            lines.append(
                f"| {label} | {n} | {med(r['wall'] for r in runs['off']):.2f} s | **{ms(wall['secoda'])}** | "
                f"**{ms(wall['openlineage'])}** | "
                f"{_ratio(wall['secoda'], wall['openlineage'])} | "
                f"{ms(span['secoda'])} / {ms(span['openlineage'])} | {ms(hooks['secoda'])} / "
                f"{ms(hooks['openlineage'])} | {ms(first['off'])} / {ms(first['secoda'])} / "
                f"{ms(first['openlineage'])} |"
            )
            per_rep.append(
                f"{label}, {n} tasks: "
                + "; ".join(
                    f"{c} " + ", ".join(f"{v * 1e3:.1f}" for v in paired(runs, c, "wall", n))
                    for c in ("secoda", "openlineage")
                    if runs.get(c)
                )
            )
    lines += ["", "Per-repetition added per task, wall (ms): " + " | ".join(per_rep)]

    lines += [
        "",
        "**Delivery with Secoda up** (secoda-listener's repetitions of one row share a spool, as the runs on one host "
        "do; duplicates: events the stand-in stored, answered 200, more than once: by event id, OpenLineage's by run "
        "id, type and time)",
        "",
        "| Secoda stand-in | tasks | secoda-listener: events delivered during its runs (expected) | left in the "
        f"spool {FLUSH_WAIT:g} s after the last run | in the end (`secoda-listener flush` if any was left) | "
        "**duplicates, secoda-listener** | "
        "OpenLineage: events delivered | **duplicates, OpenLineage** | the stand-in alone: one POST on a "
        "kept-alive connection |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for entry in up.values():
        label = network_label(entry["latency"], entry["tls"])
        for size, sized in entry["sizes"].items():
            d, runs = sized["delivery"], sized["runs"]
            ol_runs = runs.get("openlineage") or []
            ol_cell = f"{sum(r['ol_delivered'] for r in ol_runs)} in {len(ol_runs)} run(s)" if ol_runs else "n/a"
            if d:
                sec_cells = (
                    f"{d['during']} ({d['expected']}) | {d['left_after_runs']} | {d['after_flush']} of "
                    f"{d['expected']}, {d['left_after_flush']} left | **{len(d['secoda_duplicates'])}**"
                )
            else:
                sec_cells = "n/a | n/a | n/a | n/a"
            ol_dups = f"**{len(d['ol_duplicates'])}**" if ol_runs and "ol_duplicates" in d else "n/a"
            lines.append(
                f"| {label} | {size} | {sec_cells} | {ol_cell} | {ol_dups} | "
                f"{entry.get('keepalive_ms', float('nan')):.2f} ms |"
            )
    return lines


def trouble_report(up: dict[str, Any], trouble: dict[str, dict], n: int) -> list[str]:
    # Baseline: the off runs on loopback of the same DAG.
    base = next((e for e in up.values() if e["latency"] == 0 and not e["tls"]), None) or next(iter(up.values()))
    off_runs = base["sizes"].get(str(n), {}).get("runs", {}).get("off", [])
    small = base["sizes"].get(str(min(int(s) for s in base["sizes"])), {}).get("runs", {}).get("off", [])
    off_first, off_later = med(r["first"] for r in off_runs), med(r["later"] for r in off_runs)
    off_last = med(r["last"] for r in small)
    lines = [
        "",
        f"**Secoda down / hanging** (loopback; one run each; secoda-listener on the {n}-task DAG, OpenLineage on a "
        f"{SMALL_DAG_TASKS}-task DAG; overhead = span - the loopback off runs' median span above)",
        "",
        "| scenario | DAG wall time | first task: overhead | later tasks: median / p90 / max overhead | "
        "later tasks over 50 ms | after the last task, to process exit | events delivered (expected) |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for key, label in (
        ("secoda-down", "secoda-listener, Secoda down (connection refused)"),
        ("secoda-hang", "secoda-listener, Secoda hanging (never answers)"),
        ("ol-down", "OpenLineage, backend down (connection refused)"),
        ("ol-hang", "OpenLineage, backend hanging (never answers)"),
    ):
        run = trouble.get(key)
        if run is None:
            continue
        if key.startswith("secoda"):
            later = sorted(s - off_later for s in run["spans"][1:])
            dups = f", duplicates: {run['duplicates']}" if "duplicates" in run else ""
            spooled = f", {run['still_spooled']} still spooled" if run.get("still_spooled") else ""
            if "on_its_own" in run:
                recovered = run.get("recovered_in")
                if recovered is not None:
                    after = (
                        f"{run['on_its_own']} by the plugin itself once Secoda was back (all within {recovered:.1f} s)"
                    )
                else:
                    after = (
                        f"{run['on_its_own']} by the plugin itself within {run.get('recovery_wait', 0):g} s of "
                        f"Secoda coming back, then `secoda-listener flush`: {run['flush']}"
                    )
            else:  # a --json file from before the recovery wait
                after = f"the rest by `secoda-listener flush` afterwards ({run['flush']})"
            events = (
                f"{run['delivered_ids']} ({run['expected']}): {run['delivered_during']} during the run, {after}"
                f"{spooled}; **lost: {run['lost']}**{dups}"
            )
        else:  # 2 tasks: the second one's span ends at its own end stamp, compare like with like
            later = [run["last"] - off_last]
            events = f"{run['delivered_ids']} ({run['expected']}); **lost: {run['lost']}** (no spool, no replay)"
        p90 = later[min(len(later) - 1, int(0.9 * len(later)))]
        slow = sum(1 for v in later if v > 0.05)
        exit_cost = ms(run["exit_cost"]) if run.get("exit_cost") is not None else "-"
        lines.append(
            f"| {label} | {run['wall']:.1f} s | {run['first'] - off_first:.2f} s | "
            f"{ms(med(later))} / {ms(p90)} / {ms(max(later))} | {slow} of {len(later)} | {exit_cost} | "
            f"{events} |"
        )
    lines += ["", "Targets (secoda-listener): first task <= `flush_timeout` (2 s), later tasks < 50 ms, 0 lost."]
    return lines


def report(up: dict[str, Any], trouble: dict[str, dict], args: argparse.Namespace, elapsed: float) -> str:
    nets = ", ".join(network_label(e["latency"], e["tls"]) for e in up.values())
    lines = [
        f"Airflow {version('apache-airflow-core')}, secoda-listener {version('secoda-listener')}, "
        f"apache-airflow-providers-openlineage {version('apache-airflow-providers-openlineage')}; "
        f"`airflow dags test` of chains of {' and '.join(str(t) for t in args.tasks)} BashOperator `true` tasks; "
        f"the Secoda stand-in {nets}; {args.reps} interleaved repetition(s) per row (OpenLineage in the first "
        f"{min(args.ol_reps, args.reps)}) (+1 warm-up), sqlite metadata DB; secoda-listener defaults: "
        f"{secoda_defaults()}; benchmark wall time {elapsed / 60:.1f} min.",
        "",
    ]
    lines += up_report(up)
    if trouble:
        lines += trouble_report(up, trouble, max(args.tasks))
    return "\n".join(lines)


def _upgrade(saved: dict[str, Any]) -> dict[str, Any]:
    """A --json file of the earlier format (one loopback network, one 50-task DAG) in today's shape."""
    up = saved["up"]
    if up and "off" in up:
        saved["up"] = {"0s-http": {"latency": 0.0, "tls": False, "sizes": {"50": {"runs": up, "delivery": {}}}}}
        saved["args"].setdefault("tasks", [50])
    return saved


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--tasks", type=int, action="append", choices=SIZES, help="chain length (repeatable; default 20 and 50)"
    )
    parser.add_argument(
        "--latency",
        type=float,
        action="append",
        metavar="SECONDS",
        help="the stand-in's round trip, seconds (repeatable; default 0 and 0.1)",
    )
    parser.add_argument(
        "--tls",
        choices=("auto", "off", "on", "both"),
        default="auto",
        help="HTTPS for the stand-in: auto (default) adds a TLS run for every non-zero latency; "
        "off: plain HTTP only; on: TLS only; both: every latency both ways",
    )
    parser.add_argument("--reps", type=int, default=3, help="interleaved repetitions with Secoda up (default 3)")
    parser.add_argument(
        "--ol-reps", type=int, default=3, help="of which OpenLineage takes part in the first N (default 3)"
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="1 repetition, 20 tasks, no profile, no OpenLineage down/hanging runs (a few minutes)",
    )
    parser.add_argument("--skip-trouble", action="store_true", help="only the Secoda-up comparison")
    parser.add_argument(
        "--recovery-wait",
        type=float,
        metavar="SECONDS",
        help="after Secoda down/hanging: how long to wait for the plugin to deliver by itself once Secoda is "
        "back, before `secoda-listener flush` (default 70; --quick 30)",
    )
    parser.add_argument("--no-profile", action="store_true", help="skip the cProfile breakdown of the hook path")
    parser.add_argument("--json", type=Path, help="also write every measurement here")
    parser.add_argument(
        "--report-from",
        type=Path,
        metavar="JSON",
        help="print the report of an earlier --json file instead of measuring",
    )
    parser.add_argument("--keep", action="store_true", help="keep the work directory (logs, spools, stores)")
    args = parser.parse_args()
    if args.quick:
        args.reps, args.ol_reps, args.no_profile = 1, 1, True
        args.tasks = args.tasks or [20]
    args.tasks = sorted(set(args.tasks or SIZES))
    if args.recovery_wait is None:
        args.recovery_wait = 30.0 if args.quick else 70.0
    args.latency = list(dict.fromkeys(args.latency if args.latency is not None else DEFAULT_LATENCIES))
    if args.report_from:
        saved = _upgrade(json.loads(args.report_from.read_text(encoding="utf-8")))
        vars(args).update(saved["args"])
        text = report(saved["up"], saved["trouble"], args, saved["elapsed"])
        print(text + ("\n" + profile_report(saved["profile"], max(args.tasks)) if saved.get("profile") else ""))
        return 0

    ol = have_openlineage()
    if not ol:
        print("apache-airflow-providers-openlineage is not installed: OpenLineage columns skipped", file=sys.stderr)
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
            if ol and not args.quick:
                trouble["ol-down"] = ol_trouble(bench, "down")
                trouble["ol-hang"] = ol_trouble(bench, "hang")
        if not args.no_profile:
            prof = profile(bench, args)
    finally:
        # Anything still running that names our work directory was started by these runs (a delivery process).
        leftover = stop_processes_naming([work])
        if leftover:
            print(f"stopped {len(leftover)} process(es) still running for the work directory", file=sys.stderr)
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    elapsed = time.perf_counter() - started
    text = report(up, trouble, args, elapsed)
    if prof is not None:
        text += "\n" + profile_report(prof, max(args.tasks))
    print(text)
    if args.json:
        saved = {
            "args": {"reps": args.reps, "ol_reps": args.ol_reps, "tasks": args.tasks},
            "elapsed": elapsed,
            "up": up,
            "trouble": trouble,
            "profile": prof,
        }
        args.json.write_text(json.dumps(saved, indent=1, default=str), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
