"""``secoda-listener receiver``: run a local Secoda stand-in, or summarize what it got.

``receiver --port N --store FILE [--api-key KEY] [--fault JSON ...]`` serves
until SIGINT/SIGTERM and prints one ``listening on URL`` line first (scripts
wait for it). ``receiver --summary --store FILE`` reads the store and prints
per DAG, per task, the event types in order with their lineage.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import threading
from collections import Counter
from pathlib import Path
from typing import Any, Iterable, TextIO

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
        "--fault", action="append", default=[], metavar="JSON",
        help='queue a fault, e.g. \'{"status": 503, "times": 5}\' (repeatable)',
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
        receiver = Receiver(args.store, api_key=args.api_key, port=args.port, faults=faults)
    except (ValueError, OSError) as exc:
        print(f"secoda-listener receiver: {exc}", file=sys.stderr)
        return 2
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    with receiver:
        print(f"listening on {receiver.url} (store: {args.store})", flush=True)
        while not stop.wait(0.5):
            pass
    return 0


# --- summary -----------------------------------------------------------------


def _names(datasets: Iterable[Any]) -> list[str]:
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
        body = r.get("body") if isinstance(r.get("body"), dict) else {}
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
