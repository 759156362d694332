"""The HTTP boundary: version detection, both authentication schemes, paging, errors as our exceptions."""

from __future__ import annotations

import pytest
import requests

from secoda_listener.exceptions import SecodaListenerError
from secoda_listener.history.client import (
    AirflowApiDisabled,
    AirflowAuthError,
    AirflowClient,
    AirflowUnreachable,
    Credentials,
)
from secoda_listener.testing.receiver import Receiver
from tests.history.fake_airflow import FakeAirflow
from tests.support.airflow_services import free_port

USER = Credentials(username="user", password="s3cret-pw")


def test_credentials_come_from_the_environment_and_never_show() -> None:
    creds = Credentials.from_env({"AIRFLOW_API_USERNAME": "u", "AIRFLOW_API_PASSWORD": "pw-very-secret"})
    assert creds.kind == "username and password"
    assert "pw-very-secret" not in repr(creds) and "pw-very-secret" not in str(creds)
    token = Credentials.from_env({"AIRFLOW_API_TOKEN": " tok-123 ", "AIRFLOW_API_USERNAME": "u"})
    assert token.token == "tok-123" and token.username is None  # a token wins
    assert "tok-123" not in repr(token)
    with pytest.raises(AirflowAuthError, match="AIRFLOW_API_TOKEN"):
        Credentials.from_env({"AIRFLOW_API_USERNAME": "u"})


def test_urls_with_credentials_or_without_a_scheme_are_refused() -> None:
    with pytest.raises(AirflowAuthError, match="must not carry credentials"):
        AirflowClient("https://me:pw@airflow.internal", USER)
    with pytest.raises(AirflowUnreachable, match="http"):
        AirflowClient("airflow.internal:8080", USER)
    assert issubclass(AirflowUnreachable, SecodaListenerError)


def test_airflow_3_is_detected_and_the_password_is_exchanged_for_a_token() -> None:
    with FakeAirflow(3) as fake:
        client = AirflowClient(fake.url, USER).connect()
        assert (client.major, client.version, client.api) == (3, "3.3.2", "/api/v2")
        reads = [r for r in fake.requests if r[1].startswith("/api/v2/dags")]
        assert reads and all(r[3] == "Bearer jwt-0" for r in reads)
        assert any(r[:2] == ("POST", "/auth/token") for r in fake.requests)


def test_an_expired_airflow_3_token_is_renewed_once() -> None:
    with FakeAirflow(3) as fake:
        client = AirflowClient(fake.url, USER).connect()
        fake.tokens.clear()  # every token expired
        assert client.get("/dags")["total_entries"] == 1
        assert [r[1] for r in fake.requests if r[0] == "POST"] == ["/auth/token", "/auth/token"]


def test_airflow_2_is_detected_and_uses_basic_auth() -> None:
    with FakeAirflow(2) as fake:
        client = AirflowClient(fake.url, USER).connect()
        assert (client.major, client.api) == (2, "/api/v1")
        assert all(r[3].startswith("Basic ") for r in fake.requests if r[1].startswith("/api/v1/dags"))
        assert not any(r[1] == "/auth/token" for r in fake.requests)


def test_a_wrong_password_is_refused_credentials_on_both_versions() -> None:
    wrong = Credentials(username="user", password="nope")
    with FakeAirflow(3) as fake, pytest.raises(AirflowAuthError, match="refused the username and password"):
        AirflowClient(fake.url, wrong).connect()
    with FakeAirflow(2) as fake, pytest.raises(AirflowAuthError, match=r"\[api\] auth_backends") as caught:
        AirflowClient(fake.url, wrong).connect()
    assert "nope" not in str(caught.value)


def test_a_bad_token_is_refused() -> None:
    with FakeAirflow(3) as fake, pytest.raises(AirflowAuthError, match="refused the token"):
        AirflowClient(fake.url, Credentials(token="forged")).connect()


def test_nothing_listening_and_not_an_airflow_are_unreachable(tmp_path) -> None:
    with pytest.raises(AirflowUnreachable, match="cannot reach Airflow"):
        AirflowClient(f"http://127.0.0.1:{free_port()}", USER).connect()
    with Receiver(store=tmp_path / "rx.jsonl") as rx, pytest.raises(AirflowUnreachable, match="no Airflow REST API"):
        AirflowClient(rx.url, USER).connect()


def test_an_api_server_without_its_core_app_names_the_setting() -> None:
    with FakeAirflow(3) as fake:
        original = fake.answer

        def execution_only(method, path, query, body, auth):
            if path == "/execution/health":
                return 200, {"status": "healthy"}
            if path.startswith("/api/"):
                return 404, {"detail": "Not Found"}
            return original(method, path, query, body, auth)

        fake.answer = execution_only  # type: ignore[method-assign]
        with pytest.raises(AirflowApiDisabled, match="--apps"):
            AirflowClient(fake.url, USER).connect()


def test_pages_stream_every_item_with_the_page_size_asked() -> None:
    with FakeAirflow(3, dags=7) as fake:
        client = AirflowClient(fake.url, USER).connect()
        fake.requests.clear()
        dags = [d["dag_id"] for d in client.pages("/dags", "dags", page_size=3)]
        assert len(dags) == 7 and len(set(dags)) == 7
        limits = [r[2]["limit"] for r in fake.requests]
        assert limits == [["3"], ["3"], ["3"]]


def test_requests_errors_never_carry_the_secret(monkeypatch) -> None:
    def refuse(*args, **kwargs):
        raise requests.exceptions.ConnectionError(f"refused {kwargs.get('headers')}")

    client = AirflowClient("http://127.0.0.1:9", Credentials(token="tok-secret-123"))
    monkeypatch.setattr(client.session, "request", refuse)
    with pytest.raises(AirflowUnreachable) as caught:
        client.connect()
    assert "tok-secret-123" not in str(caught.value)
