"""A local, Secoda-compatible HTTP server for tests, demos and benchmarks.

It answers the two endpoints the plugin talks to and the health check, stores
every request it handled as one JSON line (flushed per line, so another
process can follow the file live) and can be told to misbehave: answer a
status, send ``Retry-After``, answer slowly, or drop the connection. Faults are
a queue; each request to an API path consumes the head of it.

It binds 127.0.0.1 only and never writes the API key anywhere: an
unauthorized request is stored with ``"authorized": false`` and without its
``Authorization`` header.
"""

from __future__ import annotations

import json
import logging
import re
import socket
import struct
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any, Iterable, Mapping

from secoda_listener.delivery.transport import EVENT_ID_HEADER

log = logging.getLogger(__name__)

API_PREFIX = "/api/v1/"
_INGEST_RE = re.compile(r"^/api/v1/integration/run_logs/(?P<integration_id>[^/]+)/ingest/?$")
_JOBS_RE = re.compile(r"^/api/v1/databuilder/jobs/?$")
CONTROL_FAULTS = "/_control/faults"

_FAULT_KEYS = frozenset({"status", "retry_after", "delay", "reset", "times", "body"})


def normalize_fault(fault: Mapping[str, Any]) -> dict[str, Any]:
    """Validate a fault description; raise ``ValueError`` on anything unknown."""
    unknown = set(fault) - _FAULT_KEYS
    if unknown:
        raise ValueError(f"unknown fault keys: {sorted(unknown)}")
    out = dict(fault)
    out["times"] = int(out.get("times", 1))
    if out["times"] < 1:
        raise ValueError("fault 'times' must be >= 1")
    if "status" in out:
        out["status"] = int(out["status"])
    if "delay" in out:
        out["delay"] = float(out["delay"])
    if not ({"status", "delay", "reset"} & set(out)):
        raise ValueError("a fault needs 'status', 'delay' or 'reset'")
    return out


class _FaultQueue:
    """Thread-safe queue of faults; each API request consumes one use of the head."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: list[dict[str, Any]] = []

    def add(self, fault: Mapping[str, Any]) -> None:
        normalized = normalize_fault(fault)
        with self._lock:
            self._faults.append(normalized)

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()

    def snapshot(self) -> list[dict[str, Any]]:
        with self._lock:
            return [dict(f) for f in self._faults]

    def take(self) -> dict[str, Any] | None:
        with self._lock:
            if not self._faults:
                return None
            head = self._faults[0]
            head["times"] -= 1
            if head["times"] <= 0:
                self._faults.pop(0)
            return dict(head)


class _Store:
    """Append-only JSON-lines file, one line per handled request."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        # Line-buffered text file: every record is on disk (in the page cache)
        # as soon as it is written, so a reader in another process sees it.
        self._fh = open(path, "a", encoding="utf-8", buffering=1)
        self.closed = False

    def append(self, record: Mapping[str, Any]) -> None:
        line = json.dumps(record, separators=(",", ":"), sort_keys=True) + "\n"
        with self._lock:
            if self.closed:
                return  # a slow handler finishing after shutdown
            self._fh.write(line)
            self._fh.flush()

    def close(self) -> None:
        with self._lock:
            self.closed = True
            self._fh.close()


