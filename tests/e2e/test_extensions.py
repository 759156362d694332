"""End to end: real `airflow dags test` runs with the plugin loaded from its entry point.

Bash lineage and source code, a custom extractor from [secoda] extractors (the
dags_example one), user extractors that raise or hang, only_tags and
disabled_for_operators, as the local receiver saw them. Few runs, many
assertions per run: each run costs seconds.
"""

from __future__ import annotations

import os
import tempfile
import textwrap
from pathlib import Path

from tests.support.airflow_home import EXAMPLE_DAGS, airflow_major

PG = "postgres://db.internal:5433"
SF = "snowflake://acme-xy12345"


def _bash_path() -> str:
    if airflow_major() >= 3:
        return "airflow.providers.standard.operators.bash.BashOperator"
    return "airflow.operators.bash.BashOperator"


def _python_path() -> str:
    if airflow_major() >= 3:
        return "airflow.providers.standard.operators.python.PythonOperator"
    return "airflow.operators.python.PythonOperator"


def _task_events(receiver) -> dict[tuple[str, str], dict]:
    """(task_id, event_type) -> body; each must arrive exactly once."""
    found: dict[tuple[str, str], dict] = {}
    for record in receiver.received():
        body = record["body"]
        if "task_instance" in body:
            key = (body["task_instance"]["task_id"], body["event_type"])
            assert key not in found, f"{key} arrived twice"
            found[key] = body
    return found


def _datasets(items: list[dict]) -> set[tuple[str, str]]:
    return {(item["namespace"], item["name"]) for item in items}


def test_bash_lineage_only_tags_and_disabled_operators(run_dag, receiver):
    result = run_dag(
        "secoda_ext_bash",
        only_tags="secoda,finance",
        disabled_for_operators=f"some.module.Unrelated,{_python_path()}",
    )
    assert result.returncode == 0, result.output[-3000:]
    events = _task_events(receiver)

    # PythonOperator and its subclass (@task) are disabled; Bash and @task.bash are not.
    assert {task_id for task_id, _ in events} == {"psql_c", "snowsql_heredoc", "decorated_psql"}
    for task_id in ("psql_c", "snowsql_heredoc", "decorated_psql"):
        assert {event for tid, event in events if tid == task_id} == {"task_running", "task_success"}
    dag_runs = [r["body"] for r in receiver.received() if r["body"]["event_type"].startswith("dag_run")]
    assert [body["dag_run"]["state"] for body in dag_runs] == ["success"]

    for event_type in ("task_running", "task_success"):
        psql = events[("psql_c", event_type)]
        assert psql["task_instance"]["state"] in ("running", "success")
        code = psql["task_instance"]["source_code"]
        assert 'echo "loading 2024-01-01"' in code  # rendered
        assert "INSERT INTO mart.orders SELECT * FROM raw.orders" in code
        lineage = psql["lineage"]
        assert _datasets(lineage["inputs"]) == {(PG, "shop.raw.orders")}
        assert _datasets(lineage["outputs"]) == {(PG, "shop.mart.orders")}
        assert lineage["errors"] == []

        snow = events[("snowsql_heredoc", event_type)]
        assert "<<'SQL'" in snow["task_instance"]["source_code"]
        assert _datasets(snow["lineage"]["inputs"]) == {(SF, "ANALYTICS.RAW.CUSTOMERS")}
        assert _datasets(snow["lineage"]["outputs"]) == {(SF, "ANALYTICS.MART.CUSTOMERS")}

    # @task.bash has no command before it runs; the success event carries it.
    decorated = events[("decorated_psql", "task_success")]
    assert "INSERT INTO mart.daily SELECT * FROM mart.orders" in decorated["task_instance"]["source_code"]
    assert _datasets(decorated["lineage"]["inputs"]) == {(PG, "shop.mart.orders")}
    assert _datasets(decorated["lineage"]["outputs"]) == {(PG, "shop.mart.daily")}
    assert events[("decorated_psql", "task_running")]["lineage"]["errors"] == []


