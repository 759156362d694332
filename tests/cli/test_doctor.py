"""``secoda-listener doctor`` as a person runs it: a real subprocess, env-var connections,
a throwaway AIRFLOW_HOME, and a Receiver standing in for Secoda."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from secoda_listener.delivery.record import Route, SpoolRecord
from secoda_listener.delivery.spool import Spool
from secoda_listener.testing.receiver import Receiver

REPO = Path(__file__).resolve().parents[2]
KEY = "sk-doctor-secret-31337"


@pytest.fixture
def rx(tmp_path: Path):
    with Receiver(tmp_path / "store.jsonl", api_key=KEY) as receiver:
        yield receiver


def connection(host: str | None, password: str | None = KEY, integration_id: str | None = "it-9") -> str:
    conn: dict = {"conn_type": "secoda"}
    if host is not None:
        conn["host"] = host
    if password is not None:
        conn["password"] = password
    if integration_id is not None:
        conn["extra"] = {"integration_id": integration_id}
    return json.dumps(conn)


def doctor(tmp_path: Path, *args: str, **env_vars: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW")}
    env.update(
        PYTHONPATH=str(REPO),
        AIRFLOW_HOME=str(tmp_path / "airflow_home"),
        AIRFLOW__SECODA__SPOOL_DIR=str(tmp_path / "spool"),
    )
    env.update(env_vars)
    return subprocess.run(
        [sys.executable, "-m", "secoda_listener", "doctor", *args], capture_output=True, text=True, env=env, timeout=120
    )


def problems(output: str) -> list[str]:
    return [line.strip() for line in output.splitlines() if line.strip().startswith("PROBLEM")]


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_healthy_setup_exits_0_and_never_shows_the_key(tmp_path: Path, rx: Receiver) -> None:
    Spool(tmp_path / "spool")  # as the plugin makes it: 0700
    result = doctor(tmp_path, AIRFLOW_CONN_SECODA_DEFAULT=connection(rx.url))
    out = result.stdout
    assert result.returncode == 0, out + result.stderr
    assert problems(out) == [] and out.rstrip().endswith("no problems found")
    assert "enabled = True" in out and "trigger_min_interval = 600" in out  # effective [secoda] values
    assert "registered with Airflow as entry point airflow.plugins:" in out
    assert f"API key present: *** ({len(KEY)} characters)" in out
    assert "integration id it-9" in out
    assert f"GET {rx.base}/healthcheck -> HTTP 200" in out
    assert "key not verified" in out
    assert "mode 0700" in out and "writable (probe file created and removed)" in out
    assert "built-in: secoda_listener.extractors.bash:BashExtractor" in out
    assert KEY not in out + result.stderr
    # Nothing was sent to the API, and the probe is gone.
    assert rx.received() == [] and rx.attempts == 0
    assert sorted(p.name for p in (tmp_path / "spool").iterdir()) == ["cur", "failed", "new", "tmp"]


def test_json_output_and_another_connection(tmp_path: Path, rx: Receiver) -> None:
    result = doctor(
        tmp_path,
        "--conn-id",
        "secoda_eu",
        "--json",
        AIRFLOW_CONN_SECODA_EU=connection(rx.url, integration_id="it-eu"),
        AIRFLOW__SECODA__TRIGGER_EXTRACTION="after_dag_run",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    report = json.loads(result.stdout)
    assert report["problems"] == 0
    titles = [section["title"] for section in report["sections"]]
    assert "connection 'secoda_eu'" in titles and "extraction trigger" in titles
    trigger = next(s for s in report["sections"] if s["title"] == "extraction trigger")
    assert "last request: never" in trigger["findings"][0]["text"]
    # The spool does not exist yet: fine, it will be created, and doctor did not create it.
    assert not (tmp_path / "spool").exists()
    assert KEY not in result.stdout


def test_missing_connection(tmp_path: Path) -> None:
    result = doctor(tmp_path)
    assert result.returncode == 1
    [problem] = problems(result.stdout)
    assert "'secoda_default' was not found" in problem
    assert "fix: create it with: airflow connections add secoda_default --conn-type secoda" in result.stdout


def test_connection_without_key_or_integration_id(tmp_path: Path, rx: Receiver) -> None:
    result = doctor(tmp_path, AIRFLOW_CONN_SECODA_DEFAULT=connection(rx.url, password=None, integration_id=None))
    assert result.returncode == 1
    found = problems(result.stdout)
    assert any("no API key" in p for p in found) and any("no integration id" in p for p in found)
    assert "fix: put the Secoda API key in the connection's password field" in result.stdout


def test_plain_http_to_a_remote_host_is_refused_without_contacting_it(tmp_path: Path) -> None:
    result = doctor(tmp_path, AIRFLOW_CONN_SECODA_DEFAULT=connection("http://secoda.example.invalid/api/v1/"))
    assert result.returncode == 1
    assert any("refusing plain http:// to secoda.example.invalid" in p for p in problems(result.stdout))
    assert "fix: use https://" in result.stdout
    assert "Secoda reachable" not in result.stdout


def test_unreachable_host_and_key_with_whitespace(tmp_path: Path) -> None:
    port = closed_port()
    result = doctor(
        tmp_path,
        "--timeout",
        "2",
        AIRFLOW_CONN_SECODA_DEFAULT=connection(f"http://127.0.0.1:{port}/api/v1/", password=KEY + "\n"),
    )
    assert result.returncode == 1
    found = problems(result.stdout)
    assert any(
        f"GET http://127.0.0.1:{port}/healthcheck: ConnectionError" in p
        and f"GET http://127.0.0.1:{port}/api/v1/healthcheck: ConnectionError" in p
        for p in found
    ), found
    assert any("whitespace" in p for p in found)
    assert KEY not in result.stdout


def test_health_check_under_the_api_base_is_tried_too(tmp_path: Path) -> None:
    """A host that only answers /api/v1/healthcheck (a proxy in front of the API, say)."""
    import http.server
    import threading

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            ok = self.path == "/api/v1/healthcheck"
            body = b'{"status": "OK"}' if ok else b"{}"
            self.send_response(200 if ok else 404)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/api/v1/"
        result = doctor(tmp_path, AIRFLOW_CONN_SECODA_DEFAULT=connection(url))
    finally:
        server.shutdown()
        server.server_close()
    assert result.returncode == 0, result.stdout
    assert f"GET {url}healthcheck -> HTTP 200" in result.stdout


def test_config_extractor_spool_and_refused_key_problems_each_with_a_fix(tmp_path: Path, rx: Receiver) -> None:
    spool = Spool(tmp_path / "spool", fsync=False)
    spool.directory.chmod(0o755)
    # An event Secoda refused with 401 earlier, as the sender files it.
    spool.write(SpoolRecord(event_id="ev-1", conn_id="secoda_default", route=Route.INGEST, body={"x": 1}))
    [claim] = spool.claim(1)
    spool.fail(claim, "http-401", "POST ... -> HTTP 401: Invalid token.")
    result = doctor(
        tmp_path,
        AIRFLOW_CONN_SECODA_DEFAULT=connection(rx.url),
        AIRFLOW__SECODA__FLUSH_TIMEOUT="soon",
        AIRFLOW__SECODA__TRIGGER_EXTRACTION="always",
        AIRFLOW__SECODA__EXTRACTORS="no_such_module_xyz:Extractor",
    )
    out = result.stdout
    assert result.returncode == 1
    found = problems(out)
    assert any("flush_timeout = 'soon' is invalid; '2.0' is used instead" in p for p in found), found
    assert any("trigger_extraction = 'always' is invalid" in p for p in found), found
    assert "fix: set [secoda] flush_timeout (or AIRFLOW__SECODA__FLUSH_TIMEOUT) to a valid float" in out
    assert any("no_such_module_xyz:Extractor" in p and "ModuleNotFoundError" in p for p in found), found
    assert any("mode 0755" in p for p in found) and f"fix: chmod 700 {spool.directory}" in out
    assert any("Secoda refused the key earlier: 1 x HTTP-401" in p for p in found), found
    assert "secoda-listener flush --retry-failed" in out
    # Every problem line is followed by its fix.
    lines = out.splitlines()
    for index, line in enumerate(lines):
        if line.strip().startswith("PROBLEM"):
            assert lines[index + 1].strip().startswith("fix: "), line
    assert len(found) == 5


def test_a_spool_path_that_is_a_file(tmp_path: Path, rx: Receiver) -> None:
    (tmp_path / "spool").write_text("not a directory")
    result = doctor(tmp_path, AIRFLOW_CONN_SECODA_DEFAULT=connection(rx.url))
    assert result.returncode == 1
    assert any("exists but is not a directory" in p for p in problems(result.stdout))


def test_dags_still_wired_to_secoda_airflow_are_named(tmp_path: Path, rx: Receiver) -> None:
    import shutil

    dags = tmp_path / "dags"
    (dags / "team").mkdir(parents=True)
    shutil.copy(REPO / "tests" / "dags" / "callbacks_secoda.py", dags / "team" / "callbacks_secoda.py")
    shutil.copy(REPO / "tests" / "dags" / "metadata_dag.py", dags / "metadata_dag.py")
    Spool(tmp_path / "spool")
    result = doctor(tmp_path, AIRFLOW_CONN_SECODA_DEFAULT=connection(rx.url), AIRFLOW__CORE__DAGS_FOLDER=str(dags))
    out = result.stdout
    # A note, not a problem: those runs still reach Secoda, through the callbacks.
    assert result.returncode == 0, out + result.stderr
    lines = out.splitlines()
    start = lines.index("secoda-airflow callbacks (the callback provider this plugin replaces)")
    assert lines[start + 1 : start + 6] == [
        "  note     DAG callbacks_secoda (team/callbacks_secoda.py) still has secoda-airflow callbacks "
        "(DAG on_success_callback; DAG on_failure_callback; task with_callbacks: on_success_callback, "
        "on_failure_callback): the plugin leaves what they cover to them, without lineage",
        "             fix: remove secoda_airflow.callbacks' task_callbacks / dag_callbacks from the DAG and its "
        "default_args; keep the secoda connection",
        "  note     secoda-airflow 0.0.30 is installed: it registers the `secoda` connection type too, so Airflow "
        "warns of the duplicate and its form is shown; the connection itself serves both",
        "             fix: once no DAG uses its callbacks, uninstall secoda-airflow",
        "",
    ]
    assert "metadata_dag" not in "\n".join(lines[start:])


def test_no_dag_wired_to_secoda_airflow(tmp_path: Path, rx: Receiver) -> None:
    import shutil

    dags = tmp_path / "dags"
    dags.mkdir()
    shutil.copy(REPO / "tests" / "dags" / "metadata_dag.py", dags / "metadata_dag.py")
    result = doctor(tmp_path, AIRFLOW_CONN_SECODA_DEFAULT=connection(rx.url), AIRFLOW__CORE__DAGS_FOLDER=str(dags))
    assert f"  ok       no DAG of 1 in {dags} has secoda-airflow callbacks" in result.stdout.splitlines()
