"""A real S3-compatible server (moto's server mode) on loopback for the tests.

Not a mock of boto: the server speaks the S3 HTTP API, and the code under test reaches it through
``s3fs``/``fsspec`` exactly as it would reach AWS, MinIO or Ceph. Started once per test session.
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class S3Server:
    endpoint_url: str

    @property
    def storage_options(self) -> dict[str, Any]:
        """fsspec/s3fs options that reach this server (also valid for pyarrow/polars via fsspec)."""
        return {
            "key": "testing",
            "secret": "testing",
            "client_kwargs": {"endpoint_url": self.endpoint_url, "region_name": "us-east-1"},
        }

    def filesystem(self) -> Any:
        import s3fs

        return s3fs.S3FileSystem(**self.storage_options, use_listings_cache=False)

    def make_bucket(self, name: str) -> str:
        """Create bucket ``name`` (idempotent) and return its ``s3://`` URL. Through boto3: s3fs
        sends a LocationConstraint for us-east-1, which S3 (and moto) reject."""
        import boto3

        client = boto3.client(
            "s3",
            endpoint_url=self.endpoint_url,
            region_name="us-east-1",
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )
        existing = {bucket["Name"] for bucket in client.list_buckets().get("Buckets", [])}
        if name not in existing:
            client.create_bucket(Bucket=name)
        return f"s3://{name}"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server() -> tuple[Any, S3Server]:
    """Start moto's threaded server; set the AWS_* environment so that any s3fs client in this
    process (and child processes started after this) reaches it. Returns (server, handle)."""
    import logging

    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)

    port = _free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    os.environ.update(
        {
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_ENDPOINT_URL": endpoint,
            "AWS_ENDPOINT_URL_S3": endpoint,
        }
    )
    return server, S3Server(endpoint)
