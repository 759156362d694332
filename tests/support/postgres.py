"""A real Postgres server on loopback for the length of a test session.

Postgres refuses to run as root, so as root the server runs as the
``postgres`` user through ``runuser``; its data directory and socket live in a
temporary directory that user owns.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

import attrs


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _binary(name: str) -> str:
    found = shutil.which(name) or shutil.which(name, path="/usr/local/bin")
    if not found:
        for version_dir in sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True):
            if (version_dir / name).exists():
                return str(version_dir / name)
        raise RuntimeError(f"Postgres binary {name!r} not found (looked on PATH and /usr/lib/postgresql)")
    return found


@attrs.define
class LocalPostgres:
    root: Path
    port: int
    user: str = "postgres"
    password: str = "pg-test-secret"
    database: str = "shop"

    def _as_owner(self, *cmd: str) -> list[str]:
        return ["runuser", "-u", "postgres", "--", *cmd] if os.geteuid() == 0 else list(cmd)

    @classmethod
    def start(cls) -> "LocalPostgres":
        root = Path(tempfile.mkdtemp(prefix="secoda-pg-"))
        server = cls(root=root, port=_free_port())
        if os.geteuid() == 0:
            shutil.chown(root, "postgres", "postgres")
        pwfile = root / "pw"
        pwfile.write_text(server.password)
        if os.geteuid() == 0:
            shutil.chown(pwfile, "postgres", "postgres")
        data = root / "data"
        subprocess.run(
            server._as_owner(_binary("initdb"), "-D", str(data), "-U", server.user, "-A", "md5",
                             f"--pwfile={pwfile}"),
            check=True, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT,
        )
        options = f"-p {server.port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off"
        subprocess.run(
            server._as_owner(_binary("pg_ctl"), "-D", str(data), "-o", options, "-l", str(root / "log"),
                             "-w", "start"),
            check=True, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT,
        )
        server.psql("postgres", f"CREATE DATABASE {server.database}")
        return server

    def psql(self, database: str, sql: str) -> str:
        env = {**os.environ, "PGPASSWORD": self.password}
        proc = subprocess.run(
            ["psql", "-h", "127.0.0.1", "-p", str(self.port), "-U", self.user, "-d", database,
             "-v", "ON_ERROR_STOP=1", "-tAc", sql],
            env=env, check=True, capture_output=True, text=True,
        )
        return proc.stdout

    def connection_uri(self) -> str:
        return f"postgresql://{self.user}:{self.password}@127.0.0.1:{self.port}/{self.database}"

    def stop(self) -> None:
        subprocess.run(
            self._as_owner(_binary("pg_ctl"), "-D", str(self.root / "data"), "-m", "immediate", "stop"),
            stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT,
        )
        shutil.rmtree(self.root, ignore_errors=True)
