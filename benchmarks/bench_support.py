"""Helpers the Airflow benchmarks share (bench_dag_overhead.py, bench_scheduler.py); not a benchmark.

* :class:`ReceiverProcess`: ``secoda-listener receiver`` in a process of its own,
  with a simulated network latency and TLS;
* the Secoda connection and OpenLineage transport values pointing at it;
* duplicates by event id in its store, and a keep-alive request loop against it;
* small formatting helpers.
"""

from __future__ import annotations

import collections
import contextlib
import importlib.metadata
import json
import os
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
HERE = REPO / "benchmarks"
BIN = Path(sys.executable).parent

API_KEY = "bench-secoda-api-key-0123456789"
INTEGRATION_ID = "it-bench"
# The receiver answers 404 on unknown paths; OpenLineage posts to one it accepts.
OL_ENDPOINT = "api/v1/integration/run_logs/openlineage/ingest/"
# "Hanging": the receiver takes the request, never answers, finally resets the connection.
HANG_FAULT = {"delay": 3600, "reset": True, "times": 10**6}


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
    """``secoda-listener receiver`` in its own process (it does not share a GIL with anything).

    ``latency``: simulated round trip per request, seconds; ``tls``: HTTPS, the
    CA to trust is ``ca_path`` (``env()`` gives the variables that make
    secoda-listener and OpenLineage trust it).
    """

    def __init__(
        self, store: Path, port: int = 0, faults: Iterable[dict] = (), latency: float = 0.0, tls: bool = False
    ) -> None:
        command = [
            sys.executable,
            "-m",
            "secoda_listener",
            "receiver",
            "--port",
            str(port),
            "--store",
            str(store),
            "--api-key",
            API_KEY,
            "--latency",
            repr(float(latency)),
        ]
        if tls:
            command.append("--tls")
        for fault in faults:
            command += ["--fault", json.dumps(fault)]
        self.store = store
        self.latency = float(latency)
        self.tls = tls
        self.stopped_at: float | None = None
        self.proc = subprocess.Popen(
            command,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL if port else None,  # a port still held is retried by on_port
            text=True,
            env={**os.environ, "PYTHONPATH": str(REPO)},
        )
        # "listening on http(s)://127.0.0.1:PORT/api/v1/ (store: FILE[; ca: PEM])"
        line = self.proc.stdout.readline()
        if not line.startswith("listening on "):
            self.proc.kill()
            self.proc.wait()
            raise RuntimeError(f"receiver did not start: {line!r}")
        self.url = line.split()[2]
        self.base = self.url.split("/api/v1/")[0]
        self.port = int(self.base.rsplit(":", 1)[1])
        self.ca_path: str | None = line.rsplit("ca: ", 1)[1].strip().rstrip(")") if "; ca: " in line else None

    @classmethod
    def on_port(cls, store: Path, port: int, timeout: float = 30.0, **kwargs: Any) -> ReceiverProcess:
        """A receiver on ``port``, which a stopped one may have held a moment ago: retried until it binds."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                return cls(store, port=port, **kwargs)
            except RuntimeError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.5)

    def env(self) -> dict[str, str]:
        """Environment for processes that must trust this receiver (empty without TLS)."""
        return {"REQUESTS_CA_BUNDLE": self.ca_path} if self.ca_path else {}

    def _urlopen(self, request: urllib.request.Request | str, timeout: float = 30) -> Any:
        import ssl

        context = ssl.create_default_context(cafile=self.ca_path) if self.ca_path else None
        return urllib.request.urlopen(request, timeout=timeout, context=context)

    def set_latency(self, latency: float) -> None:
        """Change the simulated latency while serving (``POST /_control/latency``)."""
        request = urllib.request.Request(
            self.base + "/_control/latency",
            method="POST",
            data=json.dumps({"latency": latency}).encode(),
            headers={"Content-Type": "application/json"},
        )
        with self._urlopen(request) as answer:
            self.latency = float(json.load(answer)["latency"])

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.stopped_at = time.time()
            self.proc.terminate()
            self.proc.wait(timeout=30)

    def all_records(self) -> list[dict[str, Any]]:
        from secoda_listener.testing.receiver import read_store

        return read_store(self.store)

    def records(self) -> list[dict[str, Any]]:
        """Requests the receiver answered 200 (before it was told to stop)."""
        cutoff = self.stopped_at or float("inf")
        return [r for r in self.all_records() if r.get("status") == 200 and r.get("received_at", 0) < cutoff]

    def keepalive_ms(self, requests_count: int = 100) -> float:
        """Median ms of a POST on one kept-alive connection (what the stand-in itself costs a client)."""
        import requests

        times = []
        with requests.Session() as session:
            session.trust_env = False
            session.verify = self.ca_path or True
            url = self.url + f"integration/run_logs/{INTEGRATION_ID}-probe/ingest/"
            headers = {"Authorization": f"Bearer {API_KEY}"}
            for i in range(requests_count + 3):
                started = time.perf_counter()
                session.post(url, json={"event_id": f"probe-{i}", "probe": True}, headers=headers, timeout=30)
                if i >= 3:  # the first ones open the connection
                    times.append(time.perf_counter() - started)
        return statistics.median(times) * 1e3


def processes_naming(paths: Iterable[Path | str]) -> list[int]:
    """Pids of processes whose command line has one of ``paths``, or a path under one, as an argument.

    A benchmark's work directory is its own: whatever names it was started by the
    benchmark's runs (e.g. a delivery process the plugin started for a spool there).
    """
    roots = [str(p).rstrip(os.sep) for p in paths]
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) == os.getpid():
            continue
        try:
            args = Path(f"/proc/{entry}/cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        texts = [a.decode(errors="replace") for a in args if a]
        if any(t == root or t.startswith(root + os.sep) for t in texts for root in roots):
            found.append(int(entry))
    return found


def stop_processes_naming(paths: Iterable[Path | str], timeout: float = 15.0) -> list[int]:
    """SIGTERM the processes :func:`processes_naming` finds, SIGKILL what is left at ``timeout``; their pids."""
    import signal

    pids = processes_naming(paths)
    for pid in pids:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    alive = list(pids)
    while alive and time.monotonic() < deadline:
        time.sleep(0.2)
        alive = [pid for pid in alive if _alive(pid)]
    for pid in alive:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, signal.SIGKILL)
    return pids


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


def secoda_conn(url: str) -> str:
    """An ``AIRFLOW_CONN_SECODA_DEFAULT`` value for a Secoda at ``url``."""
    return json.dumps(
        {"conn_type": "secoda", "host": url, "password": API_KEY, "extra": {"integration_id": INTEGRATION_ID}}
    )


def ol_transport(base: str, ca_path: str | None = None) -> str:
    """``[openlineage] transport``: its HTTP transport posting to the receiver (trusting ``ca_path``)."""
    transport: dict[str, Any] = {
        "type": "http",
        "url": base,
        "endpoint": OL_ENDPOINT,
        "auth": {"type": "api_key", "apiKey": API_KEY},
    }
    if ca_path:
        # openlineage-python's HttpConfig: sslContext.caCertPath becomes requests' ``verify``.
        transport["sslContext"] = {"caCertPath": ca_path}
    return json.dumps(transport)


def is_secoda(record: dict[str, Any]) -> bool:
    return isinstance(record.get("body"), dict) and "event_type" in record["body"]


def is_openlineage(record: dict[str, Any]) -> bool:
    return isinstance(record.get("body"), dict) and "eventType" in record["body"]


def event_key(record: dict[str, Any]) -> str | None:
    """What identifies an event: secoda-listener's event id; for OpenLineage (no id) its run, type and time."""
    if is_openlineage(record):
        body = record["body"]
        return f"ol:{(body.get('run') or {}).get('runId')}:{body.get('eventType')}:{body.get('eventTime')}"
    return record.get("event_id")


def duplicates(records: Iterable[dict[str, Any]]) -> dict[str, int]:
    """Events accepted (200) more than once: key -> times stored."""
    counts = collections.Counter(event_key(r) for r in records if r.get("status") == 200 and event_key(r))
    return {key: n for key, n in counts.items() if n > 1}


def med(values: Iterable[float | None]) -> float:
    vals = [v for v in values if v is not None]
    return statistics.median(vals) if vals else float("nan")


def ms(seconds: float | None) -> str:
    if seconds is None or seconds != seconds:  # None or NaN: nothing measured
        return "n/a"
    return f"{seconds * 1e3:,.1f} ms"


def network_label(latency: float, tls: bool) -> str:
    where = "loopback" if latency == 0 else f"{latency * 1e3:g} ms"
    return f"{where} over TLS" if tls else where
