"""When to try Secoda again: the back-off policy and its state shared on disk.

The policy is capped exponential back-off with "equal jitter" (half the delay
fixed, half random): full jitter can draw ~0 s, and with many task processes
on a host that is a stampede on an API that just said it is overloaded. A
``Retry-After`` from Secoda wins over the computed delay (capped, so a bogus
header cannot park delivery for days).

The state lives in one small JSON file in the spool directory, replaced
atomically, keyed by the spool tag of a connection (the connection id, never
the URL or the key). Every process on the host reads it before spending its
flush budget, so while Secoda refuses only one process at a time probes it.
Read-modify-write is not locked: two processes failing at once may lose one
failure count, which only shortens one delay. That is fine for advice.
"""

from __future__ import annotations

import json
import logging
import os
import random
import tempfile
import time
from pathlib import Path
from typing import Any, Callable

import attrs

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
    """Back-off state per connection tag, in ``<spool>/backoff.json`` or in memory.

    ``path=None`` keeps the state in this process only (the spool is unwritable).
    """

    def __init__(self, path: Path | None, policy: BackoffPolicy | None = None) -> None:
        self.path = path
        self.policy = policy or BackoffPolicy()
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
            fd, tmp = tempfile.mkstemp(prefix=".backoff.", dir=self.path.parent)
            try:
                with os.fdopen(fd, "w", encoding="utf-8") as fh:
                    json.dump(state, fh)
                os.replace(tmp, self.path)
            except BaseException:
                os.unlink(tmp)
                raise
        except OSError as exc:
            # Only advice is lost: this flush still stops on its own refusals.
            log.debug("secoda-listener: cannot write back-off state %s: %s", self.path, exc)

    def entries(self) -> dict[str, BackoffEntry]:
        """Every known connection's state (active or not)."""
        out = {}
        for tag, raw in self._load().items():
            try:
                out[tag] = BackoffEntry(
                    until=float(raw["until"]), failures=int(raw["failures"]),
                    reason=str(raw.get("reason", "")), updated_at=float(raw.get("updated_at", 0.0)),
                )
            except (KeyError, TypeError, ValueError):
                continue
        return out

    def get(self, tag: str) -> BackoffEntry | None:
        return self.entries().get(tag)

    def record_failure(self, tag: str, reason: str, retry_after: float | None = None) -> BackoffEntry:
        """Note one more refusal of ``tag``; returns the new state (with ``until``)."""
        state = self._load()
        now = time.time()
        previous = state.get(tag) or {}
        failures = int(previous.get("failures", 0)) + 1
        until = now + self.policy.delay(failures, retry_after)
        state[tag] = {"until": until, "failures": failures, "reason": reason, "updated_at": now}
        self._store(state)
        return BackoffEntry(until=until, failures=failures, reason=reason, updated_at=now)

    def record_success(self, tag: str) -> None:
        state = self._load()
        if state.pop(tag, None) is not None:
            self._store(state)
