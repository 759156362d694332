"""End to end: `secoda-listener backfill` against a real Airflow REST API, after the listener ran live.

One deployment per module (the running Airflow's version): the DAGs of
tests/dags/backfill_history.py run with ``airflow dags test`` while the listener
reports them live to one receiver; then Airflow 3's API server (simple auth
manager, a user) or Airflow 2's webserver (basic-auth backend, a user from
``airflow users create``) serves that history, and backfill sends it to a
second receiver through a spool of its own. The events must be the listener's:
the same ids, the same lineage.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import attrs
import pytest

from secoda_listener.testing.receiver import Receiver
from tests.conftest import API_KEY
from tests.support.airflow_api import AirflowApi, api_env
from tests.support.airflow_home import BIN, TEST_DAGS, AirflowHome, airflow_major, secoda_connection
from tests.support.airflow_services import free_port
from tests.support.postgres import LocalPostgres

TERMINAL = {"task_success", "task_failed", "dag_run_success", "dag_run_failed"}


@attrs.define
class Deployment:
    home: AirflowHome
    api: AirflowApi
    live: Receiver
    live_spool: Path
    root: Path
    postgres: LocalPostgres
    database: str  # the SQL task's database (its connection's schema field)

    def backfill(
        self, *args: str, receiver: Receiver | None, spool: Path, env: dict[str, str] | None = None
    ) -> subprocess.CompletedProcess[str]:
        extra = {
            **self.api.env,
            "AIRFLOW__SECODA__SPOOL_DIR": str(spool),
            "AIRFLOW_API_USERNAME": self.api.username,
            "AIRFLOW_API_PASSWORD": self.api.password,
        }
        if receiver is not None:
            extra["AIRFLOW_CONN_SECODA_DEFAULT"] = secoda_connection(receiver.url, API_KEY)
        extra.update(env or {})
        return subprocess.run(
            [str(BIN / "secoda-listener"), "backfill", *args],
            env=self.home.env(extra),
            cwd=self.home.path,
            capture_output=True,
            text=True,
            timeout=300,
        )


def _events(receiver: Receiver) -> list[dict[str, Any]]:
    return [r["body"] for r in receiver.received() if isinstance(r.get("body"), dict) and "event_type" in r["body"]]


def _key(body: dict[str, Any]) -> tuple[Any, ...]:
    ti = body.get("task_instance") or {}
    dag_id = body["dag"]["dag_id"]
    return (body["event_type"], dag_id, ti.get("task_id"), ti.get("try_number"), ti.get("state"))


def _names(datasets: list[dict[str, str]]) -> set[tuple[str, str]]:
    return {(d["namespace"], d["name"]) for d in datasets}


@pytest.fixture(scope="module")
def deployment(tmp_path_factory: pytest.TempPathFactory, postgres: LocalPostgres) -> Iterator[Deployment]:
    root = tmp_path_factory.mktemp("backfill_e2e")
    home = AirflowHome.with_dags(root, TEST_DAGS / "backfill_history.py")
    home.migrate()
    env = api_env(home, root / "passwords.json")
    database = postgres.create_database("backfill")
    added = home.airflow(
        "connections", "add", "backfill_pg", "--conn-type", "postgres", "--conn-host", "127.0.0.1",
        "--conn-port", str(postgres.port), "--conn-login", postgres.user, "--conn-password", postgres.password,
        "--conn-schema", database, extra_env=env,
    )  # fmt: skip
    assert added.returncode == 0, added.output[-3000:]
    live_spool = root / "live_spool"
    with Receiver(store=root / "live.jsonl", api_key=API_KEY) as live:
        live_env = {
            **env,
            "AIRFLOW_CONN_SECODA_DEFAULT": secoda_connection(live.url, API_KEY),
            "AIRFLOW__SECODA__SPOOL_DIR": str(live_spool),
            "AIRFLOW__SECODA__DELIVERY": "inline",
        }
        for dag_id in ("backfill_history", "backfill_ok"):
            result = home.dags_test(dag_id, extra_env=live_env)
            assert "Traceback" not in result.output or "RuntimeError: the flaky task" in result.output
        if airflow_major() < 3:
            # Airflow 2.10's webserver reads DAGs from the serialized table; `dags test` does not fill it.
            assert home.airflow("dags", "reserialize", extra_env=env).returncode == 0
        api = AirflowApi.start(home, env, root / "logs")
        try:
            yield Deployment(
                home=home, api=api, live=live, live_spool=live_spool, root=root, postgres=postgres, database=database
            )
        finally:
            api.stop()


def _expected_keys() -> set[tuple[Any, ...]]:
    keys = {
        ("task_success", "backfill_history", "export_orders", 1, "success"),
        ("task_success", "backfill_history", "load_mart", 1, "success"),
        ("task_failed", "backfill_history", "flaky", 2, "failed"),
        ("dag_run_failed", "backfill_history", None, None, None),
        ("task_success", "backfill_ok", "say_done", 1, "success"),
        ("dag_run_success", "backfill_ok", None, None, None),
    }
    if airflow_major() >= 3:
        # Airflow 2.10's `dags test` keeps no history of the first try (it records a try only
        # when it fails while marked running, which `dags test` never marks): the API cannot show it.
        keys.add(("task_failed", "backfill_history", "flaky", 1, "up_for_retry"))
    return keys


def test_backfill_sends_the_events_the_listener_sent(deployment: Deployment, tmp_path: Path) -> None:
    with Receiver(store=tmp_path / "backfill.jsonl", api_key=API_KEY) as rx:
        spool = tmp_path / "spool"
        done = deployment.backfill("--airflow-url", deployment.api.url, "--since", "2d", receiver=rx, spool=spool)
        assert done.returncode == 0, done.stderr[-3000:]
        got = _events(rx)
        assert sorted(map(_key, got), key=str) == sorted(_expected_keys(), key=str)

        # The ids are the listener's for the same tries (it reported each of them live).
        live = {body["event_id"]: body for body in _events(deployment.live) if body["event_type"] in TERMINAL}
        assert {body["event_id"] for body in got} <= set(live)
        for body in got:
            assert _key(live[body["event_id"]]) == _key(body)
        if airflow_major() < 3:
            missing = {_key(body) for event_id, body in live.items() if event_id not in {b["event_id"] for b in got}}
            assert missing == {("task_failed", "backfill_history", "flaky", 1, "up_for_retry")}

        by_task = {body["task_instance"]["task_id"]: body for body in got if "task_instance" in body}
        ns = f"postgres://127.0.0.1:{deployment.postgres.port}"
        load = by_task["load_mart"]
        database = deployment.database
        assert _names(load["lineage"]["inputs"]) == {(ns, f"{database}.public.raw_orders")}
        assert (ns, f"{database}.public.mart_orders") in _names(load["lineage"]["outputs"])
        assert "INSERT INTO mart_orders SELECT id FROM raw_orders" in load["task_instance"]["sql"]
        assert load["lineage"] == live[load["event_id"]]["lineage"]
        export = by_task["export_orders"]
        assert _names(export["lineage"]["inputs"]) == {("postgres://127.0.0.1:5999", "shop.public.orders")}
        assert _names(export["lineage"]["outputs"]) == {("postgres://127.0.0.1:5999", "shop.public.orders_copy")}
        assert export["task_instance"]["source_code"] == live[export["event_id"]]["task_instance"]["source_code"]
        assert export["task_instance"]["operator"] == live[export["event_id"]]["task_instance"]["operator"]

        # The run's final event lists its task instances, as the listener's does.
        run_failed = next(body for body in got if body["event_type"] == "dag_run_failed")
        listed = {(t["task_id"], t["try_number"], t["state"]) for t in run_failed["dag_run"]["task_instances"]}
        assert listed == {("export_orders", 1, "success"), ("load_mart", 1, "success"), ("flaky", 2, "failed")}

        # The metadata keys, filled from the API JSON with the same link builders.
        dag = load["dag"]
        assert dag["url"] == f"{deployment.api.url}/dags/backfill_history" + ("" if airflow_major() >= 3 else "/grid")
        assert dag["fileloc"].endswith("backfill_history.py")
        assert load["task_instance"]["owner"] == "data-eng"
        assert load["task_instance"]["description"] == "Copies raw orders into the mart."
        assert load["task_instance"]["url"].startswith(f"{deployment.api.url}/dags/backfill_history")
        assert "load_mart" in load["task_instance"]["log_url"]
        assert run_failed["dag_run"]["url"].startswith(f"{deployment.api.url}/dags/backfill_history")
        assert dag["owners"] == ["data-eng"]
        # The same values the live listener read off the DAG and task objects.
        live_load = live[load["event_id"]]
        for key in ("owners", "fileloc", "description", "tags"):
            assert dag[key] == live_load["dag"][key], key
        for key in ("owner", "description", "operator", "max_tries", "map_index"):
            assert load["task_instance"][key] == live_load["task_instance"][key], key

        # Neither the Airflow password nor the SQL connection's ever leaves.
        everything = json.dumps(rx.received()) + "".join(p.read_text() for p in spool.rglob("*") if p.is_file())
        assert deployment.api.password not in everything
        assert deployment.postgres.password not in everything
        assert deployment.api.password not in done.stderr + done.stdout

        # Every request carried its event id as the Idempotency-Key.
        assert all(r["event_id"] == r["body"]["event_id"] for r in rx.received() if r["status"] == 200)

        # A second backfill over the same window sends nothing: the ledger has every id.
        again = deployment.backfill("--airflow-url", deployment.api.url, "--since", "2d", receiver=rx, spool=spool)
        assert again.returncode == 0, again.stderr[-3000:]
        assert len(_events(rx)) == len(got)
        assert f"0 events, {len(got)} skipped" in again.stderr


def test_backfill_over_what_the_listener_delivered_sends_nothing(deployment: Deployment) -> None:
    before = len(_events(deployment.live))
    done = deployment.backfill(
        "--airflow-url", deployment.api.url, "--since", "2d", receiver=deployment.live, spool=deployment.live_spool
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert len(_events(deployment.live)) == before
    assert f"0 events, {len(_expected_keys())} skipped" in done.stderr


def test_bearer_token_from_auth_token(deployment: Deployment, tmp_path: Path) -> None:
    if airflow_major() < 3:
        # Airflow 2 has no /auth/token, and its basic-auth backend refuses a bearer token:
        # a clear refusal naming what was refused, the token never shown, nothing spooled.
        token = "eyJhbGciOiJIUzI1NiJ9.not-for-airflow-2"
        done = deployment.backfill(
            "--airflow-url", deployment.api.url, "--since", "2d", "--dry-run", receiver=None, spool=tmp_path / "spool",
            env={"AIRFLOW_API_USERNAME": "", "AIRFLOW_API_PASSWORD": "", "AIRFLOW_API_TOKEN": token},
        )  # fmt: skip
        assert done.returncode == 2, done.stderr[-3000:]
        assert "Airflow refused the" in done.stderr
        assert token not in done.stdout + done.stderr
        assert _nothing_spooled(tmp_path / "spool")
        return
    token = deployment.api.token()
    done = deployment.backfill(
        "--airflow-url", deployment.api.url, "--since", "2d", "--dag", "backfill_h*", "--dry-run",
        receiver=None, spool=tmp_path / "spool",
        env={"AIRFLOW_API_USERNAME": "", "AIRFLOW_API_PASSWORD": "", "AIRFLOW_API_TOKEN": token},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    printed = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    assert {_key(body) for body in printed} == {k for k in _expected_keys() if k[1] == "backfill_history"}
    assert not (tmp_path / "spool" / "new").exists() or not list((tmp_path / "spool" / "new").iterdir())
    assert token not in done.stdout + done.stderr


def _nothing_spooled(spool: Path) -> bool:
    return not any(p.is_file() and p.suffix == ".json" for p in spool.rglob("*"))


def test_wrong_url_is_a_clear_error(deployment: Deployment, tmp_path: Path) -> None:
    with Receiver(store=tmp_path / "rx.jsonl", api_key=API_KEY) as rx:
        done = deployment.backfill("--airflow-url", f"http://127.0.0.1:{free_port()}", receiver=rx, spool=tmp_path)
        assert done.returncode == 2
        assert "cannot reach Airflow" in done.stderr
        # A server that is not Airflow: the receiver itself.
        other = deployment.backfill("--airflow-url", rx.url, receiver=rx, spool=tmp_path)
        assert other.returncode == 2
        assert "no Airflow REST API" in other.stderr
        assert _nothing_spooled(tmp_path) and not _events(rx)


def test_wrong_password_is_a_clear_error(deployment: Deployment, tmp_path: Path) -> None:
    with Receiver(store=tmp_path / "rx.jsonl", api_key=API_KEY) as rx:
        done = deployment.backfill(
            "--airflow-url", deployment.api.url, receiver=rx, spool=tmp_path,
            env={"AIRFLOW_API_PASSWORD": "not-the-password"},
        )  # fmt: skip
        assert done.returncode == 2
        assert "refused the username and password" in done.stderr
        assert "not-the-password" not in done.stderr + done.stdout
        assert _nothing_spooled(tmp_path) and not _events(rx)


def test_disabled_api_names_the_setting(deployment: Deployment, tmp_path: Path) -> None:
    api = AirflowApi.start(
        deployment.home, deployment.api.env, tmp_path / "logs", api_enabled=False, password=deployment.api.password
    )
    try:
        with Receiver(store=tmp_path / "rx.jsonl", api_key=API_KEY) as rx:
            done = deployment.backfill("--airflow-url", api.url, receiver=rx, spool=tmp_path / "spool")
            assert done.returncode == 2
            if airflow_major() >= 3:
                assert "does not serve the public REST API" in done.stderr and "--apps" in done.stderr
            else:
                assert "[api] auth_backends" in done.stderr and "airflow.api.auth.backend.basic_auth" in done.stderr
            assert _nothing_spooled(tmp_path / "spool") and not _events(rx)
    finally:
        api.stop()
