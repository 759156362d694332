"""A small stand-in of Airflow's REST API over real HTTP, for the fast backfill tests.

The JSON is what Airflow 3.3.2's ``/api/v2`` and Airflow 2.10.5's ``/api/v1``
answered for tests/dags/backfill_history.py (trimmed to the keys backfill reads,
plus a few it must ignore); the end-to-end test (tests/e2e/test_backfill_e2e.py)
runs against the real servers. Paging (``limit``/``offset``, ``total_entries``),
both authentication schemes and the answers to bad credentials are Airflow's.
"""

from __future__ import annotations

import base64
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

RUN_ID = "manual__2026-12-01T23:40:15.088736+00:00"
DAG_ID = "backfill_history"


def _ti(task_id: str, state: str, try_number: int, operator: str, rendered: dict[str, Any], **extra: Any) -> dict:
    return {
        "id": f"id-{task_id}",
        "task_id": task_id,
        "dag_id": DAG_ID,
        "dag_run_id": RUN_ID,
        "map_index": -1,
        "logical_date": "2024-01-01T00:00:00Z",
        "start_date": "2026-12-01T23:40:24.644585Z",
        "end_date": "2026-12-01T23:40:24.822497Z",
        "state": state,
        "try_number": try_number,
        "max_tries": extra.pop("max_tries", 0),
        "hostname": "vm",
        "unixname": "root",
        "pool": "default_pool",
        "operator": operator,
        "operator_name": operator,
        "rendered_fields": rendered,
        **extra,
    }


BASH = "psql -h 127.0.0.1 -p 5999 -d shop -c 'INSERT INTO public.orders_copy SELECT * FROM public.orders'"
SQL = "INSERT INTO mart_orders SELECT id FROM raw_orders"

TASK_INSTANCES = [
    _ti("export_orders", "success", 1, "BashOperator", {"bash_command": BASH, "env": None, "cwd": None}),
    _ti(
        "load_mart",
        "success",
        1,
        "SQLExecuteQueryOperator",
        {"sql": SQL, "parameters": None, "conn_id": "backfill_pg", "database": None, "hook_params": {}},
    ),
    _ti("flaky", "failed", 2, "PythonOperator", {"op_args": [], "op_kwargs": {}, "templates_dict": None}, max_tries=1),
    _ti("skip_me", "skipped", 0, "PythonOperator", {}),
]
TRIES = {
    "flaky": [
        {**TASK_INSTANCES[2], "try_number": 1, "state": "failed", "rendered_fields": None},
        {**TASK_INSTANCES[2]},
    ]
}
TASKS = [
    {
        "task_id": "export_orders",
        "owner": "data-eng",
        "doc_md": None,
        "class_ref": {"module_path": "airflow.providers.standard.operators.bash", "class_name": "BashOperator"},
    },
    {
        "task_id": "load_mart",
        "owner": "data-eng",
        "doc_md": "Copies raw orders into the mart.",
        "class_ref": {
            "module_path": "airflow.providers.common.sql.operators.sql",
            "class_name": "SQLExecuteQueryOperator",
        },
    },
    {
        "task_id": "flaky",
        "owner": "data-eng",
        "doc_md": None,
        "class_ref": {"module_path": "airflow.providers.standard.operators.python", "class_name": "PythonOperator"},
    },
]
DETAILS = {
    "dag_id": DAG_ID,
    "relative_fileloc": "backfill_history.py",
    "fileloc": "/dags/backfill_history.py",
    "description": "A run with a Bash task, a SQL task and a retried failure",
    "timetable_summary": None,
    "tags": [{"name": "e2e", "dag_id": DAG_ID}, {"name": "backfill", "dag_id": DAG_ID}],
    "max_active_tasks": 16,
    "max_active_runs": 16,
    "owners": ["data-eng"],
    "catchup": False,
    "start_date": "2024-01-01T00:00:00Z",
    "end_date": None,
    "is_paused_upon_creation": None,
}
RUN = {
    "dag_run_id": RUN_ID,
    "dag_id": DAG_ID,
    "logical_date": "2024-01-01T00:00:00Z",
    "start_date": "2024-01-01T00:00:00Z",
    "end_date": "2026-12-01T23:40:25.351240Z",
    "run_type": "manual",
    "state": "failed",
}
CONNECTION = {
    "connection_id": "backfill_pg",
    "conn_type": "postgres",
    "host": "127.0.0.1",
    "login": "u",
    "schema": "shop",
    "port": 5999,
    "password": "***",
    "extra": None,
}


