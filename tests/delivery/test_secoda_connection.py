"""The Secoda connection: accepted host forms, refusals with the fix in the message."""

from __future__ import annotations

import json

import pytest

from secoda_listener.delivery.endpoint import ROUTE_EXTRACTION, ROUTE_INGEST
from secoda_listener.delivery.secoda_connection import base_url_from_host, is_loopback, resolve_endpoint
from secoda_listener.exceptions import ConfigError, ConnectionNotFound, InsecureHostError


@pytest.mark.parametrize(
    ("host", "port", "expected"),
    [
        ("https://api.secoda.co/api/v1/", None, "https://api.secoda.co/api/v1/"),
        ("https://api.secoda.co/api/v1", None, "https://api.secoda.co/api/v1/"),
        ("api.secoda.co", None, "https://api.secoda.co/api/v1/"),
        ("https://acme.secoda.co", None, "https://acme.secoda.co/api/v1/"),
        ("http://127.0.0.1", 8080, "http://127.0.0.1:8080/api/v1/"),
        ("http://localhost:9000/api/v1/", None, "http://localhost:9000/api/v1/"),
    ],
)
def test_host_forms(host, port, expected):
    assert base_url_from_host(host, port, "c", allow_http=False) == expected


def test_plain_http_to_a_remote_host_is_refused_unless_allowed():
    with pytest.raises(InsecureHostError, match="allow_insecure_http"):
        base_url_from_host("http://secoda.internal/api/v1/", None, "c", allow_http=False)
    assert base_url_from_host("http://secoda.internal", None, "c", allow_http=True) == "http://secoda.internal/api/v1/"


def test_loopback():
    assert is_loopback("127.0.0.5") and is_loopback("::1") and is_loopback("LOCALHOST")
    assert not is_loopback("10.0.0.1") and not is_loopback("secoda.co")


def test_resolve_from_env_connection(monkeypatch):
    monkeypatch.setenv(
        "AIRFLOW_CONN_SECODA_T1",
        json.dumps(
            {
                "conn_type": "secoda",
                "host": "https://api.secoda.co/api/v1/",
                "password": "k-123",
                "extra": {"integration_id": "42"},
            }
        ),
    )
    endpoint = resolve_endpoint("secoda_t1")
    assert endpoint.url_for(ROUTE_INGEST) == "https://api.secoda.co/api/v1/integration/run_logs/42/ingest/"
    assert endpoint.url_for(ROUTE_EXTRACTION) == "https://api.secoda.co/api/v1/databuilder/jobs/"
    assert endpoint.headers()["Authorization"] == "Bearer k-123"
    assert "k-123" not in repr(endpoint)


def test_missing_connection_says_how_to_create_it():
    with pytest.raises(ConnectionNotFound) as caught:
        resolve_endpoint("secoda_nowhere_to_be_found")
    assert "airflow connections add secoda_nowhere_to_be_found --conn-type secoda" in str(caught.value)


def test_incomplete_connection_lists_every_missing_field(monkeypatch):
    monkeypatch.setenv("AIRFLOW_CONN_SECODA_T2", json.dumps({"conn_type": "secoda"}))
    with pytest.raises(ConfigError) as caught:
        resolve_endpoint("secoda_t2")
    message = str(caught.value)
    assert "host" in message and "API key" in message and "integration_id" in message
