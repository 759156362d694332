"""Provider info is valid for Airflow and declares the connection type and config section."""

from __future__ import annotations

import json
from pathlib import Path

import airflow
import jsonschema

from secoda_listener import conf
from secoda_listener.capture.provider import get_provider_info


def test_provider_info_validates_against_airflows_schema():
    schema_path = Path(airflow.__file__).parent / "provider_info.schema.json"
    schema = json.loads(schema_path.read_text())
    jsonschema.validate(get_provider_info(), schema)


def test_connection_type_and_config_section():
    info = get_provider_info()
    assert info["connection-types"] == [
        {
            "connection-type": "secoda",
            "hook-class-name": "secoda_listener.capture.connection_type.SecodaHook",
            "hook-name": "Secoda Hook",
        }
    ]
    options = info["config"]["secoda"]["options"]
    assert set(options) == set(conf.OPTIONS)
    assert options["conn_id"]["default"] == "secoda_default"
    assert all(option["description"] for option in options.values())


def test_hook_class_is_importable_with_ui_behaviour():
    from secoda_listener.capture.connection_type import SecodaHook

    assert SecodaHook.conn_type == "secoda"
    behaviour = SecodaHook.get_ui_field_behaviour()
    assert behaviour["relabeling"]["password"] == "API Key"
