"""The delivery agent: one long-lived sender per spool directory.

Every Airflow process that fires a hook (task processes, the scheduler, the API
server, the DAG-file processor, the triggerer) only writes the event to the
spool and makes sure an agent runs for that spool. The agent sends, promptly,
over one kept-alive connection, at the pace Secoda answers, and retries on a
timer. Nothing that fires a hook waits on the network.

Why a process and not a thread in each Airflow process:

* an Airflow 3 task process ends with ``os._exit``: a thread dies with it,
  whatever it had not sent yet; Airflow 3 also terminates a process still
  busy in a success listener 20 s after the task succeeded;
* the scheduler, API server and DAG processor run hooks on their main loop
  or request threads, and they fork: a sender thread there is one more thing
  a fork can catch holding a lock;
* one agent per host keeps one connection and one back-off for everything the
  host spools, instead of every short task process opening its own.

How it starts: :func:`ensure_running`, called after each spooled event, tries
the agent's ``flock`` without waiting. Held means an agent runs (a few
microseconds). Free means none does: it starts one with ``subprocess`` (a
fork immediately followed by ``exec``, so no Python code runs in a forked copy
of a threaded process), in a session of its own, so a task's process group
being killed or a scheduler being stopped does not take it along. Of two
agents started at once, the second finds the lock held and exits.

When it stops: after ``[secoda] agent_idle_timeout`` seconds with nothing to
send, when its spool directory is gone, or on SIGTERM/SIGINT (the request in
flight is finished, nothing is cut). Events it did not get to stay spooled for
the next agent; the next hook anywhere on the host starts one.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Callable

from secoda_listener import conf, forks
from secoda_listener.delivery.files import flock, write_atomic
from secoda_listener.exceptions import SpoolError

if TYPE_CHECKING:
    from secoda_listener.delivery.backoff import SharedBackoff

log = logging.getLogger(__name__)

LOCK_FILE = "agent.lock"
STATE_FILE = "agent.json"
LOG_FILE = "agent.log"

#: How often the agent looks for new events while it waits (a stat of new/).
POLL_INTERVAL = 0.05
#: Longest wait between two tries while Secoda refuses or a connection is missing:
#: after an outage everything is delivered within this of Secoda answering again.
RETRY_CAP = 15.0
#: A pass over the spool may take this long before the agent looks around again
#: (stop requested, spool gone). Requests are never cut by it: see _PassClock.
PASS_BUDGET = 300.0
#: Tries at taking the agent's lock, POLL_INTERVAL apart, before leaving it to the holder.
LOCK_ATTEMPTS = 20
#: A process that saw an agent start does not start another for this long,
#: giving it time to import and take its lock.
START_GRACE = 10.0
#: The agent's log is started afresh beyond this size.
MAX_LOG_BYTES = 5 * 1024 * 1024


def agent_running(spool_dir: Path) -> bool:
    """True if an agent holds the lock of ``spool_dir`` (never waits)."""
    try:
        with flock(spool_dir / LOCK_FILE, blocking=False) as free:
            return not free
    except OSError:
        return False


def agent_state(spool_dir: Path) -> dict[str, object]:
    """What ``secoda-listener status`` shows of the agent: running or not, and its last start."""
    state: dict[str, object] = {"running": agent_running(spool_dir)}
    try:
        recorded = json.loads((spool_dir / STATE_FILE).read_text())
    except (OSError, ValueError):
        recorded = None
    if isinstance(recorded, dict):
        state.update({key: recorded.get(key) for key in ("pid", "started_at", "idle_timeout")})
    return state


class _Starter:
    """This process's view of the agent: when it last started one, and the child to reap."""

    def __init__(self) -> None:
        self.started: dict[str, tuple[float, subprocess.Popen[bytes]]] = {}  # spool dir -> (when, the agent)
        self.children: list[subprocess.Popen[bytes]] = []

    def reap(self) -> None:
        # An agent that exited is our child until waited for: poll() reaps it.
        self.children = [child for child in self.children if child.poll() is None]


_starter = _Starter()


def _forget_starter() -> None:
    global _starter
    _starter = _Starter()  # a forked child did not start its parent's agents


forks.reset_in_child("delivery.agent", _forget_starter)


def ensure_running(
    spool_dir: str | os.PathLike[str],
    *,
    conn_ids: Sequence[str] = (),
    monotonic: Callable[[], float] = time.monotonic,
) -> bool:
    """Make sure an agent delivers ``spool_dir``; True if one runs or was just started.

    ``conn_ids``: the connections the caller's records name; an agent started
    from an Airflow 3 task process is given them (see :func:`_agent_environment`).
    Never raises and never waits on the agent: the caller is a listener hook.
    """
    directory = Path(spool_dir)
    try:
        _starter.reap()
        if agent_running(directory):
            return True
        key = str(directory)
        now = monotonic()
        started = _starter.started.get(key)
        if started is not None and now - started[0] < START_GRACE and started[1].poll() is None:
            return True  # ours is still starting up (one that already exited is started again)
        child = _spawn(directory, conn_ids)
        _starter.children.append(child)
        _starter.started[key] = (now, child)
        return True
    except Exception as exc:  # noqa: BLE001 - never fail a hook: the caller delivers itself instead
        log.debug("secoda-listener: cannot start the delivery agent for %s: %s", directory, exc)
        return False


