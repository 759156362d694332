"""``secoda-listener inspect DAG_FILE``: what the plugin would report, without a run.

Loads one DAG file (Airflow's DagBag on that file only, no examples), and for
each task shows whether it reports, which extractor handles it (the same
choice the listener makes), its SQL or command with templates rendered as far
as they can be without a run, and the lineage derived from them plus the one
declared on the task (inlets, outlets), each dataset with its source: the
level that found it ("built-in", "config", ...) and/or "declared". Shown as
at the task's start: hook-level lineage and the assets a task attaches to an
asset alias are only known once it ran. Nothing is
run, spooled or sent; SQL and commands are shown redacted, as an event would
carry them.

Templates are rendered with a minimal context: ds, ts, logical_date,
data_interval_*, run_id, params, macros, dag, task. Templates that need a run
(``{{ ti }}``, ``{{ conn.x }}``, ``{{ var.value.x }}``, XCom) cannot be: those
fields are shown as written, and the output says so.
"""

from __future__ import annotations

import argparse
import datetime as dt
import inspect as pyinspect
import json
import os
import sys
from typing import Any

import attrs

from secoda_listener.capture import airflow_objects as facts

# Large enough that inspect never trims what it shows.
_MAX_BYTES = 16 * 1024 * 1024


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "inspect",
        help="show each task's extractor and lineage, without running anything",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("dag_file", metavar="DAG_FILE", help="a Python file defining DAGs")
    parser.add_argument(
        "--task", metavar="T", action="append", help="only this task id (repeatable; default: every task)"
    )
    parser.add_argument("--dag", metavar="DAG_ID", help="only this DAG of the file")
    parser.add_argument(
        "--logical-date", metavar="DATE", help="logical date for templates, ISO 8601 (default: today 00:00 UTC)"
    )
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    parser.set_defaults(func=run)


# --- loading --------------------------------------------------------------------------------


def load_dags(path: str) -> tuple[dict[str, Any], dict[str, str]]:
    """(dag_id -> DAG, file -> import error) of ``path``, parsed by Airflow's DagBag."""
    import importlib

    try:
        dagbag_class = importlib.import_module("airflow.dag_processing.dagbag").DagBag  # Airflow 3
    except ImportError:
        dagbag_class = importlib.import_module("airflow.models.dagbag").DagBag  # Airflow 2
    wanted: dict[str, Any] = {"dag_folder": path, "include_examples": False, "safe_mode": False}
    accepted = pyinspect.signature(dagbag_class.__init__).parameters
    bag = dagbag_class(**{k: v for k, v in wanted.items() if k in accepted})
    return dict(bag.dags), {str(k): str(v) for k, v in bag.import_errors.items()}


# --- templates ------------------------------------------------------------------------------


def _macros() -> Any:
    for name in ("airflow.sdk.execution_time.macros", "airflow.macros"):
        try:
            return __import__(name, fromlist=["*"])
        except ImportError:
            continue
    return None


def _params(task: Any, dag: Any) -> dict[str, Any]:
    """The task's params (which include the DAG's), else the DAG's."""
    return facts.dag_params(task) or facts.dag_params(dag)


class _Connections:
    """``{{ conn.my_conn.host }}`` in templates, read the way the plugin reads connections."""

    def __getattr__(self, conn_id: str) -> Any:
        from secoda_listener.delivery.secoda_connection import get_airflow_connection

        return get_airflow_connection(conn_id)


class _Variables:
    """``{{ var.value.name }}`` / ``{{ var.json.name }}`` in templates."""

    def __init__(self, deserialize_json: bool = False) -> None:
        self._json = deserialize_json

    @property
    def json(self) -> _Variables:
        return _Variables(deserialize_json=True)

    @property
    def value(self) -> _Variables:
        return _Variables(deserialize_json=False)

    def __getattr__(self, key: str) -> Any:
        try:
            from airflow.sdk import Variable
        except ImportError:  # Airflow 2
            from airflow.models import Variable
        return Variable.get(key, deserialize_json=self._json)


def template_context(task: Any, dag: Any, logical_date: dt.datetime) -> dict[str, Any]:
    """What a run would offer templates, as far as it exists without a run."""
    try:
        import pendulum

        logical_date = pendulum.instance(logical_date)
    except Exception:  # noqa: BLE001 - without pendulum, the datetime as given
        pass
    run_id = f"secoda_inspect__{logical_date.isoformat()}"
    ts = logical_date.isoformat()
    return {
        "ds": logical_date.strftime("%Y-%m-%d"),
        "ds_nodash": logical_date.strftime("%Y%m%d"),
        "ts": ts,
        "ts_nodash": logical_date.strftime("%Y%m%dT%H%M%S"),
        "ts_nodash_with_tz": ts.replace("-", "").replace(":", ""),
        "logical_date": logical_date,
        "execution_date": logical_date,
        "data_interval_start": logical_date,
        "data_interval_end": logical_date,
        "run_id": run_id,
        "params": _params(task, dag),
        "macros": _macros(),
        "conn": _Connections(),
        "var": _Variables(),
        "dag": dag,
        "task": task,
    }


