"""A local, Secoda-compatible HTTP server for tests, demos and benchmarks.

It answers the two endpoints the plugin talks to and the health check, stores
every request it handled as one JSON line (flushed per line, so another
process can follow the file live) and can be told to misbehave: answer a
status, send ``Retry-After``, answer slowly, or drop the connection. Faults are
a queue; each request to an API path consumes the head of it.

Two settings make loopback look like a real network to a SaaS API:

* ``latency`` (seconds, the round trip): every request except the ``/_control/``
  ones (the health check and unknown paths included) reaches its handler
  ``latency / 2`` after it was read and its answer leaves ``latency / 2`` after
  it was handled, so a client sees it answered ``latency`` after sending it.
  Each request waits on its own thread (the server is threading): concurrent
  requests overlap as over a network, nothing is serialized. Faults come on
  top of it (a ``delay`` fault is extra server time; the latency is the
  network). It can be changed while serving (``receiver.latency = x`` or
  ``POST /_control/latency {"latency": x}``).
* ``tls``: HTTPS with a certificate for 127.0.0.1 and localhost issued at
  start by a throwaway CA in a temporary directory (removed at stop);
  ``ca_path`` is the PEM a client must trust (``REQUESTS_CA_BUNDLE``). Needs
  the ``cryptography`` package, imported only then.

Each stored record has ``sent_at`` (when the request reached this process,
i.e. when the client sent it) and ``received_at`` (when it was handled and
stored, ``latency / 2`` later: when a real Secoda would have it).

It binds 127.0.0.1 only and never writes the API key anywhere: an
unauthorized request is stored with ``"authorized": false`` and without its
``Authorization`` header.
"""

from __future__ import annotations

import json
import logging
import re
import shutil
import socket
import ssl
import struct
import sys
import tempfile
import threading
import time
from collections.abc import Iterable, Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any

from secoda_listener.delivery.transport import EVENT_ID_HEADER

log = logging.getLogger(__name__)

API_PREFIX = "/api/v1/"
_INGEST_RE = re.compile(r"^/api/v1/integration/run_logs/(?P<integration_id>[^/]+)/ingest/?$")
_JOBS_RE = re.compile(r"^/api/v1/databuilder/jobs/?$")
CONTROL_PREFIX = "/_control/"
CONTROL_FAULTS = "/_control/faults"
CONTROL_LATENCY = "/_control/latency"

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
        self._fh = open(path, "a", encoding="utf-8", buffering=1)  # noqa: SIM115 - closed by close()
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


def _check_latency(value: Any) -> float:
    latency = float(value)
    if not latency >= 0:  # also refuses NaN
        raise ValueError(f"latency must be a number of seconds >= 0, not {value!r}")
    return latency


