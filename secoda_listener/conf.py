"""The ``[secoda]`` configuration section: one small function per option.

Every option is declared once in :data:`OPTIONS` (which also feeds the
provider info, so ``airflow config list`` shows the same defaults and
descriptions) and read through its own function below. Each can be set in
``airflow.cfg`` or as ``AIRFLOW__SECODA__<KEY>``.

A value that cannot be understood never breaks anything: it gets one warning
per process naming the option and the value, and the default is used.
"""

from __future__ import annotations

import functools
import logging
import os
from typing import Callable

import attrs

from secoda_listener.logs import warn_once

log = logging.getLogger(__name__)

SECTION = "secoda"


@attrs.frozen
class Option:
    """One ``[secoda]`` option as Airflow's provider info describes it."""

    type: str  # "string" | "boolean" | "integer" | "float"
    default: str
    description: str
    example: str | None = None
    sensitive: bool = False


OPTIONS: dict[str, Option] = {
    "enabled": Option("boolean", "True", "Set to False to turn the whole plugin off: no event, no request, no file."),
    "conn_id": Option(
        "string",
        "secoda_default",
        "Airflow connection holding the Secoda host (e.g. https://api.secoda.co/api/v1/), the API key "
        "(password) and the integration id (extra `integration_id`). A DAG's "
        "params['secoda_conn_id'] overrides it for that DAG.",
    ),
    "opt_out_tags": Option(
        "string",
        "secoda:disabled",
        "Comma-separated DAG tags; a DAG carrying any of them reports nothing and costs nothing.",
        "secoda:disabled,sandbox",
    ),
    "only_tags": Option(
        "string",
        "",
        "Comma-separated DAG tags; when set, only DAGs carrying one of them report.",
        "secoda",
    ),
    "disabled_for_operators": Option(
        "string",
        "",
        "Comma-separated operator import paths (subclasses included) whose tasks report nothing.",
        "airflow.providers.standard.operators.empty.EmptyOperator",
    ),
    "extractors": Option(
        "string",
        "",
        "Comma-separated `module:Class` paths of your own extractors; they take precedence over "
        "extractors from installed packages and the built-in ones.",
        "my_company.lineage:CopyExtractor",
    ),
    "extract_timeout": Option(
        "float",
        "2.0",
        "Seconds an extractor may run on the task's path before it is cut off. Importing the "
        "extractors on first use in a process gets at least 10 s.",
    ),
    "allow_insecure_http": Option(
        "boolean",
        "False",
        "Allow a plain http:// Secoda host that is not a loopback address. The API key would travel "
        "in clear: leave this off outside a test network.",
    ),
    "spool_dir": Option(
        "string",
        "",
        "Directory of the durable event spool. Empty means $AIRFLOW_HOME/secoda/spool.",
        "/var/lib/airflow/secoda-spool",
    ),
    "spool_fsync": Option(
        "boolean",
        "False",
        "fsync each spooled event before the hook returns. Off, an event survives the task process "
        "being killed (SIGKILL, OOM, os._exit) but not a power cut or kernel crash of the host; on, it "
        "survives those too and each event costs about 1-2 ms more on the task's path.",
    ),
    "spool_max_mb": Option(
        "integer", "256", "Largest size of the spool; beyond it the oldest events are evicted (and counted)."
    ),
    "spool_max_files": Option(
        "integer", "100000", "Largest number of spooled events; beyond it the oldest are evicted (and counted)."
    ),
    "flush_timeout": Option(
        "float",
        "2.0",
        "Seconds a task may spend at its end delivering spooled events. What is left stays spooled for the next flush.",
    ),
    "request_timeout": Option(
        "float",
        "10.0",
        "Upper bound in seconds for one HTTP request to Secoda (connect and read). The delivery agent "
        "waits this long for an answer; an end-of-task flush is bounded by flush_timeout as well.",
    ),
    "delivery": Option(
        "string",
        "agent",
        "`agent`: hooks only write events to the spool and a delivery agent (one background process per "
        "spool directory, started on demand, exiting when idle) sends them, so no Airflow process waits "
        "on Secoda. `inline`: each task sends what is spooled at its end, within flush_timeout. "
        "KubernetesExecutor pods (AIRFLOW_IS_K8S_EXECUTOR_POD set) always deliver inline: their disk "
        "is gone when the task ends.",
        "inline",
    ),
    "agent_idle_timeout": Option(
        "float",
        "600.0",
        "Seconds the delivery agent stays up with nothing to send before it exits; the next event starts a new one.",
    ),
    "max_event_kb": Option(
        "integer",
        "512",
        "Largest event body; larger events are trimmed field by field with a visible marker, never dropped.",
    ),
    "dag_run_max_task_instances": Option(
        "integer",
        "1000",
        "Most task instances a DAG run's final event lists (`dag_run.task_instances`); beyond it the "
        "list is cut and `dag_run.task_instances_total` keeps the count.",
    ),
    "trigger_extraction": Option(
        "string",
        "off",
        "`after_dag_run` asks Secoda to run an extraction (processing pushed events) after DAG runs "
        "end, at most once per trigger_min_interval. `off` leaves it to you.",
        "after_dag_run",
    ),
    "trigger_min_interval": Option(
        "integer", "600", "Least number of seconds between two extraction triggers per integration."
    ),
    "hook_lineage_fold_threshold": Option(
        "integer",
        "50",
        "Hook-level lineage (files, objects and SQL Airflow's hooks report while a task runs): when a "
        "task reads or writes more than this many objects in one place (a bucket, a file system), those "
        "under one directory are reported as a single dataset for that directory (their longest common "
        "directory), and a line in the task's lineage errors says how many objects it stands for.",
        "200",
    ),
    "hook_lineage_max_datasets": Option(
        "integer",
        "200",
        "Most datasets hook-level lineage adds to one task's event, after folding; beyond it the rest "
        "are left out and a line in the task's lineage errors says how many. 0 turns hook-level lineage off.",
        "500",
    ),
}


