"""Object-store run-directory layer (curate/objstore.py) against the real loopback S3 server."""

from __future__ import annotations

import pyarrow as pa
import pytest

from curate import objstore
from curate.errors import UserError


@pytest.fixture
def s3(s3_server):
    url = s3_server.make_bucket("objstore-test")
    fs, root = objstore.filesystem(url + "/run", s3_server.storage_options)
    fs.invalidate_cache()
    return fs, root


def test_is_remote_distinguishes_urls_from_local_paths():
    assert objstore.is_remote("s3://b/run")
    assert objstore.is_remote("gs://b/run")
    assert not objstore.is_remote("/tmp/run")
    assert not objstore.is_remote("file:///tmp/run")


def test_table_round_trips_only_after_marker(s3):
    fs, root = s3
    table = pa.table({"id": ["a", "b"], "size": [1, 2]})
    data, marker = f"{root}/documents/shard-0.parquet", f"{root}/_markers/shard-0.done"
    objstore.write_table_atomic(fs, data, table)
    # written but not committed: readers must not trust it
    assert objstore.read_table_if_committed(fs, data, marker) is None
    objstore.commit(fs, marker, {"rows": 2})
    assert objstore.read_table_if_committed(fs, data, marker).equals(table)


def test_killed_mid_write_leaves_no_committed_object(s3, monkeypatch):
    fs, root = s3
    data, marker = f"{root}/documents/shard-1.parquet", f"{root}/_markers/shard-1.done"

    class Boom(Exception):
        pass

    def dies_half_way(table, sink, **kwargs):
        sink.write(b"PAR1 partial bytes")  # the process dies after writing part of the file
        raise Boom

    monkeypatch.setattr(objstore.pq, "write_table", dies_half_way)
    with pytest.raises(Boom):
        objstore.write_table_atomic(fs, data, pa.table({"id": ["x"]}))
    assert not fs.exists(data)
    assert not objstore.committed(fs, marker)


def test_lock_held_by_other_owner_blocks_with_clear_error(s3):
    fs, root = s3
    lock = f"{root}/.lock"
    owner = objstore.acquire_lock(fs, lock, "node-a")
    assert objstore.acquire_lock(fs, lock, "node-a") == owner  # re-entrant for the same owner
    with pytest.raises(UserError, match="locked by owner node-a"):
        objstore.acquire_lock(fs, lock, "node-b")
    objstore.release_lock(fs, lock, "node-b")  # not the owner: no effect
    assert fs.exists(lock)
    objstore.release_lock(fs, lock, "node-a")
    assert objstore.acquire_lock(fs, lock, "node-b") == "node-b"


def test_open_run_on_empty_url_fails_with_one_clear_error(s3, tmp_path):
    from curate import open_run

    with pytest.raises(UserError, match="not a run directory"):
        open_run("s3://objstore-test/no-run-here")
    with pytest.raises(UserError, match="not a run directory"):  # local paths unchanged
        open_run(tmp_path)
