"""Spool records as the listener writes them, for the delivery tests."""

from __future__ import annotations

import time
from typing import Any

from secoda_listener.delivery.record import Route, SpoolRecord


def spooled(
    i: int | str, /, conn_id: str = "secoda_default", route: Route | str = Route.INGEST, **body: Any
) -> SpoolRecord:
    """Record number ``i``: event id ``ev-{i}``, extra body keys from ``body``."""
    return SpoolRecord(
        event_id=f"ev-{i}",
        conn_id=conn_id,
        route=Route(route),
        created_at=time.time(),
        body={"event_id": f"ev-{i}", "event_type": "task_success", **body},
    )
