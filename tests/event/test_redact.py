"""redact_event: Airflow's masker, the scrubbers per field, the size cap, and failing closed."""

from __future__ import annotations

import copy
import importlib.util
import json
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

from secoda_listener.event import redact
from secoda_listener.event.redact import FAILED_MARKER, mask_with_airflow, redact_event

REPO = Path(__file__).resolve().parents[2]
BIG = 10_000_000


def task_event(**task_instance: Any) -> dict[str, Any]:
    """An event body shaped like ``Event.to_body()`` for a task."""
    ti = {
        "task_id": "load_orders",
        "dag_id": "shop_daily",
        "run_id": "scheduled__2024-05-01T00:00:00+00:00",
        "map_index": -1,
        "try_number": 1,
        "max_tries": 0,
        "state": "success",
        "start_date": "2024-05-01 00:00:01+00:00",
        "end_date": "2024-05-01 00:00:09+00:00",
        "hostname": "worker-1",
        "operator": "SQLExecuteQueryOperator",
        "sql": "INSERT INTO mart.orders SELECT * FROM raw.orders WHERE day = '2024-05-01';",
    }
    ti.update(task_instance)
    return {
        "event_type": "task_success",
        "dag": {"dag_id": "shop_daily", "description": "Daily shop load", "tags": ["shop", "daily"], "catchup": False},
        "dag_run": {"run_id": ti["run_id"], "run_type": "scheduled", "state": "running", "logical_date": None},
        "task_instance": ti,
        "lineage": {
            "inputs": [{"namespace": "postgres://db.internal:5432", "name": "shop.raw.orders"}],
            "outputs": [{"namespace": "postgres://db.internal:5432", "name": "shop.mart.orders"}],
            "errors": [],
        },
        "event_id": "0b7e2d7c-3f7e-4a59-9a51-3b1c0e8f9d11",
        "event_time": "2024-05-01T00:00:09+00:00",
        "producer": "secoda-listener/0.1.0",
    }


# --- per-field scrubbing ------------------------------------------------------------------


def test_clean_event_comes_back_equal_but_not_the_same_object() -> None:
    body = task_event()
    out = redact_event(body, max_bytes=BIG)
    assert out == body
    assert out is not body and out["task_instance"] is not body["task_instance"]


def test_input_is_not_mutated() -> None:
    body = task_event(sql="ALTER USER u PASSWORD 'p1'", error="postgresql://u:pw@h/db")
    before = copy.deepcopy(body)
    redact_event(body, max_bytes=200)
    assert body == before


def test_sql_field_is_scrubbed_as_sql_and_stays_otherwise_identical() -> None:
    sql = (
        "COPY INTO raw.orders FROM @s3_stage CREDENTIALS = (AWS_KEY_ID = 'AKIAX' AWS_SECRET_KEY = 'sk/abc')\n"
        "FILE_FORMAT = (TYPE = CSV);\nINSERT INTO mart.o SELECT * FROM raw.orders;"
    )
    out = redact_event(task_event(sql=sql), max_bytes=BIG)
    assert out["task_instance"]["sql"] == sql.replace("'AKIAX'", "'***'").replace("'sk/abc'", "'***'")


def test_list_valued_sql_is_scrubbed_item_by_item() -> None:
    sql = ["CREATE USER a PASSWORD 'one1'", "SELECT 1", "ALTER USER b IDENTIFIED BY 'two2'"]
    out = redact_event(task_event(sql=sql), max_bytes=BIG)
    assert out["task_instance"]["sql"] == [
        "CREATE USER a PASSWORD '***'",
        "SELECT 1",
        "ALTER USER b IDENTIFIED BY '***'",
    ]


def test_source_code_is_scrubbed_as_shell() -> None:
    command = 'export PGPASSWORD=hunter2 && psql -h db -p 5432 -c "select 1" --api-key k1'
    out = redact_event(task_event(source_code=command, sql=None), max_bytes=BIG)
    assert (
        out["task_instance"]["source_code"] == 'export PGPASSWORD=*** && psql -h db -p 5432 -c "select 1" --api-key ***'
    )
    assert out["task_instance"]["sql"] is None


