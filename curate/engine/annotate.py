"""The fused annotate pass: every annotator of a segment over each batch, once per shard.

This module owns what each annotator would otherwise write itself: one instance per worker
process (``setup`` once), the batch's shared ``TreeProvider``, the size guard from
``size_bytes`` (rows over an annotator's ``max_doc_bytes`` get ``annotate_oversize``'s rows and
are counted as ``oversize``), output checks (row count, column names, types cast to the declared
schema) and per-annotator CPU seconds, documents and bytes. ``AnnotateStep`` runs it over a
shard's documents file; ``curate.integrations.datatrove`` runs the same ``annotate_batch`` over
datatrove documents.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import polars as pl
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from curate.engine import worker_cache
from curate.engine.annotator import Annotator, AnnotatorConfig, BatchContext, empty_like
from curate.engine.stats import StepStats
from curate.engine.step import Step, UnitContext
from curate.engine.trees import TreeGuards, TreeProvider
from curate.rundir import AtomicParquetWriter, RunDir

STEP = "annotate"


@dataclass(frozen=True)
class AnnotatorSpec:
    """One annotator of a recipe: its class, validated config and config fingerprint."""

    cls: type[Annotator]
    config: AnnotatorConfig
    fingerprint: str = ""

    @property
    def key(self) -> str:
        return self.cls.key()

    @property
    def output_digest(self) -> str:
        """A hash of the declared output schema: an annotator that gains a column (without a
        version bump) reruns instead of leaving old folders without it."""
        text = self.cls.output_schema.to_string(show_schema_metadata=False)
        return hashlib.sha256(text.encode()).hexdigest()[:12]


def instance(spec: AnnotatorSpec) -> Annotator:
    """The worker's instance of ``spec`` (built and ``setup`` once per process)."""
    key = ("annotator", spec.key, json.dumps(spec.config.model_dump(mode="json"), sort_keys=True))

    def build() -> Annotator:
        annotator = spec.cls(spec.config)
        annotator.setup()
        return annotator

    return worker_cache.get_or_create(key, build)


def tree_provider(annotators: Sequence[Annotator]) -> TreeProvider:
    """One provider for the segment, with the guards an annotator asks for (``parse@1``)."""
    guards = next((g for a in annotators if (g := a.tree_guards()) is not None), TreeGuards())
    return TreeProvider(guards)


class AnnotateLoop:
    """The annotators of one segment over a sequence of batches (one shard, or a datatrove
    task's documents)."""

    def __init__(self, annotators: Sequence[Annotator], stats: StepStats | None = None):
        self.annotators = list(annotators)
        self.trees = tree_provider(self.annotators)
        self.stats = stats or StepStats()
        readers = [i for i, a in enumerate(self.annotators) if a.uses_trees]
        self._readers = [self.annotators[i] for i in readers]
        self._last_reader = readers[-1] if readers else -1
        """After this annotator no one reads the batch's trees: they are freed there."""

    def begin_shard(self, documents: pl.LazyFrame) -> None:
        """Each annotator's shard-level pass, its CPU in the annotator's ``begin_shard_cpu_s``
        (apart from ``cpu_s``, the per-batch work; license@1 reads its repositories' license
        files here, which otherwise shows only as annotate overhead)."""
        for annotator in self.annotators:
            cpu = time.process_time()
            annotator.begin_shard(documents)
            self.stats.child(annotator.key()).add("begin_shard_cpu_s", time.process_time() - cpu)

    def annotate(self, batch: pa.RecordBatch) -> list[pa.RecordBatch]:
        """Each annotator's output for ``batch``, in annotator order."""
        ctx = BatchContext(batch, self.trees)
        self.trees.begin_batch(bool(self._readers), self._kept_trees(ctx))
        sizes = _sizes(batch)
        total = int(sizes.sum())
        outputs = []
        try:
            for index, annotator in enumerate(self.annotators):
                stats = self.stats.child(annotator.key())
                cpu, wall = time.process_time(), time.perf_counter()
                out = guarded(annotator, batch, ctx, sizes, stats)
                stats.add("cpu_s", time.process_time() - cpu)
                stats.add("wall_s", time.perf_counter() - wall)
                stats.add("documents", batch.num_rows)
                stats.add("bytes", total)
                ctx.attributes[annotator.key()] = out
                outputs.append(out)
                if index == self._last_reader:
                    self._free_trees(False)  # the last reader is done
        finally:
            self._free_trees(True)
        return outputs

    def _free_trees(self, keep_next: bool) -> None:
        """Free the batch's kept trees (``trees_free_cpu_s``: tree-sitter's deallocation of
        the trees held for the readers after ``parse@1``, which frees the others itself)."""
        cpu = time.process_time()
        self.trees.begin_batch(keep_next)
        self.stats.add("trees_free_cpu_s", time.process_time() - cpu)

    def _kept_trees(self, ctx: BatchContext) -> list[bytes] | None:
        """The documents whose trees a reader will ask for (None: all of them). Each reader's
        ``tree_rows`` is its own work (license@1 classifies every file's head there): its CPU
        is counted in the reader's ``cpu_s``."""
        rows: set[int] = set()
        for reader in self._readers:
            if not reader.config.enabled:
                continue
            stats = self.stats.child(reader.key())
            cpu, wall = time.process_time(), time.perf_counter()
            wanted = reader.tree_rows(ctx)
            stats.add("cpu_s", time.process_time() - cpu)
            stats.add("wall_s", time.perf_counter() - wall)
            if wanted is None:
                return None
            rows.update(wanted)
        return [ctx.content_bytes(i) for i in sorted(rows)]


