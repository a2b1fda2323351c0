"""Exact dedup: one group per ``content_sha`` (or per whitespace-normalised content).

Three resumable sub-steps, each a ``runner.map``:
1. ``exact/emit`` (per shard): group key + keep key of every document, shuffled by group hash;
2. ``exact/group`` (per partition): group size and the one kept member, shuffled back by shard;
3. ``exact/write`` (per shard): ``attributes/exact_dedup@1/<shard>.parquet`` in document order.
Output is an attribute, never a deletion. ``run_dedup`` runs steps 1 and 3 fused with near
dedup's per-shard steps (``curate.dedup.phases``).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import pyarrow as pa

from curate.dedup import keep
from curate.dedup.components import combine_step, two_level
from curate.dedup.config import EXACT_PARTITIONS, DedupConfig, minimum_partitions
from curate.dedup.phases import Phases, run_phases
from curate.dedup.shuffle import (
    read_partition,
    string_partition,
    write_partitioned,
)
from curate.engine.runner import Runner
from curate.engine.step import MapStep, map_step
from curate.rundir import RunDir, write_table_atomic

KEY = "exact_dedup@1"
SCHEMA = pa.schema(
    [
        pa.field("doc_uid", pa.string(), nullable=False),
        pa.field("exact_dup_group", pa.string()),
        pa.field("exact_dup_count", pa.int64()),
        pa.field("exact_dup_keep", pa.bool_()),
    ]
)
LAYOUT = "shard_i+byshard-writer-files"
"""The layout of this module's shuffles, in every step's fingerprint: a run resumed from an
older layout (shard names in rows, a byshard folder per shard) redoes the steps instead of
reading nothing or failing on a missing column."""
_WS = re.compile(r"\s+")
_EMIT = {
    "exact_dup_group": pl.String,
    "doc_uid": pl.String,
    "shard_i": pl.Int32,  # the shard's index in the run's shard list
    "k_license": pl.Int32,
    "k_quality": pl.Float64,
    "k_stars": pl.Float64,
}


def normalized_sha(text: str) -> str:
    """Hash of ``text`` with whitespace runs collapsed to one space and the ends stripped."""
    norm = _WS.sub(" ", text).strip()
    return "ws:" + hashlib.sha1(norm.encode("utf-8", "surrogatepass")).hexdigest()


@dataclass(frozen=True)
class _Task:
    run: RunDir
    shard: str
    cfg: DedupConfig
    sources: dict[str, str]
    parts: int
    index: int = 0
    """Of a shard unit: its index in the run's shard list (the back-to-shard partition)."""
    n_shards: int = 1
    combined: frozenset[str] = field(default_factory=frozenset)
    """Shuffles (``emit``, ``byshard``) read through a combine step."""

    def dir(self, name: str) -> Path:
        """The folder a reader of the shuffle ``name`` reads (``<name>-c`` when combined)."""
        return self.run.dedup / "exact" / (name + "-c" if name in self.combined else name)


def _emit(task: _Task) -> int:
    run = task.run
    cols = ["doc_uid", "content_sha"] + (["content"] if task.cfg.exact.normalize_whitespace else [])
    docs = pl.read_parquet(RunDir.shard_file(run.documents, task.shard), columns=cols)
    if task.cfg.exact.normalize_whitespace:
        group = pl.Series([normalized_sha(t) for t in docs["content"].to_list()], dtype=pl.String)
    else:
        group = docs["content_sha"]
    frame = keep.shard_keys(run, task.shard, task.cfg, task.sources, docs.select("doc_uid"))
    frame = frame.with_columns(
        group.alias("exact_dup_group"), pl.lit(task.index, pl.Int32).alias("shard_i")
    )
    frame = frame.select(list(_EMIT))
    parts = string_partition(frame["exact_dup_group"].to_list(), task.parts)
    write_partitioned(frame, parts, task.parts, run.dedup / "exact" / "emit", task.shard)
    return frame.height


def _group(task: _Task) -> int:
    run = task.run
    rows = read_partition(task.dir("emit"), task.shard, _EMIT)
    if rows.height == 0:
        return 0
    rows = keep.sort_for_keep(rows, "exact_dup_group").with_columns(
        pl.len().over("exact_dup_group").cast(pl.Int64).alias("exact_dup_count"),
        keep.keep_flags("exact_dup_group").alias("exact_dup_keep"),
    )
    out = rows.select("doc_uid", "exact_dup_group", "exact_dup_count", "exact_dup_keep", "shard_i")
    # Back to shards: one file per writer (this partition), the shard's index as partition.
    write_partitioned(
        out.drop("shard_i"),
        out["shard_i"].to_numpy().astype(np.int64),
        task.n_shards,
        run.dedup / "exact" / "byshard",
        f"{int(task.shard):05d}",
    )
    return out.height