def _spawn(directory: Path, conn_ids: Sequence[str] = ()) -> subprocess.Popen[bytes]:
    log_path = directory / LOG_FILE
    try:
        if log_path.stat().st_size > MAX_LOG_BYTES:
            log_path.unlink()
    except OSError:
        pass
    fd = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_CLOEXEC, 0o600)
    try:
        return subprocess.Popen(
            [sys.executable, "-m", "secoda_listener.delivery.agent", "--spool-dir", str(directory)],
            stdin=subprocess.DEVNULL,
            stdout=fd,
            stderr=fd,
            close_fds=True,
            start_new_session=True,
            cwd=str(directory),
            env=_agent_environment(conn_ids),
        )
    finally:
        os.close(fd)


#: Set by Airflow 3 in the processes it runs tasks and triggers in: there connections
#: come from the supervisor. The agent is no such process; it must not inherit them.
_TASK_PROCESS_MARKERS = ("_AIRFLOW_PROCESS_CONTEXT", "_AIRFLOW_FORK_EXEC")
#: What an Airflow 3 task process has instead of the metadata database's URL.
_BLOCKED_DATABASE = "airflow-db-not-allowed:///"


def _in_task_process() -> bool:
    """Is this an Airflow 3 task (or trigger) process, which reads connections through a supervisor?

    As Airflow itself tells: its task runner holds ``SUPERVISOR_COMMS``; trigger
    runners say ``_AIRFLOW_PROCESS_CONTEXT=client``; both have the database blocked.
    """
    task_runner = sys.modules.get("airflow.sdk.execution_time.task_runner")
    return (
        getattr(task_runner, "SUPERVISOR_COMMS", None) is not None
        or os.environ.get("_AIRFLOW_PROCESS_CONTEXT") == "client"
        or os.environ.get("AIRFLOW__DATABASE__SQL_ALCHEMY_CONN") == _BLOCKED_DATABASE
    )


def _agent_environment(conn_ids: Sequence[str] = ()) -> dict[str, str]:
    """The spawning process's environment, as a server-side Airflow process would have it.

    Inherited as is from an Airflow 3 task process, the agent would look up
    connections through a supervisor it does not have, and in a metadata
    database the task process is barred from (its URL is replaced by
    ``airflow-db-not-allowed:///``; a worker may have no route to it at all). So
    the agent runs as a server process (like the scheduler or the CLI: secrets
    backends, environment, the database ``airflow.cfg`` names) and, started
    from a task process, is handed the connections the task read through its
    supervisor as ``AIRFLOW_CONN_<ID>`` variables: in its environment, which
    only the same user can read, never on disk.
    """
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in _TASK_PROCESS_MARKERS and value != _BLOCKED_DATABASE
    }
    if _in_task_process():
        env.update(_connections_for_agent(conn_ids, env))
    env["_AIRFLOW_PROCESS_CONTEXT"] = "server"
    return env


def _connections_for_agent(conn_ids: Sequence[str], env: dict[str, str]) -> dict[str, str]:
    from secoda_listener.delivery.secoda_connection import connection_env_value, get_airflow_connection

    handed: dict[str, str] = {}
    for conn_id in dict.fromkeys(conn_ids):
        name = f"AIRFLOW_CONN_{conn_id.upper()}"
        if name in env:
            continue  # the deployment defines it in the environment already
        try:
            handed[name] = connection_env_value(get_airflow_connection(conn_id))
        except Exception as exc:  # noqa: BLE001 - the agent then says what is missing, once
            log.debug("secoda-listener: connection %r not handed to the agent: %s", conn_id, exc)
    return handed


class _PassClock:
    """The sender's monotonic clock, which jumps past every deadline once a stop is asked.

    The sender checks its deadline before each request, never during one: a
    request in flight is finished and its answer acted on (an event Secoda
    accepted is not sent again), and the sender then releases what it holds.
    """

    def __init__(self) -> None:
        self.stopping = False

    def __call__(self) -> float:
        return time.monotonic() + (1e12 if self.stopping else 0.0)


