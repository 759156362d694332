"""Redaction of an event body before it is written anywhere (spool, network, logs).

Two layers, in this order:

1. Airflow's own secrets masker, which knows the actual secret values the task
   has touched (connection passwords, sensitive Variables, ``mask_secret()``).
2. The pattern scrubbers of :mod:`secoda_listener.event.scrub`, which catch secrets
   Airflow never saw (a password typed into the SQL or the Bash command).

Then the body is held to a size cap by trimming its largest strings. The
result is always a new dict; on any internal error the caller gets a body with
every free-text field replaced by a marker, never the unredacted one.
"""

from __future__ import annotations

import functools
import importlib
import json
import logging
import warnings
from typing import Any, Callable

import attrs

from secoda_listener.event.scrub import MASK, is_secret_name, scrub_shell, scrub_sql, scrub_text

log = logging.getLogger(__name__)

#: Keys never trimmed nor replaced on failure: without them an event cannot be attributed.
IDENTITY_KEYS = frozenset({"event_id", "event_type", "dag_id", "task_id", "run_id"})
#: What a string becomes when redaction failed and its content cannot be vouched for.
FAILED_MARKER = "[redacted: secoda-listener could not scrub this field]"
TRUNCATION_MARKER = "…[truncated {count} chars by secoda-listener]"

# Airflow's masker stops pattern matching below depth 5 by default; our bodies nest deeper
# (task_instance.sql[i], lineage.inputs[i].name), so ask for more.
_MASKER_MAX_DEPTH = 64
# Deeper than this, our own walk gives up on a branch and replaces it (fail closed).
_MAX_DEPTH = 64
# The size loop trims one string per round; bodies have a few dozen strings at most.
_MAX_TRIM_ROUNDS = 256

# Where each Airflow version keeps ``redact``. 3.x has two masker instances: the Task SDK's (task
# processes register connection passwords there) and airflow-core's (scheduler, API server);
# both are applied when present. The deprecated 3.x shims resolve to one of those functions
# and are deduplicated by identity.
_MASKER_MODULES = (
    "airflow.sdk._shared.secrets_masker",  # Airflow 3.1+: Task SDK
    "airflow._shared.secrets_masker",  # Airflow 3.1+: core
    "airflow.sdk.execution_time.secrets_masker",  # Airflow 3.0 (a shim in later 3.x)
    "airflow.utils.log.secrets_masker",  # Airflow 2.x
)

_Redact = Callable[..., Any]


@functools.lru_cache(maxsize=1)
def _airflow_redactors() -> tuple[_Redact, ...]:
    """Airflow's ``redact`` functions importable here, looked up once per process."""
    found: list[_Redact] = []
    for module_name in _MASKER_MODULES:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # the 3.x shims warn on import
                module = importlib.import_module(module_name)
                redact = module.redact
        except Exception:  # noqa: BLE001 - absent, or an Airflow that fails to import: skip it
            continue
        if callable(redact) and all(redact is not seen for seen in found):
            found.append(redact)
    return tuple(found)


