"""The HTTP boundary to an Airflow deployment's REST API: the only module of backfill that sends.

* The major version is detected, never asked: ``/api/v2/version`` answers on
  Airflow 3, ``/api/v1/version`` on Airflow 2 (neither needs credentials).
* Credentials come from the environment only (:meth:`Credentials.from_env`):
  ``AIRFLOW_API_TOKEN`` (a bearer token, as Astronomer's deployment tokens), or
  ``AIRFLOW_API_USERNAME`` + ``AIRFLOW_API_PASSWORD``: basic auth on Airflow 2,
  exchanged for a JWT at ``/auth/token`` on Airflow 3 (again when it expires).
* Every HTTP failure becomes one of :class:`AirflowApiError`'s subclasses here,
  with a message that says what to change; no message, log line or exception
  carries the password or the token (``requests`` never puts headers in its
  exception texts, and URLs with credentials in them are refused).
* :meth:`AirflowClient.pages` streams a collection page by page (``limit`` /
  ``offset``): one page in memory at a time.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Iterator, Mapping
from typing import Any
from urllib.parse import quote, urlsplit

import attrs
import requests

from secoda_listener.exceptions import SecodaListenerError

log = logging.getLogger(__name__)

TOKEN_ENV = "AIRFLOW_API_TOKEN"
USERNAME_ENV = "AIRFLOW_API_USERNAME"
PASSWORD_ENV = "AIRFLOW_API_PASSWORD"

#: Airflow's own default of ``[api] maximum_page_limit``: a larger page is cut to it.
DEFAULT_PAGE_SIZE = 100
#: (connect, read) seconds of one request.
TIMEOUT = (3.05, 60.0)
#: Answers worth one more try (Airflow busy or restarting), and how often.
_RETRY_STATUSES = frozenset({429, 502, 503, 504})
_RETRIES = 3

A2_BASIC_AUTH = "airflow.api.auth.backend.basic_auth"
A2_ENABLE = (
    f"Airflow 2's REST API does not accept basic auth: add {A2_BASIC_AUTH} to [api] auth_backends "
    f"(AIRFLOW__API__AUTH_BACKENDS={A2_BASIC_AUTH},airflow.api.auth.backend.session) and restart the webserver"
)
A3_ENABLE = (
    "the Airflow 3 API server does not serve the public REST API (/api/v2): run `airflow api-server` "
    "with its core app (the default `--apps all`, or `--apps core,execution`)"
)
A3_NO_TOKEN_ENDPOINT = (
    "the Airflow 3 auth manager ([core] auth_manager) offers no /auth/token to exchange a username and "
    "password for a token: use the simple or the FAB auth manager, or give a token in AIRFLOW_API_TOKEN"
)


class AirflowApiError(SecodaListenerError):
    """Reading the Airflow REST API failed; the message says what to change."""

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class AirflowUnreachable(AirflowApiError):
    """Nothing at the URL answers as an Airflow REST API (wrong URL, DNS, refused, not Airflow)."""


class AirflowAuthError(AirflowApiError):
    """Airflow refused the credentials (or they are missing, or lack a permission)."""


class AirflowApiDisabled(AirflowApiError):
    """Airflow answers but its REST API is not enabled for us; the message names the setting."""


@attrs.frozen(repr=False)
class Credentials:
    """How to authenticate: a bearer token, or a username and password. ``repr`` shows neither secret."""

    token: str | None = None
    username: str | None = None
    password: str | None = None

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Credentials:
        env = os.environ if environ is None else environ
        token = (env.get(TOKEN_ENV) or "").strip() or None
        username = env.get(USERNAME_ENV) or None
        password = env.get(PASSWORD_ENV) or None
        if token:
            return cls(token=token)
        if username and password:
            return cls(username=username, password=password)
        raise AirflowAuthError(
            f"no Airflow credentials: set {TOKEN_ENV} (a bearer token), or {USERNAME_ENV} and {PASSWORD_ENV} "
            "(never on the command line)"
        )

    @property
    def kind(self) -> str:
        return "token" if self.token else "username and password"

    def __repr__(self) -> str:
        return f"Credentials({self.kind}{'' if self.token else f', user={self.username!r}'})"

    def secrets(self) -> tuple[str, ...]:
        return tuple(value for value in (self.token, self.password) if value)


def _base_url(url: str) -> str:
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise AirflowUnreachable(
            f"--airflow-url must be an http(s) URL of the Airflow webserver/API server, not {url!r}"
        )
    if parts.username or parts.password:
        # Credentials never on the command line (shell history, `ps`): the environment only.
        raise AirflowAuthError(
            f"--airflow-url must not carry credentials; use {TOKEN_ENV} or {USERNAME_ENV}/{PASSWORD_ENV}"
        )
    return url.strip().rstrip("/")


def _invalid_jwt(response: requests.Response) -> bool:
    """Airflow 3 answers a bad or expired token with 403 "Invalid JWT token" (not 401)."""
    if response.status_code != 403:
        return False
    try:
        detail = str(response.json().get("detail", ""))
    except (ValueError, AttributeError):
        return False
    return "jwt" in detail.lower() or "token" in detail.lower()


def quoted(value: Any) -> str:
    """One path segment: run ids hold ``:`` and ``+``, a task id may hold ``.``."""
    return quote(str(value), safe="")


class AirflowClient:
    """One Airflow deployment's REST API, over one kept-alive ``requests`` session.

    :meth:`connect` detects the version and authenticates; until then nothing is sent
    with credentials.
    """

    def __init__(
        self,
        url: str,
        credentials: Credentials,
        *,
        session: requests.Session | None = None,
        timeout: tuple[float, float] = TIMEOUT,
        sleep: Any = time.sleep,
    ) -> None:
        self.base_url = _base_url(url)
        self.credentials = credentials
        self.session = session if session is not None else requests.Session()
        self.session.trust_env = False  # no ~/.netrc credentials replacing ours, no proxy surprises
        self.timeout = timeout
        self._sleep = sleep
        self.major = 0
        self.version = ""
        self._jwt: str | None = None
        self.requests = 0  # requests sent (the benchmark reports it)

    @property
    def api(self) -> str:
        return "/api/v2" if self.major >= 3 else "/api/v1"

    # --- connecting ----------------------------------------------------------------------

    def connect(self) -> AirflowClient:
        """Detect the major version, authenticate, and prove the credentials on one listing."""
        self.major, self.version = self._detect()
        if self.major >= 3 and not self.credentials.token:
            self._jwt = self._exchange_token()
        self.get("/dags", {"limit": 1})  # refused credentials or a disabled API show here, before any work
        return self

    def _raw(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        url = f"{self.base_url}{path}"
        try:
            self.requests += 1
            return self.session.request(method, url, timeout=self.timeout, allow_redirects=False, **kwargs)
        except requests.exceptions.SSLError as exc:
            raise AirflowUnreachable(f"TLS handshake with {self.base_url} failed: {type(exc).__name__}") from None
        except requests.exceptions.RequestException as exc:
            raise AirflowUnreachable(
                f"cannot reach Airflow at {self.base_url}: {type(exc).__name__} (is --airflow-url right?)"
            ) from None

    def _detect(self) -> tuple[int, str]:
        for major, path in ((3, "/api/v2/version"), (2, "/api/v1/version")):
            response = self._raw("GET", path)
            if response.status_code in (401, 403):
                return major, ""  # the API is there, it only wants credentials for this too
            if response.status_code == 200:
                try:
                    version = str(response.json().get("version") or "")
                except ValueError:
                    continue  # some other server's page: not an Airflow API
                head = version.split(".", 1)[0]
                return (int(head) if head.isdigit() else major), version
        if self._raw("GET", "/execution/health").status_code == 200:
            raise AirflowApiDisabled(f"{self.base_url}: {A3_ENABLE}", status=404)
        raise AirflowUnreachable(
            f"no Airflow REST API at {self.base_url}: neither /api/v2/version (Airflow 3) nor /api/v1/version "
            "(Airflow 2) answered; --airflow-url is the address of the Airflow UI, without /api/..."
        )

    def _exchange_token(self) -> str:
        body = {"username": self.credentials.username, "password": self.credentials.password}
        response = self._raw("POST", "/auth/token", json=body)
        if response.status_code in (200, 201):
            try:
                token = response.json()["access_token"]
            except (ValueError, KeyError, TypeError):
                raise AirflowAuthError(f"{self.base_url}/auth/token answered without an access_token") from None
            return str(token)
        if response.status_code in (401, 403, 400, 422):
            raise AirflowAuthError(
                f"Airflow refused the username and password ({USERNAME_ENV}/{PASSWORD_ENV}) at "
                f"{self.base_url}/auth/token (HTTP {response.status_code})",
                status=response.status_code,
            )
        if response.status_code in (404, 405):
            raise AirflowApiDisabled(f"{self.base_url}: {A3_NO_TOKEN_ENDPOINT}", status=response.status_code)
        raise AirflowApiError(
            f"{self.base_url}/auth/token failed: HTTP {response.status_code}", status=response.status_code
        )

    def _auth(self) -> dict[str, Any]:
        if self.credentials.token:
            return {"headers": {"Authorization": f"Bearer {self.credentials.token}"}}
        if self.major >= 3:
            return {"headers": {"Authorization": f"Bearer {self._jwt}"}}
        return {"auth": (self.credentials.username or "", self.credentials.password or "")}

    # --- reading -------------------------------------------------------------------------

    def get(self, path: str, params: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """GET ``{api}{path}``; the JSON object, or the matching :class:`AirflowApiError`."""
        renewed = False
        for attempt in range(_RETRIES + 1):
            response = self._raw("GET", f"{self.api}{path}", params=params, **self._auth())
            status = response.status_code
            if status == 200:
                try:
                    data = response.json()
                except ValueError:
                    raise AirflowApiError(f"{self.api}{path} answered with something that is not JSON") from None
                if not isinstance(data, dict):
                    raise AirflowApiError(f"{self.api}{path} answered with JSON that is not an object")
                return data
            if (
                (status == 401 or _invalid_jwt(response))
                and self.major >= 3
                and self.credentials.password
                and not renewed
            ):
                # An Airflow 3 JWT expires ([api_auth] jwt_expiration_time): ask for a fresh one, once.
                self._jwt, renewed = self._exchange_token(), True
                continue
            if status in _RETRY_STATUSES and attempt < _RETRIES:
                self._sleep(min(8.0, 0.5 * 2**attempt))
                continue
            raise self._error(path, response)
        raise AirflowApiError(f"{self.api}{path}: gave up")  # pragma: no cover - the loop returns or raises

    def _error(self, path: str, response: requests.Response) -> AirflowApiError:
        status = response.status_code
        where = f"{self.base_url}{self.api}{path}"
        if status == 401 or _invalid_jwt(response):
            if self.major < 3 and not self.credentials.token:
                if "basic" in response.headers.get("WWW-Authenticate", "").lower():
                    return AirflowAuthError(
                        f"Airflow refused the username and password ({where}: HTTP 401)", status=401
                    )
                # Airflow 2.10 answers a wrong password and an API without the basic-auth backend
                # alike (401, no challenge: the last backend's answer): both causes are named.
                return AirflowAuthError(
                    f"Airflow refused the username and password ({where}: HTTP 401): check "
                    f"{USERNAME_ENV}/{PASSWORD_ENV}, and that the API is enabled for them: {A2_ENABLE}",
                    status=401,
                )
            return AirflowAuthError(
                f"Airflow refused the {self.credentials.kind} ({where}: HTTP {status})", status=status
            )
        if status == 403:
            hint = ""
            if self.major < 3:
                hint = f"; or the REST API is disabled ([api] auth_backends = ...deny_all): {A2_ENABLE}"
            return AirflowAuthError(
                f"the Airflow user may not read {where} (HTTP 403): it needs read access to DAGs, DAG runs, "
                f"task instances and connections (e.g. the Viewer role and connection read){hint}",
                status=status,
            )
        if status == 404:
            return AirflowApiError(f"{where}: not found (HTTP 404)", status=status)
        return AirflowApiError(f"{where}: HTTP {status}", status=status)

    def pages(
        self, path: str, key: str, params: Mapping[str, Any] | None = None, *, page_size: int = DEFAULT_PAGE_SIZE
    ) -> Iterator[dict[str, Any]]:
        """The items of collection ``key`` at ``path``, fetched ``page_size`` at a time."""
        offset = 0
        while True:
            page = self.get(path, {**(params or {}), "limit": page_size, "offset": offset})
            items = page.get(key) or []
            yield from items
            offset += len(items)
            total = page.get("total_entries")
            # An API that cuts the page ([api] maximum_page_limit) still advances by what it gave.
            if not items or (isinstance(total, int) and offset >= total):
                return

    def get_optional(self, path: str, params: Mapping[str, Any] | None = None) -> dict[str, Any] | None:
        """:meth:`get`, None for a 404 or 403 (a connection we may not read, a DAG gone meanwhile)."""
        try:
            return self.get(path, params)
        except AirflowApiDisabled:
            raise
        except AirflowApiError as exc:
            if exc.status in (403, 404):
                return None
            raise
