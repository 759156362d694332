"""Turn the Airflow ``secoda`` connection into an :class:`Endpoint`.

Resolution happens when events are sent, not when they are written: the spool
names only the connection id, so the API key never lands on disk, and a
connection created after the fact still gets the events delivered.
"""

from __future__ import annotations

import ipaddress
import json
from typing import Any
from urllib.parse import urlsplit

from secoda_listener import conf
from secoda_listener.delivery.endpoint import Endpoint
from secoda_listener.exceptions import ConfigError, ConnectionNotFound, InsecureHostError

_HOW_TO_CREATE = (
    "create it with: airflow connections add {conn_id} --conn-type secoda "
    "--conn-host https://api.secoda.co/api/v1/ --conn-password <API key> "
    '--conn-extra \'{{"integration_id": "<integration id>"}}\''
)


def get_airflow_connection(conn_id: str) -> Any:
    """The Airflow connection ``conn_id``, wherever this process may read it from.

    In an Airflow 3 task process connections come through the task SDK (the
    supervisor); in the scheduler, the CLI and on Airflow 2 through the
    secrets backends and the metadata database.
    """
    errors: list[str] = []
    try:
        from airflow.sdk.definitions.connection import Connection as SdkConnection

        return SdkConnection.get(conn_id)
    except ImportError:
        pass
    except Exception as exc:  # noqa: BLE001 - not found there, or not in a task process
        errors.append(type(exc).__name__)
    try:
        from airflow.models.connection import Connection

        return Connection.get_connection_from_secrets(conn_id)
    except Exception as exc:  # noqa: BLE001 - whatever the secrets backend raises means "not found here"
        errors.append(type(exc).__name__)
    raise ConnectionNotFound(f"the Airflow connection {conn_id!r} was not found ({', '.join(errors)})")


def connection_env_value(connection: Any) -> str:
    """``connection`` in the JSON form Airflow reads from an ``AIRFLOW_CONN_<ID>`` variable."""
    fields = {
        "conn_type": getattr(connection, "conn_type", None),
        "host": getattr(connection, "host", None),
        "login": getattr(connection, "login", None),
        "password": getattr(connection, "password", None),
        "schema": getattr(connection, "schema", None),
        "port": getattr(connection, "port", None),
        "extra": connection_extras(connection) or None,
    }
    return json.dumps({key: value for key, value in fields.items() if value not in (None, "")})


def connection_extras(connection: Any) -> dict[str, Any]:
    try:
        extra = connection.extra_dejson
    except Exception:  # noqa: BLE001 - a broken extra reads as none; the caller names what is missing
        extra = None
    if isinstance(extra, dict):
        return extra
    try:
        return dict(json.loads(connection.extra or "{}"))
    except (TypeError, ValueError):
        return {}


def is_loopback(hostname: str) -> bool:
    """True for ``localhost`` and addresses in 127.0.0.0/8 or ``::1``."""
    if hostname.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(hostname).is_loopback
    except ValueError:
        return False


def base_url_from_host(host: str, port: int | None, conn_id: str, allow_http: bool) -> str:
    """Normalise a connection host into ``scheme://netloc/.../api/v1/``.

    Users write the host as the set-up docs say (``https://api.secoda.co/api/v1/``)
    but also ``api.secoda.co`` or ``https://acme.secoda.co``: accept all three.
    """
    text = host.strip()
    if "://" not in text:
        text = "https://" + text
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(f"connection {conn_id!r}: host {host!r} is not an http(s) URL")
    if parts.scheme == "http" and not is_loopback(parts.hostname) and not allow_http:
        raise InsecureHostError(
            f"connection {conn_id!r}: refusing plain http:// to {parts.hostname} (the API key would "
            "travel in clear); use https:// or set [secoda] allow_insecure_http = True"
        )
    netloc = parts.netloc
    if port and parts.port is None:
        netloc = f"{netloc}:{port}"
    path = parts.path.rstrip("/")
    if not path:
        path = "/api/v1"
    return f"{parts.scheme}://{netloc}{path}/"


def endpoint_from_connection(connection: Any, conn_id: str, allow_http: bool) -> Endpoint:
    """Validate a connection's fields and build the endpoint; raises :class:`ConfigError`."""
    missing = []
    if not connection.host:
        missing.append("host (e.g. https://api.secoda.co/api/v1/)")
    if not connection.password:
        missing.append("password (the Secoda API key)")
    integration_id = connection_extras(connection).get("integration_id")
    if not integration_id:
        missing.append('extra {"integration_id": "..."}')
    if missing:
        raise ConfigError(f"connection {conn_id!r} for Secoda lacks " + ", ".join(missing))
    base_url = base_url_from_host(connection.host, connection.port, conn_id, allow_http)
    return Endpoint(base_url=base_url, api_key=connection.password, integration_id=str(integration_id))


def resolve_endpoint(conn_id: str) -> Endpoint:
    """The endpoint for ``conn_id``; raises :class:`ConfigError` with a fix in its message."""
    try:
        connection = get_airflow_connection(conn_id)
    except ConnectionNotFound as exc:
        raise ConnectionNotFound(f"{exc}; Secoda needs it: " + _HOW_TO_CREATE.format(conn_id=conn_id)) from None
    return endpoint_from_connection(connection, conn_id, conf.allow_insecure_http())
