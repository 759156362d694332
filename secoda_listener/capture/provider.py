"""Provider info: the ``secoda`` connection type and the ``[secoda]`` config section.

Registered through the ``apache_airflow_provider`` entry point, so
``airflow providers list``, ``airflow config list`` and the connection form in
the UI know about Secoda without any DAG or config edit.
"""

from __future__ import annotations

from typing import Any

from secoda_listener import __version__, conf


def _config_section() -> dict[str, Any]:
    options = {}
    for key, option in conf.OPTIONS.items():
        options[key] = {
            "description": option.description,
            "version_added": "0.1.0",
            "type": option.type,
            "example": option.example,
            "default": option.default,
            "sensitive": option.sensitive,
        }
    return {
        conf.SECTION: {
            "description": "secoda-listener: report DAG runs, task runs and lineage to Secoda.",
            "options": options,
        }
    }


def get_provider_info() -> dict[str, Any]:
    return {
        "package-name": "secoda-listener",
        "name": "Secoda listener",
        "description": "Reports every DAG's runs and data lineage to Secoda, with no DAG edits.",
        "versions": [__version__],
        "connection-types": [
            {
                "connection-type": "secoda",
                "hook-class-name": "secoda_listener.capture.connection_type.SecodaHook",
                "hook-name": "Secoda Hook",
            }
        ],
        "config": _config_section(),
    }
