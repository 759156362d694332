"""Tests of secoda_listener.extractors.shell, one module per module; ``only`` is their shared helper."""

from __future__ import annotations

from secoda_listener.extractors.shell import ShellSql, find_sql


def only(command: str, **kwargs: object) -> ShellSql:
    found = find_sql(command, **kwargs)  # type: ignore[arg-type]
    assert len(found) == 1, found
    return found[0]
