"""The HTTP boundary: every outcome becomes a status, a DeliveryError or a ConfigError."""

from __future__ import annotations

import email.utils
import logging
import socket
import time
from pathlib import Path

import pytest

from secoda_listener.delivery.endpoint import ROUTE_EXTRACTION, ROUTE_INGEST, Endpoint
from secoda_listener.delivery.transport import Transport, is_retryable, parse_retry_after
from secoda_listener.exceptions import ConfigError, DeliveryError
from secoda_listener.testing.receiver import Receiver

KEY = "sk-transport-secret"


@pytest.fixture
def rx(tmp_path: Path):
    with Receiver(tmp_path / "store.jsonl", api_key=KEY) as receiver:
        yield receiver


def _send(rx: Receiver, transport: Transport | None = None, key: str = KEY, timeout=5.0, route=ROUTE_INGEST):
    endpoint = Endpoint(rx.url, key, "it-1")
    return (transport or Transport()).post(
        endpoint.url_for(route), {"event_id": "e1", "n": 1}, headers=endpoint.headers(), timeout=timeout, event_id="e1"
    )


def test_2xx_returns_status_and_sends_event_id_header(rx: Receiver) -> None:
    assert _send(rx) == 200
    assert _send(rx, route=ROUTE_EXTRACTION) == 200
    first, second = rx.received()
    assert first["event_id"] == "e1" and first["integration_id"] == "it-1"
    assert second["path"] == "/api/v1/databuilder/jobs/"


@pytest.mark.parametrize("status", [408, 429, 500, 502, 503, 504])
def test_retryable_statuses(rx: Receiver, status: int) -> None:
    rx.add_fault(status=status)
    with pytest.raises(DeliveryError) as info:
        _send(rx)
    assert info.value.retryable and info.value.status == status


@pytest.mark.parametrize("status", [400, 403, 404, 413, 422, 501, 505])
def test_permanent_statuses(rx: Receiver, status: int) -> None:
    rx.add_fault(status=status)
    with pytest.raises(DeliveryError) as info:
        _send(rx)
    assert not info.value.retryable and info.value.status == status


def test_wrong_key_is_permanent_and_never_in_the_message(rx: Receiver, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    with pytest.raises(DeliveryError) as info:
        _send(rx, key="sk-wrong-secret")
    assert info.value.status == 401 and not info.value.retryable
    assert "sk-wrong-secret" not in str(info.value)
    assert "sk-wrong-secret" not in caplog.text and KEY not in caplog.text


def test_retry_after_seconds_and_http_date(rx: Receiver) -> None:
    rx.add_fault(status=429, retry_after=7)
    with pytest.raises(DeliveryError) as info:
        _send(rx)
    assert info.value.retry_after == 7.0
    when = email.utils.formatdate(time.time() + 30, usegmt=True)
    rx.add_fault(status=503, retry_after=when)
    with pytest.raises(DeliveryError) as info:
        _send(rx)
    assert 20 < info.value.retry_after <= 31


def test_parse_retry_after_edge_cases() -> None:
    assert parse_retry_after(None) is None
    assert parse_retry_after("garbage") is None
    assert parse_retry_after("-5") == 0.0
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0  # in the past
    assert parse_retry_after("1.5") == 1.5


def test_is_retryable_table() -> None:
    assert [s for s in (200, 400, 408, 429, 499, 500, 501, 503, 505, 599) if is_retryable(s)] == [
        408,
        429,
        500,
        503,
        599,
    ]


def test_connection_reset_and_refused_are_retryable(rx: Receiver) -> None:
    rx.add_fault(reset=True)
    with pytest.raises(DeliveryError) as info:
        _send(rx)
    assert info.value.retryable and info.value.status is None
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    endpoint = Endpoint(f"http://127.0.0.1:{port}/api/v1/", KEY, "it-1")
    with pytest.raises(DeliveryError) as info:
        Transport().post(endpoint.url_for(ROUTE_INGEST), {}, headers=endpoint.headers(), timeout=2)
    assert info.value.retryable


def test_slow_response_times_out_as_retryable(rx: Receiver) -> None:
    rx.add_fault(delay=5)
    with pytest.raises(DeliveryError) as info:
        _send(rx, timeout=(0.5, 0.3))
    assert info.value.retryable and "timed out" in str(info.value)


def test_bad_url_is_a_config_error() -> None:
    with pytest.raises(ConfigError):
        Transport().post("not a url", {}, headers={}, timeout=1)


def test_session_is_reused_within_a_process(rx: Receiver) -> None:
    sessions = []

    def factory():
        import requests

        sessions.append(requests.Session())
        return sessions[-1]

    transport = Transport(session_factory=factory)
    for _ in range(3):
        _send(rx, transport)
    assert len(sessions) == 1


def test_proxy_environment_is_still_honoured(rx: Receiver, monkeypatch) -> None:
    # The session reads HTTP(S)_PROXY once instead of per request; it must still use it.
    for name in ("NO_PROXY", "no_proxy", "HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HTTP_PROXY", rx.base)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        dead_port = sock.getsockname()[1]
    with pytest.raises(DeliveryError) as info:
        Transport().post(f"http://127.0.0.1:{dead_port}/api/v1/x/", {}, headers={}, timeout=5)
    # Reached the receiver acting as proxy (404 for an absolute-URI path), not the dead port.
    assert info.value.status == 404


def test_a_forked_child_gets_its_own_session_and_leaves_the_parents_alone(rx: Receiver) -> None:
    import os

    import requests

    sessions: list[requests.Session] = []

    def factory() -> requests.Session:
        sessions.append(requests.Session())
        return sessions[-1]

    transport = Transport(session_factory=factory)
    assert _send(rx, transport) == 200 and len(sessions) == 1
    pid = os.fork()
    if pid == 0:  # the child: a pooled socket of the parent must not carry its requests
        code = 99
        try:
            code = 0 if _send(rx, transport) == 200 and len(sessions) == 2 else 10
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert _send(rx, transport) == 200 and len(sessions) == 1  # the parent's session, still open
    assert [r["status"] for r in rx.received()] == [200, 200, 200]
