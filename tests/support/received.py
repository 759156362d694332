"""What the Secoda stand-in received, by the shapes the end-to-end tests compare."""

from __future__ import annotations

from typing import Any


def bodies_by_task(receiver: Any, event_type: str) -> dict[str, dict[str, Any]]:
    """task_id -> the body of its ``event_type`` event (the last one, if a task sent several)."""
    found = {}
    for record in receiver.received():
        body = record["body"]
        if body["event_type"] == event_type:
            found[body["task_instance"]["task_id"]] = body
    return found


def dataset_names(datasets: list[dict[str, str]]) -> set[tuple[str, str]]:
    """A lineage block's datasets as (namespace, name) pairs."""
    return {(d["namespace"], d["name"]) for d in datasets}
