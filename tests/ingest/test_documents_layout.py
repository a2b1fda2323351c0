"""The documents file's Parquet layout: dictionary pages only for the columns with few values."""

from __future__ import annotations

import io
import tarfile
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from curate.engine.shards import ShardSpec
from curate.ingest import IngestConfig, discover_sources
from curate.ingest.stage import ingest_shard
from curate.rundir import RunDir
from curate.schema import DOCUMENTS, DOCUMENTS_PLAIN, dictionary_columns


def test_dictionary_columns_are_leaf_paths() -> None:
    schema = pa.schema(
        [
            pa.field("a", pa.string()),
            pa.field("tags", pa.list_(pa.string())),
            pa.field("s", pa.struct([pa.field("x", pa.int64()), pa.field("y", pa.string())])),
            pa.field("content", pa.large_string()),
        ]
    )
    assert dictionary_columns(schema, ("content",)) == ["a", "tags.list.element", "s.x", "s.y"]
    leaves = set(dictionary_columns(DOCUMENTS, ()))
    assert leaves >= set(DOCUMENTS_PLAIN) | {"source_licenses.list.element"}


def _archive(path: Path, files: dict[str, bytes]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with tarfile.open(path, "w:gz") as tf:
        for name, data in files.items():
            info = tarfile.TarInfo(f"proj/{name}")
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))


def test_documents_plain_columns_have_no_dictionary(tmp_path: Path) -> None:
    files = {f"pkg/m{i}.py": f"x = {i}\n".encode() * (i + 1) for i in range(50)}
    files["same.py"] = files["pkg/m0.py"]  # a repeated content stays a row of its own
    _archive(tmp_path / "in" / "proj.tar.gz", files)
    cfg = IngestConfig()
    sources, _ = discover_sources([str(tmp_path / "in")], cfg)
    run = RunDir.at(tmp_path / "run")
    stats = ingest_shard(
        run, ShardSpec("s0", tuple(sources)), cfg, batch_rows=16, batch_bytes=1 << 20
    )
    path = RunDir.shard_file(run.documents, "s0")
    meta = pq.ParquetFile(path).metadata
    assert meta.num_row_groups == 4 and stats.documents == 51
    for index in range(meta.num_row_groups):
        group = meta.row_group(index)
        for col in (group.column(i) for i in range(group.num_columns)):
            dictionary = col.dictionary_page_offset is not None
            assert dictionary == (col.path_in_schema not in DOCUMENTS_PLAIN), col.path_in_schema
    table = pq.read_table(path)
    assert table.schema.equals(DOCUMENTS, check_metadata=False)
    got = dict(zip(table["path"].to_pylist(), table["content"].to_pylist(), strict=True))
    assert got == {name: data.decode() for name, data in files.items()}
