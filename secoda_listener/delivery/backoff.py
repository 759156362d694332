"""When to try Secoda again: the back-off policy and its state shared on disk.

The policy is capped exponential back-off with "equal jitter" (half the delay
fixed, half random): full jitter can draw ~0 s, and with many task processes
on a host that is a stampede on an API that just said it is overloaded. A
``Retry-After`` from Secoda wins over the computed delay (capped, so a bogus
header cannot park delivery for days).

The state lives in one small JSON file in the spool directory, replaced
atomically, keyed by the connection key of the spool's file names (the
connection id, or a hash of it; never the URL or the key). Every process on
the host reads it before spending its flush budget, so while Secoda refuses
only one process at a time probes it.
Read-modify-write is not locked: two processes failing at once may lose one
failure count, which only shortens one delay. That is fine for advice.
"""

from __future__ import annotations

import json
import logging
import random
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import attrs

from secoda_listener.delivery.files import write_atomic
from secoda_listener.exceptions import SpoolError

log = logging.getLogger(__name__)

STATE_FILE = "backoff.json"


@attrs.frozen
class BackoffPolicy:
    """``delay(n)`` for the n-th consecutive failure (n >= 1)."""

    base: float = 0.5
    cap: float = 60.0
    #: Longest ``Retry-After`` honoured as is.
    max_retry_after: float = 900.0

    def delay(self, failures: int, retry_after: float | None = None, rng: Callable[[], float] = random.random) -> float:
        if retry_after is not None and retry_after >= 0:
            return min(retry_after, self.max_retry_after)
        ceiling = min(self.cap, self.base * 2 ** max(0, failures - 1))
        return ceiling / 2 + rng() * ceiling / 2


@attrs.frozen
class BackoffEntry:
    """What the host knows about one connection's refusals."""

    until: float  # wall-clock time.time(): it is compared across processes
    failures: int
    reason: str
    updated_at: float

    def active(self, now: float) -> bool:
        return self.until > now


class SharedBackoff:
    """Back-off state per connection key, in ``<spool>/backoff.json`` or in memory.

    ``path=None`` keeps the state in this process only (the spool is unwritable).
    ``clock`` is wall-clock time (``time.time``): the state is compared across processes.
    """

    def __init__(
        self, path: Path | None, policy: BackoffPolicy | None = None, *, clock: Callable[[], float] = time.time
    ) -> None:
        self.path = path
        self.policy = policy or BackoffPolicy()
        self.clock = clock
        self._memory: dict[str, dict[str, Any]] = {}

    def _load(self) -> dict[str, dict[str, Any]]:
        if self.path is None:
            return dict(self._memory)
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        except (OSError, ValueError) as exc:
            # A torn or unreadable state file means "no advice", never an error.
            log.debug("secoda-listener: ignoring back-off state %s: %s", self.path, exc)
            return {}
        return data if isinstance(data, dict) else {}

    def _store(self, state: dict[str, dict[str, Any]]) -> None:
        if self.path is None:
            self._memory = state
            return
        try:
            write_atomic(self.path, json.dumps(state).encode(), what=f"back-off state {self.path}")
        except SpoolError as exc:
            # Only advice is lost: this flush still stops on its own refusals.
            log.debug("secoda-listener: cannot write back-off state %s: %s", self.path, exc)

    def entries(self) -> dict[str, BackoffEntry]:
        """Every known connection's state (active or not)."""
        out = {}
        for key, raw in self._load().items():
            try:
                out[key] = BackoffEntry(
                    until=float(raw["until"]),
                    failures=int(raw["failures"]),
                    reason=str(raw.get("reason", "")),
                    updated_at=float(raw.get("updated_at", 0.0)),
                )
            except (KeyError, TypeError, ValueError):
                continue
        return out

    def get(self, conn_key: str) -> BackoffEntry | None:
        return self.entries().get(conn_key)

    def record_failure(self, conn_key: str, reason: str, retry_after: float | None = None) -> BackoffEntry:
        """Note one more refusal of ``conn_key``; returns the new state (with ``until``)."""
        state = self._load()
        now = self.clock()
        previous = state.get(conn_key) or {}
        failures = int(previous.get("failures", 0)) + 1
        until = now + self.policy.delay(failures, retry_after)
        state[conn_key] = {"until": until, "failures": failures, "reason": reason, "updated_at": now}
        self._store(state)
        return BackoffEntry(until=until, failures=failures, reason=reason, updated_at=now)

    def record_success(self, conn_key: str) -> None:
        state = self._load()
        if state.pop(conn_key, None) is not None:
            self._store(state)
