"""``secoda-listener doctor``: check the set-up, say what is wrong and how to fix it.

Checks, in order: the ``[secoda]`` options (effective values, invalid ones),
that Airflow will load the plugin, the Secoda connection (exists, host,
https, API key present, integration id), that Secoda's host answers its
health check, what the spool says about earlier refusals of the key, that the
spool directory is private and writable, which extractors are registered
and where each came from, and whether SQL run through hooks can be seen.

Exit status 0 when no problem was found, 1 otherwise. Doctor sends nothing
Secoda would record: the API key is not verified by a request (Secoda
documents no harmless authenticated call), and it is never printed.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import os
import stat
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import attrs

OK, NOTE, PROBLEM = "ok", "note", "problem"
_MARK = {OK: "  ok       ", NOTE: "  note     ", PROBLEM: "  PROBLEM  "}


@attrs.define
class Finding:
    status: str
    text: str
    fix: str | None = None


@attrs.define
class Section:
    title: str
    findings: list[Finding] = attrs.Factory(list)

    def add(self, status: str, text: str, fix: str | None = None) -> None:
        self.findings.append(Finding(status, text, fix))


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "doctor",
        help="check configuration, connection, spool and extractors",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--conn-id", metavar="ID", help="Secoda connection to check (default: [secoda] conn_id)")
    parser.add_argument(
        "--timeout", type=float, default=5.0, metavar="S", help="seconds to wait for Secoda's health check (default: 5)"
    )
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    parser.set_defaults(func=run)


# --- helpers ------------------------------------------------------------------------------


@contextlib.contextmanager
def report_stdout() -> Iterator[Callable[[str], None]]:
    """Keep stdout for the report: while checks run, whatever writes to fd 1 (Airflow's log
    set-up, structlog, a library) goes to stderr. Yields the function that prints the report."""
    sys.stdout.flush()
    saved = os.dup(1)
    os.dup2(2, 1)
    try:

        def emit(text: str) -> None:
            sys.stdout.flush()
            os.write(saved, (text + "\n").encode())

        yield emit
    finally:
        sys.stdout.flush()
        os.dup2(saved, 1)
        os.close(saved)


@contextlib.contextmanager
def _captured(logger: logging.Logger) -> Iterator[list[str]]:
    """Collect the warnings ``logger`` emits (instead of printing them)."""
    messages: list[str] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            messages.append(record.getMessage())

    handler = Collect(logging.WARNING)
    propagate, level = logger.propagate, logger.level
    logger.addHandler(handler)
    logger.propagate = False
    logger.setLevel(logging.WARNING)
    try:
        yield messages
    finally:
        logger.removeHandler(handler)
        logger.propagate, logger.level = propagate, level


def _env_name(key: str) -> str:
    return f"AIRFLOW__SECODA__{key.upper()}"


# --- the checks ---------------------------------------------------------------------------


def _readers() -> dict[str, Callable[[], Any]]:
    from secoda_listener import conf

    readers: dict[str, Callable[[], Any]] = {}
    for key in conf.OPTIONS:
        reader = getattr(conf, key, None)
        if key == "max_event_kb":
            readers[key] = lambda: conf.max_event_bytes() // 1024
        elif callable(reader):
            readers[key] = reader
    return readers


def _shown(value: Any) -> str:
    if isinstance(value, (tuple, list, frozenset, set)):
        return ",".join(sorted(str(v) for v in value)) if isinstance(value, (set, frozenset)) else ",".join(value)
    return str(value)


def check_config() -> tuple[Section, dict[str, Any]]:
    from secoda_listener import conf, logs

    section = Section("[secoda] configuration")
    values: dict[str, Any] = {}
    for key, read in _readers().items():
        logs.forget()  # each invalid value is reported here, even if warned before
        with _captured(conf.log) as warnings:
            value = read()
        values[key] = value
        option = conf.OPTIONS[key]
        if warnings:
            section.add(
                PROBLEM,
                f"{key} = {conf._raw(key)!r} is invalid; {_shown(value)!r} is used instead",
                f"set [secoda] {key} (or {_env_name(key)}) to a valid {option.type}, e.g. "
                f"{option.example or option.default!r}, or remove it",
            )
        else:
            section.add(OK, f"{key} = {_shown(value)}")
    if values.get("enabled") is False:
        section.add(
            NOTE,
            "the plugin is turned off: nothing is reported",
            f"set [secoda] enabled = True ({_env_name('enabled')}=True) to report",
        )
    if values.get("allow_insecure_http"):
        section.add(NOTE, "allow_insecure_http is on: an http:// host would get the API key in clear")
    return section, values


def check_plugin() -> Section:
    section = Section("Airflow plugin")
    try:
        # The registry's reader: entry_points(group=...) does not exist on Python 3.9.
        from secoda_listener.extractors.registry import group_entry_points

        found = [ep for ep in group_entry_points("airflow.plugins") if ep.value.startswith("secoda_listener")]
    except Exception as exc:  # noqa: BLE001 - reported as a note; the diagnosis goes on
        section.add(NOTE, f"cannot read installed entry points: {exc}")
        return section
    if found:
        section.add(OK, f"registered with Airflow as entry point airflow.plugins:{found[0].name} ({found[0].value})")
    else:
        section.add(
            PROBLEM,
            "no airflow.plugins entry point for secoda_listener in this Python environment",
            "install secoda-listener into the Python environment Airflow runs from "
            "(pip install secoda-listener), then restart the scheduler and workers",
        )
    return section


@attrs.frozen
class ConnectionCheck:
    """The connection section, and what later checks need to know from it."""

    section: Section
    base_url: str | None = None  # the endpoint's base URL, when it could be built
    have_key: bool = False  # the connection has an API key (its password)


def check_connection(conn_id: str, allow_http: bool) -> ConnectionCheck:
    from secoda_listener.delivery import secoda_connection as secoda_conn
    from secoda_listener.exceptions import ConfigError, ConnectionNotFound

    section = Section(f"connection {conn_id!r}")
    try:
        conn = secoda_conn.get_airflow_connection(conn_id)
    except ConnectionNotFound as exc:
        section.add(PROBLEM, str(exc), secoda_conn._HOW_TO_CREATE.format(conn_id=conn_id))
        return ConnectionCheck(section)
    section.add(OK, "exists")
    conn_type = getattr(conn, "conn_type", None)
    if conn_type != "secoda":
        section.add(NOTE, f"connection type is {conn_type!r}, not 'secoda' (it works, but the UI form differs)")

    base_url = None
    host = getattr(conn, "host", None)
    if not host:
        section.add(
            PROBLEM,
            "no host",
            f"set the host: airflow connections delete {conn_id}, then add it again "
            "with --conn-host https://api.secoda.co/api/v1/ (EU: eapi, APAC: aapi)",
        )
    else:
        try:
            base_url = secoda_conn.base_url_from_host(host, getattr(conn, "port", None), conn_id, allow_http)
        except ConfigError as exc:
            section.add(PROBLEM, str(exc), "use https:// in the connection host (e.g. https://api.secoda.co/api/v1/)")
        else:
            from urllib.parse import urlsplit

            parts = urlsplit(base_url)
            hostname = parts.hostname or ""
            section.add(OK, f"host {host!r} -> API base {base_url}")
            if parts.scheme == "https":
                section.add(OK, "https")
            elif secoda_conn.is_loopback(hostname):
                section.add(NOTE, f"plain http to loopback {hostname} (allowed: the key stays on this machine)")
            else:
                section.add(
                    NOTE,
                    f"plain http to {hostname}: the API key travels in clear ([secoda] allow_insecure_http is on)",
                    "use https:// for anything but a test network",
                )
            if not parts.path.rstrip("/").endswith("/api/v1"):
                section.add(
                    NOTE,
                    f"the API path is {parts.path!r}; Secoda's API lives under /api/v1/",
                    "set the host to e.g. https://api.secoda.co/api/v1/",
                )

    key = getattr(conn, "password", None)
    if not key:
        section.add(
            PROBLEM,
            "no API key (the connection's password is empty)",
            "put the Secoda API key in the connection's password field",
        )
    else:
        section.add(OK, f"API key present: *** ({len(key)} characters)")
        if key != key.strip():
            section.add(
                PROBLEM,
                "the API key starts or ends with whitespace (a copy-paste slip?)",
                "re-enter the key without surrounding spaces or newlines",
            )
    integration_id = secoda_conn.connection_extras(conn).get("integration_id")
    if not integration_id:
        section.add(
            PROBLEM,
            'no integration id (extra {"integration_id": "..."})',
            'add the id of your Airflow integration in Secoda to the connection\'s extra: {"integration_id": "<id>"}',
        )
    else:
        section.add(OK, f"integration id {integration_id}")
    return ConnectionCheck(section, base_url, have_key=bool(key))


def check_reachable(base_url: str, timeout: float) -> Section:
    """GET /healthcheck at the host root (as documented), then under the API base."""
    from urllib.parse import urlsplit

    import requests

    section = Section("Secoda reachable")
    parts = urlsplit(base_url)
    candidates = [f"{parts.scheme}://{parts.netloc}/healthcheck", base_url + "healthcheck"]
    tried: list[str] = []
    for url in candidates:
        try:
            response = requests.get(url, timeout=timeout, allow_redirects=False)
        except requests.RequestException as exc:
            tried.append(f"GET {url}: {type(exc).__name__}")
            continue
        if 200 <= response.status_code < 300:
            try:
                payload = response.json()
            except ValueError:
                payload = None
            detail = f" {payload}" if isinstance(payload, dict) else ""
            section.add(
                OK,
                f"GET {url} -> HTTP {response.status_code}{detail} in {response.elapsed.total_seconds() * 1000:.0f} ms",
            )
            return section
        if 300 <= response.status_code < 400:
            tried.append(f"GET {url}: redirected ({response.status_code}) to {response.headers.get('Location')!r}")
        else:
            tried.append(f"GET {url}: HTTP {response.status_code}")
    section.add(
        PROBLEM,
        "the health check did not answer: " + "; ".join(tried),
        "check the connection host (region: api / eapi / aapi.secoda.co, or your own domain), "
        "DNS, firewalls and HTTPS_PROXY/NO_PROXY; a redirect means the host should be the final URL",
    )
    return section


def _failed_kinds(spool_dir: Path, key: str) -> dict[str, int]:
    """Refusals in ``failed/`` of the connection whose key is ``key``, by kind."""
    kinds: dict[str, int] = {}
    try:
        names = os.listdir(spool_dir / "failed")
    except OSError:
        return kinds
    from secoda_listener.delivery.names import FailedName, conn_key_of

    for name in names:
        failed = FailedName.parse(name)
        if failed is not None and conn_key_of(failed.original) == key:  # a foreign file names no connection
            kinds[failed.kind] = kinds.get(failed.kind, 0) + 1
    return kinds


def check_key(conn_id: str, spool_dir: Path, have_key: bool) -> Section:
    """What can honestly be said about the key without sending anything Secoda would record."""
    from secoda_listener.delivery.backoff import STATE_FILE, SharedBackoff
    from secoda_listener.delivery.names import conn_key

    section = Section("API key accepted?")
    if not have_key:
        section.add(NOTE, "no key to check")
        return section
    key = conn_key(conn_id)
    kinds = _failed_kinds(spool_dir, key)
    refused = {kind: n for kind, n in kinds.items() if kind in ("http-401", "http-403")}
    if refused:
        counts = ", ".join(f"{n} x {kind.upper()}" for kind, n in sorted(refused.items()))
        section.add(
            PROBLEM,
            f"Secoda refused the key earlier: {counts} in {spool_dir / 'failed'}",
            "put a valid API key in the connection's password, then run "
            "`secoda-listener flush --retry-failed` to resend the refused events",
        )
    other = {kind: n for kind, n in kinds.items() if kind not in refused}
    if other:
        section.add(
            NOTE,
            "other refused events: "
            + ", ".join(f"{n} x {k}" for k, n in sorted(other.items()))
            + " (see `secoda-listener status`)",
        )
    entry = SharedBackoff(spool_dir / STATE_FILE).get(key) if (spool_dir / STATE_FILE).exists() else None
    if entry is not None and entry.active(time.time()):
        section.add(
            NOTE,
            f"backing off for {entry.until - time.time():.0f}s more after {entry.failures} "
            f"failures; last: {entry.reason}",
        )
    if not refused:
        section.add(
            NOTE,
            "key not verified: Secoda documents no harmless authenticated request, and doctor "
            "sends nothing Secoda would record. A wrong key shows up as HTTP 401 events in "
            "`secoda-listener status` after the first task runs.",
        )
    return section


def check_spool(directory: Path) -> Section:
    section = Section(f"spool {directory}")
    if not directory.exists():
        parent = directory
        while not parent.exists() and parent != parent.parent:
            parent = parent.parent
        if parent.is_dir() and os.access(parent, os.W_OK | os.X_OK):
            section.add(OK, f"does not exist yet; will be created (mode 0700) under {parent} on the first event")
        else:
            section.add(
                PROBLEM,
                f"does not exist and cannot be created: {parent} is not writable",
                f"create it for the Airflow user: mkdir -p {directory} && chmod 700 {directory}, "
                "or set [secoda] spool_dir elsewhere",
            )
        return section
    if not directory.is_dir():
        section.add(
            PROBLEM,
            "exists but is not a directory",
            "remove it, or set [secoda] spool_dir (AIRFLOW__SECODA__SPOOL_DIR) to a directory",
        )
        return section
    info = directory.stat()
    mode = stat.S_IMODE(info.st_mode)
    if mode & 0o077:
        section.add(
            PROBLEM,
            f"mode {mode:04o}: other users can look at spooled events (they hold SQL)",
            f"chmod 700 {directory}",
        )
    else:
        section.add(OK, f"mode {mode:04o}")
    if info.st_uid != os.geteuid():
        section.add(NOTE, f"owned by uid {info.st_uid}, this process runs as uid {os.geteuid()}")
    probe = directory / f".doctor-probe-{os.getpid()}"
    try:
        fd = os.open(probe, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600)
        try:
            os.write(fd, b"probe")
            os.fsync(fd)
        finally:
            os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        with contextlib.suppress(OSError):
            os.unlink(probe)
        section.add(
            PROBLEM,
            f"not writable: {exc.strerror or exc}",
            f"give the Airflow user write access (chown it; chmod 700 {directory}), free disk space, "
            "or set [secoda] spool_dir elsewhere",
        )
    else:
        section.add(OK, "writable (probe file created and removed)")
    counts = {}
    for sub in ("new", "cur", "failed"):
        with contextlib.suppress(OSError):
            counts[sub] = len(os.listdir(directory / sub))
    if counts:
        section.add(
            NOTE,
            f"{counts.get('new', 0)} waiting, {counts.get('cur', 0)} being sent, "
            f"{counts.get('failed', 0)} refused (details: `secoda-listener status`)",
        )
    return section


def check_extractors() -> Section:
    from secoda_listener.extractors.registry import load_all

    section = Section("extractors (in precedence order)")
    registered, problems = load_all()
    for entry in registered:
        operators = ", ".join(op.rsplit(".", 1)[-1] for op in entry.extractor.operators) or "no operators"
        section.add(OK, f"{entry.origin_text}: {entry.path} ({operators})")
    for problem in problems:
        section.add(
            PROBLEM,
            problem,
            "fix the `module:Class` path in [secoda] extractors (the class must subclass "
            "secoda_listener.extractors.BaseExtractor and import without error), or fix or "
            "uninstall the package that declares the entry point",
        )
    return section


#: The common-sql release whose DbApiHook.run started reporting its SQL to Airflow's hook lineage collector.
SQL_RECORDING_COMMON_SQL = "1.32.0"


def _common_sql_records_sql() -> tuple[str | None, bool]:
    """The installed common-sql version (None: absent), and whether its hooks report the SQL they run."""
    import importlib
    from importlib import metadata

    try:
        version: str | None = metadata.version("apache-airflow-providers-common-sql")
    except metadata.PackageNotFoundError:
        version = None
    try:
        # The feature, not the version number: a backport would have it too.
        module = importlib.import_module("airflow.providers.common.sql.hooks.lineage")
    except Exception:  # noqa: BLE001 - absent, or failing to import: either way nothing is recorded
        return version, False
    return version, callable(getattr(module, "send_sql_hook_lineage", None))


def check_hook_lineage(values: dict[str, Any]) -> Section:
    """What ``@task`` code's hooks report (files, objects, SQL), and what this installation cannot see."""
    section = Section("hook-level lineage (files, objects and SQL a task's hooks use)")
    if values.get("hook_lineage_max_datasets") == 0:
        section.add(NOTE, "off ([secoda] hook_lineage_max_datasets = 0)")
        return section
    version, records_sql = _common_sql_records_sql()
    reported_anyway = (
        "reported anyway: files and objects read or written through ObjectStoragePath or through hooks "
        "that report assets, and the SQL of SQL operators (from the operator itself)"
    )
    if records_sql:
        section.add(OK, f"SQL run through hooks is read (apache-airflow-providers-common-sql {version} records it)")
    elif version is None:
        section.add(
            NOTE,
            f"apache-airflow-providers-common-sql is not installed: SQL run through hooks is not seen; "
            f"{reported_anyway}",
        )
    else:
        section.add(
            NOTE,
            f"apache-airflow-providers-common-sql {version} predates SQL recording (added in "
            f"{SQL_RECORDING_COMMON_SQL}): SQL run through hooks in Python code, e.g. PostgresHook(...).run(...) "
            f"in a @task, is not seen; {reported_anyway}",
            f"apache-airflow-providers-common-sql>={SQL_RECORDING_COMMON_SQL} (Airflow 2.11 or later) records it",
        )
    return section


