"""Session-wide fixtures. Ray is started at most once per test session, and only when a test
asks for it (it costs ~5 s and ~0.8 GB)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def ray_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    import ray

    temp = Path("/tmp") / f"curate-ray-{tmp_path_factory.getbasetemp().name}"
    ray.init(
        num_cpus=2,
        include_dashboard=False,
        _temp_dir=str(temp),
        configure_logging=False,
        object_store_memory=200 * 1024 * 1024,
    )
    try:
        yield
    finally:
        ray.shutdown()
        shutil.rmtree(temp, ignore_errors=True)


@pytest.fixture(scope="session")
def s3_server() -> Iterator[object]:
    """A real S3-compatible HTTP server on loopback (see tests/support/s3.py)."""
    from tests.support.s3 import start_server

    server, handle = start_server()
    try:
        yield handle
    finally:
        server.stop()
