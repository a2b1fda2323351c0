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


# --- the mirror: run directories written through a local folder ------------------------------


@pytest.fixture
def mirrored(s3_server, tmp_path, monkeypatch):
    """A store-backed RunDir whose mirror lives under tmp_path, checked out (empty store)."""
    from curate.rundir import RunDir

    monkeypatch.setenv(objstore.MIRROR_ENV, str(tmp_path / "mirrors"))
    url = s3_server.make_bucket("mirror-test") + f"/{tmp_path.name}"
    run = RunDir.at(url)
    assert run.mirror.checkout() == 0
    return run, s3_server.filesystem(), url.removeprefix("s3://")


def test_place_puts_the_final_key_once_and_local_writes_put_nothing(mirrored, tmp_path):
    from curate.rundir import AtomicParquetWriter, RunDir, write_json_atomic, write_table_atomic

    run, fs, base = mirrored
    table = pa.table({"doc_uid": ["a", "b"]})
    write_table_atomic(table, RunDir.shard_file(run.documents, "s1"))
    with AtomicParquetWriter(RunDir.shard_file(run.skipped, "s1"), table.schema) as w:
        w.write(table)
    write_json_atomic({"ok": True}, run.markers / "ingest" / "s1.json")
    write_json_atomic({"scratch": 1}, run.tmp / "x.json")  # scratch space stays local
    assert run.mirror.puts == 3
    fs.invalidate_cache()
    assert sorted(fs.find(base)) == [
        f"{base}/_markers/ingest/s1.json",
        f"{base}/documents/s1.parquet",
        f"{base}/skipped/s1.parquet",
    ]
    assert (
        fs.cat_file(f"{base}/documents/s1.parquet")
        == RunDir.shard_file(run.documents, "s1").read_bytes()
    )
    # a local run directory: the same writers, no mirror, nothing PUT
    local = RunDir.at(tmp_path / "local")
    write_table_atomic(table, RunDir.shard_file(local.documents, "s1"))
    assert local.mirror is None and run.mirror.puts == 3


def test_flush_pushes_renames_and_removals_and_pull_does_not_resurrect(mirrored):
    from curate.rundir import RunDir, write_table_atomic

    run, fs, base = mirrored
    for shard in ("s1", "s2"):
        write_table_atomic(pa.table({"x": [1]}), RunDir.shard_file(run.documents, shard))
    # a step that renames its output into place itself and removes a retired shard's output
    (run.root / "mixtures" / "m").mkdir(parents=True)
    (run.root / "mixtures" / "m" / "part-00000.parquet").write_bytes(b"part")
    (run.root / "card").mkdir()
    (run.root / "card" / ".plot.0123abcd.png").write_bytes(b"a killed writer's temp file")
    RunDir.shard_file(run.documents, "s2").unlink()
    assert run.mirror.pull() == 0  # the removed s2 is not downloaded again
    assert not RunDir.shard_file(run.documents, "s2").exists()
    puts = run.mirror.puts
    assert run.mirror.flush() == {"deleted": 1, "uploaded": 1}
    assert run.mirror.puts == puts + 1
    fs.invalidate_cache()
    assert sorted(fs.find(base)) == [
        f"{base}/documents/s1.parquet",
        f"{base}/mixtures/m/part-00000.parquet",
    ]
    assert run.mirror.flush() == {"deleted": 0, "uploaded": 0}  # nothing changed since


def test_checkout_makes_the_mirror_a_copy_of_the_store(mirrored):
    from curate.rundir import RunDir, write_table_atomic

    run, fs, base = mirrored
    write_table_atomic(pa.table({"x": [1]}), RunDir.shard_file(run.documents, "s1"))
    # left in the mirror by an earlier process, never on the store: not trusted
    (run.markers / "ingest").mkdir(parents=True)
    (run.markers / "ingest" / "s9.json").write_text("{}")
    # stored by another node since
    fs.pipe_file(f"{base}/documents/s3.parquet", b"other node")
    assert run.mirror.checkout() == 2
    files = sorted(str(p.relative_to(run.root)) for p in run.root.rglob("*") if p.is_file())
    assert files == ["documents/s1.parquet", "documents/s3.parquet"]


def test_run_dir_pickles_with_its_store_and_options(mirrored):
    import pickle

    from fsspec.config import conf

    run, _, _ = mirrored
    saved = {k: dict(v) for k, v in conf.items()}
    try:
        objstore.configure(["s3"], {"anon": False})
        data = pickle.dumps(run)
        conf.pop("s3")  # a worker process that was never given the options
        clone = pickle.loads(data)
        assert clone == run and clone.url == run.url
        assert objstore.mirror_of(str(clone.root / "documents" / "a.parquet"))[1] == (
            "documents/a.parquet"
        )
        assert objstore.storage_config(run.url)["anon"] is False
    finally:
        conf.clear()
        conf.update(saved)


