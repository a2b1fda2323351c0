"""One large archive is split into member ranges: several shards, every member read exactly once."""

from __future__ import annotations

import io
import os
import random
import tarfile
import zipfile
from pathlib import Path

import pytest

from curate.engine.shards import plan_shards
from curate.ingest import IngestConfig, RawFile, SkipRecord, discover_sources, read_source


def _payload(i: int) -> bytes:
    rnd = random.Random(i)  # incompressible-ish, so compressed size tracks member count
    words = "".join(rnd.choice("abcdefghijklmnopqrstuvwxyz_ \n") for _ in range(3000))
    return f"def f{i}():\n    return {words!r}\n".encode()


def _members(n: int) -> dict[str, bytes]:
    return {f"proj/src/mod_{i:03d}.py": _payload(i) for i in range(n)}


def _write(path: Path, members: dict[str, bytes]) -> None:
    if path.suffix == ".zip":
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
            zf.writestr("proj/", b"")
            for name, data in members.items():
                zf.writestr(name, data)
        return
    with tarfile.open(path, "w:gz") as tf:
        d = tarfile.TarInfo("proj")
        d.type = tarfile.DIRTYPE
        tf.addfile(d)
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))


def _read(specs, cfg):
    files: list[RawFile] = []
    skips: list[SkipRecord] = []
    for spec in specs:
        for item in read_source(spec, cfg):
            (files if isinstance(item, RawFile) else skips).append(item)
    return files, skips


@pytest.mark.parametrize("name", ["proj.tar.gz", "proj.zip"])
def test_big_archive_splits_into_ranges_covering_every_member_once(tmp_path, name):
    members = _members(60)
    path = tmp_path / name
    _write(path, members)
    size = path.stat().st_size
    cfg = IngestConfig(export_part_bytes=size // 5, split_archives=True)
    specs, skips = discover_sources([str(path)], cfg)
    assert not skips
    assert len(specs) >= 4
    assert all(s.part is not None for s in specs)
    assert sum(s.size_bytes for s in specs) <= size
    files, read_skips = _read(specs, cfg)
    assert read_skips == []  # no empty_source / corrupt rows from the ranges
    assert sorted(f.path for f in files) == sorted(n.removeprefix("proj/") for n in members)
    assert len({f.path for f in files}) == len(files)
    assert {f.repo for f in files} == {"proj"}
    for f in files:
        assert f.text.encode() == members[f"proj/{f.path}"]

    # the same archive read whole gives the same documents
    whole_specs, _ = discover_sources([str(path)], IngestConfig())
    assert len(whole_specs) == 1 and whole_specs[0].part is None
    whole, _ = _read(whole_specs, IngestConfig())
    digest = lambda fs: sorted((f.path, f.content_sha) for f in fs)  # noqa: E731
    assert digest(whole) == digest(files)

    # the parts land in several shards, with ids stable across runs
    shards = plan_shards(specs, target_bytes=size // 5 + 1, min_shards=1)
    assert len(shards) >= 4
    again, _ = discover_sources([str(path)], cfg)
    assert [s.shard_id for s in plan_shards(again, size // 5 + 1, 1)] == [
        s.shard_id for s in shards
    ]


def test_small_archive_is_not_split(tmp_path):
    path = tmp_path / "small.tar.gz"
    _write(path, _members(5))
    specs, _ = discover_sources([str(path)], IngestConfig(export_part_bytes=10 << 20))
    assert [s.part for s in specs] == [None]


def test_truncated_big_archive_stays_whole_and_is_recorded(tmp_path):
    path = tmp_path / "proj.tar.gz"
    _write(path, _members(60))
    data = path.read_bytes()
    cut = tmp_path / "cut.tar.gz"
    cut.write_bytes(data[: len(data) * 3 // 4])
    cfg = IngestConfig(export_part_bytes=len(data) // 5, split_archives=True)
    specs, _ = discover_sources([str(cut)], cfg)
    # headers cannot all be listed: the archive stays whole and the reader records the damage
    assert [s.part for s in specs] == [None]
    files, skips = _read(specs, cfg)
    assert 0 < len(files) < 60
    assert skips and {s.reason for s in skips} == {"corrupt_archive"}


def test_split_archive_run_resumes_with_nothing_to_redo(tmp_path):
    import dataclasses

    import pyarrow.parquet as pq

    from curate.config import default_pipeline
    from curate.pipeline import ingest_only

    path = tmp_path / "in" / "proj.tar.gz"
    path.parent.mkdir()
    _write(path, _members(40))
    base = default_pipeline()
    cfg = dataclasses.replace(
        base,
        ingest=base.ingest.model_copy(
            update={"export_part_bytes": path.stat().st_size // 4, "split_archives": True}
        ),
    ).with_run(
        input=(str(path),),
        output=str(tmp_path / "run"),
        runner="local",
        shard_target_bytes=path.stat().st_size // 4 + 1,  # one part per shard
    )
    first = ingest_only(cfg)
    assert first.shards >= 3 and first.shards_ingested == first.shards
    manifest = pq.read_table(tmp_path / "run" / "manifest.parquet").column("shard_id").to_pylist()
    second = ingest_only(cfg)
    assert second.shards == first.shards and second.shards_ingested == 0  # resumed: no rework
    again = pq.read_table(tmp_path / "run" / "manifest.parquet").column("shard_id").to_pylist()
    assert again == manifest


def test_archives_are_split_only_when_asked(tmp_path: Path) -> None:
    path = tmp_path / "big.zip"
    with zipfile.ZipFile(path, "w") as zf:
        for i in range(40):
            zf.writestr(f"big/src/m{i}.py", os.urandom(2048).hex())
    small_parts = path.stat().st_size // 5
    whole, _ = discover_sources([str(path)], IngestConfig(export_part_bytes=small_parts))
    split, _ = discover_sources(
        [str(path)], IngestConfig(export_part_bytes=small_parts, split_archives=True)
    )
    assert len(whole) == 1
    assert len(split) >= 4
