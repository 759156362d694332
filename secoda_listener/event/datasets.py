"""Datasets and lineage: what an extractor returns and an event's ``lineage`` block holds.

Users build these in their own extractors (``from secoda_listener.extractors
import Lineage, Dataset``), so their names and fields are fixed.
"""

from __future__ import annotations

from collections.abc import Iterable

import attrs


@attrs.frozen
class Dataset:
    """A dataset named by OpenLineage conventions.

    ``Dataset("snowflake://acme-xy12345", "ANALYTICS.PUBLIC.ORDERS")``,
    ``Dataset("postgres://db.internal:5432", "shop.public.orders")``.
    """

    namespace: str = attrs.field(converter=str)
    name: str = attrs.field(converter=str)


def _datasets(items: Iterable[Dataset]) -> tuple[Dataset, ...]:
    # Keep first-seen order, drop repeats: a table read twice is one input.
    return tuple(dict.fromkeys(items))


def _texts(items: Iterable[str]) -> tuple[str, ...]:
    # A named function, not converter=tuple: type checkers then see what the field accepts.
    return tuple(items)


@attrs.frozen
class Lineage:
    """Inputs and outputs of one task run, plus why some could not be found."""

    inputs: tuple[Dataset, ...] = attrs.field(default=(), converter=_datasets)
    outputs: tuple[Dataset, ...] = attrs.field(default=(), converter=_datasets)
    errors: tuple[str, ...] = attrs.field(default=(), converter=_texts)

    def merged(self, other: Lineage) -> Lineage:
        return Lineage(
            inputs=self.inputs + other.inputs,
            outputs=self.outputs + other.outputs,
            errors=self.errors + other.errors,
        )

    def with_error(self, message: str) -> Lineage:
        return attrs.evolve(self, errors=(*self.errors, message))


EMPTY = Lineage()
