"""Where the annotate step's CPU is counted: an annotator's ``tree_rows`` in its own ``cpu_s``,
the engine's reads, writes and tree frees in their own step counters."""

from __future__ import annotations

import time
from pathlib import Path

import pyarrow as pa

from curate.engine.annotate import AnnotateLoop, AnnotatorSpec, annotate_shard
from curate.engine.annotator import Annotator, BatchContext
from curate.engine.stats import StepStats
from curate.filters.license import OptOutAnnotator, OptOutConfig
from curate.rundir import RunDir, write_table_atomic
from curate.schema import DOCUMENTS

BUSY_S = 0.05


class _SlowTreeRows(Annotator):
    """A tree reader whose ``tree_rows`` burns ``BUSY_S`` of CPU and whose ``annotate`` none."""

    name = "slow_tree_rows"
    uses_trees = True
    output_schema = pa.schema([pa.field("x", pa.int64())])

    def tree_rows(self, ctx: BatchContext) -> list[int]:
        end = time.process_time() + BUSY_S
        while time.process_time() < end:
            pass
        return []

    def annotate(self, batch: pa.RecordBatch, ctx: BatchContext) -> pa.RecordBatch:
        return pa.RecordBatch.from_arrays([pa.nulls(batch.num_rows, pa.int64())], ["x"])


def _documents(n: int) -> pa.Table:
    rows = [
        {
            "doc_uid": f"d{i:03d}",
            "content_sha": f"{i:040x}",
            "repo": "github.com/o/r",
            "path": f"f{i}.py",
            "language": "Python",
            "content": f"x = {i}\n",
            "size_bytes": len(f"x = {i}\n"),
            "encoding": "utf-8",
            "source_uri": "in.tar.gz",
            "shard_id": "s0",
        }
        for i in range(n)
    ]
    return pa.Table.from_pylist(rows, schema=DOCUMENTS)


def test_tree_rows_is_counted_in_the_readers_cpu() -> None:
    stats = StepStats()
    loop = AnnotateLoop([_SlowTreeRows()], stats)
    loop.annotate(_documents(3).to_batches()[0])
    counters = stats.to_dict()
    assert counters["slow_tree_rows@1"]["cpu_s"] >= BUSY_S * 0.9
    assert counters["trees_free_cpu_s"] >= 0.0


def test_engine_counters_of_a_shard(tmp_path: Path) -> None:
    run = RunDir.at(tmp_path / "run")
    write_table_atomic(_documents(20), RunDir.shard_file(run.documents, "s0"), row_group_size=8)
    optout = tmp_path / "optout.txt"
    optout.write_text("r1\n")
    stats = StepStats()
    spec = AnnotatorSpec(OptOutAnnotator, OptOutConfig(path=str(optout)))
    annotate_shard(run, "s0", [spec], stats)
    counters = stats.to_dict()
    assert counters["read_cpu_s"] > 0.0 and counters["write_cpu_s"] > 0.0
    assert counters["files"] == 20 and counters["optout@1"]["documents"] == 20
