"""``secoda-listener flush``: deliver what is spooled, now.

A person asking for a flush means now: the back-off other processes share
is ignored (Secoda's own answers during this flush are still honoured).
Exit status 0 when nothing deliverable is left, 1 when events remain
spooled (Secoda refusing, out of time, connection not resolvable), 2 when
the spool cannot be used.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from secoda_listener.exceptions import SpoolError


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "flush",
        help="deliver spooled events to Secoda now",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--timeout",
        type=float,
        default=60.0,
        metavar="S",
        help="give up after S seconds; what is left stays spooled (default: 60)",
    )
    parser.add_argument(
        "--retry-failed", action="store_true", help="first move events Secoda refused (failed/) back into the queue"
    )
    add_spool_dir_argument(parser)
    parser.set_defaults(func=run)


def add_spool_dir_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--spool-dir", metavar="DIR", help="spool directory (default: [secoda] spool_dir)")


def open_spool(args: argparse.Namespace) -> Any:
    """The spool named by ``--spool-dir`` or the configuration (raises SpoolError)."""
    from secoda_listener import conf
    from secoda_listener.delivery.spool import MIB, Spool

    return Spool(
        args.spool_dir or conf.spool_dir(),
        max_bytes=conf.spool_max_mb() * MIB,
        max_files=conf.spool_max_files(),
        fsync=conf.spool_fsync(),
    )


def run(args: argparse.Namespace) -> int:
    from secoda_listener import conf
    from secoda_listener.delivery.secoda_connection import resolve_endpoint
    from secoda_listener.delivery.sender import Sender
    from secoda_listener.delivery.transport import Transport

    try:
        spool = open_spool(args)
    except SpoolError as exc:
        print(f"secoda-listener flush: {exc}", file=sys.stderr)
        return 2
    sender = Sender(spool, resolve_endpoint, Transport(), request_timeout=conf.request_timeout())
    try:
        result = sender.flush(args.timeout, ignore_backoff=True, retry_failed=args.retry_failed)
    except Exception as exc:  # noqa: BLE001 - one readable line, not a traceback
        print(f"secoda-listener flush: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    print(
        f"sent {result.sent}, refused {result.failed}, left spooled {result.remaining}"
        + (f", evicted {result.evicted}" if result.evicted else "")
    )
    if result.failed:
        print(
            "refused events are in failed/: see `secoda-listener status`, then `secoda-listener flush --retry-failed`"
        )
    for error in result.errors:
        print(f"  {error}")
    return 0 if result.remaining == 0 else 1
