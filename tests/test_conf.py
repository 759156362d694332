"""[secoda] options: defaults, env-var forms, bad values named once and replaced by the default."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from secoda_listener import conf, logs

README = Path(__file__).resolve().parents[1] / "README.md"


@pytest.fixture(autouse=True)
def _fresh_warnings(monkeypatch):
    logs.forget()
    conf.reload()
    yield
    conf.reload()


@pytest.mark.parametrize("key", sorted(conf.OPTIONS))
def test_default_is_the_declared_one_typed(key):
    value = conf.default(key)
    option = conf.OPTIONS[key]
    expected_type = {"boolean": bool, "integer": int, "float": float, "string": str}[option.type]
    assert type(value) is expected_type
    assert str(value) == option.default


def test_values_are_kept_but_a_changed_env_var_is_read_afresh(monkeypatch):
    monkeypatch.setenv("AIRFLOW__SECODA__FLUSH_TIMEOUT", "0.5")
    assert conf.flush_timeout() == 0.5
    assert conf._read.cache_info().currsize >= 1
    monkeypatch.setenv("AIRFLOW__SECODA__FLUSH_TIMEOUT", "0.7")
    assert conf.flush_timeout() == 0.7


def test_defaults(monkeypatch):
    for key in conf.OPTIONS:
        monkeypatch.delenv(f"AIRFLOW__SECODA__{key.upper()}", raising=False)
    assert conf.enabled() is True
    assert conf.conn_id() == "secoda_default"
    assert conf.opt_out_tags() == frozenset({"secoda:disabled"})
    assert conf.only_tags() == frozenset()
    assert conf.flush_timeout() == 2.0
    assert conf.spool_fsync() is False
    assert conf.max_event_bytes() == 512 * 1024
    assert conf.trigger_extraction() == "off"


def test_env_var_form_is_read(monkeypatch):
    monkeypatch.setenv("AIRFLOW__SECODA__OPT_OUT_TAGS", " sandbox , secoda:disabled ,, ")
    monkeypatch.setenv("AIRFLOW__SECODA__FLUSH_TIMEOUT", "0.5")
    monkeypatch.setenv("AIRFLOW__SECODA__ENABLED", "off")
    assert conf.opt_out_tags() == frozenset({"sandbox", "secoda:disabled"})
    assert conf.flush_timeout() == 0.5
    assert conf.enabled() is False


def test_spool_dir_defaults_under_airflow_home(monkeypatch, tmp_path):
    monkeypatch.delenv("AIRFLOW__SECODA__SPOOL_DIR", raising=False)
    monkeypatch.setenv("AIRFLOW_HOME", str(tmp_path))
    assert conf.spool_dir() == str(tmp_path / "secoda" / "spool")


@pytest.mark.parametrize(
    ("key", "value", "reader", "expected"),
    [
        ("flush_timeout", "soon", conf.flush_timeout, 2.0),
        ("flush_timeout", "-3", conf.flush_timeout, 2.0),
        ("enabled", "perhaps", conf.enabled, True),
        ("spool_max_mb", "1.5GB", conf.spool_max_mb, 256),
        ("trigger_extraction", "always", conf.trigger_extraction, "off"),
    ],
)
def test_bad_values_warn_once_and_fall_back(monkeypatch, caplog, key, value, reader, expected):
    monkeypatch.setenv(f"AIRFLOW__SECODA__{key.upper()}", value)
    with caplog.at_level(logging.WARNING, logger="secoda_listener.conf"):
        assert reader() == expected
        assert reader() == expected
    warnings = [r.getMessage() for r in caplog.records]
    assert len(warnings) == 1
    assert f"[secoda] {key} = {value!r}" in warnings[0]


def test_every_option_is_documented_in_the_readme():
    text = README.read_text()
    for key, option in conf.OPTIONS.items():
        assert f"| `{key}` | {option.type} |" in text, key