def render_fields(task: Any, context: dict[str, Any]) -> tuple[list[str], dict[str, str]]:
    """Render each template field in place; (rendered fields, field -> why it was not)."""
    rendered: list[str] = []
    failed: dict[str, str] = {}
    try:
        env = task.get_template_env()
    except Exception as exc:  # noqa: BLE001 - shown as the reason; the inspection goes on
        return [], {"*": f"no template environment: {type(exc).__name__}: {exc}"}
    for field in getattr(task, "template_fields", ()) or ():
        value = getattr(task, field, None)
        if value is None or value == "" or value == [] or value == {}:
            continue
        try:
            setattr(task, field, task.render_template(value, context, env, set()))
            rendered.append(field)
        except Exception as exc:  # noqa: BLE001 - a template needing a run is expected here
            failed[field] = f"{type(exc).__name__}: {exc}"
    return rendered, failed


# --- one task -------------------------------------------------------------------------------


class PreviewTaskInstance:
    """Enough of a task instance for extractors, with no run behind it."""

    def __init__(self, task: Any, dag: Any, context: dict[str, Any]) -> None:
        self.task = task
        self.task_id = task.task_id
        self.dag_id = getattr(dag, "dag_id", None)
        self.run_id = context["run_id"]
        self.map_index = -1
        self.try_number = 1
        self._context = context

    def get_template_context(self) -> dict[str, Any]:
        return self._context


def inspect_task(task: Any, dag: Any, logical_date: dt.datetime) -> dict[str, Any]:
    from secoda_listener.capture.airflow_objects import operator_path, task_sql
    from secoda_listener.capture.selection import operator_selected
    from secoda_listener.event.redact import redact_event
    from secoda_listener.extractors.manager import Phase, extractor_manager

    out: dict[str, Any] = {"task_id": task.task_id, "operator": operator_path(task)}
    try:
        out["reported"] = bool(operator_selected(task))
    except Exception as exc:  # noqa: BLE001 - shown as the task's error; the inspection goes on
        out["reported"] = None
        out["error"] = f"selection failed: {type(exc).__name__}: {exc}"
    context = template_context(task, dag, logical_date)
    rendered, not_rendered = render_fields(task, context)
    out["templates"] = {"rendered": rendered, "not_rendered": not_rendered}
    preview = PreviewTaskInstance(task, dag, context)
    try:
        chosen = extractor_manager.choose(preview, Phase.START)
    except Exception as exc:  # noqa: BLE001 - shown as the task's error; the inspection goes on
        chosen = None
        out["error"] = f"choosing an extractor failed: {type(exc).__name__}: {exc}"
    out["extractor"] = None if chosen is None else {"label": chosen.label, "origin": chosen.origin_text}
    # Declared lineage is added whatever the extractor, so the manager runs even without one.
    result = extractor_manager.lineage_for(preview, Phase.START)
    sources = [
        {"direction": s.direction, "namespace": s.dataset.namespace, "name": s.dataset.name, "source": s.label}
        for s in result.sources
    ]
    # Shown as an event would carry it: through the same redaction.
    body = redact_event(
        {
            "task_instance": {"sql": task_sql(task), "source_code": result.source_code},
            "lineage": attrs.asdict(result.lineage),
            "sources": sources,
        },
        max_bytes=_MAX_BYTES,
    )
    out["sql"] = body["task_instance"]["sql"]
    out["source_code"] = body["task_instance"]["source_code"]
    out["lineage"] = body["lineage"]
    out["sources"] = body["sources"]
    return out


def inspect_file(
    path: str, dag_id: str | None, task_ids: list[str] | None, logical_date: dt.datetime
) -> tuple[dict[str, Any], int]:
    from secoda_listener.capture.selection import dag_selected

    dags, import_errors = load_dags(path)
    report: dict[str, Any] = {"file": path, "import_errors": import_errors, "dags": []}
    code = 1 if import_errors else 0
    selected = {k: v for k, v in sorted(dags.items()) if dag_id is None or k == dag_id}
    if not selected:
        report["error"] = f"no DAG {dag_id!r} in {path}" if dag_id else f"no DAG found in {path}"
        return report, 1
    seen: set[str] = set()
    for current_id, dag in selected.items():
        entry: dict[str, Any] = {"dag_id": current_id, "reported": bool(dag_selected(dag)), "tasks": []}
        for task in sorted(dag.tasks, key=lambda t: t.task_id):
            if task_ids and task.task_id not in task_ids:
                continue
            seen.add(task.task_id)
            try:
                entry["tasks"].append(inspect_task(task, dag, logical_date))
            except Exception as exc:  # noqa: BLE001 - one task's problem is shown, the rest go on
                entry["tasks"].append({"task_id": task.task_id, "error": f"{type(exc).__name__}: {exc}"})
        report["dags"].append(entry)
    missing = sorted(set(task_ids or ()) - seen)
    if missing:
        report["error"] = "no task " + ", ".join(repr(t) for t in missing)
        code = 1
    return report, code