def default(key: str) -> bool | int | float | str:
    """The declared default of ``[secoda] key``, typed: what constructors fall back to.

    Defaults live in :data:`OPTIONS` only; a class that takes one of these
    values as a parameter reads its default from here rather than restating it.
    """
    option = OPTIONS[key]
    if option.type == "boolean":
        return option.default == "True"
    if option.type == "integer":
        return int(option.default)
    if option.type == "float":
        return float(option.default)
    return option.default


def _raw(key: str) -> str:
    """The configured text of ``[secoda] key``, or its default.

    Airflow's own lookup walks every config source; the hooks ask for about
    fifteen options per task, so answers are kept, keyed by the option's
    environment variable (a changed variable is read afresh).
    """
    return _read(key, os.environ.get(f"AIRFLOW__{SECTION.upper()}__{key.upper()}"))


@functools.lru_cache(maxsize=256)
def _read(key: str, env_value: str | None) -> str:
    default = OPTIONS[key].default
    try:
        from airflow.configuration import conf

        value = conf.get(SECTION, key, fallback=default)
    except Exception:  # noqa: BLE001 - Airflow missing or its config broken: env var, then default.
        value = default if env_value is None else env_value
    return default if value is None else str(value).strip()


def reload() -> None:
    """Forget the values read so far (tests; a long-lived process after a config change)."""
    _read.cache_clear()


def _invalid(key: str, value: str, expected: str) -> None:
    # Once per (option, value): a config typo must not flood task logs.
    warn_once(
        log,
        ("conf", key, value),
        "[%s] %s = %r is not %s; using the default %r.",
        SECTION,
        key,
        value,
        expected,
        OPTIONS[key].default,
    )


def _bool(key: str) -> bool:
    value = _raw(key)
    lowered = value.lower()
    if lowered in ("true", "t", "1", "yes", "y", "on"):
        return True
    if lowered in ("false", "f", "0", "no", "n", "off"):
        return False
    _invalid(key, value, "a boolean (True/False)")
    return OPTIONS[key].default == "True"


def _number(key: str, kind: Callable[[str], float], minimum: float) -> float:
    value = _raw(key)
    try:
        number = kind(value)
    except ValueError:
        _invalid(key, value, f"a number >= {minimum}")
        return kind(OPTIONS[key].default)
    if number < minimum:
        _invalid(key, value, f"a number >= {minimum}")
        return kind(OPTIONS[key].default)
    return number


def _list(key: str) -> tuple[str, ...]:
    return tuple(item.strip() for item in _raw(key).split(",") if item.strip())