def test_only_tags_leaves_other_dags_silent(run_dag, receiver, tmp_path):
    result = run_dag("secoda_ext_untagged", only_tags="secoda")
    assert result.returncode == 0, result.output[-3000:]
    assert receiver.received() == []
    spool = tmp_path / "spool"
    assert not spool.exists() or not any(p.is_file() for p in spool.rglob("*"))


def test_custom_extractor_from_config_reaches_secoda(run_dag, receiver):
    broken = "acme_missing.lineage:NoSuchExtractor"
    result = run_dag(
        "example_custom_extractor",
        extractors=f"{broken},my_company_lineage:CopyExtractor",
    )
    assert result.returncode == 0, result.output[-3000:]
    events = _task_events(receiver)
    workdir = os.path.join(tempfile.gettempdir(), "secoda_example")
    source = os.path.join(workdir, "landing", "orders_2024-01-01.csv")
    target = os.path.join(workdir, "archive", "orders_2024-01-01.csv")
    assert Path(target).read_text() == Path(source).read_text()  # the copy really ran

    for event_type in ("task_running", "task_success"):
        body = events[("archive_orders", event_type)]
        assert body["task_instance"]["operator"] == "my_company_lineage.CopyOperator"
        assert _datasets(body["lineage"]["inputs"]) == {("file", source)}
        assert _datasets(body["lineage"]["outputs"]) == {("file", target)}
        assert body["lineage"]["errors"] == []
    # The other task is untouched by the custom extractor.
    assert events[("land_orders", "task_success")]["lineage"]["outputs"] == []
    # The path that cannot be imported is named in one warning (tasks run in this one process).
    warnings = [line for line in result.output.splitlines() if broken in line and "could not be loaded" in line]
    assert len(warnings) == 1, warnings or result.output[-3000:]
    assert "ModuleNotFoundError" in warnings[0]


FAULTY = textwrap.dedent(
    """
    import threading
    from secoda_listener.extractors import BaseExtractor

    class RaisingExtractor(BaseExtractor):
        operators = ({bash!r},)

        def extract_on_start(self, task_instance):
            raise RuntimeError("user extractor exploded on purpose")

    class HangingExtractor(BaseExtractor):
        operators = ({python!r},)

        def extract_on_start(self, task_instance):
            threading.Event().wait()  # hangs for good; cut off by extract_timeout
    """
)


def test_raising_and_hanging_extractors_leave_the_task_alone(run_dag, receiver, tmp_path):
    extractors = tmp_path / "user_extractors"
    extractors.mkdir()
    (extractors / "faulty_lineage.py").write_text(FAULTY.format(bash=_bash_path(), python=_python_path()))
    result = run_dag(
        "secoda_ext_faulty",
        env={"PYTHONPATH": os.pathsep.join([str(extractors), str(EXAMPLE_DAGS)])},
        extractors="faulty_lineage:RaisingExtractor,faulty_lineage:HangingExtractor",
        extract_timeout="0.5",
    )
    assert result.returncode == 0, result.output[-3000:]
    events = _task_events(receiver)
    assert set(events) == {
        ("bash_with_raising_extractor", "task_running"),
        ("bash_with_raising_extractor", "task_success"),
        ("python_with_hanging_extractor", "task_running"),
        ("python_with_hanging_extractor", "task_success"),
    }
    for event_type in ("task_running", "task_success"):
        raising = events[("bash_with_raising_extractor", event_type)]
        assert raising["task_instance"]["state"] in ("running", "success")
        (error,) = raising["lineage"]["errors"]
        assert "faulty_lineage:RaisingExtractor" in error
        assert "RuntimeError: user extractor exploded on purpose" in error
        assert raising["lineage"]["inputs"] == [] and raising["lineage"]["outputs"] == []

        hanging = events[("python_with_hanging_extractor", event_type)]
        (error,) = hanging["lineage"]["errors"]
        assert "faulty_lineage:HangingExtractor" in error
        assert "extract_timeout = 0.5 s" in error and "cut off" in error
    assert events[("python_with_hanging_extractor", "task_success")]["task_instance"]["state"] == "success"
    dag_runs = [r["body"] for r in receiver.received() if r["body"]["event_type"].startswith("dag_run")]
    assert [body["dag_run"]["state"] for body in dag_runs] == ["success"]
