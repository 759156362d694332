"""The spooled record and the spool's file names: validation, the on-disk format, parsing."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import attrs
import pytest

from secoda_listener.delivery.names import (
    HOST,
    ClaimedName,
    FailedName,
    SpoolName,
    TmpName,
    conn_key,
    conn_key_of,
)
from secoda_listener.delivery.record import Failure, Route, SpoolRecord
from secoda_listener.delivery.spool import Spool
from secoda_listener.exceptions import InvalidRecordError


def record(**changes) -> SpoolRecord:
    fields = {
        "event_id": "ev-1",
        "conn_id": "secoda_default",
        "route": Route.INGEST,
        "body": {"event_id": "ev-1", "sql": "select 'é'"},
        "created_at": 1700000000.5,
    }
    fields.update(changes)
    return SpoolRecord(**fields)


# --- SpoolRecord ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("event_id", "", "non-empty 'event_id'"),
        ("event_id", 7, "'event_id' of type str"),
        ("conn_id", None, "'conn_id' of type str"),
        ("route", "ingest", "'route' of type Route"),  # the text is what the file says, not a route
        ("body", [1, 2], "'body' of type dict"),
        ("created_at", "yesterday", "'created_at' of type float"),
        ("created_at", True, "'created_at' of type float"),
        ("failure", {"kind": "http-400"}, "'failure' of type Failure"),
    ],
)
def test_validators_refuse_wrong_fields(field: str, value: object, message: str) -> None:
    with pytest.raises(InvalidRecordError, match=message):
        record(**{field: value})


def test_an_int_time_is_a_float_time_and_the_default_is_now() -> None:
    assert record(created_at=5).created_at == 5.0 and isinstance(record(created_at=5).created_at, float)
    before = time.time()
    fresh = SpoolRecord(event_id="e", conn_id="c", route=Route.EXTRACTION, body={})
    assert before <= fresh.created_at <= time.time()


def test_records_are_frozen() -> None:
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        record().event_id = "other"  # type: ignore[misc]


def test_round_trip_keeps_every_field_and_the_on_disk_keys() -> None:
    original = record(failure=Failure("http-400", "POST ... -> HTTP 400: bad", 1700000001.25))
    data = original.to_json()
    assert SpoolRecord.from_json(data) == original
    # Compact, UTF-8 as is, and the keys every earlier spool has.
    assert b", " not in data and "é".encode() in data
    assert json.loads(data) == {
        "event_id": "ev-1",
        "conn_id": "secoda_default",
        "route": "ingest",
        "created_at": 1700000000.5,
        "body": {"event_id": "ev-1", "sql": "select 'é'"},
        "failure": {"kind": "http-400", "reason": "POST ... -> HTTP 400: bad", "at": 1700000001.25},
    }
    assert "failure" not in json.loads(record().to_json())


@pytest.mark.parametrize("body", [{"t": object()}, {"nan": float("nan")}, {"s": {1, 2}}])
def test_a_body_that_is_not_json_is_invalid(body: dict) -> None:
    with pytest.raises(InvalidRecordError, match="not JSON-able"):
        record(body=body).to_json()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b'{"event_id": "ev-1", "conn', "corrupt spool file: "),
        (b"\xff\xfe not utf-8", "corrupt spool file: "),
        (b"[1, 2]", "corrupt spool file: not a record"),
        (b'{"event_id": "e", "conn_id": "c", "route": "ingest"}', "corrupt spool file: not a record"),
        (b'{"event_id": "e", "conn_id": "c", "route": "nowhere", "body": {}}', "unknown route 'nowhere'"),
        (b'{"event_id": "e", "conn_id": "c", "route": ["ingest"], "body": {}}', "unknown route"),
        (b'{"event_id": "e", "conn_id": 3, "route": "ingest", "body": {}}', "'conn_id' of type str"),
        (
            b'{"event_id": "e", "conn_id": "c", "route": "ingest", "body": {}, "failure": {"kind": "x"}}',
            "corrupt spool file: ",
        ),
        (
            b'{"event_id": "e", "conn_id": "c", "route": "ingest", "body": {}, "failure": "no"}',
            "'failure' of type Failure",
        ),
    ],
)
def test_corrupt_input_is_an_invalid_record(data: bytes, message: str) -> None:
    with pytest.raises(InvalidRecordError, match=message):
        SpoolRecord.from_json(data)


def test_a_record_an_older_version_spooled_is_read_and_claimed(tmp_path: Path) -> None:
    # Byte for byte what the dict-based encoder of earlier versions wrote (created_at first).
    old = (
        b'{"created_at":1700000000.123,"event_id":"ev-old","conn_id":"secoda_default","route":"extraction",'
        b'"body":{"type":"metadata"}}'
    )
    spool = Spool(tmp_path, fsync=False)
    name = f"{1700000000123000000:019d}_{HOST}_4242_deadbeef_secoda_default.json"
    (tmp_path / "new" / name).write_bytes(old)
    [claim] = spool.claim()
    assert spool.read(claim) == SpoolRecord(
        event_id="ev-old",
        conn_id="secoda_default",
        route=Route.EXTRACTION,
        body={"type": "metadata"},
        created_at=1700000000.123,
    )
    # Missing created_at (a hand-made file) still reads.
    assert SpoolRecord.from_json(b'{"event_id":"e","conn_id":"c","route":"ingest","body":{}}').created_at == 0.0


def test_route_values_are_the_on_disk_text() -> None:
    assert [route.value for route in Route] == ["ingest", "extraction"]
    assert str(Route.EXTRACTION) == "extraction" and Route("ingest") is Route.INGEST


# --- file names ---------------------------------------------------------------------------------


def test_spool_name_round_trip_and_order() -> None:
    name = SpoolName.new("per dag/conn", "0a1b2c3d", time_ns=1_700_000_000_000_000_001)
    assert (name.host, name.pid, name.conn_key) == (HOST, os.getpid(), conn_key("per dag/conn"))
    text = name.format()
    assert text == f"1700000000000000001_{HOST}_{os.getpid()}_0a1b2c3d_{conn_key('per dag/conn')}.json"
    assert SpoolName.parse(text) == name and conn_key_of(text) == name.conn_key
    # Zero-padded time: sorting the text is sorting by time.
    early = SpoolName.new("c", "ff", time_ns=999).format()
    assert sorted([text, early]) == [early, text]


def test_a_connection_key_may_hold_underscores_and_dots() -> None:
    text = SpoolName.new("my_conn.eu", "aa", time_ns=1).format()
    assert SpoolName.parse(text).conn_key == "my_conn.eu" == conn_key("my_conn.eu")  # type: ignore[union-attr]


def test_unsafe_connection_ids_get_a_stable_hashed_key() -> None:
    key = conn_key("per dag/conn")
    assert key.startswith("h-") and key == conn_key("per dag/conn") != conn_key("per dag/conn2")
    assert conn_key("x" * 65).startswith("h-") and conn_key("a@b").startswith("h-")


@pytest.mark.parametrize(
    "foreign",
    [
        "notes.txt",
        "foo.json",
        "a_b_c_d.json",
        "x_host_1_r_key.txt",
        "abc_host_1_r_key.json",
        "1_host_pid_r_key.json",
        "1__1_r_key.json",
        "²_host_1_r_key.json",
    ],
)
def test_foreign_names_parse_to_none(foreign: str) -> None:
    assert SpoolName.parse(foreign) is None and conn_key_of(foreign) == ""


def test_claimed_name_round_trip_and_foreign_claims() -> None:
    original = SpoolName.new("c", "aa", time_ns=5).format()
    claimed = ClaimedName(original, HOST, 1234, "98765", 1_700_000_000_000_000_000)
    text = claimed.format()
    assert text == f"{original}@{HOST}.1234.98765.1700000000000000000"
    assert ClaimedName.parse(text) == claimed and claimed.claimer == f"{HOST}.1234.98765"
    # No /proc start time: an empty field, still a claim.
    assert ClaimedName.parse(f"{original}@{HOST}.1234..7") == ClaimedName(original, HOST, 1234, "", 7)
    # An original holding "@" (a foreign file claimed from new/) is still recovered whole.
    assert ClaimedName.parse("a@b.json@h.1.2.3") == ClaimedName("a@b.json", "h", 1, "2", 3)
    for foreign in ("plain.json", "x.json@h.1.2", "x.json@h.one.2.3", "x.json@.1.2.3", "@h.1.2.3"):
        assert ClaimedName.parse(foreign) is None, foreign
    assert ClaimedName.original_of("x.json@garbage") == "x.json"
    assert ClaimedName.original_of("plain.json") == "plain.json"


def test_failed_name_round_trip_kinds_and_foreign_files() -> None:
    original = SpoolName.new("c", "aa", time_ns=5).format()
    failed = FailedName(original, "http-401")
    assert failed.format() == original.removesuffix(".json") + "~http-401.json"
    assert FailedName.parse(failed.format()) == failed
    assert conn_key_of(FailedName.parse(failed.format()).original) == "c"  # type: ignore[union-attr]
    assert FailedName.clean_kind("HTTP 400 / Bad!") == "http-400-bad" and FailedName.clean_kind("!!") == "error"
    assert FailedName.parse("foreign.json") is None and FailedName.parse("x~y.txt") is None
    assert FailedName.kind_of(failed.format()) == "http-401"
    assert FailedName.kind_of("foreign.json") == "foreign"  # a foreign file counts under its stem


def test_tmp_name_names_its_writer() -> None:
    tmp = TmpName.new("cafe", time_ns=42)
    assert (tmp.host, tmp.pid) == (HOST, os.getpid())
    assert TmpName.parse(tmp.format()) == tmp and tmp.format().endswith(".tmp")
    for foreign in ("not-ours", ".usage.json.1.ab.tmp", "1_h_x_r.tmp", "1_h_2_r.json"):
        assert TmpName.parse(foreign) is None, foreign