def annotate_batch(
    annotators: Sequence[Annotator], batch: pa.RecordBatch, stats: StepStats | None = None
) -> list[pa.RecordBatch]:
    """``annotators`` over one batch, exactly as a shard's segment runs them (guards, checks,
    shared trees): for notebooks, tests and the datatrove steps."""
    return AnnotateLoop(annotators, stats).annotate(batch)


def guarded(
    annotator: Annotator,
    batch: pa.RecordBatch,
    ctx: BatchContext,
    sizes: np.ndarray,
    stats: StepStats,
) -> pa.RecordBatch:
    """``annotator.annotate`` on the rows within its size guard, ``annotate_oversize`` on the
    rest, merged back in row order and checked against the declared schema."""
    if not annotator.config.enabled:
        return empty_like(annotator.output_schema, batch.num_rows)
    over = sizes > annotator.config.max_doc_bytes
    if not over.any():
        return _check(annotator, batch, annotator.annotate(batch, ctx))
    stats.add("oversize", int(over.sum()))
    inside, outside = np.flatnonzero(~over), np.flatnonzero(over)
    parts = []
    if inside.size:
        sub = ctx.subset(inside.tolist())
        parts.append((inside, _check(annotator, sub.batch, annotator.annotate(sub.batch, sub))))
    big = ctx.subset(outside.tolist())
    parts.append(
        (outside, _check(annotator, big.batch, annotator.annotate_oversize(big.batch, big)))
    )
    order = np.concatenate([rows for rows, _ in parts])
    merged = pa.Table.from_batches([out for _, out in parts]).combine_chunks()
    inverse = np.empty_like(order)
    inverse[order] = np.arange(order.size)
    return merged.take(pa.array(inverse)).to_batches()[0]


def _check(annotator: Annotator, batch: pa.RecordBatch, out: pa.RecordBatch) -> pa.RecordBatch:
    if out.num_rows != batch.num_rows:
        raise RuntimeError(
            f"annotator {annotator.key()} returned {out.num_rows} rows for {batch.num_rows}"
        )
    if out.schema.names != annotator.output_schema.names:
        raise RuntimeError(
            f"annotator {annotator.key()} returned columns {out.schema.names}, "
            f"declared {annotator.output_schema.names}"
        )
    if not out.schema.equals(annotator.output_schema):
        out = out.cast(annotator.output_schema)
    return out


def _sizes(batch: pa.RecordBatch) -> np.ndarray:
    if "size_bytes" in batch.schema.names:
        column = batch.column("size_bytes")
        return column.fill_null(0).to_numpy(zero_copy_only=False).astype(np.int64)
    content = batch.column("content")
    return pc.binary_length(content).fill_null(0).to_numpy(zero_copy_only=False).astype(np.int64)


# --- the step ------------------------------------------------------------------------------


@dataclass(frozen=True)
class AnnotateStep(Step):
    """Every annotator of the recipe over each shard's documents, one fused pass per shard.

    Parts are annotators (``name@version``): a unit reruns only the annotators whose
    fingerprint (own config + ``upstream``, the ingest fingerprint of the shard) changed."""

    annotators: tuple[AnnotatorSpec, ...]
    shards: tuple[str, ...]
    upstream: Mapping[str, str]
    """Shard id -> the fingerprint of that shard's documents (its ingest)."""
    batch_rows: int = 2048
    batch_bytes: int = 4 * 1024 * 1024
    name: str = STEP

    def units(self) -> Sequence[str]:
        return self.shards

    def parts(self, unit: str) -> Mapping[str, str]:
        return {
            a.key: f"{a.key}:{a.fingerprint}:{a.output_digest}:{self.upstream[unit]}"
            for a in self.annotators
        }

    def for_unit(self, unit: str) -> Step:
        return AnnotateStep(
            self.annotators,
            (unit,),
            {unit: self.upstream[unit]},
            self.batch_rows,
            self.batch_bytes,
            self.name,
        )

    def run_unit(self, ctx: UnitContext) -> dict[str, Any]:
        specs = [a for a in self.annotators if a.key in ctx.stale]
        annotate_shard(ctx.run, ctx.unit, specs, ctx.stats, self.batch_bytes)
        return {"annotated": [a.key for a in specs]}