def _issue_certificate(directory: Path) -> tuple[Path, Path, Path]:
    """A throwaway CA and a server certificate it signed for 127.0.0.1 and localhost.

    Returns ``(ca.pem, server.pem, server.key)``. A separate CA (rather than one
    self-signed leaf) keeps the chain valid under strict X.509 checking.
    """
    import datetime
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    now = datetime.datetime.now(datetime.timezone.utc)
    not_before, not_after = now - datetime.timedelta(hours=1), now + datetime.timedelta(days=2)

    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "secoda-listener test receiver CA")])
    ca_ski = x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key())
    ca_cert = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                key_cert_sign=True,
                crl_sign=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(ca_ski, critical=False)
        .sign(ca_key, hashes.SHA256())
    )

    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName("localhost")]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                key_cert_sign=False,
                crl_sign=False,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ca_ski), critical=False)
        .sign(ca_key, hashes.SHA256())
    )

    pem = serialization.Encoding.PEM
    ca_path, cert_path, key_path = directory / "ca.pem", directory / "server.pem", directory / "server.key"
    ca_path.write_bytes(ca_cert.public_bytes(pem))
    cert_path.write_bytes(cert.public_bytes(pem) + ca_cert.public_bytes(pem))
    key_path.write_bytes(key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    key_path.chmod(0o600)
    return ca_path, cert_path, key_path


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    # Fail fast on a port clash instead of fighting another test's server.
    allow_reuse_address = False

    def __init__(
        self,
        port: int,
        store: _Store,
        api_key: str | None,
        faults: _FaultQueue,
        latency: float = 0.0,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        self.store = store
        self.api_key = api_key
        self.faults = faults
        self.latency = latency
        self.ssl_context = ssl_context
        self.stopping = threading.Event()
        self.attempts = 0
        self.attempts_lock = threading.Lock()
        super().__init__(("127.0.0.1", port), _Handler)

    def get_request(self) -> tuple[socket.socket, Any]:
        sock, address = super().get_request()
        if self.ssl_context is not None:
            # The handshake runs on the request's own thread (_Handler.setup),
            # never on the accepting one: a slow or refusing client blocks nothing.
            sock = self.ssl_context.wrap_socket(sock, server_side=True, do_handshake_on_connect=False)
        return sock, address

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that gave up (timeout) before a delayed answer is expected
        # in fault tests, and so is one refusing our certificate: not worth a
        # traceback on stderr.
        if isinstance(sys.exc_info()[1], (ConnectionError, ssl.SSLError, TimeoutError)):
            log.debug("receiver: client %s went away: %s", client_address, sys.exc_info()[1])
            return
        super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"  # keep-alive, so clients can reuse connections
    # Headers and body go out in separate sends: without TCP_NODELAY, Nagle
    # plus delayed ACKs add ~40 ms per request (see design.md).
    disable_nagle_algorithm = True

    def setup(self) -> None:
        super().setup()  # TCP_NODELAY is set here, before any TLS record is sent
        if isinstance(self.connection, ssl.SSLSocket):
            self.connection.do_handshake()

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("receiver: " + format, *args)

    # --- plumbing -----------------------------------------------------------

    def _travel(self) -> bool:
        """One way of the simulated network round trip (``latency / 2``); False when stopping."""
        if self.path.startswith(CONTROL_PREFIX):
            return True
        half = self.server.latency / 2
        # An Event, not time.sleep: shutting the server down cuts the wait short.
        return half <= 0 or not self.server.stopping.wait(half)

    def _arrive(self) -> bool:
        """Note when the request was sent and let it travel to the handler; False: drop it."""
        self.sent_at = time.time()
        if self._travel():
            return True
        self.close_connection = True  # the server is stopping: the request never arrives
        return False

    def _read_body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    def _answer(self, status: int, payload: Any, headers: Mapping[str, str] | None = None) -> None:
        data = json.dumps(payload).encode()
        self._travel()  # the answer's way back
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
        if not self._arrive():
            return
        if self.path.rstrip("/") == "/healthcheck":
            self._answer(200, {"status": "OK"})
        elif self.path == CONTROL_FAULTS:
            self._answer(200, self.server.faults.snapshot())
        elif self.path == CONTROL_LATENCY:
            self._answer(200, {"latency": self.server.latency})
        else:
            self._answer(404, {"detail": "not found"})

    def do_DELETE(self) -> None:
        if not self._arrive():
            return
        if self.path == CONTROL_FAULTS:
            self.server.faults.clear()
            self._answer(200, [])
        else:
            self._answer(404, {"detail": "not found"})

    def do_POST(self) -> None:
        raw = self._read_body()
        if not self._arrive():
            return
        if self.path == CONTROL_FAULTS:
            self._control(raw)
            return
        if self.path == CONTROL_LATENCY:
            self._set_latency(raw)
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

    def _set_latency(self, raw: bytes) -> None:
        try:
            self.server.latency = _check_latency(json.loads(raw or b"null")["latency"])
        except (ValueError, TypeError, KeyError) as exc:
            self._answer(400, {"detail": f'expected {{"latency": seconds}}: {exc}'})
            return
        self._answer(200, {"latency": self.server.latency})

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
            "sent_at": self.sent_at,
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

    ``latency``: seconds of simulated network round trip per request (see the
    module docstring). ``tls``: serve HTTPS; clients trust ``ca_path``.
    """

    def __init__(
        self,
        store: Path,
        api_key: str | None = None,
        port: int = 0,
        faults: Iterable[Mapping[str, Any]] = (),
        latency: float = 0.0,
        tls: bool = False,
    ) -> None:
        self.store_path = Path(store)
        self._faults = _FaultQueue()
        for fault in faults:
            self._faults.add(fault)
        latency = _check_latency(latency)
        self._tls_dir: Path | None = None
        self.ca_path: Path | None = None
        context = None
        if tls:
            self._tls_dir = Path(tempfile.mkdtemp(prefix="secoda-receiver-tls-"))
            try:
                self.ca_path, cert_path, key_path = _issue_certificate(self._tls_dir)
                context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
                context.load_cert_chain(cert_path, key_path)
            except BaseException:
                shutil.rmtree(self._tls_dir, ignore_errors=True)
                raise
        self._store = _Store(self.store_path)
        try:
            self._server = _Server(port, self._store, api_key, self._faults, latency, context)
        except BaseException:
            self._store.close()
            if self._tls_dir is not None:
                shutil.rmtree(self._tls_dir, ignore_errors=True)
            raise
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    @property
    def tls(self) -> bool:
        return self._server.ssl_context is not None

    @property
    def base(self) -> str:
        """``http://127.0.0.1:PORT`` (``https://`` with ``tls``; no path)."""
        return f"{'https' if self.tls else 'http'}://127.0.0.1:{self.port}"

    @property
    def latency(self) -> float:
        """Seconds of simulated round trip per request; settable while serving."""
        return self._server.latency

    @latency.setter
    def latency(self, value: float) -> None:
        self._server.latency = _check_latency(value)

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

    def start(self) -> Receiver:
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"secoda-receiver-{self.port}",
            daemon=True,
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
        if self._tls_dir is not None:
            shutil.rmtree(self._tls_dir, ignore_errors=True)
            self._tls_dir = None

    def __enter__(self) -> Receiver:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
