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