# --- output ---------------------------------------------------------------------------------


def _indent(text: str, prefix: str) -> str:
    return "\n".join(prefix + line for line in str(text).splitlines() or [""])


def _datasets(items: list[dict[str, Any]], direction: str, sources: list[dict[str, Any]]) -> str:
    """``ns/name [source]``, the source as the manager recorded it for that dataset."""
    source_of = {(s.get("direction"), s.get("namespace"), s.get("name")): s.get("source") for s in sources}

    def one(d: dict[str, Any]) -> str:
        source = source_of.get((direction, d.get("namespace"), d.get("name")))
        return f"{d.get('namespace')}/{d.get('name')}" + (f" [{source}]" if source else "")

    return ", ".join(one(d) for d in items) or "-"


def render(report: dict[str, Any]) -> str:
    lines = [f"file: {report['file']}"]
    for source, error in report["import_errors"].items():
        lines.append(f"  import error in {source}:")
        lines.append(_indent(error.strip(), "    "))
    for dag in report["dags"]:
        lines.append("")
        lines.append(f"DAG {dag['dag_id']}" + ("" if dag["reported"] else "  (NOT reported: opted out by tag)"))
        for task in dag["tasks"]:
            lines.append(f"  task {task['task_id']}" + (f"  [{task['operator']}]" if task.get("operator") else ""))
            if task.get("reported") is False:
                lines.append("    NOT reported: operator in [secoda] disabled_for_operators")
            if task.get("error"):
                lines.append(f"    error: {task['error']}")
            if "extractor" not in task:
                continue
            extractor, lineage = task["extractor"], task["lineage"]
            declared_only = lineage.get("inputs") or lineage.get("outputs")
            lines.append(
                "    extractor: "
                + (
                    f"{extractor['label']} ({extractor['origin']})"
                    if extractor
                    else "none (only the declared lineage)"
                    if declared_only
                    else "none (the event carries no lineage)"
                )
            )
            templates = task["templates"]
            if templates["rendered"]:
                lines.append("    templates rendered: " + ", ".join(templates["rendered"]))
            for field, why in templates["not_rendered"].items():
                lines.append(f"    template NOT rendered, shown as written: {field}: {why}")
            if task["sql"]:
                sql = task["sql"] if isinstance(task["sql"], str) else ";\n".join(task["sql"])
                lines.append("    sql:")
                lines.append(_indent(sql, "      "))
            if task["source_code"] and task["source_code"] != task["sql"]:
                lines.append("    source code:")
                lines.append(_indent(task["source_code"], "      "))
            sources = task.get("sources", [])
            lines.append("    inputs:  " + _datasets(lineage.get("inputs", []), "inputs", sources))
            lines.append("    outputs: " + _datasets(lineage.get("outputs", []), "outputs", sources))
            for error in lineage.get("errors", []):
                lines.append(f"    lineage error: {error}")
    if report.get("error"):
        lines.append("")
        lines.append(f"error: {report['error']}")
    return "\n".join(lines)


def _logical_date(text: str | None) -> dt.datetime:
    if text:
        value = dt.datetime.fromisoformat(text)
        return value if value.tzinfo else value.replace(tzinfo=dt.timezone.utc)
    today = dt.datetime.now(dt.timezone.utc)
    return today.replace(hour=0, minute=0, second=0, microsecond=0)


def run(args: argparse.Namespace) -> int:
    from secoda_listener.cli.doctor import report_stdout

    path = os.path.abspath(args.dag_file)
    if not os.path.isfile(path):
        print(f"secoda-listener inspect: {args.dag_file}: no such file", file=sys.stderr)
        return 2
    try:
        logical_date = _logical_date(args.logical_date)
    except ValueError as exc:
        print(f"secoda-listener inspect: --logical-date: {exc}", file=sys.stderr)
        return 2
    with report_stdout() as emit:
        report, code = inspect_file(path, args.dag, args.task, logical_date)
        emit(json.dumps(report, indent=2, sort_keys=True, default=str) if args.json else render(report))
    return code