class FakeAirflow:
    """``major`` 3: ``/api/v2`` + ``/auth/token``; 2: ``/api/v1`` with basic auth."""

    def __init__(self, major: int = 3, username: str = "user", password: str = "s3cret-pw", dags: int = 1) -> None:
        self.major = major
        self.username = username
        self.password = password
        self.tokens: set[str] = set()
        self.requests: list[tuple[str, str, dict[str, list[str]], str]] = []  # method, path, query, authorization
        self.dags = [DAG_ID] + [f"other_{i}" for i in range(dags - 1)]
        self.runs_params: list[dict[str, list[str]]] = []
        server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        server.daemon_threads = True
        self.server = server
        self.thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self) -> FakeAirflow:
        self.thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.server.shutdown()
        self.server.server_close()

    # --- answers -----------------------------------------------------------------------------

    def authorized(self, header: str) -> bool:
        if header.startswith("Bearer "):
            return header[7:] in self.tokens
        if self.major < 3 and header.startswith("Basic "):
            user, _, password = base64.b64decode(header[6:]).decode().partition(":")
            return (user, password) == (self.username, self.password)
        return False

    def answer(self, method: str, path: str, query: dict[str, list[str]], body: bytes, auth: str) -> tuple[int, Any]:
        api = "/api/v2" if self.major >= 3 else "/api/v1"
        if path == f"{api}/version":
            return 200, {"version": "3.3.2" if self.major >= 3 else "2.10.5", "git_version": None}
        if path in ("/api/v2/version", "/api/v1/version", "/execution/health"):
            return 404, {"detail": "Not Found"}
        if self.major >= 3 and path == "/auth/token" and method == "POST":
            login = json.loads(body or b"{}")
            if (login.get("username"), login.get("password")) != (self.username, self.password):
                return 401, {"detail": "Invalid credentials"}
            token = f"jwt-{len(self.tokens)}"
            self.tokens.add(token)
            return 201, {"access_token": token}
        if not path.startswith(api):
            return 404, {"detail": "Not Found"}
        if not self.authorized(auth):
            return (403, {"detail": "Invalid JWT token"}) if self.major >= 3 else (401, {"title": "Unauthorized"})
        return self._read(path[len(api) :], query)

    def _read(self, path: str, query: dict[str, list[str]]) -> tuple[int, Any]:
        parts = [unquote(p) for p in path.strip("/").split("/")]
        if parts == ["dags"]:
            return 200, self._page("dags", [{"dag_id": d} for d in self.dags], query)
        if parts[:1] == ["connections"]:
            return (200, CONNECTION) if parts[1:] == ["backfill_pg"] else (404, {"detail": "not found"})
        if len(parts) < 3 or parts[0] != "dags":
            return 404, {"detail": "not found"}
        dag_id, rest = parts[1], parts[2:]
        if dag_id not in self.dags:
            return 404, {"detail": "DAG not found"}
        if rest == ["details"]:
            return 200, {**DETAILS, "dag_id": dag_id}
        if rest == ["tasks"]:
            return 200, {"tasks": TASKS, "total_entries": len(TASKS)}
        if rest == ["dagRuns"]:
            self.runs_params.append(query)
            states = set(query.get("state", []))
            runs = [{**RUN, "dag_id": dag_id}] if RUN["state"] in states or not states else []
            return 200, self._page("dag_runs", runs, query)
        if rest[:2] == ["dagRuns", RUN_ID] and rest[2:] == ["taskInstances"]:
            return 200, self._page("task_instances", [{**t, "dag_id": dag_id} for t in TASK_INSTANCES], query)
        if rest[:3] == ["dagRuns", RUN_ID, "taskInstances"] and rest[-1] == "tries":
            tries = [{**t, "dag_id": dag_id} for t in TRIES.get(rest[3], [])]
            return 200, self._page("task_instances", tries, query)
        return 404, {"detail": "not found"}

    @staticmethod
    def _page(key: str, items: list[Any], query: dict[str, list[str]]) -> dict[str, Any]:
        limit = int(query.get("limit", ["100"])[0])
        offset = int(query.get("offset", ["0"])[0])
        return {key: items[offset : offset + limit], "total_entries": len(items)}


def _handler(fake: FakeAirflow) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        disable_nagle_algorithm = True

        def log_message(self, format: str, *args: Any) -> None:
            pass

        def _serve(self, method: str) -> None:
            parts = urlsplit(self.path)
            query = parse_qs(parts.query)
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            auth = self.headers.get("Authorization", "")
            fake.requests.append((method, parts.path, query, auth))
            status, payload = fake.answer(method, parts.path, query, body, auth)
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:
            self._serve("GET")

        def do_POST(self) -> None:
            self._serve("POST")

    return Handler