def read_store(path: Path) -> list[dict[str, Any]]:
    """Every record of a store file; a torn last line (still being written) is skipped."""
    records: list[dict[str, Any]] = []
    try:
        with open(path, encoding="utf-8") as fh:
            for line in fh:
                if not line.endswith("\n"):
                    break
                records.append(json.loads(line))
    except FileNotFoundError:
        pass
    return records


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    # Fail fast on a port clash instead of fighting another test's server.
    allow_reuse_address = False

    def __init__(self, port: int, store: _Store, api_key: str | None, faults: _FaultQueue) -> None:
        self.store = store
        self.api_key = api_key
        self.faults = faults
        self.stopping = threading.Event()
        self.attempts = 0
        self.attempts_lock = threading.Lock()
        super().__init__(("127.0.0.1", port), _Handler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that gave up (timeout) before a delayed answer is expected
        # in fault tests: not worth a traceback on stderr.
        if isinstance(sys.exc_info()[1], ConnectionError):
            log.debug("receiver: client %s went away", client_address)
            return
        super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"  # keep-alive, so clients can reuse connections
    # Headers and body go out in separate sends: without TCP_NODELAY, Nagle
    # plus delayed ACKs add ~40 ms per request (see design.md).
    disable_nagle_algorithm = True

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        log.debug("receiver: " + format, *args)

    # --- plumbing -----------------------------------------------------------

    def _read_body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    def _answer(self, status: int, payload: Any, headers: Mapping[str, str] | None = None) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def _reset(self) -> None:
        # SO_LINGER with a zero timeout makes close() send an RST: the client
        # sees "connection reset by peer", not a clean EOF.
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.close_connection = True
        self.connection.close()

    # --- routes -------------------------------------------------------------

    def do_GET(self) -> None:
        if self.path.rstrip("/") == "/healthcheck":
            self._answer(200, {"status": "OK"})
        elif self.path == CONTROL_FAULTS:
            self._answer(200, self.server.faults.snapshot())
        else:
            self._answer(404, {"detail": "not found"})

    def do_DELETE(self) -> None:
        if self.path == CONTROL_FAULTS:
            self.server.faults.clear()
            self._answer(200, [])
        else:
            self._answer(404, {"detail": "not found"})

    def do_POST(self) -> None:
        raw = self._read_body()
        if self.path == CONTROL_FAULTS:
            self._control(raw)
            return
        ingest = _INGEST_RE.match(self.path)
        if not ingest and not _JOBS_RE.match(self.path):
            self._answer(404, {"detail": "not found"})
            return
        with self.server.attempts_lock:
            self.server.attempts += 1
        fault = self.server.faults.take()
        if fault is not None and self._apply_fault(fault):
            return
        self._accept(raw, ingest.group("integration_id") if ingest else None)

    def _control(self, raw: bytes) -> None:
        try:
            payload = json.loads(raw or b"null")
            for fault in payload if isinstance(payload, list) else [payload]:
                self.server.faults.add(fault)
        except (ValueError, TypeError, AttributeError) as exc:
            self._answer(400, {"detail": str(exc)})
            return
        self._answer(200, self.server.faults.snapshot())

    def _apply_fault(self, fault: Mapping[str, Any]) -> bool:
        """Play ``fault``; True when the request has been answered (or dropped)."""
        if fault.get("delay"):
            # An Event, not time.sleep: shutting the server down cuts delays short.
            self.server.stopping.wait(fault["delay"])
        if fault.get("reset"):
            self._reset()
            return True
        if "status" in fault:
            headers = {}
            if fault.get("retry_after") is not None:
                headers["Retry-After"] = str(fault["retry_after"])
            self._answer(fault["status"], fault.get("body", {"detail": "injected fault"}), headers)
            return True
        return False

    def _accept(self, raw: bytes, integration_id: str | None) -> None:
        record: dict[str, Any] = {
            "received_at": time.time(),
            "path": self.path,
            "integration_id": integration_id,
            "event_id": self.headers.get(EVENT_ID_HEADER),
        }
        try:
            record["body"] = json.loads(raw)
        except ValueError:
            # Keep the evidence (a corrupt event must be visible), refuse it.
            record.update(body=raw.decode("utf-8", "replace"), status=400, authorized=None)
            self.server.store.append(record)
            self._answer(400, {"detail": "body is not JSON"})
            return
        if isinstance(record["body"], dict) and record["event_id"] is None:
            record["event_id"] = record["body"].get("event_id")
        expected = self.server.api_key
        authorized = expected is None or self.headers.get("Authorization") == f"Bearer {expected}"
        record["authorized"] = authorized
        record["status"] = 200 if authorized else 401
        self.server.store.append(record)
        if not authorized:
            self._answer(401, {"detail": "Invalid token."})
        elif integration_id is None:
            self._answer(200, {"id": f"job-{int(record['received_at'] * 1000)}", "status": "queued"})
        else:
            self._answer(200, {"status": "ok"})


class Receiver:
    """The server running in a background thread; use as a context manager.

    >>> with Receiver(tmp_path / "store.jsonl", api_key="k") as rx:
    ...     requests.get(rx.base + "/healthcheck")
    """

    def __init__(
        self,
        store: Path,
        api_key: str | None = None,
        port: int = 0,
        faults: Iterable[Mapping[str, Any]] = (),
    ) -> None:
        self.store_path = Path(store)
        self._faults = _FaultQueue()
        for fault in faults:
            self._faults.add(fault)
        self._store = _Store(self.store_path)
        self._server = _Server(port, self._store, api_key, self._faults)
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    @property
    def base(self) -> str:
        """``http://127.0.0.1:PORT`` (no path)."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def url(self) -> str:
        """The API base URL a Secoda connection's host would hold."""
        return self.base + API_PREFIX

    @property
    def attempts(self) -> int:
        """API requests seen, faulted or not."""
        return self._server.attempts

    def add_fault(self, fault: Mapping[str, Any] | None = None, **kwargs: Any) -> None:
        """Queue a fault: ``add_fault(status=503, times=5)`` or ``add_fault({...})``."""
        self._faults.add({**(fault or {}), **kwargs})

    def clear_faults(self) -> None:
        self._faults.clear()

    def pending_faults(self) -> list[dict[str, Any]]:
        return self._faults.snapshot()

    def received(self) -> list[dict[str, Any]]:
        """Every stored record (including 401/400 ones; see their ``status``)."""
        return read_store(self.store_path)

    def start(self) -> "Receiver":
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
            name=f"secoda-receiver-{self.port}", daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.stopping.set()
        if self._thread is not None:
            self._server.shutdown()
            self._thread.join(timeout=5)
            self._thread = None
        self._server.server_close()
        self._store.close()

    def __enter__(self) -> "Receiver":
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