class Agent:
    """Drains one spool directory until idle; see the module docstring."""

    def __init__(
        self,
        spool_dir: str | os.PathLike[str],
        *,
        idle_timeout: float | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.directory = Path(spool_dir)
        self.idle_timeout = conf.agent_idle_timeout() if idle_timeout is None else idle_timeout
        self._sleep = sleep
        self._clock = _PassClock()

    def stop(self, *_: object) -> None:
        self._clock.stopping = True

    def run(self) -> int:
        """Deliver until idle; 0 also when another agent already serves the directory."""
        try:
            # A hook's probe holds the lock for microseconds, another agent for good: a
            # few tries tell the two apart, so a probe never makes a new agent give up.
            for _ in range(LOCK_ATTEMPTS):
                with flock(self.directory / LOCK_FILE, blocking=False) as mine:
                    if mine:
                        self._write_state()
                        self._loop()
                        return 0
                self._sleep(POLL_INTERVAL)
        except (OSError, SpoolError) as exc:
            log.warning("secoda-listener agent: stopped: %s", exc)
            return 1
        log.info("secoda-listener agent: another agent serves %s", self.directory)
        return 0

    def _write_state(self) -> None:
        state = {"pid": os.getpid(), "started_at": time.time(), "idle_timeout": self.idle_timeout}
        write_atomic(self.directory / STATE_FILE, json.dumps(state).encode())

    def _loop(self) -> None:
        from secoda_listener.delivery.backoff import BackoffPolicy, SharedBackoff
        from secoda_listener.delivery.process import cached_endpoint
        from secoda_listener.delivery.sender import Sender
        from secoda_listener.delivery.spool import MIB, Spool
        from secoda_listener.delivery.transport import Transport

        spool = Spool(
            self.directory,
            max_bytes=conf.spool_max_mb() * MIB,
            max_files=conf.spool_max_files(),
            fsync=conf.spool_fsync(),
        )
        # Retries at most RETRY_CAP apart (unless Secoda's Retry-After asks for longer), and
        # a back-off slept inside a pass ends early when a stop is asked.
        backoff = SharedBackoff(spool.backoff_path, BackoffPolicy(cap=RETRY_CAP))
        sender = Sender(
            spool,
            cached_endpoint,
            Transport(),
            backoff=backoff,
            request_timeout=conf.request_timeout(),
            sleep=self._pause,
            monotonic=self._clock,
        )
        last_progress = time.monotonic()
        while not self._clock.stopping and self.directory.is_dir():
            result = sender.flush(PASS_BUDGET)
            now = time.monotonic()
            if result.sent or result.failed:
                last_progress = now
                log.info(
                    "secoda-listener agent: %d sent, %d rejected, %d waiting",
                    result.sent,
                    result.failed,
                    result.remaining,
                )
            if result.remaining and result.skipped_backoff:
                # Secoda refuses: keep trying on a timer, however long the outage.
                self._wait_for_events(self._retry_wait(sender.backoff))
                continue
            if now - last_progress >= self.idle_timeout:
                log.info("secoda-listener agent: idle for %.0fs, exiting", now - last_progress)
                return
            # Nothing to send (or only what waits for a connection to be created).
            wait = RETRY_CAP if result.remaining else self.idle_timeout - (now - last_progress)
            self._wait_for_events(min(wait, RETRY_CAP))

    def _retry_wait(self, backoff: SharedBackoff) -> float:
        """Seconds until the soonest back-off ends, between POLL_INTERVAL and RETRY_CAP."""
        now = time.time()
        ahead = [entry.until - now for entry in backoff.entries().values() if entry.until > now]
        return max(POLL_INTERVAL, min(min(ahead, default=RETRY_CAP), RETRY_CAP))

    def _pause(self, seconds: float) -> None:
        """The sender's sleep: ``seconds``, or until a stop is asked."""
        deadline = time.monotonic() + seconds
        while not self._clock.stopping and time.monotonic() < deadline:
            self._sleep(min(POLL_INTERVAL, max(0.0, deadline - time.monotonic())))

    def _wait_for_events(self, timeout: float) -> None:
        """Return when ``new/`` changes, a stop is asked, or ``timeout`` passes."""
        new_dir = self.directory / "new"
        deadline = time.monotonic() + timeout
        try:
            seen = os.stat(new_dir).st_mtime_ns
        except OSError:
            return
        while not self._clock.stopping and time.monotonic() < deadline:
            self._sleep(POLL_INTERVAL)
            try:
                if os.stat(new_dir).st_mtime_ns != seen:
                    return
            except OSError:
                return


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m secoda_listener.delivery.agent", description="Deliver one spool directory to Secoda until idle."
    )
    parser.add_argument("--spool-dir", default=None, help="default: [secoda] spool_dir")
    parser.add_argument("--idle-timeout", type=float, default=None, help="default: [secoda] agent_idle_timeout")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(process)d %(levelname)s %(message)s")
    agent = Agent(args.spool_dir or conf.spool_dir(), idle_timeout=args.idle_timeout)
    signal.signal(signal.SIGTERM, agent.stop)
    signal.signal(signal.SIGINT, agent.stop)
    return agent.run()


if __name__ == "__main__":
    sys.exit(main())