def annotate_shard(
    run: RunDir,
    shard_id: str,
    specs: Sequence[AnnotatorSpec],
    stats: StepStats,
    batch_bytes: int = 4 * 1024 * 1024,
) -> None:
    """Every annotator over the shard's documents, one row group at a time (ingest caps row
    groups in rows and bytes), in sub-batches of at most ``batch_bytes`` of content; writes
    ``attributes/<key>/<shard>.parquet`` (``doc_uid`` + the annotator's columns)."""
    doc_path = RunDir.shard_file(run.documents, shard_id)
    started = time.process_time()
    annotators = [instance(s) for s in specs]  # built once per worker process
    stats.add("setup_cpu_s", time.process_time() - started)
    loop = AnnotateLoop(annotators, stats)
    parquet = pq.ParquetFile(doc_path)
    cpu = time.process_time()
    first = parquet.read_row_group(0) if parquet.num_row_groups else None
    stats.add("read_cpu_s", time.process_time() - cpu)
    loop.begin_shard(shard_frame(doc_path, first))
    writers: list[AtomicParquetWriter] = []
    for annotator in loop.annotators:
        schema = pa.schema(
            [pa.field("doc_uid", pa.string(), nullable=False), *annotator.output_schema]
        )
        writers.append(
            AtomicParquetWriter(
                RunDir.shard_file(run.attributes(annotator.key()), shard_id), schema
            )
        )
    try:
        for index in range(parquet.num_row_groups):
            # One attribute row group per documents row group: the annotation batches are
            # small (a few hundred rows), and a row group each cost 3x the CPU of writing.
            pending: list[list[pa.RecordBatch]] = [[] for _ in writers]
            cpu = time.process_time()
            table = first if index == 0 and first is not None else parquet.read_row_group(index)
            first = None  # not held past its batches
            batches = table.to_batches()
            del table
            stats.add("read_cpu_s", time.process_time() - cpu)
            for batch in byte_capped(iter(batches), batch_bytes):
                stats.add("files", batch.num_rows)
                stats.add("bytes", int(_sizes(batch).sum()))
                for held, writer, out in zip(pending, writers, loop.annotate(batch), strict=True):
                    columns = [batch.column("doc_uid"), *out.columns]
                    held.append(pa.RecordBatch.from_arrays(columns, schema=writer.schema))
            cpu = time.process_time()
            for held, writer in zip(pending, writers, strict=True):
                if held:
                    writer.write(pa.Table.from_batches(held, schema=writer.schema))
            stats.add("write_cpu_s", time.process_time() - cpu)
    except BaseException:
        for writer in writers:
            writer.abort()
        raise
    cpu = time.process_time()
    for writer in writers:
        writer.close()
    stats.add("write_cpu_s", time.process_time() - cpu)


def shard_frame(path: str | os.PathLike[str], first: pa.Table | None) -> pl.LazyFrame:
    """``begin_shard``'s view of a shard: its first row group from ``first`` (already read for
    the first batches, so not decompressed twice: ``license@1`` reads whole columns there), the
    other row groups from the file (a slice of the scan, which skips the first row group)."""
    if first is None:
        return pl.scan_parquet(path)
    head = pl.from_arrow(first)
    assert isinstance(head, pl.DataFrame)
    rest = pl.scan_parquet(path).slice(first.num_rows)
    return pl.concat([head.lazy(), rest], how="vertical")


def row_group_batches(parquet: pq.ParquetFile) -> Iterator[pa.RecordBatch]:
    """The file's batches one row group at a time. Ingest caps each row group in rows and
    content bytes, so this holds at most one cap's worth of documents. (``iter_batches`` cuts
    batches by row count across row groups: with small row groups one batch held the whole
    shard, and worker memory grew with the shard — measured 388 -> 516 MB for 13 -> 54 MB.)"""
    for index in range(parquet.num_row_groups):
        yield from parquet.read_row_group(index).to_batches()


def byte_capped(batches: Iterator[pa.RecordBatch], max_bytes: int) -> Iterator[pa.RecordBatch]:
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