def _write(task: _Task) -> dict[str, int]:
    run = task.run
    docs = pl.read_parquet(RunDir.shard_file(run.documents, task.shard), columns=["doc_uid"])
    schema = {
        "doc_uid": pl.String,
        "exact_dup_group": pl.String,
        "exact_dup_count": pl.Int64,
        "exact_dup_keep": pl.Boolean,
    }
    rows = read_partition(task.dir("byshard"), task.index, schema)
    out = docs.join(
        rows.unique("doc_uid", keep="first"), on="doc_uid", how="left", maintain_order="left"
    )
    write_table_atomic(
        out.to_arrow().cast(SCHEMA), RunDir.shard_file(run.attributes(KEY), task.shard)
    )
    dropped = int((~out["exact_dup_keep"].fill_null(True)).sum())
    return {"docs": out.height, "dropped": dropped}


EXACT_ROW_BYTES = 256
"""Memory of one document's row in the group step (doc uid, content hash, keep keys, flags,
and the sort's copy), a generous bound: partitions are sized so one holds ``memory_budget_mb``."""


def exact_partitions(run: RunDir, shards: list[str], cfg: DedupConfig, workers: int | None) -> int:
    """The exact shuffle's partitions: the configured or default minimum (capped at the
    runner's workers), and more when the corpus's rows would not fit one partition's share of
    ``near.memory_budget_mb`` (a 1-worker run over 100M documents is not one 25 GB task)."""
    minimum = minimum_partitions(cfg.exact_partitions, EXACT_PARTITIONS, workers)
    total = run.document_rows(shards)
    budget = cfg.near.memory_budget_mb * 1024 * 1024
    return max(minimum, -(-total * EXACT_ROW_BYTES // budget))


def run_exact_dedup(run: RunDir, cfg: DedupConfig, runner: Runner) -> dict[str, int]:
    """Write ``attributes/exact_dedup@1``; returns ``{"docs", "dropped"}``."""
    (report,) = run_phases(run, runner, [exact_phases(run, cfg, runner)])
    return report


def exact_phases(run: RunDir, cfg: DedupConfig, runner: Runner) -> Phases:
    """``exact/emit`` per shard; ``exact/group`` per partition; ``exact/write`` per shard."""
    shards = run.shard_ids()
    sources = keep.find_sources(
        run,
        [c for c in (cfg.keep.license_column, cfg.keep.quality_column, cfg.keep.stars_column) if c],
    )
    parts = exact_partitions(run, shards, cfg, runner.workers)
    fp = _fingerprint(cfg, shards, sources, parts)
    n = len(shards)
    shape = {"emit": (n, parts), "byshard": (parts, n)}  # (writers, readers)
    combined = frozenset(k for k, (w, r) in shape.items() if two_level(w, r))

    def task(unit: str, index: int = 0) -> _Task:
        return _Task(run, unit, cfg, sources, parts, index, n, combined)

    def combine(name: str, fingerprint: str) -> None:
        if name in combined:
            combine_step(
                run, runner, f"dedup/exact/{name}-c", fingerprint, run.dedup / "exact" / name
            )

    def middle(_: list[Any]) -> None:
        combine("emit", fp)
        map_step(
            run,
            runner,
            "dedup/exact/group",
            fp,
            _group,
            [task(str(k)) for k in range(parts)],
            outputs=[run.dedup / "exact" / "byshard"],
        )
        combine("byshard", fp)

    def report(_: None, results: list[dict[str, int]]) -> dict[str, int]:
        return {
            "docs": sum(r["docs"] for r in results),
            "dropped": sum(r["dropped"] for r in results),
        }

    by_shard = tuple(task(s, i) for i, s in enumerate(shards))
    emit = MapStep("dedup/exact/emit", fp, _emit, by_shard, outputs=(run.dedup / "exact" / "emit",))
    return Phases(emit, middle, MapStep("dedup/exact/write", fp, _write, by_shard), report)


def _fingerprint(cfg: DedupConfig, shards: list[str], sources: dict[str, str], parts: int) -> str:
    h = hashlib.sha256(LAYOUT.encode())
    h.update(cfg.exact.model_dump_json().encode())
    h.update(cfg.keep.model_dump_json().encode())
    h.update(str(parts).encode())
    h.update(repr(sorted(sources.items())).encode())
    for s in shards:
        h.update(s.encode())
    return h.hexdigest()[:16]
