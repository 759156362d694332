"""An asset URI as a dataset named by OpenLineage conventions: the one conversion."""

from __future__ import annotations

import pytest

from secoda_listener.event.asset_uris import dataset_from_uri, safe_uri
from secoda_listener.event.datasets import Dataset


@pytest.mark.parametrize(
    ("uri", "namespace", "name"),
    [
        # The three of the brief: tables, local files, object stores.
        ("postgres://h:5432/db/schema/t", "postgres://h:5432", "db.schema.t"),
        ("file:///tmp/x", "file", "/tmp/x"),
        ("s3://b/k", "s3://b", "k"),
        # Tables: default ports as Airflow's providers normalise them, spellings of one scheme.
        ("postgresql://db.internal/shop/public/orders", "postgres://db.internal:5432", "shop.public.orders"),
        ("mysql://h/shop/orders", "mysql://h:3306", "shop.orders"),
        ("redshift://cluster.eu-west-1:5439/dev/public/t", "redshift://cluster.eu-west-1:5439", "dev.public.t"),
        ("trino://h/hive/s/t", "trino://h:8080", "hive.s.t"),
        ("snowflake://Acme-XY123/db1/s1/raw_sales", "snowflake://acme-xy123", "DB1.S1.RAW_SALES"),
        ("bigquery://my-project/dataset/table", "bigquery", "my-project.dataset.table"),
        ("postgres://[::1]:5433/d/s/t", "postgres://[::1]:5433", "d.s.t"),
        # Files and objects.
        ("file://host/var/data.csv", "file://host", "/var/data.csv"),
        ("file:/tmp/z", "file", "/tmp/z"),
        ("/tmp/local.csv", "file", "/tmp/local.csv"),
        ("s3a://bucket/a/b.parquet", "s3://bucket", "a/b.parquet"),
        ("gcs://bucket/k", "gs://bucket", "k"),
        ("s3://bucket", "s3://bucket", "/"),
        ("s3://b/a%20b.csv?versionId=3#frag", "s3://b", "a b.csv"),
        ("kafka://broker:9092/orders", "kafka://broker:9092", "orders"),
        ("hdfs://nn:8020/user/x", "hdfs://nn:8020", "/user/x"),
    ],
)
def test_uri_to_dataset(uri: str, namespace: str, name: str) -> None:
    assert dataset_from_uri(uri) == Dataset(namespace, name)


def test_credentials_never_reach_the_dataset() -> None:
    got = dataset_from_uri("postgres://etl:s3cret@db.internal:5432/shop/public/orders")
    assert got == Dataset("postgres://db.internal:5432", "shop.public.orders")
    assert "s3cret" not in repr(got)
    assert safe_uri("postgres://etl:s3cret@db.internal:5432/shop") == "postgres://db.internal:5432/shop"
    assert safe_uri("s3://b/k") == "s3://b/k"
    assert safe_uri(None) is None


@pytest.mark.parametrize(
    "uri",
    [
        "orders",  # a name-only asset: names nothing outside Airflow
        "",
        None,
        42,
        "postgres://h:notaport/db/s/t",
        "postgres://h:5432",  # a server, not a table
        "s3:///no-bucket",
        "://nothing",
    ],
)
def test_what_is_not_a_dataset_uri_gives_none(uri: object) -> None:
    assert dataset_from_uri(uri) is None
