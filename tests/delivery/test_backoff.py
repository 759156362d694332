"""Back-off policy and the back-off state shared through the spool directory."""

from __future__ import annotations

import json
import time
from pathlib import Path

from secoda_listener.delivery.backoff import BackoffPolicy, SharedBackoff


def test_delay_grows_exponentially_with_equal_jitter_and_is_capped() -> None:
    policy = BackoffPolicy(base=1.0, cap=8.0)
    assert [policy.delay(n, rng=lambda: 0.0) for n in (1, 2, 3, 4, 5, 9)] == [0.5, 1, 2, 4, 4, 4]
    assert [policy.delay(n, rng=lambda: 1.0) for n in (1, 2, 3, 4, 5, 9)] == [1, 2, 4, 8, 8, 8]


def test_retry_after_wins_but_is_capped() -> None:
    policy = BackoffPolicy(base=1.0, cap=8.0, max_retry_after=100)
    assert policy.delay(1, retry_after=30) == 30
    assert policy.delay(7, retry_after=0) == 0
    assert policy.delay(1, retry_after=10**6) == 100


def test_state_is_shared_between_instances_through_the_file(tmp_path: Path) -> None:
    path = tmp_path / "backoff.json"
    writer, reader = SharedBackoff(path), SharedBackoff(path)
    entry = writer.record_failure("secoda_default", reason="HTTP 503", retry_after=30)
    assert entry.failures == 1 and entry.until > time.time() + 25
    seen = reader.get("secoda_default")
    assert seen is not None and seen.active(time.time()) and seen.reason == "HTTP 503"
    assert writer.record_failure("secoda_default", reason="HTTP 503").failures == 2
    reader.record_success("secoda_default")
    assert writer.get("secoda_default") is None
    assert json.loads(path.read_text()) == {}


def test_state_is_per_connection(tmp_path: Path) -> None:
    backoff = SharedBackoff(tmp_path / "backoff.json")
    backoff.record_failure("a", reason="x", retry_after=60)
    assert backoff.get("b") is None and set(backoff.entries()) == {"a"}


def test_torn_state_file_means_no_advice(tmp_path: Path) -> None:
    path = tmp_path / "backoff.json"
    path.write_text('{"a": {"until": ')
    backoff = SharedBackoff(path)
    assert backoff.entries() == {}
    assert backoff.record_failure("a", reason="x").failures == 1


def test_memory_only_state_when_there_is_no_spool() -> None:
    backoff = SharedBackoff(None)
    backoff.record_failure("a", reason="x", retry_after=5)
    assert backoff.get("a") is not None and SharedBackoff(None).get("a") is None