def _choice(key: str, choices: tuple[str, ...]) -> str:
    value = _raw(key).lower()
    if value in choices:
        return value
    _invalid(key, value, "one of " + ", ".join(choices))
    return OPTIONS[key].default


def enabled() -> bool:
    """``[secoda] enabled``: False turns the plugin off."""
    return _bool("enabled")


def conn_id() -> str:
    """``[secoda] conn_id``: the Airflow connection that points at Secoda."""
    return _raw("conn_id") or OPTIONS["conn_id"].default


def opt_out_tags() -> frozenset[str]:
    """``[secoda] opt_out_tags``: DAG tags that switch reporting off for a DAG."""
    return frozenset(_list("opt_out_tags"))


def only_tags() -> frozenset[str]:
    """``[secoda] only_tags``: when not empty, only DAGs with one of these tags report."""
    return frozenset(_list("only_tags"))


def disabled_for_operators() -> tuple[str, ...]:
    """``[secoda] disabled_for_operators``: operator import paths that report nothing."""
    return _list("disabled_for_operators")


def extractors() -> tuple[str, ...]:
    """``[secoda] extractors``: ``module:Class`` paths of user extractors."""
    return _list("extractors")


def extract_timeout() -> float:
    """``[secoda] extract_timeout``: seconds an extractor may run."""
    return _number("extract_timeout", float, 0.01)


def allow_insecure_http() -> bool:
    """``[secoda] allow_insecure_http``: allow plain http:// to a non-loopback host."""
    return _bool("allow_insecure_http")


def spool_dir() -> str:
    """``[secoda] spool_dir``: where events wait for delivery."""
    configured = _raw("spool_dir")
    if configured:
        return os.path.expanduser(configured)
    airflow_home = os.environ.get("AIRFLOW_HOME") or os.path.expanduser("~/airflow")
    return os.path.join(airflow_home, "secoda", "spool")


def spool_fsync() -> bool:
    """``[secoda] spool_fsync``: fsync every spooled event."""
    return _bool("spool_fsync")


def spool_max_mb() -> int:
    """``[secoda] spool_max_mb``: size cap of the spool in MiB."""
    return int(_number("spool_max_mb", int, 1))


def spool_max_files() -> int:
    """``[secoda] spool_max_files``: cap on the number of spooled events."""
    return int(_number("spool_max_files", int, 10))


def flush_timeout() -> float:
    """``[secoda] flush_timeout``: the end-of-task delivery budget in seconds."""
    return _number("flush_timeout", float, 0.0)


def request_timeout() -> float:
    """``[secoda] request_timeout``: cap on one HTTP request in seconds."""
    return _number("request_timeout", float, 0.05)


def delivery() -> str:
    """``[secoda] delivery``: ``agent`` or ``inline``; a KubernetesExecutor pod is always ``inline``."""
    if os.environ.get("AIRFLOW_IS_K8S_EXECUTOR_POD"):
        return "inline"
    return _choice("delivery", ("agent", "inline"))


def agent_idle_timeout() -> float:
    """``[secoda] agent_idle_timeout``: seconds an idle delivery agent waits before exiting."""
    return _number("agent_idle_timeout", float, 0.0)


def max_event_bytes() -> int:
    """``[secoda] max_event_kb``: events larger than this are trimmed (returned in bytes)."""
    return int(_number("max_event_kb", int, 4)) * 1024


def dag_run_max_task_instances() -> int:
    """``[secoda] dag_run_max_task_instances``: cap on the task instances a DAG-run event lists."""
    return int(_number("dag_run_max_task_instances", int, 0))


def trigger_extraction() -> str:
    """``[secoda] trigger_extraction``: ``off`` or ``after_dag_run``."""
    return _choice("trigger_extraction", ("off", "after_dag_run"))


def trigger_min_interval() -> int:
    """``[secoda] trigger_min_interval``: seconds between two extraction triggers."""
    return int(_number("trigger_min_interval", int, 0))


def hook_lineage_fold_threshold() -> int:
    """``[secoda] hook_lineage_fold_threshold``: objects in one place beyond which they fold into their directory."""
    return int(_number("hook_lineage_fold_threshold", int, 1))


def hook_lineage_max_datasets() -> int:
    """``[secoda] hook_lineage_max_datasets``: cap on the datasets hook-level lineage adds to a task (0: off)."""
    return int(_number("hook_lineage_max_datasets", int, 0))