def test_refresh_brings_in_what_other_nodes_committed(mirrored):
    from curate.rundir import RunDir

    run, fs, base = mirrored
    # another node stored a shard's output but (not yet) its marker: nothing to read yet
    fs.pipe_file(f"{base}/documents/n2.parquet", b"node 2 output")
    assert objstore.refresh(str(run.root)) == 0
    assert not RunDir.shard_file(run.documents, "n2").exists()
    # ... then its marker: the driver's next whole-run step sees both
    fs.pipe_file(f"{base}/_markers/ingest/n2.json", b"{}")
    assert objstore.refresh(str(run.root)) == 2
    assert RunDir.shard_file(run.documents, "n2").read_bytes() == b"node 2 output"
    assert objstore.refresh(str(run.root)) == 0  # up to date: one LIST of _markers/ only
    assert objstore.refresh(str(run.root / "elsewhere")) == 0  # not a mirror


def test_remove_deletes_the_key_or_folder_on_the_store_at_once(mirrored, tmp_path):
    from curate.rundir import RunDir, remove, write_table_atomic

    run, fs, base = mirrored
    for shard in ("s1", "s2"):
        write_table_atomic(pa.table({"x": [1]}), RunDir.shard_file(run.documents, shard))
        write_table_atomic(pa.table({"x": [1]}), RunDir.shard_file(run.attributes("a@1"), shard))
    remove(RunDir.shard_file(run.documents, "s1"))
    remove(run.attributes("a@1"))
    remove(run.attributes("never@1"))  # absent: nothing, no error
    fs.invalidate_cache()
    assert sorted(fs.find(base)) == [f"{base}/documents/s2.parquet"]
    assert not run.attributes("a@1").exists()
    assert run.mirror.flush() == {"deleted": 0, "uploaded": 0}
    local = tmp_path / "plain" / "f.json"  # a local path: removed, no store involved
    local.parent.mkdir()
    local.write_text("{}")
    remove(local)
    assert not local.exists()


def test_mirror_folder_is_per_url_and_per_endpoint(tmp_path, monkeypatch):
    monkeypatch.setenv(objstore.MIRROR_ENV, str(tmp_path))
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", "http://127.0.0.1:1")
    one = objstore.mirror_root("s3://b/run")
    assert one == objstore.mirror_root("s3://b/run/")  # a trailing slash is the same run
    assert one.startswith(str(tmp_path) + "/")
    assert one != objstore.mirror_root("s3://b/run2")
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", "http://127.0.0.1:2")  # another server
    assert one != objstore.mirror_root("s3://b/run")


def test_worker_gets_its_own_nodes_mirror_filled_from_the_store(mirrored, tmp_path, monkeypatch):
    """A RunDir unpickled under another CURATE_MIRROR_DIR (a worker on another node) is rooted
    in that node's mirror, not the driver's path, and arrives with what the store committed."""
    import os
    import pickle

    run, fs, base = mirrored
    fs.pipe_file(f"{base}/documents/n1.parquet", b"node 1 output")
    fs.pipe_file(f"{base}/_markers/ingest/n1.json", b"{}")
    data = pickle.dumps(run)
    monkeypatch.setenv(objstore.MIRROR_ENV, str(tmp_path / "node2"))
    worker = pickle.loads(data)
    assert worker.url == run.url and worker.root != run.root
    assert str(worker.root).startswith(str(tmp_path / "node2"))
    assert worker.mirror.worker and not worker.mirror.checked_out
    assert (worker.documents / "n1.parquet").read_bytes() == b"node 1 output"
    assert not (run.documents / "n1.parquet").exists()  # the driver's mirror is untouched
    # nothing new committed: an unmarked object is not fetched (one LIST of _markers/ only)
    fs.pipe_file(f"{base}/documents/n3.parquet", b"in progress elsewhere")
    assert objstore.refresh(str(worker.root)) == 0
    assert not (worker.documents / "n3.parquet").exists()
    # the driver's full refresh does not wait for a marker: n1, its marker, and n3
    assert objstore.refresh(str(run.root), full=True) == 3
    assert (run.documents / "n3.parquet").read_bytes() == b"in progress elsewhere"
    hidden = [n for _, _, files in os.walk(worker.root) for n in files if n.startswith(".")]
    assert hidden == []  # downloads went through temp names, all renamed into place