def test_error_and_other_strings_are_scrubbed_as_text() -> None:
    body = task_event(
        error="OperationalError: could not connect to postgresql://etl:pw123@db:5432/shop",
        state="failed",
    )
    body["event_type"] = "task_failed"
    body["dag"]["description"] = "Loads with Authorization: Bearer abc123"
    body["lineage"]["errors"] = ["headers {'X-Api-Key': 'k-42'}"]
    out = redact_event(body, max_bytes=BIG)
    assert out["task_instance"]["error"] == "OperationalError: could not connect to postgresql://etl:***@db:5432/shop"
    assert out["dag"]["description"] == "Loads with Authorization: Bearer ***"
    assert out["lineage"]["errors"] == ["headers {'X-Api-Key': '***'}"]


def test_nested_json_payload_values_under_secret_keys_are_masked() -> None:
    body = task_event()
    body["task_instance"]["params"] = {
        "conn": {"host": "db", "password": "pw-nested", "extra": {"api_key": ["k1", "k2"], "timeout": 30}},
        "rows": 12,
        "client_secret": 1234567,
        "deep": [[{"token": {"value": "t-deep"}}]],
    }
    out = redact_event(body, max_bytes=BIG)
    params = out["task_instance"]["params"]
    assert params["conn"] == {"host": "db", "password": "***", "extra": {"api_key": ["***", "***"], "timeout": 30}}
    assert params["rows"] == 12 and params["client_secret"] == "***"
    assert params["deep"] == [[{"token": {"value": "***"}}]]
    assert "pw-nested" not in json.dumps(out) and "t-deep" not in json.dumps(out)


def test_json_string_inside_a_field_is_scrubbed() -> None:
    body = task_event()
    body["task_instance"]["conf"] = json.dumps({"target": "s3://b/k", "aws_secret_access_key": "SK123"})
    out = redact_event(body, max_bytes=BIG)
    assert json.loads(out["task_instance"]["conf"]) == {"target": "s3://b/k", "aws_secret_access_key": "***"}


def test_tuples_and_sets_become_lists_and_odd_objects_become_scrubbed_text() -> None:
    class Opaque:
        def __str__(self) -> str:
            return "Opaque(password=abc)"

    body = task_event()
    body["dag"]["tags"] = ("a", "b")
    body["task_instance"]["thing"] = Opaque()
    out = redact_event(body, max_bytes=BIG)
    assert out["dag"]["tags"] == ["a", "b"]
    assert out["task_instance"]["thing"] == "Opaque(password=***)"


def test_identity_fields_are_kept_verbatim() -> None:
    out = redact_event(task_event(), max_bytes=BIG)
    assert out["event_id"] == "0b7e2d7c-3f7e-4a59-9a51-3b1c0e8f9d11"
    assert out["task_instance"]["run_id"] == "scheduled__2024-05-01T00:00:00+00:00"
    assert out["dag_run"]["run_id"] == "scheduled__2024-05-01T00:00:00+00:00"


# --- Airflow's masker (Airflow 3: task-SDK and core instances; Airflow 2: one) -------------

AIRFLOW_3 = importlib.util.find_spec("airflow.sdk") is not None


def task_side_mask_secret(value: str) -> None:
    """Register ``value`` the way a task process does on the installed Airflow."""
    if AIRFLOW_3:
        from airflow.sdk.log import mask_secret
    else:
        from airflow.utils.log.secrets_masker import mask_secret
    mask_secret(value)


def core_side_mask_secret(value: str) -> None:
    """Register ``value`` the way the scheduler / API server does on the installed Airflow."""
    if AIRFLOW_3:
        from airflow._shared.secrets_masker import mask_secret
    else:
        from airflow.utils.log.secrets_masker import mask_secret
    mask_secret(value)


