"""Real, long-running Airflow services on loopback for end-to-end tests.

Airflow 3 runs a scheduler with the LocalExecutor, a DAG processor and an API
server (whose execution API the task runners talk to); Airflow 2.10 runs the
scheduler alone (it parses DAGs itself and its LocalExecutor forks the task
processes). The metadata database is Postgres: the LocalExecutor refuses SQLite.
With ``executor="CeleryExecutor"`` an ``airflow celery worker`` runs beside them
and runs the tasks instead (the broker and result backend come in ``extra_env``).

Every service starts in a session of its own and writes its output to a log
file. Stopping a service sends SIGTERM to every process group of its session
(task processes put themselves in their own group, but stay in the session),
waits, then SIGKILLs whatever is left, so nothing outlives the test.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import IO, Callable, TypeVar

import attrs

from tests.support.airflow_home import BIN, AirflowHome, DagRun, airflow_major

T = TypeVar("T")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for(
    what: str, probe: Callable[[], T], timeout: float, interval: float = 0.25, explain: Callable[[], str] = lambda: ""
) -> T:
    """Call ``probe`` until it returns something truthy; raise with ``explain()`` at the deadline."""
    deadline = time.monotonic() + timeout
    while True:
        value = probe()
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"gave up after {timeout:.0f}s waiting for {what}\n{explain()}")
        time.sleep(interval)


def _session_of(pid: int) -> tuple[int, int] | None:
    """``(process group, session)`` of ``pid`` from /proc, or None if it is gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # The command name is in parentheses and may hold spaces: parse after the last ')'.
    fields = stat[stat.rindex(")") + 2 :].split()
    if fields[0] == "Z":  # a zombie has exited; its parent (ours, or gone) reaps it
        return None
    return int(fields[2]), int(fields[3])


def session_members(sid: int) -> dict[int, int]:
    """Living processes of session ``sid``: pid -> process group."""
    members: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            found = _session_of(int(entry))
            if found is not None and found[1] == sid:
                members[int(entry)] = found[0]
    return members


def _signal_groups(groups: Iterable[int], sig: int) -> None:
    for pgid in set(groups):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pgid, sig)


