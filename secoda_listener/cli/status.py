"""``secoda-listener status``: what waits in the spool, what failed, and why.

Shows counts (waiting, being sent, refused), the age of the oldest waiting
event, refusals by reason, evictions, the shared back-off state and whether
the spool's delivery agent runs. Never
shows event bodies (they hold SQL) nor the API key (the spool never has it).
"""

from __future__ import annotations

import argparse
import json
import os
import time
from typing import Any

from secoda_listener.cli.flush import add_spool_dir_argument, open_spool


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "status",
        help="show the spool: waiting and refused events, back-off",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_spool_dir_argument(parser)
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    parser.set_defaults(func=run)


def collect(spool: Any) -> dict[str, Any]:
    """Everything status shows, as JSON-able data."""
    import attrs

    from secoda_listener.delivery.agent import agent_state
    from secoda_listener.delivery.backoff import SharedBackoff

    now = time.time()
    stats = attrs.asdict(spool.stats())
    backoff = {  # by connection key, as the spool's file names say it
        key: {**attrs.asdict(entry), "active": entry.active(now), "seconds_left": max(0.0, entry.until - now)}
        for key, entry in SharedBackoff(spool.backoff_path).entries().items()
    }
    return {
        "spool_dir": str(spool.directory),
        **stats,
        "backoff": backoff,
        "recent_failures": spool.failures(limit=5),
        "agent": agent_state(spool.directory),
    }


def _age(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    minutes, secs = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m{secs:02d}s" if hours else f"{minutes}m{secs:02d}s" if minutes else f"{secs}s"


def render(data: dict[str, Any]) -> str:
    lines = [
        f"spool: {data['spool_dir']}",
        f"  waiting: {data['new']}   being sent: {data['claimed']}   oldest: {_age(data['oldest_age'])}",
        (
            f"  refused (failed/): {data['failed']}"
            + "".join(f"   {kind}: {n}" for kind, n in sorted(data["failures_by_kind"].items()))
        ),
        (
            f"  size: {data['bytes'] / 1048576:.1f} of {data['max_bytes'] / 1048576:.0f} MiB, "
            f"{data['new'] + data['claimed'] + data['failed']} of {data['max_files']} files; "
            f"evicted so far: {data['evictions']}"
        ),
    ]
    agent = data["agent"]
    if agent["running"]:
        lines.append(f"  delivery agent: running, pid {agent.get('pid')}")
    else:
        lines.append("  delivery agent: not running (the next event starts one)")
    for failure in data["recent_failures"]:
        lines.append(
            f"  refused {failure.get('event_id', failure.get('file'))}: {failure.get('reason', failure.get('kind'))}"
        )
    if not data["backoff"]:
        lines.append("  back-off: none")
    for key, entry in sorted(data["backoff"].items()):
        state = f"{entry['seconds_left']:.0f}s left" if entry["active"] else "over"
        lines.append(f"  back-off {key}: {state}, {entry['failures']} failures, last: {entry['reason']}")
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    from secoda_listener import conf
    from secoda_listener.exceptions import SpoolError

    directory = args.spool_dir or conf.spool_dir()
    if not os.path.isdir(directory):
        # Looking must not create anything.
        message = {"spool_dir": directory, "exists": False}
        print(json.dumps(message) if args.json else f"spool: {directory} (does not exist: nothing spooled yet)")
        return 0
    try:
        data = collect(open_spool(args))
    except (SpoolError, OSError) as exc:
        print(f"secoda-listener status: {exc}")
        return 2
    print(json.dumps(data, indent=2, sort_keys=True) if args.json else render(data))
    return 0
