"""The per-shard segment: ingest, then every annotator in one fused pass over the batches.

``run_shard`` is the single code path both runners execute. It redoes only what is stale: the
ingest step when the shard's sources or the ingest config changed, and each annotator whose
marker does not match its config (a new annotator in the recipe runs over existing documents
without re-ingesting them).
"""

from __future__ import annotations

import json
import logging
import resource
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq

from curate.engine import markers, worker_cache
from curate.engine.annotator import REGISTRY, Annotator, BatchContext
from curate.engine.shards import ShardSpec
from curate.rundir import AtomicParquetWriter, RunDir

log = logging.getLogger(__name__)

INGEST_STEP = "ingest"


def annotate_step(key: str) -> str:
    return f"annotate/{key}"


@dataclass(frozen=True)
class ShardTask:
    run_root: str
    shard: ShardSpec
    ingest_cfg: Any
    ingest_fingerprint: str
    annotators: tuple[tuple[str, str, Any, str], ...]  # (name, key, config, fingerprint)
    batch_rows: int
    batch_bytes: int
    annotate_batch_bytes: int

    def fingerprint(self) -> str:
        """What this shard's outputs depend on: its ingest and every annotator fingerprint."""
        return "|".join([self.ingest_fingerprint, *(a[3] for a in self.annotators)])


@dataclass(frozen=True)
class ShardResult:
    shard_id: str
    ingested: bool
    annotated: tuple[str, ...]
    stats: dict[str, Any]

    def progress(self) -> dict[str, int]:
        """Counters for the progress bar: files read by this shard."""
        return {"files": int(self.stats.get("files", 0))}


def _annotator(name: str, config: Any) -> Annotator:
    from curate.filters import load_all

    def build() -> Annotator:
        load_all()
        instance = REGISTRY[name](config)
        instance.setup()
        return instance

    key = ("annotator", name, json.dumps(config.model_dump(mode="json"), sort_keys=True))
    return worker_cache.get_or_create(key, build)


def _tree_provider(annotators: list[tuple[str, Any]]) -> Callable[[str, bytes], Any] | None:
    """Trees are parsed with the parse annotator's guards when it is in the recipe."""
    from curate.filters import parse

    for name, config in annotators:
        if name == parse.ParseAnnotator.name:
            return parse.make_tree_provider(config)
    return parse.make_tree_provider(parse.ParseAnnotator.Config())


