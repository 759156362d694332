"""The ``secoda`` connection type: what the Airflow UI shows for it.

The fields match the connection Secoda's documented set-up already asks for,
so users of the callback provider keep their ``secoda_default`` as it is.
"""

from __future__ import annotations

from typing import Any

try:  # Airflow 3
    from airflow.sdk.bases.hook import BaseHook
except ImportError:  # Airflow 2
    from airflow.hooks.base import BaseHook  # type: ignore[attr-defined,no-redef]


class SecodaHook(BaseHook):
    """Holds the Secoda host, API key and integration id; sends nothing itself."""

    conn_name_attr = "secoda_conn_id"
    default_conn_name = "secoda_default"
    conn_type = "secoda"
    hook_name = "Secoda Hook"

    def __init__(self, secoda_conn_id: str = default_conn_name, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.secoda_conn_id = secoda_conn_id

    def get_conn(self) -> Any:
        return self.get_connection(self.secoda_conn_id)

    @classmethod
    def get_ui_field_behaviour(cls) -> dict[str, Any]:
        return {
            "hidden_fields": ["schema", "login", "port"],
            "relabeling": {"password": "API Key"},
            "placeholders": {
                "host": "https://api.secoda.co/api/v1/",
                "extra": '{"integration_id": "<id of the Airflow integration in Secoda>"}',
            },
        }
