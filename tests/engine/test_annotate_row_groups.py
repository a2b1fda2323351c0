"""annotate_shard writes one attribute row group per documents row group, rows in order."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from curate.engine.annotate import AnnotatorSpec, annotate_shard
from curate.engine.stats import StepStats
from curate.filters.license import OptOutAnnotator, OptOutConfig
from curate.rundir import RunDir, write_table_atomic
from curate.schema import DOCUMENTS


def test_attribute_row_groups_follow_the_documents_row_groups(tmp_path: Path) -> None:
    run = RunDir.at(tmp_path / "run")
    rows = [
        {
            "doc_uid": f"d{i:03d}",
            "content_sha": f"{i:040x}",
            "repo": f"github.com/o/r{i % 3}",
            "path": f"f{i}.py",
            "language": "Python",
            "content": f"x = {i}\n" * 20,
            "size_bytes": len(f"x = {i}\n" * 20),
            "encoding": "utf-8",
            "source_uri": "in.tar.gz",
            "shard_id": "s0",
        }
        for i in range(90)
    ]
    docs = pa.Table.from_pylist(rows, schema=DOCUMENTS)
    write_table_atomic(docs, RunDir.shard_file(run.documents, "s0"), row_group_size=40)
    optout = tmp_path / "optout.txt"
    optout.write_text("r1\n")
    stats = StepStats()
    spec = AnnotatorSpec(OptOutAnnotator, OptOutConfig(path=str(optout)))
    annotate_shard(run, "s0", [spec], stats, batch_bytes=500)  # ~4 documents per batch
    out = pq.ParquetFile(RunDir.shard_file(run.attributes("optout@1"), "s0"))
    assert [out.metadata.row_group(g).num_rows for g in range(out.num_row_groups)] == [40, 40, 10]
    table = out.read()
    assert table["doc_uid"].to_pylist() == [r["doc_uid"] for r in rows]
    assert table.num_columns > 1
    counters = stats.to_dict()["optout@1"]
    assert counters["documents"] == 90 and counters["begin_shard_cpu_s"] >= 0.0


def test_shard_frame_is_the_file_with_its_first_row_group_from_memory(tmp_path: Path) -> None:
    """begin_shard's frame: the first row group already read, the rest scanned; same rows and
    dtypes as a scan of the file, for one and for several row groups."""
    import polars as pl

    from curate.engine.annotate import shard_frame

    rows = [
        {"doc_uid": f"d{i}", "repo": f"r{i % 2}", "path": f"p{i}", "content": f"c{i}" * i,
         "source_licenses": [f"MIT{i}"] if i % 3 else None}
        for i in range(25)
    ]  # fmt: skip
    table = pa.Table.from_pylist(rows)
    for group_rows in (100, 10):
        path = tmp_path / f"docs{group_rows}.parquet"
        pq.write_table(table, path, row_group_size=group_rows)
        parquet = pq.ParquetFile(path)
        frame = shard_frame(path, parquet.read_row_group(0))
        assert frame.collect().equals(pl.scan_parquet(path).collect())
        picked = frame.with_row_index("_row").filter(pl.col("_row").is_in([3, 14, 24]))
        assert picked.select("path").collect()["path"].to_list() == ["p3", "p14", "p24"]
    assert shard_frame(path, None).collect().equals(pl.scan_parquet(path).collect())