def _fail_closed(value: Any, key: Any = None, depth: int = 0) -> Any:
    """``value`` with every string replaced by :data:`FAILED_MARKER`, identity fields kept."""
    if isinstance(value, str):
        return value if key in IDENTITY_KEYS else FAILED_MARKER
    if isinstance(value, dict):
        if depth >= _MAX_DEPTH:
            return FAILED_MARKER
        return {k: _fail_closed(v, k, depth + 1) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        if depth >= _MAX_DEPTH:
            return FAILED_MARKER
        return [_fail_closed(v, None, depth + 1) for v in value]
    if value is None or isinstance(value, (bool, int, float)):
        return value
    return FAILED_MARKER


def mask_with_airflow(value: Any) -> Any:
    """``value`` passed through Airflow's secrets masker(s); unchanged when Airflow is absent.

    Never raises: if a masker fails, every string in ``value`` is replaced by a marker, since
    the secrets it would have removed are unknown.
    """
    try:
        redactors = _airflow_redactors()
    except Exception:  # noqa: BLE001 - no masker to be had is no masker, never a raise
        redactors = ()
    for redact in redactors:
        try:
            value = redact(value, max_depth=_MASKER_MAX_DEPTH)
        except Exception as exc:  # noqa: BLE001 - a failing masker fails closed, never raises
            log.warning(
                "secoda-listener: Airflow's secrets masker failed (%s); masking every string", type(exc).__name__
            )
            return _fail_closed(value)
    return value


# --- walking the body ---------------------------------------------------------------------


def _scrubber_for(path: tuple[Any, ...]) -> Callable[[str], str]:
    if len(path) >= 2 and path[0] == "task_instance":
        if path[1] == "sql":
            return scrub_sql
        if path[1] == "source_code":
            return scrub_shell
    return scrub_text


def _scrub_tree(value: Any, path: tuple[Any, ...]) -> Any:
    if isinstance(value, str):
        return _scrubber_for(path)(value)
    if len(path) > _MAX_DEPTH:
        return FAILED_MARKER
    if isinstance(value, dict):
        out: dict[Any, Any] = {}
        for key, item in value.items():
            if isinstance(key, str) and key not in IDENTITY_KEYS and is_secret_name(key):
                # ``{"password": "x"}``: the key says the value is a secret, whatever it looks like.
                out[key] = _mask_all(item)
            else:
                out[key] = _scrub_tree(item, (*path, key))
        return out
    if isinstance(value, (list, tuple, set, frozenset)):
        # A list keeps its parent's path so ``task_instance.sql`` items are scrubbed as SQL.
        return [_scrub_tree(item, path) for item in value]
    if value is None or isinstance(value, (bool, int, float)):
        return value
    # Anything else would be stringified by the JSON encoder later: scrub that string now.
    return scrub_text(str(value))


def _mask_all(value: Any) -> Any:
    if isinstance(value, (str, int, float)) and not isinstance(value, bool):
        return MASK
    if isinstance(value, dict):
        return {k: _mask_all(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [_mask_all(v) for v in value]
    return value if value is None or isinstance(value, bool) else MASK


# --- the size cap -------------------------------------------------------------------------


def _encoded_size(body: Any) -> int:
    # ensure_ascii=True is never smaller than the UTF-8 of ensure_ascii=False, so the cap holds
    # whichever way the sender encodes.
    return len(json.dumps(body, default=str, separators=(",", ":")))


@attrs.define
class _Leaf:
    """A trimmable string: where it lives, its text before any trim, how much of it is kept."""

    container: Any
    key: Any
    original: str
    kept: int
    exhausted: bool = False

    @property
    def current_length(self) -> int:
        return len(self.container[self.key])


def _collect_leaves(value: Any, out: list[_Leaf], depth: int = 0) -> None:
    if depth > _MAX_DEPTH:
        return
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for key, item in items:
        if isinstance(item, str):
            # Identity fields are never trimmed; list items are values, never identity fields.
            if isinstance(value, list) or key not in IDENTITY_KEYS:
                out.append(_Leaf(value, key, item, len(item)))
        else:
            _collect_leaves(item, out, depth + 1)


def _cap_size(body: dict[str, Any], max_bytes: int) -> dict[str, Any]:
    """Trim the largest strings, one at a time, until ``body`` encodes within ``max_bytes``.

    Mutates ``body`` (the walk's fresh copy). When nothing is left to trim the body is returned
    over the cap: an event is never dropped here.
    """
    size = _encoded_size(body)
    if size <= max_bytes:
        return body
    leaves: list[_Leaf] = []
    _collect_leaves(body, leaves)
    for _ in range(_MAX_TRIM_ROUNDS):
        candidates = [leaf for leaf in leaves if not leaf.exhausted]
        if size <= max_bytes or not candidates:
            break
        leaf = max(candidates, key=lambda candidate: candidate.current_length)
        marker_room = len(TRUNCATION_MARKER.format(count=len(leaf.original)))
        # Each removed char is at least one encoded byte, so cutting the excess plus the marker's
        # room is enough for ASCII text; the loop re-measures and goes on otherwise. The head is
        # kept: it is where a statement or a message starts.
        keep = max(0, leaf.kept - (size - max_bytes) - marker_room)
        trimmed = leaf.original[:keep] + TRUNCATION_MARKER.format(count=len(leaf.original) - keep)
        if len(trimmed) >= leaf.current_length:  # too short for the marker to save anything
            leaf.exhausted = True
            continue
        leaf.container[leaf.key] = trimmed
        leaf.kept = keep
        leaf.exhausted = keep == 0
        size = _encoded_size(body)
    return body


# --- the entry point ----------------------------------------------------------------------


def redact_event(payload: dict[str, Any], *, max_bytes: int) -> dict[str, Any]:
    """A redacted copy of the event body ``payload``, at most ``max_bytes`` when encoded if possible.

    Airflow's masker on every string, then :func:`scrub_sql` on ``task_instance.sql``,
    :func:`scrub_shell` on ``task_instance.source_code`` and :func:`scrub_text` on every other
    string, then the size cap. Never raises and never returns ``payload`` unredacted.
    """
    try:
        masked = mask_with_airflow(payload)
        body = _scrub_tree(masked, ())
        if not isinstance(body, dict):  # a masker replaced the whole body: nothing left to vouch for
            return _fail_closed(payload) if isinstance(payload, dict) else {}
        return _cap_size(body, max_bytes)
    except Exception as exc:  # noqa: BLE001 - redaction must never break a task, nor leak
        log.warning(
            "secoda-listener: redacting an event failed (%s: %s); sending it with its text masked",
            type(exc).__name__,
            scrub_text(str(exc))[:200],
        )
        try:
            safe = _fail_closed(payload)
            return safe if isinstance(safe, dict) else {}
        except Exception:  # noqa: BLE001 - the last resort: neither raise nor leak
            return {"redaction_error": FAILED_MARKER}


__all__ = ["FAILED_MARKER", "IDENTITY_KEYS", "mask_with_airflow", "redact_event"]
