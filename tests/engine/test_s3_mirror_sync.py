"""Stale files in node mirrors (issue 15): a mirror reused by a later task or run never serves a
file that the store deleted or replaced since. The rule (``curate.objstore.Mirror.pull``):
every mirror file records the stored version (ETag) it is a copy of; a sync re-downloads files
of another version, and in a worker's mirror deletes files the store no longer has and
replaces files without a valid record; a worker syncs when the store's ``_markers/`` differ
from its own in any way (added, rewritten or deleted). Against the real loopback S3 server."""

from __future__ import annotations

import os
import pickle
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from curate import objstore
from curate.rundir import RunDir, fetch, remove, rename, write_json_atomic, write_table_atomic


@pytest.fixture
def driver(s3_server: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> RunDir:
    """A checked-out run directory on the store, its mirror under tmp_path/driver."""
    monkeypatch.setenv(objstore.MIRROR_ENV, str(tmp_path / "driver"))
    monkeypatch.setattr(objstore, "SETTLE_S", 0.0)  # the tests' files are all settled
    run = RunDir.at(s3_server.make_bucket("mirror-sync") + f"/{tmp_path.name}")
    run.mirror.checkout()
    return run


def _node(run: RunDir, mirrors: Path, monkeypatch: pytest.MonkeyPatch) -> RunDir:
    """The run directory as a task on another node gets it (its own mirror, synced)."""
    data = pickle.dumps(run)
    monkeypatch.setenv(objstore.MIRROR_ENV, str(mirrors))
    try:
        return pickle.loads(data)
    finally:
        monkeypatch.setenv(objstore.MIRROR_ENV, str(Path(run.root).parent))


def _shard(run: RunDir, folder: Path, shard: str, value: int) -> None:
    write_table_atomic(
        pa.table({"doc_uid": [shard], "v": [value]}), RunDir.shard_file(folder, shard)
    )
    step = folder.relative_to(run.root).as_posix().replace("/", "__")
    write_json_atomic({"v": value}, run.markers / step / f"{shard}.json")


def _value(folder: Path, shard: str) -> int:
    return pq.read_table(RunDir.shard_file(folder, shard)).column("v")[0].as_py()


def test_node_mirror_drops_deleted_and_replaces_rewritten_objects(
    driver: RunDir, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for shard in ("s1", "s2", "s3"):
        _shard(driver, driver.documents, shard, 1)
    _shard(driver, driver.attributes("x@1"), "s1", 1)
    _shard(driver, driver.attributes("x@2"), "s1", 2)
    node = _node(driver, tmp_path / "node", monkeypatch)
    assert node.shard_ids() == ["s1", "s2", "s3"]
    assert list(node.attribute_folders()) == ["x@2"]  # the highest version wins
    unchanged = os.stat(RunDir.shard_file(node.documents, "s3"))

    # a later run: s1 redone with other content, s2 retired, x@2 deleted (outputs and markers)
    _shard(driver, driver.documents, "s1", 7)
    remove(RunDir.shard_file(driver.documents, "s2"))
    remove(driver.markers / "documents" / "s2.json")
    remove(driver.attributes("x@2"))
    remove(driver.markers / "attributes__x@2")

    node = _node(driver, tmp_path / "node", monkeypatch)
    assert _value(node.documents, "s1") == 7  # the store's version, not the mirror's
    assert node.shard_ids() == ["s1", "s3"]  # s2 is not resurrected
    assert list(node.attribute_folders()) == ["x@1"]  # nor the deleted x@2
    assert not list((node.root / "attributes").rglob("x@2/*")) and not list(
        node.markers.rglob("attributes__x@2/*")
    )  # (empty folders stay: another process of the node may be about to write into one)
    again = os.stat(RunDir.shard_file(node.documents, "s3"))
    assert (again.st_ino, again.st_mtime_ns) == (unchanged.st_ino, unchanged.st_mtime_ns)


def test_node_with_current_markers_lists_markers_only_and_touches_nothing(
    driver: RunDir, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _shard(driver, driver.documents, "s1", 1)
    node = _node(driver, tmp_path / "node", monkeypatch)
    before = os.stat(RunDir.shard_file(node.documents, "s1"))
    # an output stored without its marker yet (a unit in progress elsewhere): not a change
    driver.mirror.fs.pipe_file(driver.mirror.key("documents/s9.parquet"), b"in progress")
    calls: list[str] = []
    real = objstore.Mirror.listing
    monkeypatch.setattr(
        objstore.Mirror, "listing", lambda self, under="": calls.append(under) or real(self, under)
    )
    assert objstore.refresh(str(node.root)) == 0
    assert calls == ["_markers"]
    after = os.stat(RunDir.shard_file(node.documents, "s1"))
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)
    assert not RunDir.shard_file(node.documents, "s9").exists()


def test_node_mirror_files_of_unknown_origin_are_not_trusted(
    driver: RunDir, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Files an older curate (no version record) or a killed process left in a node's mirror:
    a same-named one is replaced by the stored object, one the store lacks is deleted."""
    _shard(driver, driver.documents, "s1", 1)
    monkeypatch.setenv(objstore.MIRROR_ENV, str(tmp_path / "node"))
    root = Path(objstore.mirror_root(driver.url))
    (root / "documents").mkdir(parents=True)
    pq.write_table(pa.table({"doc_uid": ["s1"], "v": [99]}), root / "documents" / "s1.parquet")
    pq.write_table(pa.table({"doc_uid": ["old"], "v": [0]}), root / "documents" / "old.parquet")
    (root / "_markers" / "documents").mkdir(parents=True)
    (root / "_markers" / "documents" / "s1.json").write_text("{}")
    node = _node(driver, tmp_path / "node", monkeypatch)
    assert node.root == root
    assert _value(node.documents, "s1") == 1
    assert node.shard_ids() == ["s1"]
    hidden = [n for _, _, files in os.walk(root) for n in files if n.startswith(".")]
    assert hidden == []  # downloads went through temp names, all renamed into place


def test_driver_refresh_replaces_what_a_node_rewrote_but_keeps_its_own_changes(
    driver: RunDir, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _shard(driver, driver.documents, "s1", 1)
    _shard(driver, driver.documents, "s2", 1)
    node = _node(driver, tmp_path / "node", monkeypatch)
    _shard(node, node.documents, "s1", 5)  # a unit redone on the node: same key, new object
    # a change of the driver's own, not flushed yet (a step that rewrote a file in place)
    pq.write_table(
        pa.table({"doc_uid": ["s2"], "v": [3]}), RunDir.shard_file(driver.documents, "s2")
    )
    assert objstore.refresh(str(driver.root), full=True) == 2  # s1 and its marker
    assert _value(driver.documents, "s1") == 5
    assert _value(driver.documents, "s2") == 3
    assert driver.mirror.flush()["uploaded"] == 1  # ... which the flush then stores


def test_a_file_written_during_a_sync_is_left_alone(
    driver: RunDir, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another process of the node may be between its PUT and its rename, or may have just
    downloaded a file: a sync never deletes or replaces a file changed within ``SETTLE_S``."""
    _shard(driver, driver.documents, "s1", 1)
    node = _node(driver, tmp_path / "node", monkeypatch)
    fresh = node.root / "documents" / "just-written.parquet"
    fresh.write_bytes(b"being published by another process")
    monkeypatch.setattr(objstore, "SETTLE_S", 60.0)
    assert node.mirror.pull() == 0
    assert fresh.exists()
    monkeypatch.setattr(objstore, "SETTLE_S", 0.0)
    assert node.mirror.pull() == 0
    assert not fresh.exists()  # settled, and the store does not have it


def test_fetch_and_rename_work_on_keys_this_node_never_had(
    driver: RunDir, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    node = _node(driver, tmp_path / "node", monkeypatch)
    plan = driver.work / "mix-m-1" / "plan.parquet"
    write_table_atomic(pa.table({"v": [1]}), plan)  # no marker announces it
    on_node = node.path(driver.key(plan))
    assert not on_node.exists()
    assert pq.read_table(fetch(on_node)).column("v")[0].as_py() == 1
    write_table_atomic(pa.table({"v": [2]}), plan)  # another version under the same key
    assert pq.read_table(fetch(on_node)).column("v")[0].as_py() == 2
    # a part written on the node, renamed by the driver, which never had it: a server-side copy
    part = node.work / "mix-m-1" / "parts" / "t00000-00000.parquet"
    write_table_atomic(pa.table({"v": [3]}), part)
    final = driver.mixture("m") / "part-00000.parquet"
    rename(driver.path(node.key(part)), final)
    stored = driver.mirror.listing()
    assert "mixtures/m/part-00000.parquet" in stored and node.key(part) not in stored
    assert driver.mirror.fs.cat_file(driver.mirror.key("mixtures/m/part-00000.parquet")) == (
        part.read_bytes()
    )
    assert not final.exists() and driver.mirror.copies == 1
    # a local run directory: a plain rename, fetch is the path itself
    local = RunDir.at(tmp_path / "local")
    write_table_atomic(pa.table({"v": [4]}), local.work / "p.parquet")
    assert fetch(local.work / "p.parquet") == local.work / "p.parquet"
    rename(local.work / "p.parquet", local.mixture("m") / "part-00000.parquet")
    assert (local.mixture("m") / "part-00000.parquet").is_file()
    assert not (local.work / "p.parquet").exists()