def run_shard(task: ShardTask) -> ShardResult:
    from curate.ingest.stage import ingest_shard

    run = RunDir.at(task.run_root)
    sid = task.shard.shard_id
    stats: dict[str, Any] = {}
    ingested = False
    cpu_started = time.process_time()
    if not markers.is_done(run, INGEST_STEP, sid, task.ingest_fingerprint):
        ingest_stats = ingest_shard(
            run,
            task.shard,
            task.ingest_cfg,
            batch_rows=task.batch_rows,
            batch_bytes=task.batch_bytes,
        )
        markers.mark_done(
            run, INGEST_STEP, sid, task.ingest_fingerprint, {"stats": ingest_stats.to_dict()}
        )
        ingested = True
        stats["files"] = ingest_stats.documents + ingest_stats.skipped
        stats["document_bytes"] = ingest_stats.document_bytes
        stats["ingest_cpu_s"] = round(time.process_time() - cpu_started, 3)
    stale = [
        (name, cfg, fp)
        for name, key, cfg, fp in task.annotators
        if ingested or not markers.is_done(run, annotate_step(key), sid, fp)
    ]
    if stale:
        stats["annotators"] = annotate_shard(
            run, sid, stale, task.batch_rows, task.annotate_batch_bytes
        )
    stale_keys = {n for n, _, _ in stale}
    annotated = tuple(key for name, key, _, _ in task.annotators if name in stale_keys)
    # CPU seconds of this worker process (all its threads) and its peak RSS so far: what
    # benchmarks/bench_pipeline.py reports per worker.
    stats["cpu_s"] = round(time.process_time() - cpu_started, 3)
    stats["max_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    return ShardResult(sid, ingested, annotated, stats)


def annotate_shard(
    run: RunDir,
    shard_id: str,
    annotators: list[tuple[str, Any, str]],
    batch_rows: int,
    batch_bytes: int = 4 * 1024 * 1024,
) -> dict[str, Any]:
    """Every annotator over the shard's documents, one row group at a time (ingest caps row
    groups at ``batch_rows`` rows), in sub-batches of at most ``batch_bytes`` of content."""
    from curate.filters import parse

    doc_path = RunDir.shard_file(run.documents, shard_id)
    instances = [(_annotator(name, cfg), fp) for name, cfg, fp in annotators]
    provider = _tree_provider([(n, c) for n, c, _ in annotators])
    documents = pl.scan_parquet(doc_path)
    for annotator, _ in instances:
        annotator.begin_shard(documents)

    writers: dict[str, AtomicParquetWriter] = {}
    seconds: dict[str, float] = {}
    for annotator, _ in instances:
        schema = pa.schema(
            [pa.field("doc_uid", pa.string(), nullable=False), *annotator.output_schema]
        )
        path = RunDir.shard_file(run.attributes(annotator.key()), shard_id)
        writers[annotator.key()] = AtomicParquetWriter(path, schema)
        seconds[annotator.key()] = 0.0
    keep_trees = any(annotator.uses_trees for annotator, _ in instances)
    try:
        parquet = pq.ParquetFile(doc_path)
        for batch in _byte_capped(_row_group_batches(parquet), batch_bytes):
            parse.begin_batch(keep_trees)  # trees live for one batch at most (bounded memory)
            ctx = BatchContext(batch, provider)
            for annotator, _ in instances:
                started = time.perf_counter()
                out = annotator.annotate(batch, ctx)
                seconds[annotator.key()] += time.perf_counter() - started
                _check_output(annotator, batch, out)
                ctx.attributes[annotator.key()] = out
                columns = [batch.column("doc_uid"), *out.columns]
                writers[annotator.key()].write(
                    pa.RecordBatch.from_arrays(columns, schema=writers[annotator.key()].schema)
                )
    except BaseException:
        for writer in writers.values():
            writer.abort()
        raise
    finally:
        parse.begin_batch()  # free the last batch's trees; back to the default for direct calls
    for writer in writers.values():
        writer.close()
    for annotator, fp in instances:
        markers.mark_done(
            run,
            annotate_step(annotator.key()),
            shard_id,
            fp,
            {"seconds": round(seconds[annotator.key()], 3)},
        )
    return {key: {"seconds": round(s, 3)} for key, s in seconds.items()}


def _row_group_batches(parquet: pq.ParquetFile) -> Iterator[pa.RecordBatch]:
    """The file's batches one row group at a time. Ingest caps each row group in rows and
    content bytes, so this holds at most one cap's worth of documents. (``iter_batches`` cuts
    batches by row count across row groups: with small row groups one batch held the whole
    shard, and worker memory grew with the shard — measured 388 -> 516 MB for 13 -> 54 MB.)"""
    for index in range(parquet.num_row_groups):
        yield from parquet.read_row_group(index).to_batches()


def _byte_capped(batches: Iterator[pa.RecordBatch], max_bytes: int) -> Iterator[pa.RecordBatch]:
    """Split batches so that each holds at most ``max_bytes`` of content (at least one row).

    Annotation holds a batch's parse trees at once, and trees take several times the size of
    their source, so annotation batches are capped much lower than storage row groups."""
    for batch in batches:
        sizes = batch.column("size_bytes").to_pylist()
        start, total = 0, 0
        for i, size in enumerate(sizes):
            if i > start and total + size > max_bytes:
                yield batch.slice(start, i - start)
                start, total = i, 0
            total += size
        if start < len(sizes):
            yield batch.slice(start, len(sizes) - start)


def _check_output(annotator: Annotator, batch: pa.RecordBatch, out: pa.RecordBatch) -> None:
    if out.num_rows != batch.num_rows:
        raise RuntimeError(
            f"annotator {annotator.key()} returned {out.num_rows} rows for {batch.num_rows}"
        )
    if out.schema.names != annotator.output_schema.names:
        raise RuntimeError(
            f"annotator {annotator.key()} returned columns {out.schema.names}, "
            f"declared {annotator.output_schema.names}"
        )
