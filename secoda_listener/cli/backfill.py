"""``secoda-listener backfill``: push an Airflow deployment's finished history to Secoda.

Reads the deployment's REST API (Airflow 2 ``/api/v1`` or Airflow 3 ``/api/v2``,
detected) and sends, through this host's spool and sender, one
``dag_run_success``/``dag_run_failed`` event per run that ended in the window and
one ``task_success``/``task_failed`` event per finished try, with the ids the
listener gives them. Events this host already delivered are skipped (the spool's
ledger), so a second backfill over the same window sends nothing.

Credentials come from the environment, never the command line:
AIRFLOW_API_TOKEN (a bearer token), or AIRFLOW_API_USERNAME and
AIRFLOW_API_PASSWORD (basic auth on Airflow 2; a token from /auth/token on
Airflow 3).

Exit status: 0 when everything was read and delivered (or printed with
--dry-run), 1 when some DAGs or runs could not be read or events stay spooled,
2 when Airflow or Secoda cannot be used at all (wrong URL, refused
credentials, a disabled API, no Secoda connection).
"""

from __future__ import annotations

import argparse
import logging
import sys
from typing import Any

log = logging.getLogger(__name__)


def register(subparsers: Any) -> None:
    from secoda_listener.history.client import DEFAULT_PAGE_SIZE
    from secoda_listener.history.window import DEFAULT_SINCE

    parser = subparsers.add_parser(
        "backfill",
        help="send an Airflow deployment's finished runs (from its REST API) to Secoda",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--airflow-url", required=True, metavar="URL", help="the Airflow UI / API server, e.g. https://airflow.internal"
    )
    parser.add_argument(
        "--since",
        metavar="DATE|DURATION",
        help=f"runs that ended since this date or this long ago (7d, 36h, 2026-01-31; default: {DEFAULT_SINCE})",
    )
    parser.add_argument("--until", metavar="DATE", help="runs that ended until this date (default: now)")
    parser.add_argument(
        "--dag",
        action="append",
        default=[],
        metavar="PATTERN",
        help="only DAGs whose id matches this glob (repeatable; default: every DAG)",
    )
    parser.add_argument("--conn-id", metavar="ID", help="Secoda connection to send with (default: [secoda] conn_id)")
    parser.add_argument("--dry-run", action="store_true", help="print the events (JSON lines) instead of sending")
    parser.add_argument(
        "--page-size",
        type=int,
        default=DEFAULT_PAGE_SIZE,
        metavar="N",
        help=f"items per API request (default: {DEFAULT_PAGE_SIZE}, Airflow's own maximum)",
    )
    parser.set_defaults(func=run)


def _fail(message: str, code: int = 2) -> int:
    print(f"secoda-listener backfill: {message}", file=sys.stderr)
    return code


def run(args: argparse.Namespace) -> int:
    from secoda_listener import conf
    from secoda_listener.delivery.ledger import Ledger
    from secoda_listener.exceptions import ConfigError, SecodaListenerError
    from secoda_listener.history.backfill import Backfill, PrintSink, Progress
    from secoda_listener.history.client import AirflowApiError, AirflowClient, Credentials
    from secoda_listener.history.spooling import SpoolSink
    from secoda_listener.history.window import Window

    if args.page_size < 1:
        return _fail("--page-size must be at least 1")
    try:
        window = Window.parse(args.since, args.until, args.dag)
    except ValueError as exc:
        return _fail(str(exc))
    try:
        credentials = Credentials.from_env()
        client = AirflowClient(args.airflow_url, credentials)
    except AirflowApiError as exc:
        return _fail(str(exc))
    conn_id = args.conn_id or conf.conn_id()
    if not args.dry_run:
        from secoda_listener.delivery.secoda_connection import resolve_endpoint

        try:
            resolve_endpoint(conn_id)  # no Secoda connection: say so before reading anything
        except ConfigError as exc:
            return _fail(str(exc))
    try:
        client.connect()
    except AirflowApiError as exc:
        return _fail(str(exc))
    print(
        f"backfill: Airflow {client.version or client.major} at {client.base_url}, {window.describe()}"
        + (" (dry run: nothing is sent)" if args.dry_run else f", to Secoda connection {conn_id!r}"),
        file=sys.stderr,
    )
    spool_dir = conf.spool_dir()
    delivered = Ledger(spool_dir).delivered()
    secrets = credentials.secrets()
    sink = PrintSink(sys.stdout, secrets) if args.dry_run else SpoolSink(conn_id, secrets)
    backfill = Backfill(
        client,
        window,
        sink,
        delivered=delivered,
        page_size=args.page_size,
        max_run_tasks=conf.dag_run_max_task_instances(),
        progress=Progress(),
    )
    try:
        summary = backfill.run()
    except (AirflowApiError, SecodaListenerError) as exc:
        summary = backfill.summary
        print(f"backfill stopped: {summary.line()}", file=sys.stderr)
        return _fail(str(exc), 2 if isinstance(exc, AirflowApiError) else 1)
    print(f"backfill: {summary.line()}", file=sys.stderr)
    if not args.dry_run:
        print(f"backfill: sent {summary.sent}, left spooled {summary.left_spooled}", file=sys.stderr)
    for message in summary.error_messages:
        print(f"  {message}", file=sys.stderr)
    return 1 if summary.errors or summary.left_spooled else 0