def test_value_registered_with_the_task_sdk_masker_is_removed() -> None:
    task_side_mask_secret("s3cr3t-from-sdk-mask")
    body = task_event(
        sql="SELECT * FROM t WHERE k = 's3cr3t-from-sdk-mask'",
        error="failed with s3cr3t-from-sdk-mask",
    )
    body["dag"]["description"] = "x s3cr3t-from-sdk-mask y"
    out = redact_event(body, max_bytes=BIG)
    assert "s3cr3t-from-sdk-mask" not in json.dumps(out)
    assert out["task_instance"]["sql"] == "SELECT * FROM t WHERE k = '***'"
    assert out["dag"]["description"] == "x *** y"


def test_value_registered_with_the_core_masker_is_removed() -> None:
    # Scheduler-side and API-server listeners register with airflow-core's own masker instance.
    core_side_mask_secret("core-side-s3cr3t")
    out = redact_event(task_event(error="boom core-side-s3cr3t"), max_bytes=BIG)
    assert out["task_instance"]["error"] == "boom ***"


def test_masker_reaches_deeper_than_its_default_depth() -> None:
    task_side_mask_secret("deep-s3cr3t-value")
    deep: Any = "deep-s3cr3t-value"
    for level in range(12):
        deep = {f"level{level}": [deep]}
    out = redact_event({"event_id": "e", "task_instance": {"extra": deep}}, max_bytes=BIG)
    assert "deep-s3cr3t-value" not in json.dumps(out)


def test_mask_with_airflow_finds_every_masker_of_the_installed_airflow() -> None:
    redactors = redact._airflow_redactors()
    if AIRFLOW_3:
        import airflow._shared.secrets_masker as core
        import airflow.sdk._shared.secrets_masker as sdk

        assert sdk.redact in redactors and core.redact in redactors
    else:
        import airflow.utils.log.secrets_masker as only

        assert only.redact in redactors
    assert len(set(map(id, redactors))) == len(redactors)


def test_mask_with_airflow_passes_through_without_secrets() -> None:
    assert mask_with_airflow({"a": ["b", 1, None]}) == {"a": ["b", 1, None]}


