"""Airflow's public REST API on loopback, with a user, for the backfill tests.

Airflow 3: ``airflow api-server`` with the simple auth manager, one user from
``[core] simple_auth_manager_users`` whose password is in the file
``[core] simple_auth_manager_passwords_file`` (written here, as Airflow would
generate it). Airflow 2.10: ``airflow webserver`` with the basic-auth backend in
``[api] auth_backends`` (as Secoda's API method asks users to set) and a user
from ``airflow users create``. The metadata database is the home's (SQLite is
enough: the API only reads what ``airflow dags test`` wrote).

``api_enabled=False`` starts the same server with the REST API unusable for a
username and password: Airflow 3's API server with only its execution app,
Airflow 2's webserver with the session backend alone (Airflow's own default).
"""

from __future__ import annotations

import json
import secrets
import urllib.error
import urllib.request
from collections.abc import Mapping
from pathlib import Path

import attrs

from tests.support.airflow_home import BIN, AirflowHome, airflow_major
from tests.support.airflow_services import Service, free_port, wait_for

USERNAME = "backfiller"
A2_BASIC_AUTH_BACKENDS = "airflow.api.auth.backend.basic_auth,airflow.api.auth.backend.session"


def api_env(home: AirflowHome, password_file: Path) -> dict[str, str]:
    """The settings the API server and the CLI commands of the test share."""
    env = {
        "AIRFLOW__API__SECRET_KEY": secrets.token_hex(16),
        "AIRFLOW__WEBSERVER__SECRET_KEY": secrets.token_hex(16),
        "AIRFLOW__API_AUTH__JWT_SECRET": secrets.token_hex(32),
    }
    if airflow_major() >= 3:
        env.update(
            {
                "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": f"{USERNAME}:admin",
                "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(password_file),
            }
        )
    return env


@attrs.define
class AirflowApi:
    """A running API server (Airflow 3) or webserver (Airflow 2) and its user."""

    home: AirflowHome
    env: dict[str, str]
    password: str
    port: int
    service: Service
    username: str = USERNAME

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @classmethod
    def start(
        cls, home: AirflowHome, env: Mapping[str, str], logs_dir: Path, *, api_enabled: bool = True, password: str = ""
    ) -> AirflowApi:
        port = free_port()
        password = password or f"pw-{secrets.token_hex(8)}"
        own = dict(env)
        airflow = str(BIN / "airflow")
        if airflow_major() >= 3:
            Path(own["AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE"]).write_text(json.dumps({USERNAME: password}))
            argv = [airflow, "api-server", "--host", "127.0.0.1", "--port", str(port), "--workers", "1"]
            if not api_enabled:
                argv += ["--apps", "execution"]
            own["AIRFLOW__API__BASE_URL"] = f"http://127.0.0.1:{port}"
            probe = "/execution/health" if not api_enabled else "/api/v2/version"
        else:
            if not home.airflow("users", "list", extra_env=own).output.count(USERNAME):
                created = home.airflow(
                    "users", "create", "-u", USERNAME, "-p", password, "-r", "Admin",
                    "-f", "Back", "-l", "Filler", "-e", "backfiller@example.com", extra_env=own,
                )  # fmt: skip
                if created.returncode != 0:
                    raise RuntimeError(f"airflow users create failed:\n{created.output[-3000:]}")
            own["AIRFLOW__API__AUTH_BACKENDS"] = (
                A2_BASIC_AUTH_BACKENDS if api_enabled else "airflow.api.auth.backend.session"
            )
            own["AIRFLOW__WEBSERVER__WORKERS"] = "1"
            own["AIRFLOW__WEBSERVER__BASE_URL"] = f"http://127.0.0.1:{port}"
            argv = [airflow, "webserver", "--hostname", "127.0.0.1", "--port", str(port), "--workers", "1"]
            # A pid file of its own: a second webserver of this home (the disabled-API one) stops at the first one's.
            argv += ["--pid", str(logs_dir / f"webserver-{port}.pid")]
            probe = "/api/v1/version"
        logs_dir.mkdir(parents=True, exist_ok=True)
        name = f"api-{port}"
        service = Service(name, argv, logs_dir / f"{name}.log").start(home.env(own), home.path)
        api = cls(home=home, env=own, password=password, port=port, service=service)

        def up() -> bool:
            if not service.alive():
                raise RuntimeError(f"the Airflow API server exited:\n{service.tail()}")
            try:
                with urllib.request.urlopen(f"{api.url}{probe}", timeout=2) as response:
                    return bool(response.status == 200)
            except (urllib.error.URLError, OSError):
                return False

        wait_for("the Airflow API to answer", up, timeout=150, interval=0.5, explain=service.tail)
        return api

    def token(self) -> str:
        """A JWT from Airflow 3's ``/auth/token``, as a person or a script gets one."""
        request = urllib.request.Request(
            f"{self.url}/auth/token",
            data=json.dumps({"username": self.username, "password": self.password}).encode(),
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            return str(json.loads(response.read())["access_token"])

    def stop(self) -> None:
        self.service.stop()
