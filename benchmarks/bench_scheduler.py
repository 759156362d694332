"""secoda-listener in a real deployment: LocalExecutor, separate task processes, Postgres.

    python benchmarks/bench_scheduler.py [--tasks 10] [--sleep 5] [--latency 0 --latency 0.1] [--tls]
                                         [--runs 1] [--quick] [--json FILE] [--report-from FILE] [--keep]

Brings up what tests/e2e/test_scheduler.py brings up (tests/support/airflow_services.py:
on Airflow 3 a scheduler with the LocalExecutor, a DAG processor and the API
server's execution API; on Airflow 2 the scheduler alone), with a Postgres
metadata database (tests/support/postgres.py) and the Secoda stand-in
(``secoda-listener receiver``) on 127.0.0.1. The Secoda connection is created
the way Secoda's docs have users do it, ``airflow connections add secoda_default
--conn-type secoda ...`` into the metadata database, and runs are started with
``airflow dags trigger``.

Two DAGs of benchmarks/dags/bench_sched.py run side by side (triggered
together, so they share the machine alike): ``bench_sched_on`` reports,
``bench_sched_off`` opts out with the ``secoda:disabled`` tag. Each is a chain
of a ``sleeper`` task (``--sleep`` seconds) and ``--tasks`` BashOperator tasks
that only echo two lines. Measured,
per receiver latency (``--latency``, repeatable; the receiver's latency is
changed between phases, the deployment stays up):

* start-of-task cost: from the task process's first log line (the task
  runner's first line: before any listener hook) to the operator's first
  line (BashOperator's "Tmp dir root location", before it starts the
  command: so the command's own start-up is not in it); on - off of the
  medians over the tasks;
* end-of-task cost: from the operator's last line ("Command exited with
  return code") to the task process's last
  log line (on Airflow 3 the task runner's last, after the success and
  before_stopping hooks, right before its ``os._exit``; the supervisor's own
  "Workload finished" time lags the exit by up to its 5 s poll interval, so it
  is not used), and to the task instance's ``end_date`` in the metadata
  database; on - off;
* how late ``task_running`` reaches Secoda: the receiver's ``received_at``
  minus the task instance's ``start_date`` (the sleeper shows whether it
  arrives before the task ends), and how late the terminal events arrive
  after the task's ``end_date``;
* duplicates: event ids the receiver stored (answered 200) more than once.

Prints Markdown (progress goes to stderr).
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import json
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
HERE = REPO / "benchmarks"
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(HERE))

from bench_support import (  # noqa: E402
    API_KEY,
    INTEGRATION_ID,
    ReceiverProcess,
    duplicates,
    is_secoda,
    med,
    network_label,
    stop_processes_naming,
    version,
)

from tests.support.airflow_home import AirflowHome, airflow_major  # noqa: E402
from tests.support.airflow_services import AirflowServices, wait_for  # noqa: E402

DAG_FILE = HERE / "dags" / "bench_sched.py"
PLUGINS = HERE / "plugins"
ON, OFF = "bench_sched_on", "bench_sched_off"
# The operator's first and last log lines: BashOperator's (its SubprocessHook's, Airflow 2 and 3) before it
# starts the command and once the command exited; the command's own echoes where those are missing.
OPERATOR_FIRST = ("Tmp dir root location", "Running command:")
OPERATOR_LAST = ("Command exited with return code",)
START_MARK, END_MARK = "bench:operator-start", "bench:operator-end"
TERMINAL = {"success", "failed"}
DISCOVERY_TIMEOUT = 180
DELIVERY_TIMEOUT = 60


def progress(message: str) -> None:
    print(f"  {message}", file=sys.stderr, flush=True)


# --- the task logs ------------------------------------------------------------------------


def _parse_time(value: str) -> float | None:
    try:
        return datetime.datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


def _line_time_and_text(line: str) -> tuple[float | None, str]:
    """Timestamp (epoch seconds) and message of one task log line (Airflow 3: JSON; Airflow 2: text)."""
    try:
        record = json.loads(line)
    except ValueError:
        record = None
    if isinstance(record, dict):
        stamp = record.get("timestamp")
        return (_parse_time(stamp) if isinstance(stamp, str) else None), str(record.get("event", ""))
    # Airflow 2: "[2024-01-01T00:00:00.123+0000] {file.py:12} INFO - message"
    if line.startswith("[") and "]" in line:
        stamp, _, rest = line[1:].partition("]")
        text = rest.split(" - ", 1)[-1]
        stamp = stamp.strip()
        if len(stamp) > 5 and stamp[-5] in "+-" and stamp[-3] != ":":
            stamp = stamp[:-2] + ":" + stamp[-2:]
        return _parse_time(stamp), text
    return None, line


def parse_task_log(text: str) -> dict[str, float | None]:
    """One attempt's log: first line, the operator's first and last, the process end (Airflow 2), last line."""
    first = start = end = echo_start = echo_end = finished = last = None
    for line in text.splitlines():
        stamp, message = _line_time_and_text(line)
        if stamp is None:
            continue
        first = stamp if first is None else first
        last = stamp
        if message.startswith(OPERATOR_FIRST) and start is None:
            start = stamp
        elif message.startswith(OPERATOR_LAST):
            end = stamp
        elif message.strip() == START_MARK and echo_start is None:
            echo_start = stamp
        elif message.strip() == END_MARK:
            echo_end = stamp
        elif message.startswith("Task exited with return code"):
            finished = stamp  # Airflow 2: the LocalTaskJob, once the task process exited
    return {"first": first, "start": start or echo_start, "end": end or echo_end, "finished": finished, "last": last}


def run_logs(home: Path, dag_id: str, run_id: str) -> dict[str, dict[str, float | None]]:
    """task_id -> marks, for one DAG run (first attempt)."""
    out = {}
    for path in sorted((home / "logs" / f"dag_id={dag_id}" / f"run_id={run_id}").glob("task_id=*/attempt=1.log")):
        out[path.parent.name.removeprefix("task_id=")] = parse_task_log(path.read_text(errors="replace"))
    return out


# --- the deployment -----------------------------------------------------------------------


class Deployment:
    def __init__(self, work: Path, args: argparse.Namespace) -> None:
        from tests.support.postgres import LocalPostgres

        self.work = work
        self.args = args
        self.postgres = LocalPostgres.start()
        self.database = self.postgres.create_database("airflow_bench")
        db_uri = f"postgresql+psycopg2://{self.postgres.credentials(self.database)}"
        dags = work / "dags"
        dags.mkdir()
        shutil.copy(DAG_FILE, dags / DAG_FILE.name)
        self.home = AirflowHome(path=work / "airflow_home", dags_folder=dags)
        self.home.path.mkdir()
        self.spool = work / "spool"
        self.timing = work / "timing.txt"
        self.receiver = ReceiverProcess(work / "received.jsonl", latency=args.latency[0], tls=args.tls)
        extra = {
            "AIRFLOW__SECODA__SPOOL_DIR": str(self.spool),
            "AIRFLOW__CORE__PLUGINS_FOLDER": str(PLUGINS),
            "AIRFLOW__OPENLINEAGE__DISABLED": "True",
            "BENCH_TIMING_FILE": str(self.timing),
            "BENCH_SCHED_TASKS": str(args.tasks),
            "BENCH_SCHED_SLEEP": str(args.sleep),
            # One run of each DAG at a time, both at once: 2 task processes on 2 cores.
            "AIRFLOW__CORE__PARALLELISM": "4",
            **self.receiver.env(),
        }
        self.services = AirflowServices.create(
            self.home,
            db_uri,
            psql=lambda sql: self.postgres.psql(self.database, sql),
            logs_dir=work / "service_logs",
            extra_env=extra,
        )

    def up(self) -> None:
        self.services.migrate()
        # As Secoda's documentation has users do it: a connection in the metadata database.
        self.services.add_secoda_connection(self.receiver.url, API_KEY, INTEGRATION_ID)
        self.services.start()

        def parsed() -> bool:
            self.services.check_alive()
            return self.services.dag_ids("bench_sched_") >= {ON, OFF}

        wait_for("the benchmark DAGs to be parsed", parsed, DISCOVERY_TIMEOUT, 0.5, self.services.tails)
        self.services.cli_ok("dags", "unpause", "--treat-dag-id-as-regex", "--yes", "^bench_sched_")

    def down(self) -> dict[str, list[int]]:
        survivors: dict[str, list[int]] = {}
        try:
            survivors = self.services.stop()
        finally:
            self.receiver.stop()
            self.postgres.stop()
        return survivors

    # --- one phase: both DAGs once, at one latency ------------------------------------------

    def run_ids(self, dag_id: str) -> list[str]:
        return [r["run_id"] for r in self.services.dag_runs(dag_id)]

    def task_rows(self, dag_id: str, run_id: str) -> dict[str, dict[str, Any]]:
        ti_id = "id" if airflow_major() >= 3 else "''"  # Airflow 2's task_instance has no id column
        rows = self.services.rows(
            f"SELECT task_id, coalesce(state, ''), extract(epoch from start_date), extract(epoch from end_date), "
            f"{ti_id} FROM task_instance WHERE dag_id = '{dag_id}' AND run_id = '{run_id}'"
        )
        return {
            task: {
                "state": state,
                "start_date": float(start) if start else None,
                "end_date": float(end) if end else None,
                "ti_id": ti,
            }
            for task, state, start, end, ti in rows
        }

    def phase(self, latency: float, index: int) -> dict[str, Any]:
        self.receiver.set_latency(latency)
        before = {dag_id: set(self.run_ids(dag_id)) for dag_id in (ON, OFF)}
        triggered_at = time.time()
        self.services.cli_many([["dags", "trigger", ON], ["dags", "trigger", OFF]])
        run_ids = {}
        for dag_id in (ON, OFF):
            new = [r for r in self.run_ids(dag_id) if r not in before[dag_id]]
            if len(new) != 1:
                raise RuntimeError(f"expected one new run of {dag_id}, found {new}")
            run_ids[dag_id] = new[0]

        def done() -> bool:
            self.services.check_alive()
            states = {d: {r["run_id"]: r["state"] for r in self.services.dag_runs(d)}[run_ids[d]] for d in run_ids}
            return all(state in TERMINAL for state in states.values())

        timeout = 120 + (self.args.tasks + 1) * 30 + self.args.sleep
        wait_for(f"the runs at latency {latency:g} s to end", done, timeout, 0.5, self.services.tails)
        ended_at = time.time()
        tasks = {dag_id: self.task_rows(dag_id, run_ids[dag_id]) for dag_id in run_ids}
        expected = {("task_running", t) for t in tasks[ON]} | {("task_success", t) for t in tasks[ON]}
        expected |= {("dag_run_running", ""), ("dag_run_success", "")}

        def arrived() -> set[tuple[str, str]]:
            got = set()
            for r in self.receiver.records():
                body = r["body"] if is_secoda(r) else {}
                if (body.get("dag_run") or {}).get("run_id") == run_ids[ON]:
                    got.add((body["event_type"], (body.get("task_instance") or {}).get("task_id") or ""))
            return got

        with contextlib.suppress(TimeoutError):  # what is still missing then is reported
            wait_for(
                "every event of the run to reach the receiver", lambda: arrived() >= expected, DELIVERY_TIMEOUT, 0.5
            )
        wait_for(
            "the task processes to exit",
            lambda: not self.services.live_task_processes([ON, OFF]),
            DELIVERY_TIMEOUT,
            0.25,
            self.services.tails,
        )
        states = {d: {t: row["state"] for t, row in rows.items()} for d, rows in tasks.items()}
        failed = {d: [t for t, s in st.items() if s != "success"] for d, st in states.items()}
        if any(failed.values()):
            raise RuntimeError(f"tasks did not succeed: {failed}\n{self.services.tails()}")
        missing = sorted(expected - arrived())
        result = {
            "latency": latency,
            "index": index,
            "run_ids": run_ids,
            "tasks": tasks,
            "triggered_at": triggered_at,
            "ended_at": ended_at,
            "missing": missing,
            "logs": {dag_id: run_logs(self.home.path, dag_id, run_ids[dag_id]) for dag_id in run_ids},
        }

        progress(
            f"latency {latency:g} s: runs ended {ended_at - triggered_at:.0f} s after the trigger; "
            f"missing events: {len(missing)}"
        )
        return result


# --- the figures --------------------------------------------------------------------------


def _diff(a: float | None, b: float | None) -> float | None:
    return a - b if a is not None and b is not None else None


def task_costs(phase: dict[str, Any], dag_id: str) -> dict[str, Any]:
    """Per task of one DAG run: start and end costs from its log, and its ``end_date``."""
    logs, rows = phase["logs"][dag_id], phase["tasks"][dag_id]
    per_task = {}
    for task_id, marks in logs.items():
        row = rows.get(task_id, {})
        per_task[task_id] = {
            "start": _diff(marks["start"], marks["first"]),
            "end": _diff(marks["finished"] or marks["last"], marks["end"]),
            "end_date": _diff(row.get("end_date"), marks["end"]),
        }
    return per_task


def summarize(
    phase: dict[str, Any], records: list[dict[str, Any]], hooks: dict[str, dict[str, float]]
) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for dag_id in (ON, OFF):
        costs = task_costs(phase, dag_id)
        echo = [c for task_id, c in costs.items() if task_id != "sleeper"]
        out[dag_id] = {key: med(c[key] for c in echo) for key in ("start", "end", "end_date")}
        out[dag_id]["n"] = len(echo)
    # When the reporting DAG's events reached the stand-in (first time each was stored).
    run_id = phase["run_ids"][ON]
    first_seen: dict[tuple[str, str], float] = {}
    for r in records:
        body = r["body"] if is_secoda(r) else {}
        if (body.get("dag_run") or {}).get("run_id") != run_id or r.get("status") != 200:
            continue
        key = (body["event_type"], (body.get("task_instance") or {}).get("task_id") or "")
        first_seen[key] = min(first_seen.get(key, float("inf")), r["received_at"])
    rows = phase["tasks"][ON]
    running = {
        t: first_seen[("task_running", t)] - row["start_date"]
        for t, row in rows.items()
        if ("task_running", t) in first_seen and row["start_date"]
    }
    terminal = {
        t: first_seen[("task_success", t)] - row["end_date"]
        for t, row in rows.items()
        if ("task_success", t) in first_seen and row["end_date"]
    }
    sleeper = rows.get("sleeper", {})
    echo_running = [v for t, v in running.items() if t != "sleeper"]
    out["arrival"] = {
        "running": med(echo_running),
        "running_max": max(echo_running, default=None),
        "running_sleeper": running.get("sleeper"),
        "sleeper_duration": _diff(sleeper.get("end_date"), sleeper.get("start_date")),
        "before_end": sum(
            1 for t, v in running.items() if rows[t]["end_date"] and rows[t]["start_date"] + v < rows[t]["end_date"]
        ),
        "n": len(running),
        "terminal": med(terminal.values()),
        "terminal_max": max(terminal.values(), default=None),
    }
    ids = {
        r.get("event_id") for r in records if is_secoda(r) and (r["body"].get("dag_run") or {}).get("run_id") == run_id
    }
    out["duplicates"] = sum(1 for key in duplicates(r for r in records if is_secoda(r)) if key in ids)
    out["hooks"] = hooks.get(run_id, {})
    return out


def msec(value: float | None) -> str:
    if value is None or value != value:
        return "-"
    return f"{value * 1e3:,.0f} ms"


def sec(value: float | None) -> str:
    if value is None or value != value:
        return "-"
    return f"{value:.2f} s"


def trio(on: float | None, off: float | None, bold: bool = True) -> str:
    added = msec(_diff(on, off))
    return f"{msec(on)} / {msec(off)} / {'**' + added + '**' if bold else added}"


def report(saved: dict[str, Any]) -> str:
    args = saved["args"]
    records = saved["records"]
    phases = [(p, summarize(p, records, saved.get("hooks", {}))) for p in saved["phases"]]
    airflow3 = saved["airflow"].startswith("3")
    lines = [
        f"Airflow {saved['airflow']}, LocalExecutor "
        f"({'scheduler, DAG processor and API server' if airflow3 else 'scheduler'}), Postgres metadata DB; "
        f"secoda-listener {saved['secoda_listener']} with its defaults; "
        f"the connection made with `airflow connections add secoda_default --conn-type secoda ...`, "
        f"runs started with `airflow dags trigger`. Two DAGs triggered together, each a chain of a "
        f"{args['sleep']:g} s sleeper and {args['tasks']} BashOperator echo tasks: `{ON}` reports, `{OFF}` "
        f"(tag `secoda:disabled`) is the control. Stand-in {'over TLS' if args['tls'] else 'over plain HTTP'}; "
        f"benchmark wall time {saved['elapsed'] / 60:.1f} min.",
        "",
        "**Cost on the task's path** (medians over the echo tasks of each DAG run; on / off / added = on - off)",
        "",
        "| Secoda stand-in | **start of task**: first log line -> operator's first line | "
        "**end of task**: operator's last line -> the task process's last line | operator's last line -> "
        "`end_date` | in the listeners' hooks (on): running / success |",
        "| --- | --- | --- | --- | --- |",
    ]
    for phase, fig in phases:
        on, off, hooks = fig[ON], fig[OFF], fig["hooks"]
        lines.append(
            f"| {network_label(phase['latency'], args['tls'])} | {trio(on['start'], off['start'])} "
            f"| {trio(on['end'], off['end'])} | {trio(on['end_date'], off['end_date'], bold=False)} "
            f"| {msec(hooks.get('running'))} / {msec(hooks.get('success'))} |"
        )
    lines += [
        "",
        "**Delivery** (the stand-in's `received_at` against the task instance's `start_date` / `end_date`)",
        "",
        "| Secoda stand-in | `task_running` arrives after the task's start: median / max | "
        "the sleeper's `task_running` (task length) | arrived while the task ran | "
        "`task_success` arrives after `end_date`: median / max | events missing | duplicates (event ids) |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for phase, fig in phases:
        arr = fig["arrival"]
        lines.append(
            f"| {network_label(phase['latency'], args['tls'])} | {sec(arr['running'])} / {sec(arr['running_max'])} "
            f"| {sec(arr['running_sleeper'])} ({sec(arr['sleeper_duration'])}) | {arr['before_end']} of {arr['n']} "
            f"| {sec(arr['terminal'])} / {sec(arr['terminal_max'])} | {len(phase['missing'])} "
            f"| {fig['duplicates']} |"
        )
    dups = duplicates(r for r in records if is_secoda(r))
    distinct = len({r.get("event_id") for r in records if is_secoda(r) and r.get("status") == 200})
    lines += [
        "",
        f"Whole run: {distinct} distinct events accepted, **{len(dups)} duplicates** by event id "
        f"({sum(n - 1 for n in dups.values())} extra deliveries); left in the spool at the end: "
        f"{saved['spool_left']}; Airflow processes that outlived the deployment's stop: "
        f"{saved['survivors'] or 'none'}; other processes still running for the deployment after it stopped "
        f"(a delivery process of the plugin; stopped by the benchmark): {saved.get('leftover', 0)}. "
        "Start of task: from the task process's first log line (the task runner starting, before any listener "
        'hook) to the operator\'s first (BashOperator: "Tmp dir root location", before it starts its command). '
        'End of task: from the operator\'s last ("Command exited with return code") to the task '
        "process's last line (Airflow 3: the task runner's last, after the success and before_stopping hooks, "
        "right before the process's `os._exit`, so nothing a listener does in the task process is after it; "
        'Airflow 2: "Task exited with return code") and to the task instance\'s `end_date` in the metadata DB '
        "(on Airflow 3 the state is reported before the success hooks run). The supervisor's own \"Workload "
        "finished\" time is not used: on Airflow 3.3.2 it lags the process's exit by its 5 s poll interval for "
        "about half the tasks, with or without any listener. Hooks: time between the timing plugin's first and "
        "last listener (benchmarks/plugins), medians over the reporting DAG's tasks.",
    ]
    return "\n".join(lines)


def hook_times(path: Path) -> dict[str, dict[str, float]]:
    """run_id -> hook kind -> median seconds inside the other listeners' hooks (timing plugin's file)."""
    opened: dict[tuple[str, str, str], float] = {}
    spent: dict[str, dict[str, list[float]]] = {}
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError:
        return {}
    for line in lines:
        parts = line.split()
        if len(parts) != 4 or parts[2].count("/") < 2:
            continue  # component hooks (before_stopping) are not per task
        stamp, hook, name, pid = parts
        kind, _, edge = hook.partition(":")
        if edge == "first":
            opened[(pid, kind, name)] = float(stamp)
        elif edge == "last" and (pid, kind, name) in opened:
            run_id = name.split("/")[1]
            spent.setdefault(run_id, {}).setdefault(kind, []).append(float(stamp) - opened.pop((pid, kind, name)))
    return {run: {kind: statistics.median(v) for kind, v in kinds.items()} for run, kinds in spent.items()}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=10, help="echo tasks per DAG (default 10)")
    parser.add_argument("--sleep", type=float, default=5.0, help="seconds the sleeper task sleeps (default 5)")
    parser.add_argument(
        "--latency",
        type=float,
        action="append",
        help="receiver latency in seconds, one phase each (repeatable; default 0 and 0.1)",
    )
    parser.add_argument("--tls", action="store_true", help="the stand-in serves HTTPS (a CA the deployment trusts)")
    parser.add_argument("--runs", type=int, default=1, help="phases per latency (default 1)")
    parser.add_argument("--quick", action="store_true", help="small sizes: 4 tasks, a 3 s sleeper")
    parser.add_argument("--json", type=Path, help="also write every measurement here")
    parser.add_argument("--report-from", type=Path, metavar="JSON", help="print the report of an earlier --json file")
    parser.add_argument("--keep", action="store_true", help="keep the work directory (logs, store, spool)")
    args = parser.parse_args()
    if args.report_from:
        print(report(json.loads(args.report_from.read_text(encoding="utf-8"))))
        return 0
    if args.quick:
        args.tasks, args.sleep = min(args.tasks, 4), min(args.sleep, 3.0)
    args.latency = args.latency or [0.0, 0.1]

    started = time.perf_counter()
    work = Path(tempfile.mkdtemp(prefix="bench-sched-"))
    progress(f"work directory: {work}")
    deployment = Deployment(work, args)
    phases: list[dict[str, Any]] = []
    survivors: dict[str, list[int]] = {}
    leftover: list[int] = []
    try:
        deployment.up()
        progress("deployment up")
        index = 0
        for _ in range(args.runs):
            for latency in args.latency:
                phases.append(deployment.phase(latency, index))
                index += 1
    finally:
        survivors = {name: pids for name, pids in deployment.down().items() if pids}
        # Anything still running that names the work directory was started by the deployment: a delivery
        # process the plugin started for its spool, say. Counted, then stopped.
        leftover = stop_processes_naming([work])
        records = deployment.receiver.all_records()
        spool_left = (
            sum(
                1
                for p in deployment.spool.rglob("*")
                if p.is_file() and p.parent.name in ("tmp", "new", "cur", "failed")
            )
            if deployment.spool.exists()
            else 0
        )
        hooks = hook_times(deployment.timing)
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    saved = {
        "args": {"tasks": args.tasks, "sleep": args.sleep, "latency": args.latency, "tls": args.tls, "runs": args.runs},
        "airflow": version("apache-airflow-core")
        if version("apache-airflow-core") != "not installed"
        else version("apache-airflow"),
        "secoda_listener": version("secoda-listener"),
        "elapsed": time.perf_counter() - started,
        "phases": phases,
        "records": records,
        "spool_left": spool_left,
        "survivors": survivors,
        "hooks": hooks,
        "leftover": len(leftover),
    }
    print(report(saved))
    if args.json:
        args.json.write_text(json.dumps(saved, indent=1, default=str), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
