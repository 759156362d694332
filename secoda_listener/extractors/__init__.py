"""Extractors: per-operator lineage, and the extension point for users.

Write your own by subclassing :class:`BaseExtractor`; see the README section
"Write your own extractor". Everything an extractor needs is importable from
here::

    from secoda_listener.extractors import BaseExtractor, Dataset, Lineage, sql_lineage, sql_target
"""

from __future__ import annotations

from typing import Any

from secoda_listener.event.datasets import Dataset, Lineage
from secoda_listener.extractors.base import BaseExtractor
from secoda_listener.extractors.sql_targets import SqlTarget, sql_target


def sql_lineage(sql: Any, target: SqlTarget) -> Lineage:
    """Datasets read and written by ``sql`` (a string or a list of them) run at ``target``.

    ``target`` usually comes from ``sql_target(conn_id)``. Imported on first call:
    the SQL parser stays out of processes that never parse SQL (the scheduler).
    """
    from secoda_listener.extractors.sql_operators import sql_lineage as parse

    return parse(sql, target)


__all__ = ["BaseExtractor", "Dataset", "Lineage", "SqlTarget", "sql_lineage", "sql_target"]
