"""Where events go: Secoda's base URL, the API key and the integration id.

An :class:`Endpoint` is built from the Airflow connection (see
:mod:`secoda_listener.delivery.secoda_connection`) at send time, so neither the key nor the
host is ever written into an event or the spool: the spool only names the
connection id.
"""

from __future__ import annotations

from typing import Any

import attrs

from secoda_listener.delivery.record import Route

INGEST_PATH = "integration/run_logs/{integration_id}/ingest/"
EXTRACTION_PATH = "databuilder/jobs/"

#: What a spooled record asks the sender to do with its body (short names of :class:`Route`).
ROUTE_INGEST = Route.INGEST
ROUTE_EXTRACTION = Route.EXTRACTION


@attrs.frozen
class Endpoint:
    """A resolved Secoda API target. ``api_key`` never appears in ``repr``."""

    base_url: str = attrs.field(converter=lambda url: url if url.endswith("/") else url + "/")
    api_key: str = attrs.field(repr=False)
    integration_id: str

    def url_for(self, route: Route) -> str:
        """The absolute URL of ``route``."""
        if route is Route.INGEST:
            return self.base_url + INGEST_PATH.format(integration_id=self.integration_id)
        if route is Route.EXTRACTION:
            return self.base_url + EXTRACTION_PATH
        raise ValueError(f"unknown route {route!r}")

    def body_for(self, route: Route, body: dict[str, Any]) -> dict[str, Any]:
        """The request body for ``route``: an extraction job names the integration.

        The spool never holds the integration id (it comes from the connection at
        send time), so it is filled in here.
        """
        if route is Route.EXTRACTION:
            return {**body, "integration_id": self.integration_id}
        return body

    def headers(self) -> dict[str, str]:
        return {
            "Authorization": f"Bearer {self.api_key}",
            "Content-Type": "application/json",
        }