def test_a_failing_masker_fails_closed(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(value: Any, **kwargs: Any) -> Any:
        raise RuntimeError("masker exploded")

    monkeypatch.setattr(redact, "_airflow_redactors", lambda: (broken,))
    assert mask_with_airflow({"s": "secret text", "n": 3, "event_id": "e1"}) == {
        "s": FAILED_MARKER,
        "n": 3,
        "event_id": "e1",
    }
    out = redact_event(task_event(sql="SELECT 'maybe-secret'"), max_bytes=BIG)
    assert out["task_instance"]["sql"] == FAILED_MARKER
    assert out["task_instance"]["task_id"] == "load_orders" and out["event_id"].startswith("0b7e2d7c")
    assert "maybe-secret" not in json.dumps(out)


def test_an_internal_error_returns_a_masked_body_not_the_original(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken_scrub(text: str) -> str:
        raise ValueError("scrubber bug")

    monkeypatch.setattr(redact, "scrub_sql", broken_scrub)
    body = task_event(sql="ALTER USER u PASSWORD 'leak-me'")
    out = redact_event(body, max_bytes=BIG)
    assert "leak-me" not in json.dumps(out)
    assert out["task_instance"]["sql"] == FAILED_MARKER
    assert out["task_instance"]["dag_id"] == "shop_daily"
    assert out["task_instance"]["try_number"] == 1


def test_a_masker_returning_a_non_dict_fails_closed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(redact, "_airflow_redactors", lambda: (lambda value, **kw: "<redaction-failed>",))
    out = redact_event(task_event(), max_bytes=BIG)
    assert out["task_instance"]["operator"] == FAILED_MARKER
    assert out["event_type"] == "task_success"


# --- size cap -----------------------------------------------------------------------------


def encoded(body: dict[str, Any]) -> int:
    return len(json.dumps(body, separators=(",", ":")))


def test_oversized_event_is_trimmed_largest_string_first_with_a_marker() -> None:
    big_sql = "SELECT 1;\n" + "-- padding\n" * 5000  # ~55 KB
    body = task_event(sql=big_sql, source_code="echo " + "y" * 3000)
    out = redact_event(body, max_bytes=20_000)
    assert encoded(out) <= 20_000
    sql = out["task_instance"]["sql"]
    assert sql.startswith("SELECT 1;\n-- padding")
    removed = len(big_sql) - len(sql.split("…[truncated ")[0])
    assert sql.endswith(f"…[truncated {removed} chars by secoda-listener]")
    # The smaller string was not needed to meet the cap and is untouched.
    assert out["task_instance"]["source_code"] == "echo " + "y" * 3000


def test_trimming_moves_on_to_the_next_largest_string() -> None:
    body = task_event(sql="s" * 9000, source_code="c" * 8000, error="e" * 100)
    out = redact_event(body, max_bytes=3000)
    assert encoded(out) <= 3000
    assert "truncated" in out["task_instance"]["sql"] and "truncated" in out["task_instance"]["source_code"]
    assert out["task_instance"]["error"] == "e" * 100


def test_list_items_are_trimmed_too() -> None:
    body = task_event(sql=["SELECT 1", "SELECT 2 -- " + "z" * 20_000])
    out = redact_event(body, max_bytes=5000)
    assert encoded(out) <= 5000
    assert out["task_instance"]["sql"][0] == "SELECT 1"
    assert out["task_instance"]["sql"][1].endswith("chars by secoda-listener]")


def test_non_ascii_text_is_trimmed_within_the_encoded_cap() -> None:
    body = task_event(sql="SELECT 'é' " + "é" * 20_000)
    out = redact_event(body, max_bytes=4000)
    assert encoded(out) <= 4000


def test_identity_fields_are_never_trimmed_and_the_event_never_dropped() -> None:
    huge_run_id = "manual__" + "r" * 5000
    body = task_event(run_id=huge_run_id, sql="x" * 100)
    body["dag_run"]["run_id"] = huge_run_id
    out = redact_event(body, max_bytes=1000)
    assert out["task_instance"]["run_id"] == huge_run_id
    assert out["dag_run"]["run_id"] == huge_run_id
    assert out["event_id"] == body["event_id"] and out["event_type"] == "task_success"
    assert "truncated" in out["task_instance"]["sql"]  # everything else trimmed as far as it goes


def test_secret_is_scrubbed_before_trimming() -> None:
    # The secret sits right where the cut would fall; trimming after scrubbing cannot expose half of it.
    sql = "SELECT 1; " * 100 + "ALTER USER u PASSWORD 'abcdefghijklmnop';" + "x" * 5000
    out = redact_event(task_event(sql=sql), max_bytes=2500)
    assert "abcdefgh" not in json.dumps(out)


# --- hostile input, performance -----------------------------------------------------------


def test_hostile_megabyte_fields_redact_in_bounded_time() -> None:
    script = textwrap.dedent(
        f"""
        import sys, json
        sys.path.insert(0, {str(REPO)!r})
        from secoda_listener.event.redact import redact_event
        M = 1_000_000
        body = {{
            "event_id": "e", "event_type": "task_failed",
            "task_instance": {{
                "sql": ["'" * M, "PASSWORD '" + "a" * M, "IDENTIFIED" + " " * M],
                "source_code": "-password " * (M // 10),
                "error": ("x://u:" + "p" * 600) * (M // 606),
            }},
            "lineage": {{"errors": ["key " * (M // 4), "a=" * (M // 2)]}},
        }}
        out = redact_event(body, max_bytes=200_000)
        assert len(json.dumps(out, separators=(",", ":"))) <= 200_000
        print("ok")
        """
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"