def _callback_provider_version() -> str | None:
    from importlib import metadata

    try:
        return metadata.version("secoda-airflow")
    except metadata.PackageNotFoundError:
        return None


def callback_provider_uses(dags: dict[str, Any]) -> dict[str, list[str]]:
    """dag_id -> where its secoda-airflow callbacks are ("DAG on_success_callback", "task t: ...")."""
    from secoda_listener.capture.selection import DAG_CALLBACKS, TASK_CALLBACKS, provider_callbacks

    found: dict[str, list[str]] = {}
    for dag_id, dag in sorted(dags.items()):
        places = [f"DAG {name}" for name in provider_callbacks(dag, DAG_CALLBACKS)]
        for task in sorted(getattr(dag, "tasks", None) or (), key=lambda t: str(getattr(t, "task_id", ""))):
            names = provider_callbacks(task, TASK_CALLBACKS)
            if names:
                places.append(f"task {getattr(task, 'task_id', '?')}: {', '.join(names)}")
        if places:
            found[str(dag_id)] = places
    return found


def check_callback_provider(dags_folder: str | None = None) -> Section:
    """Every DAG of the DAGs folder that still has secoda-airflow's callbacks (left to them, not reported here)."""
    from secoda_listener.capture.airflow_objects import dags_folder as configured_folder
    from secoda_listener.capture.airflow_objects import relative_fileloc
    from secoda_listener.cli.inspect import load_dags

    section = Section("secoda-airflow callbacks (the callback provider this plugin replaces)")
    version = _callback_provider_version()
    folder = dags_folder or configured_folder()
    if not folder or not os.path.isdir(folder):
        section.add(NOTE, f"DAGs folder {folder!r} not found: DAGs not checked for secoda-airflow callbacks")
    else:
        dags, _errors = load_dags(folder)  # import errors are `secoda-listener inspect`'s to show
        uses = callback_provider_uses(dags)
        for dag_id, places in uses.items():
            fileloc = relative_fileloc(getattr(dags[dag_id], "fileloc", None), os.path.realpath(folder))
            section.add(
                NOTE,
                f"DAG {dag_id} ({fileloc}) still has secoda-airflow callbacks ({'; '.join(places)}): "
                "the plugin leaves what they cover to them, without lineage",
                "remove secoda_airflow.callbacks' task_callbacks / dag_callbacks from the DAG and its "
                "default_args; keep the secoda connection",
            )
        if not uses:
            section.add(OK, f"no DAG of {len(dags)} in {folder} has secoda-airflow callbacks")
    if version is not None:
        section.add(
            NOTE,
            f"secoda-airflow {version} is installed: it registers the `secoda` connection type too, so "
            "Airflow warns of the duplicate and its form is shown; the connection itself serves both",
            "once no DAG uses its callbacks, uninstall secoda-airflow",
        )
    return section


