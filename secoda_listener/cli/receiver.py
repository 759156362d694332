"""``secoda-listener receiver``: run a local Secoda stand-in, or summarize what it got.

``receiver --port N --store FILE [--api-key KEY] [--fault JSON ...]
[--latency SECONDS] [--tls]`` serves until SIGINT/SIGTERM and prints one
``listening on URL (store: FILE)`` line first (scripts wait for it; with
``--tls`` the URL is https:// and the line ends ``(store: FILE; ca: PEM)``,
the CA certificate clients must trust, e.g. through REQUESTS_CA_BUNDLE).
``--latency`` answers every request that many seconds after it was sent, as a
server that far away would (concurrent requests each wait it).
``receiver --summary --store FILE`` reads the store and prints the event ids
delivered more than once, then per DAG, per task, the event types in order
with their lineage.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import threading
from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from typing import Any, TextIO

API_KEY_ENV = "SECODA_RECEIVER_API_KEY"


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "receiver",
        help="run a local Secoda-compatible server (tests, demos), or summarize its store",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--store", required=True, type=Path, help="JSON-lines file of received requests")
    parser.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (0: any free port)")
    parser.add_argument(
        "--api-key",
        default=os.environ.get(API_KEY_ENV),
        help=f"require 'Authorization: Bearer KEY' (default: ${API_KEY_ENV}; none: accept all)",
    )
    parser.add_argument(
        "--fault",
        action="append",
        default=[],
        metavar="JSON",
        help='queue a fault, e.g. \'{"status": 503, "times": 5}\' (repeatable)',
    )
    parser.add_argument(
        "--latency",
        type=float,
        default=0.0,
        metavar="SECONDS",
        help="simulated network round trip: every request is answered this long after it was sent "
        "(the health check too; not /_control/), concurrent requests each waiting it (default 0)",
    )
    parser.add_argument(
        "--tls",
        action="store_true",
        help="serve HTTPS with a certificate for 127.0.0.1/localhost from a throwaway CA (path printed)",
    )
    parser.add_argument("--summary", action="store_true", help="print a summary of --store and exit")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from secoda_listener.testing.receiver import Receiver, read_store

    if args.summary:
        print_summary(read_store(args.store), sys.stdout)
        return 0
    try:
        faults = [json.loads(text) for text in args.fault]
        receiver = Receiver(
            args.store, api_key=args.api_key, port=args.port, faults=faults, latency=args.latency, tls=args.tls
        )
    except (ValueError, OSError, ImportError) as exc:
        print(f"secoda-listener receiver: {exc}", file=sys.stderr)
        return 2
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    with receiver:
        ca = f"; ca: {receiver.ca_path}" if receiver.ca_path else ""
        print(f"listening on {receiver.url} (store: {args.store}{ca})", flush=True)
        while not stop.wait(0.5):
            pass
    return 0


# --- summary -----------------------------------------------------------------


def _names(datasets: Iterable[Any] | None) -> list[str]:
    out = []
    for ds in datasets or ():
        if isinstance(ds, dict):
            ns, name = ds.get("namespace"), ds.get("name")
            out.append(f"{ns}/{name}" if ns else str(name))
        else:
            out.append(str(ds))
    return out


def print_summary(records: list[dict[str, Any]], out: TextIO) -> None:
    """Write a human summary of store ``records`` to ``out``."""
    statuses = Counter(r.get("status", 200) for r in records)
    ok = [r for r in records if r.get("status", 200) == 200]
    events = [r for r in ok if r.get("integration_id") is not None]
    jobs = [r for r in ok if r.get("integration_id") is None]
    out.write(f"requests stored: {len(records)} ({', '.join(f'{k}: {v}' for k, v in sorted(statuses.items()))})\n")
    out.write(f"events accepted: {len(events)}; extraction jobs triggered: {len(jobs)}\n")

    ids = Counter(r.get("event_id") for r in events if r.get("event_id"))
    duplicates = {eid: n for eid, n in ids.items() if n > 1}
    out.write(f"distinct event ids: {len(ids)}; duplicates: {len(duplicates)}\n")
    for eid, n in sorted(duplicates.items()):
        out.write(f"  duplicate {eid} x{n}\n")

    # dag_id -> task_id ("" for DAG-level events) -> list of lines, arrival order.
    tree: dict[str, dict[str, list[str]]] = {}
    for r in events:
        body = r.get("body")
        if not isinstance(body, dict):
            body = {}
        ti = body.get("task_instance") or {}
        dag_id = ti.get("dag_id") or (body.get("dag") or {}).get("dag_id") or "?"
        event_type = str(body.get("event_type", "?"))
        # DAG-run events may carry the last task instance too: group them by DAG.
        task_id = "" if event_type.startswith("dag") else (ti.get("task_id") or "")
        lineage = body.get("lineage") or {}
        line = event_type
        if ti.get("state"):
            line += f" [{ti['state']}]"
        ins, outs = _names(lineage.get("inputs")), _names(lineage.get("outputs"))
        if ins or outs:
            line += f"  in: {', '.join(ins) or '-'}  out: {', '.join(outs) or '-'}"
        if lineage.get("errors"):
            line += f"  errors: {len(lineage['errors'])}"
        tree.setdefault(dag_id, {}).setdefault(task_id or "", []).append(line)

    for dag_id in sorted(tree):
        out.write(f"\nDAG {dag_id}\n")
        for task_id in sorted(tree[dag_id]):
            label = f"  task {task_id}" if task_id else "  (dag run)"
            out.write(f"{label}\n")
            for line in tree[dag_id][task_id]:
                out.write(f"    {line}\n")