@attrs.define
class Service:
    """One Airflow command running in its own session, output to ``log_path``."""

    name: str
    argv: list[str]
    log_path: Path
    proc: subprocess.Popen[bytes] | None = None
    members_at_stop: int = 0  # processes found in the session when stop() began
    forced: bool = False  # SIGTERM was not enough
    exit_code: int | None = None
    _log: IO[bytes] | None = None

    def start(self, env: Mapping[str, str], cwd: Path) -> Service:
        self._log = open(self.log_path, "ab")  # noqa: SIM115 - the process writes it until stop() closes it
        self.proc = subprocess.Popen(
            self.argv,
            env=dict(env),
            cwd=cwd,
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        return self

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def tail(self, lines: int = 40) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    def stop(self, timeout: float = 30.0) -> list[int]:
        """SIGTERM every group of the session, SIGKILL at ``timeout``; the pids that survived both."""
        if self.proc is None:
            return []
        sid = self.proc.pid  # start_new_session: the leader's pid is the session id
        members = session_members(sid)
        self.members_at_stop = len(members)
        _signal_groups([sid, *members.values()], signal.SIGTERM)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.proc.poll()  # reap the leader
            if not session_members(sid):
                break
            time.sleep(0.1)
        else:
            self.forced = True
            _signal_groups(session_members(sid).values(), signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.exit_code = self.proc.wait(timeout=10)
        if self._log is not None:
            self._log.close()
            self._log = None
        return sorted(wait_for_empty_session(sid, timeout=5))


def wait_for_empty_session(sid: int, timeout: float) -> dict[int, int]:
    deadline = time.monotonic() + timeout
    members = session_members(sid)
    while members and time.monotonic() < deadline:
        time.sleep(0.1)
        members = session_members(sid)
    return members


@attrs.define
class AirflowServices:
    """An Airflow deployment on loopback: the metadata DB on Postgres, the services, the CLI."""

    home: AirflowHome
    extra_env: dict[str, str]
    logs_dir: Path
    psql: Callable[[str], str]
    services: list[Service] = attrs.Factory(list)
    api_port: int | None = None
    executor: str = "LocalExecutor"
    #: Environment of one service only, on top of ``extra_env`` (a worker as if on a host of its own).
    service_env: dict[str, dict[str, str]] = attrs.Factory(dict)

    @classmethod
    def create(
        cls,
        home: AirflowHome,
        db_uri: str,
        psql: Callable[[str], str],
        logs_dir: Path,
        extra_env: Mapping[str, str] | None = None,
        executor: str = "LocalExecutor",
    ) -> AirflowServices:
        """``db_uri`` is a SQLAlchemy URL of an empty Postgres database; ``psql(sql)`` queries it."""
        env = {
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": db_uri,
            "AIRFLOW__CORE__EXECUTOR": executor,
            "AIRFLOW__CORE__PARALLELISM": "8",
            "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "True",
            "AIRFLOW__CORE__FERNET_KEY": "",
            "AIRFLOW__SCHEDULER__SCHEDULER_HEARTBEAT_SEC": "1",
            "AIRFLOW__SCHEDULER__JOB_HEARTBEAT_SEC": "1",
            # The scheduler serves task logs on a fixed port (8793) by default: take a free one.
            "AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT": str(free_port()),
        }
        api_port = None
        if airflow_major() >= 3:
            api_port = free_port()
            env.update(
                {
                    "AIRFLOW__API__HOST": "127.0.0.1",
                    "AIRFLOW__API__PORT": str(api_port),
                    "AIRFLOW__API__BASE_URL": f"http://127.0.0.1:{api_port}",
                    "AIRFLOW__API__WORKERS": "1",
                    "AIRFLOW__API__SECRET_KEY": secrets.token_hex(16),
                    "AIRFLOW__API_AUTH__JWT_SECRET": secrets.token_hex(32),
                    "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"http://127.0.0.1:{api_port}/execution/",
                    "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS": "True",
                }
            )
        env.update(extra_env or {})
        logs_dir.mkdir(parents=True, exist_ok=True)
        return cls(home=home, extra_env=env, logs_dir=logs_dir, psql=psql, api_port=api_port, executor=executor)

    # --- the CLI ---------------------------------------------------------------------

    def env(self) -> dict[str, str]:
        return self.home.env(self.extra_env)

    def cli(self, *args: str, timeout: float = 120) -> DagRun:
        return self.home.airflow(*args, extra_env=self.extra_env, timeout=timeout)

    def cli_ok(self, *args: str, timeout: float = 120) -> DagRun:
        result = self.cli(*args, timeout=timeout)
        if result.returncode != 0:
            raise RuntimeError(f"airflow {' '.join(args)} failed ({result.returncode}):\n{result.output[-4000:]}")
        return result

    def cli_many(self, commands: list[list[str]], timeout: float = 120) -> list[DagRun]:
        """Run several CLI commands at once (each costs seconds of imports); all must succeed."""
        started = time.monotonic()
        procs = [
            subprocess.Popen(
                [str(BIN / "airflow"), *args],
                env=self.env(),
                cwd=self.home.path,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
            )
            for args in commands
        ]
        results = []
        for args, proc in zip(commands, procs):
            output, _ = proc.communicate(timeout=timeout)
            if proc.returncode != 0:
                raise RuntimeError(f"airflow {' '.join(args)} failed ({proc.returncode}):\n{output[-4000:]}")
            results.append(DagRun(proc.returncode, output, time.monotonic() - started))
        return results

    def migrate(self) -> None:
        self.cli_ok("db", "migrate", timeout=240)

    def add_secoda_connection(self, host: str, api_key: str, integration_id: str = "it-1") -> None:
        """``secoda_default`` in the metadata database, created as Secoda's documentation has users do it."""
        self.cli_ok(
            "connections",
            "add",
            "secoda_default",
            "--conn-type",
            "secoda",
            "--conn-host",
            host,
            "--conn-password",
            api_key,
            "--conn-extra",
            json.dumps({"integration_id": integration_id}),
        )

    # --- the services ----------------------------------------------------------------

    def _commands(self) -> list[tuple[str, list[str]]]:
        airflow = str(BIN / "airflow")
        if self.executor == "CeleryExecutor":
            # Task logs are read from the shared log folder: no log server. One worker, so no
            # start-up sync with other workers (mingle) and no gossip.
            worker = [airflow, "celery", "worker", "--skip-serve-logs", "--without-mingle", "--without-gossip"]
            if airflow_major() < 3:
                # The Celery provider of Airflow 2.10's time passes Celery `--hostname None` unless
                # one is given, which the click of today no longer takes for "the default".
                worker += ["--celery-hostname", "celery-worker@%h"]
            return [*self._airflow_commands(airflow), ("celery-worker", worker)]
        return self._airflow_commands(airflow)

    def _airflow_commands(self, airflow: str) -> list[tuple[str, list[str]]]:
        if airflow_major() >= 3:
            return [
                (
                    "api-server",
                    [
                        airflow,
                        "api-server",
                        "--host",
                        "127.0.0.1",
                        "--port",
                        str(self.api_port),
                        "--workers",
                        "1",
                        "--apps",
                        "execution",
                    ],
                ),
                ("dag-processor", [airflow, "dag-processor"]),
                ("scheduler", [airflow, "scheduler"]),
            ]
        return [("scheduler", [airflow, "scheduler"])]

    def start(self) -> None:
        env = self.env()
        for name, argv in self._commands():
            service = Service(name, argv, self.logs_dir / f"{name}.log")
            self.services.append(service.start({**env, **self.service_env.get(name, {})}, self.home.path))
        if self.api_port is not None:
            wait_for(
                "the execution API to answer", self._execution_api_healthy, timeout=90, interval=0.5, explain=self.tails
            )

    def _execution_api_healthy(self) -> bool:
        self.check_alive()
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.api_port}/execution/health", timeout=2) as r:
                return r.status == 200
        except (urllib.error.URLError, OSError):
            return False

    def dead(self) -> list[str]:
        return [f"{s.name} (exit {s.proc.returncode})" for s in self.services if not s.alive() and s.proc]

    def check_alive(self) -> None:
        dead = self.dead()
        if dead:
            raise RuntimeError(f"Airflow service(s) exited: {', '.join(dead)}\n{self.tails()}")

    def stop(self) -> dict[str, list[int]]:
        """Stop the scheduler first (it owns the executor), then the Celery worker, the API
        server last (a task's supervisor reports to it); name -> survivors."""
        survivors = {}
        order = {"scheduler": 0, "celery-worker": 1, "dag-processor": 2}
        for service in sorted(self.services, key=lambda s: order.get(s.name, 3)):
            survivors[service.name] = service.stop()
        return survivors

    def tails(self, lines: int = 40) -> str:
        parts = [f"----- {s.name} ({s.log_path}) -----\n{s.tail(lines)}" for s in self.services]
        return "\n".join(parts)

    # --- the metadata database --------------------------------------------------------

    def rows(self, sql: str) -> list[list[str]]:
        return [line.split("|") for line in self.psql(sql).splitlines() if line.strip()]

    def dag_ids(self, prefix: str) -> set[str]:
        return {row[0] for row in self.rows(f"SELECT dag_id FROM dag WHERE dag_id LIKE '{prefix}%'")}

    def dag_runs(self, dag_id: str) -> list[dict[str, str]]:
        rows = self.rows(f"SELECT run_id, state FROM dag_run WHERE dag_id = '{dag_id}' ORDER BY id")
        return [{"run_id": run_id, "state": state} for run_id, state in rows]

    def live_task_processes(self, dag_ids: Iterable[str]) -> list[int]:
        """Task processes of these DAGs still running (a task's end hooks run after its
        state is final in the database; stopping the scheduler then would cut them short)."""
        listed = ", ".join(f"'{dag_id}'" for dag_id in dag_ids)
        pids = {
            int(row[0])
            for row in self.rows(f"SELECT pid FROM task_instance WHERE dag_id IN ({listed}) AND pid IS NOT NULL")
        }
        ours: set[int] = set()
        for service in self.services:
            if service.proc is not None:
                ours |= set(session_members(service.proc.pid))
        return sorted(pids & ours)

    def task_states(self, dag_id: str) -> dict[str, str]:
        rows = self.rows(f"SELECT task_id, coalesce(state, '') FROM task_instance WHERE dag_id = '{dag_id}'")
        return dict(rows)


def task_logs(home: Path, dag_id: str) -> dict[str, str]:
    """task_id -> the text of its attempt logs, from Airflow's log folder."""
    logs: dict[str, str] = {}
    for path in sorted((home / "logs").glob(f"dag_id={dag_id}/**/*.log")):
        task_part = next((p for p in path.parts if p.startswith("task_id=")), None)
        if task_part:
            key = task_part.removeprefix("task_id=")
            logs[key] = logs.get(key, "") + path.read_text(errors="replace")
    return logs


#: A line the plugin logged at warning or error level: Airflow 2 text, Airflow 3 structlog or JSON.
_PLUGIN_PROBLEM = re.compile(r'WARNING|ERROR|\[warning|\[error|"level": ?"(warning|error)"')


def plugin_warnings(texts: Iterable[str]) -> list[str]:
    """The lines of ``texts`` (service, task and agent logs) in which secoda-listener warned or erred."""
    return [
        line
        for text in texts
        for line in text.splitlines()
        if "secoda-listener" in line and _PLUGIN_PROBLEM.search(line)
    ]


def log_messages(text: str) -> list[str]:
    """The messages of a task log: Airflow 3 writes JSON lines, Airflow 2 plain text."""
    messages = []
    for line in text.splitlines():
        try:
            record = json.loads(line)
        except ValueError:
            messages.append(line)
            continue
        messages.append(str(record.get("event", line)) if isinstance(record, dict) else line)
    return messages
