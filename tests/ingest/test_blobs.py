"""Content-addressed blobs fetched from a real S3-compatible server (moto, loopback)."""

from __future__ import annotations

import gzip
import socket

import pytest
from pydantic import ValidationError

from curate.ingest.readers.blobs import BlobFetcher, BlobStoreConfig


def test_fetch_gzip_plain_and_missing_blobs(s3_server) -> None:
    bucket = s3_server.make_bucket("blobs")
    fs = s3_server.filesystem()
    fs.pipe(f"{bucket}/content/aa11", gzip.compress(b"print('a')\n"))
    fs.pipe(f"{bucket}/content/bb22", b"plain text, not gzip'd\n")
    fs.pipe(f"{bucket}/content/cc33", b"\x1f\x8bnot really gzip")
    cfg = BlobStoreConfig(
        blob_url=f"{bucket}/content/{{blob_id}}",
        storage_options=s3_server.storage_options,
        concurrency=2,
        retries=2,
        backoff_s=0,
    )
    fetcher = BlobFetcher(cfg)
    got = fetcher.fetch(["aa11", "bb22", "missing", "cc33", "aa11"])
    assert list(got) == ["aa11", "bb22", "missing", "cc33"]  # one result per distinct id
    assert (got["aa11"].data, got["aa11"].reason) == (b"print('a')\n", None)
    assert got["bb22"].data == b"plain text, not gzip'd\n"
    assert (got["missing"].data, got["missing"].reason) == (None, "blob_missing")
    assert "content/missing" in got["missing"].detail
    assert got["cc33"].reason == "blob_fetch_failed"  # corrupt gzip: reported, not retried
    assert fetcher.attempts == 4  # missing and corrupt objects are not retried


def test_unreachable_store_fails_after_bounded_retries() -> None:
    with socket.socket() as s:  # a port nothing listens on: real connection errors
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    cfg = BlobStoreConfig(
        blob_url="s3://nowhere/content/{blob_id}",
        storage_options={
            "key": "x",
            "secret": "y",
            "client_kwargs": {
                "endpoint_url": f"http://127.0.0.1:{port}",
                "region_name": "us-east-1",
            },
            "config_kwargs": {"retries": {"max_attempts": 1}, "connect_timeout": 1},
        },
        retries=2,
        backoff_s=0,
    )
    fetcher = BlobFetcher(cfg)
    got = fetcher.fetch(["aa11"])
    assert got["aa11"].reason == "blob_fetch_failed"
    assert "after 2 retries" in got["aa11"].detail
    assert fetcher.attempts == 3


def test_blob_url_needs_the_placeholder() -> None:
    with pytest.raises(ValidationError, match="blob_id"):
        BlobStoreConfig(blob_url="s3://b/content/")
    assert BlobFetcher(BlobStoreConfig(blob_url="s3://b/{blob_id}")).fetch([]) == {}
