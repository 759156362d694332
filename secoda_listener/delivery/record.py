"""The spooled shape: one :class:`SpoolRecord` per file, validated when it is made.

On disk a record is compact JSON with the keys ``event_id``, ``conn_id``,
``route``, ``created_at``, ``body`` and, once Secoda refused it for good,
``failure`` (``kind``, ``reason``, ``at``). That format is the contract with
every spool written before: a record of an older version of this package is
read and delivered the same way.

The record names the connection id only, never the host or the key: those
are resolved when the record is sent.
"""

from __future__ import annotations

import enum
import json
import time
from collections.abc import Callable
from typing import Any

import attrs

from secoda_listener.exceptions import InvalidRecordError

#: Keys a file must have to be a record (``created_at`` and ``failure`` may be missing).
_REQUIRED = ("event_id", "conn_id", "route", "body")


class Route(str, enum.Enum):
    """What the sender does with a record's body; the value is what the file says."""

    INGEST = "ingest"  # an event for the integration's run-log ingest endpoint
    EXTRACTION = "extraction"  # a request to run an extraction of the integration

    def __str__(self) -> str:  # the same on every Python (3.11 changed str() of mixed-in enums)
        return self.value


def _typed(kind: type, *, non_empty: bool = False) -> Callable[[Any, Any, Any], None]:
    def check(instance: Any, attribute: Any, value: Any) -> None:
        # bool is an int: True is not a time.
        if not isinstance(value, kind) or (isinstance(value, bool) and kind is not bool):
            raise InvalidRecordError(f"spool record needs {attribute.name!r} of type {kind.__name__}")
        if non_empty and not value:
            raise InvalidRecordError(f"spool record needs a non-empty {attribute.name!r}")

    return check


def _seconds(value: Any) -> Any:
    """An int time is a float time; anything else is left for the validator to refuse."""
    if isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    return value


@attrs.frozen
class Failure:
    """Why Secoda refused a record for good (kept with it in ``failed/``)."""

    kind: str = attrs.field(validator=_typed(str))  # e.g. "http-400", "corrupt"
    reason: str = attrs.field(validator=_typed(str))
    at: float = attrs.field(converter=_seconds, validator=_typed(float))  # time.time()

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "reason": self.reason, "at": self.at}


@attrs.frozen
class SpoolRecord:
    """One spooled record. Raises :class:`InvalidRecordError` when a field is wrong."""

    event_id: str = attrs.field(validator=_typed(str, non_empty=True))
    conn_id: str = attrs.field(validator=_typed(str))
    route: Route = attrs.field(validator=_typed(Route))
    body: dict[str, Any] = attrs.field(validator=_typed(dict))
    created_at: float = attrs.field(factory=time.time, converter=_seconds, validator=_typed(float))
    failure: Failure | None = attrs.field(default=None, validator=attrs.validators.optional(_typed(Failure)))

    def to_json(self) -> bytes:
        """Compact UTF-8 JSON; :class:`InvalidRecordError` if the body is not JSON-able."""
        data: dict[str, Any] = {
            "event_id": self.event_id,
            "conn_id": self.conn_id,
            "route": self.route.value,
            "created_at": self.created_at,
            "body": self.body,
        }
        if self.failure is not None:
            data["failure"] = self.failure.to_dict()
        try:
            return json.dumps(data, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode()
        except (TypeError, ValueError) as exc:
            raise InvalidRecordError(f"spool record is not JSON-able: {exc}") from exc

    @classmethod
    def from_json(cls, data: bytes) -> SpoolRecord:
        """Parse a spooled file; :class:`InvalidRecordError` if it is not a record."""
        try:
            raw = json.loads(data)
        except ValueError as exc:  # also invalid UTF-8 (UnicodeDecodeError)
            raise InvalidRecordError(f"corrupt spool file: {exc}") from exc
        if not isinstance(raw, dict) or not all(key in raw for key in _REQUIRED):
            raise InvalidRecordError("corrupt spool file: not a record")
        try:
            route = Route(raw["route"])
        except (TypeError, ValueError):
            raise InvalidRecordError(f"corrupt spool file: unknown route {raw['route']!r}") from None
        try:
            failure = raw.get("failure")
            return cls(
                event_id=raw["event_id"],
                conn_id=raw["conn_id"],
                route=route,
                body=raw["body"],
                # Every writer so far set it; a hand-made file without it is still delivered.
                created_at=raw.get("created_at", 0.0),
                failure=None if failure is None else Failure(**failure) if isinstance(failure, dict) else failure,
            )
        except TypeError as exc:  # a failure with missing or unknown keys
            raise InvalidRecordError(f"corrupt spool file: {exc}") from None
        except InvalidRecordError as exc:
            raise InvalidRecordError(f"corrupt spool file: {exc}") from None
