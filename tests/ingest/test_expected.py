"""Expected uncompressed bytes of a source (``curate.ingest.expected``): the weight that
orders shard units, read from real files' trailers, indexes and directories."""

from __future__ import annotations

import dataclasses
import gzip
import io
import lzma
import os
import random
import tarfile
import zipfile
from pathlib import Path

import fsspec
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import zstandard

from curate.engine.shards import plan_shards
from curate.ingest import discover_sources
from curate.ingest.config import IngestConfig
from curate.ingest.expected import MAX_RATIO, TYPICAL_RATIO, expected_bytes, plausible_size
from curate.ingest.step import IngestStep

GIB = 1 << 30
LOCAL = fsspec.filesystem("file")


def _text(n: int, seed: int = 0) -> bytes:
    """Source-like bytes that compress a few times (words drawn at random)."""
    rng = random.Random(seed)
    words = [f"name_{i} = value({i})" for i in range(400)]
    out = bytearray()
    while len(out) < n:
        out += (" ".join(rng.choices(words, k=12)) + "\n").encode()
    return bytes(out[:n])


def _tar_bytes(files: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def _estimate(path: Path, kind: str) -> int:
    return expected_bytes(LOCAL, str(path), kind, path.stat().st_size)


def test_gzip_tar_is_its_uncompressed_size(tmp_path: Path) -> None:
    raw = _tar_bytes({"repo/a.py": _text(300_000), "repo/b.py": _text(90_000, 1)})
    path = tmp_path / "repo.tar.gz"
    path.write_bytes(gzip.compress(raw))
    assert path.stat().st_size * 2 < len(raw)  # it did compress
    assert _estimate(path, "tar") == len(raw)
    jsonl = tmp_path / "rows.jsonl.gz"
    jsonl.write_bytes(gzip.compress(_text(50_000)))
    assert _estimate(jsonl, "jsonl") == 50_000


def test_truncated_gzip_gets_a_bounded_estimate(tmp_path: Path) -> None:
    """A cut file's last 4 bytes are compressed data, not ISIZE: whatever they read as, the
    estimate stays in the plausible range (or is the fallback ratio), and nothing raises."""
    whole = gzip.compress(_tar_bytes({"repo/a.py": _text(400_000)}))
    for cut in (len(whole) // 2, len(whole) // 3, len(whole) - 9, 10, 3):
        path = tmp_path / f"cut{cut}.tar.gz"
        path.write_bytes(whole[:cut])
        estimate = _estimate(path, "tar")
        assert cut - cut // 64 - 1024 <= estimate <= MAX_RATIO * cut


def test_multi_member_gzip_whose_last_member_is_small_falls_back(tmp_path: Path) -> None:
    """ISIZE is the last member's length only: 1 byte here, below the compressed size, and
    1 + 2**32 is no plausible ratio for a file of a few KB: the fallback ratio."""
    path = tmp_path / "two.jsonl.gz"
    path.write_bytes(gzip.compress(_text(200_000)) + gzip.compress(b"x"))
    assert _estimate(path, "jsonl") == path.stat().st_size * TYPICAL_RATIO


def test_isize_wraps_past_4_gib_by_logic() -> None:
    """ISIZE is the length mod 2**32: a member over 4 GiB is recovered from the candidates
    ``isize + k * 2**32`` in the plausible ratio range (no 4 GiB file is written)."""
    wrap = 1 << 32
    # 150 MiB compressed, 4.1 GiB inside: 0.1 GiB is below the compressed size, so k=1.
    size, true = 150 << 20, int(4.1 * GIB)
    assert plausible_size(true % wrap, size, wrap) == true
    # 1 GiB compressed, 5 GiB inside: candidates 1, 5, 9, ... 29 GiB; 5 is nearest 5x.
    assert plausible_size((5 * GIB) % wrap, GIB, wrap) == 5 * GIB
    # Below 128 MiB compressed only k=0 can be plausible: the exact size.
    assert plausible_size(60_000_000, 10_000_000, wrap) == 60_000_000
    # A recorded size past MAX_RATIO (and no smaller candidate): not believed.
    assert plausible_size(MAX_RATIO * 1000 + 1, 1000, wrap) is None
    assert plausible_size(10, 1_000_000, wrap) is None  # 10 + 4 GiB is 4000x


def test_zip_is_the_central_directory_sizes(tmp_path: Path) -> None:
    path = tmp_path / "repo.zip"
    files = {"repo/a.py": _text(120_000), "repo/sub/b.md": _text(30_000, 2)}
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.mkdir("repo/empty")
        for name, data in files.items():
            zf.writestr(name, data)
    assert _estimate(path, "zip") == sum(len(d) for d in files.values())


def test_zstd_frame_content_size_and_xz_index(tmp_path: Path) -> None:
    raw = _tar_bytes({"repo/a.py": _text(250_000)})
    sized = tmp_path / "sized.tar.zst"
    sized.write_bytes(zstandard.ZstdCompressor().compress(raw))  # records the content size
    assert _estimate(sized, "tar") == len(raw)
    streamed = tmp_path / "streamed.tar.zst"
    with open(streamed, "wb") as f, zstandard.ZstdCompressor().stream_writer(f) as w:
        w.write(raw)  # a stream of unknown length: no content size in the header
    assert _estimate(streamed, "tar") == streamed.stat().st_size * TYPICAL_RATIO
    xz = tmp_path / "repo.tar.xz"
    xz.write_bytes(lzma.compress(raw))
    assert _estimate(xz, "tar") == len(raw)
    plain = tmp_path / "repo.tar"
    plain.write_bytes(raw)
    assert _estimate(plain, "tar") == len(raw)


def test_discovered_sources_carry_the_estimate_and_shard_ids_ignore_it(tmp_path: Path) -> None:
    inputs = tmp_path / "in"
    (inputs / "checkout" / "src").mkdir(parents=True)
    (inputs / "checkout" / "src" / "main.py").write_bytes(_text(20_000))
    (inputs / "checkout" / "README").write_bytes(b"hello\n")
    raw = _tar_bytes({"big/a.py": _text(500_000)})
    (inputs / "big.tar.gz").write_bytes(gzip.compress(raw))
    table = pa.table({"content": [_text(5_000, i).decode() for i in range(20)]})
    pq.write_table(table, inputs / "rows.parquet", row_group_size=5)
    sources, _ = discover_sources([str(inputs)], IngestConfig())
    by_name = {os.path.basename(s.uri): s for s in sources}
    assert by_name["checkout"].work_bytes == by_name["checkout"].size_bytes == 20_006
    assert by_name["big.tar.gz"].work_bytes == len(raw)
    meta = pq.ParquetFile(inputs / "rows.parquet").metadata
    row_groups = sum(meta.row_group(g).total_byte_size for g in range(meta.num_row_groups))
    assert by_name["rows.parquet"].work_bytes == row_groups

    plain = [dataclasses.replace(s, expected_bytes=0) for s in sources]
    assert plain == sources  # a scheduling hint, not part of a source's identity
    shards, unweighted = plan_shards(sources, 1 << 16, 4), plan_shards(plain, 1 << 16, 4)
    assert [s.shard_id for s in shards] == [s.shard_id for s in unweighted]
    step = IngestStep(tuple(shards), None, "fp", 1000, 1 << 20)
    weights = {s.shard_id: step.unit_weight(s.shard_id) for s in shards}
    assert weights == {s.shard_id: sum(x.work_bytes for x in s.sources) for s in shards}


def test_unreadable_file_gets_the_fallback(tmp_path: Path) -> None:
    missing = tmp_path / "gone.tar.gz"
    assert expected_bytes(LOCAL, str(missing), "tar", 1000) == 1000 * TYPICAL_RATIO
    bad = tmp_path / "bad.zip"
    bad.write_bytes(b"PK\x03\x04 not a zip at all")
    assert _estimate(bad, "zip") == bad.stat().st_size * TYPICAL_RATIO


@pytest.mark.parametrize("kind", ["git", "git_bundle"])
def test_git_objects_count_as_compressed(kind: str) -> None:
    assert expected_bytes(LOCAL, "/nowhere", kind, 4096) == 4096 * TYPICAL_RATIO


def test_object_store_reads_trailers_of_large_sources_only() -> None:
    """Off the local disk a trailer is a ranged request: sources under REMOTE_MIN_BYTES get
    the fallback ratio, larger ones their recorded size."""
    from curate.ingest.expected import REMOTE_MIN_BYTES

    memory = fsspec.filesystem("memory")
    small = gzip.compress(_text(40_000))
    big = gzip.compress(os.urandom(REMOTE_MIN_BYTES))  # incompressible: stays >= 1 MiB
    memory.pipe({"/s9/small.jsonl.gz": small, "/s9/big.jsonl.gz": big})
    try:
        size = len(small)
        assert expected_bytes(memory, "/s9/small.jsonl.gz", "jsonl", size) == size * TYPICAL_RATIO
        assert expected_bytes(memory, "/s9/big.jsonl.gz", "jsonl", len(big)) == REMOTE_MIN_BYTES
    finally:
        memory.rm("/s9", recursive=True)
