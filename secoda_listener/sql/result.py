"""The result type, and the collector that builds it while statements are read."""

from __future__ import annotations

from typing import Any

import attrs

from secoda_listener.sql.names import TableName


@attrs.frozen
class SqlLineage:
    """Tables a SQL text reads (``inputs``) and writes (``outputs``), plus problems met."""

    inputs: tuple[TableName, ...] = ()
    outputs: tuple[TableName, ...] = ()
    errors: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "inputs": [str(name) for name in self.inputs],
            "outputs": [str(name) for name in self.outputs],
            "errors": list(self.errors),
        }


class Collector:
    """Accumulates inputs/outputs (deduplicated, first appearance wins) and errors.

    A dict keyed by the TableName itself gives spec equality (case rules) and
    keeps insertion order, so the first spelling seen is the one reported.
    """

    # An adversarial script must not grow the error list without bound.
    MAX_ERRORS = 50

    def __init__(self) -> None:
        self._inputs: dict[TableName, None] = {}
        self._outputs: dict[TableName, None] = {}
        self._errors: list[str] = []

    def read(self, name: TableName) -> None:
        self._inputs.setdefault(name, None)

    def write(self, name: TableName) -> None:
        self._outputs.setdefault(name, None)

    def error(self, message: str) -> None:
        if len(self._errors) < self.MAX_ERRORS:
            self._errors.append(message)
        elif len(self._errors) == self.MAX_ERRORS:
            self._errors.append("further errors omitted")

    def result(self) -> SqlLineage:
        return SqlLineage(tuple(self._inputs), tuple(self._outputs), tuple(self._errors))