def check_trigger(conn_id: str, values: dict[str, Any]) -> Section | None:
    if values.get("trigger_extraction") != "after_dag_run":
        return None
    from secoda_listener.delivery import extraction_trigger as trigger

    section = Section("extraction trigger")
    last = trigger.last_trigger(conn_id)
    when = "never" if last is None else f"{time.time() - last:.0f}s ago"
    section.add(OK, f"after DAG runs, at most every {values.get('trigger_min_interval')}s; last request: {when}")
    return section


# --- output -------------------------------------------------------------------------------


def render(sections: list[Section]) -> str:
    lines: list[str] = []
    for section in sections:
        lines.append(section.title)
        for finding in section.findings:
            lines.append(_MARK[finding.status] + finding.text)
            if finding.fix:
                lines.append("             fix: " + finding.fix)
        lines.append("")
    problems = sum(f.status == PROBLEM for s in sections for f in s.findings)
    lines.append(f"{problems} problem{'s' if problems != 1 else ''} found" if problems else "no problems found")
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    with report_stdout() as emit:
        return _run(args, emit)


def _run(args: argparse.Namespace, emit: Callable[[str], None]) -> int:
    from secoda_listener import conf

    sections: list[Section] = []
    config, values = check_config()
    sections.append(config)
    sections.append(check_plugin())
    conn_id = args.conn_id or conf.conn_id()
    connection = check_connection(conn_id, conf.allow_insecure_http())
    sections.append(connection.section)
    if connection.base_url is not None:
        sections.append(check_reachable(connection.base_url, args.timeout))
    spool_dir = Path(conf.spool_dir())
    sections.append(check_key(conn_id, spool_dir, connection.have_key))
    sections.append(check_spool(spool_dir))
    sections.append(check_extractors())
    sections.append(check_hook_lineage(values))
    sections.append(check_callback_provider())
    trigger_section = check_trigger(conn_id, values)
    if trigger_section is not None:
        sections.append(trigger_section)
    problems = sum(f.status == PROBLEM for s in sections for f in s.findings)
    if args.json:
        emit(
            json.dumps(
                {"problems": problems, "sections": [attrs.asdict(s) for s in sections]}, indent=2, sort_keys=True
            )
        )
    else:
        emit(render(sections))
    return 1 if problems else 0
