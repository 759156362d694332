"""The ``secoda-listener`` command.

Each sub-command lives in its own module of this package and exposes two
functions: ``register(subparsers)`` adds its parser (and sets
``func=run`` as the default), ``run(args) -> int`` does the work and returns
the process exit code.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

# Module names (inside this package) of the sub-commands, in --help order.
COMMANDS: tuple[str, ...] = (
    "receiver",
    "flush",
    "status",
    "sql_lineage",
    "doctor",
    "inspect",
    "backfill",
)


def build_parser() -> argparse.ArgumentParser:
    from secoda_listener import __version__

    parser = argparse.ArgumentParser(
        prog="secoda-listener",
        description="Report Airflow runs and lineage to Secoda.",
    )
    parser.add_argument("--version", action="version", version=f"secoda-listener {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMANDS:
        try:
            module = importlib.import_module(f"{__name__}.{name}")
        except ImportError:
            # A sub-command not built yet in this checkout; the others still work.
            continue
        module.register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    return int(args.func(args))


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
