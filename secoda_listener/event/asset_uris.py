"""An Airflow asset's URI as a dataset named by OpenLineage conventions: the one conversion.

Declared lineage (task ``inlets``/``outlets``, asset events) and hook-level
lineage both meet assets as URIs; both name them through :func:`dataset_from_uri`
so that one table is one dataset whichever way it was found:

* ``postgres://h:5432/db/schema/t`` -> ``postgres://h:5432``, ``db.schema.t``
  (tables: namespace ``scheme://host:port``, name the path's parts joined by dots)
* ``file:///tmp/x`` -> ``file``, ``/tmp/x`` (``file://host`` when a host is given)
* ``s3://b/k`` -> ``s3://b``, ``k`` (object stores: namespace ``scheme://bucket``, name the key)
* ``snowflake://acct/DB/S/T`` -> ``snowflake://acct``, ``DB.S.T`` (upper case, as Snowflake
  stores unquoted names and as the SQL extractors name them)
* ``kafka://broker:9092/topic`` -> ``kafka://broker:9092``, ``topic``
* ``hdfs://nn:8020/a/b`` -> ``hdfs://nn:8020``, ``/a/b`` (any other scheme: the path as is)
* ``/tmp/x`` and ``file:/tmp/x`` (how ``ObjectStoragePath`` reports local paths) -> ``file``, ``/tmp/x``

Credentials in a URI's authority (``user:pw@``) never reach the dataset, nor do a query
string or fragment. A value that is not a URI with a scheme (``Asset("orders")``) names
nothing outside Airflow: None.
"""

from __future__ import annotations

import urllib.parse
from typing import Any

from secoda_listener.event.datasets import Dataset

#: Schemes whose path names a table: its parts joined by dots (``db/schema/t`` -> ``db.schema.t``).
TABLE_SCHEMES = frozenset(
    {
        "postgres",
        "mysql",
        "mssql",
        "redshift",
        "snowflake",
        "trino",
        "presto",
        "hive",
        "databricks",
        "oracle",
        "teradata",
        "vertica",
        "clickhouse",
        "duckdb",
        "sqlite",
        "bigquery",
    }
)

#: Object stores: the name is the key, without the path's leading slash.
OBJECT_STORE_SCHEMES = frozenset({"s3", "gs", "abfs", "abfss", "wasb", "wasbs", "az", "adl", "oss", "r2"})

#: Spellings of one scheme (Airflow's providers accept these), to the OpenLineage one.
_SCHEME_ALIASES = {"postgresql": "postgres", "s3a": "s3", "s3n": "s3", "gcs": "gs"}

#: The port a table URI without one means (as Airflow's providers normalise them too).
_DEFAULT_PORTS = {"postgres": 5432, "mysql": 3306, "redshift": 5439, "trino": 8080, "presto": 8080}


def _authority(parsed: urllib.parse.SplitResult, scheme: str) -> str | None:
    """``host[:port]`` without user info; None when the port is not a number."""
    try:
        port = parsed.port
    except ValueError:
        return None
    host = parsed.hostname or ""
    if ":" in host:  # IPv6: hostname drops the brackets the authority needs
        host = f"[{host}]"
    if host and port is None:
        port = _DEFAULT_PORTS.get(scheme)
    return f"{host}:{port}" if host and port is not None else host


def dataset_from_uri(uri: Any) -> Dataset | None:
    """The dataset an asset URI names, or None when ``uri`` is not one. Never raises."""
    if not isinstance(uri, str):
        return None
    uri = uri.strip()
    if "://" not in uri:
        if uri.startswith("file:/"):
            uri = "file://" + "/" + uri[len("file:") :].lstrip("/")
        elif uri.startswith("/"):
            return Dataset("file", uri)
        else:
            return None
    try:
        parsed = urllib.parse.urlsplit(uri)
    except ValueError:  # an invalid IPv6 literal, say
        return None
    scheme = _SCHEME_ALIASES.get(parsed.scheme.lower(), parsed.scheme.lower())
    if not scheme:
        return None
    authority = _authority(parsed, scheme)
    if authority is None:
        return None
    path = urllib.parse.unquote(parsed.path)
    if scheme == "file":
        return Dataset(f"file://{authority}" if authority else "file", path or "/")
    if scheme in TABLE_SCHEMES:
        parts = [part for part in path.split("/") if part]
        if scheme == "bigquery":  # bigquery://project/dataset/table: OpenLineage's namespace is "bigquery"
            parts = [authority, *parts] if authority else parts
            return Dataset("bigquery", ".".join(parts)) if parts else None
        if not authority or not parts:
            return None
        if scheme == "snowflake":
            return Dataset(f"snowflake://{authority.lower()}", ".".join(parts).upper())
        return Dataset(f"{scheme}://{authority}", ".".join(parts))
    if scheme in OBJECT_STORE_SCHEMES or scheme == "kafka":  # a Kafka name is the topic
        return Dataset(f"{scheme}://{authority}", path.lstrip("/") or "/") if authority else None
    return Dataset(f"{scheme}://{authority}" if authority else scheme, path or "/")


def safe_uri(uri: Any) -> str | None:
    """``uri`` as text without the credentials its authority may hold (``user:pw@``)."""
    if uri is None:
        return None
    text = str(uri)
    try:
        parsed = urllib.parse.urlsplit(text)
    except ValueError:
        return text if "@" not in text else None
    if "@" not in parsed.netloc:
        return text
    return urllib.parse.urlunsplit(parsed._replace(netloc=parsed.netloc.rpartition("@")[2]))


__all__ = ["OBJECT_STORE_SCHEMES", "TABLE_SCHEMES", "dataset_from_uri", "safe_uri"]
