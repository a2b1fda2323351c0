"""Exact dedup: one group per ``content_sha`` (or per whitespace-normalised content).

Three resumable sub-steps, each a ``runner.map``:
1. ``exact/emit`` (per shard): group key + keep key of every document, shuffled by group hash;
2. ``exact/group`` (per partition): group size and the one kept member, shuffled back by shard;
3. ``exact/write`` (per shard): ``attributes/exact_dedup@1/<shard>.parquet`` in document order.
Output is an attribute, never a deletion.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

import numpy as np
import polars as pl
import pyarrow as pa

from curate.dedup import keep
from curate.dedup.config import DedupConfig
from curate.dedup.shuffle import (
    read_partition,
    string_partition,
    write_partitioned,
)
from curate.engine.runner import Runner
from curate.engine.step import map_step
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
_WS = re.compile(r"\s+")
_EMIT = {
    "exact_dup_group": pl.String,
    "doc_uid": pl.String,
    "shard": pl.String,
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


def _emit(task: _Task) -> int:
    run = task.run
    cols = ["doc_uid", "content_sha"] + (["content"] if task.cfg.exact.normalize_whitespace else [])
    docs = pl.read_parquet(RunDir.shard_file(run.documents, task.shard), columns=cols)
    if task.cfg.exact.normalize_whitespace:
        group = pl.Series([normalized_sha(t) for t in docs["content"].to_list()], dtype=pl.String)
    else:
        group = docs["content_sha"]
    frame = keep.shard_keys(run, task.shard, task.cfg, task.sources, docs.select("doc_uid"))
    frame = frame.with_columns(group.alias("exact_dup_group"), pl.lit(task.shard).alias("shard"))
    frame = frame.select(list(_EMIT))
    parts = string_partition(frame["exact_dup_group"].to_list(), task.parts)
    write_partitioned(frame, parts, task.parts, run.dedup / "exact" / "emit", task.shard)
    return frame.height


def _group(task: _Task) -> int:
    run = task.run
    rows = read_partition(run.dedup / "exact" / "emit", task.shard, _EMIT)
    if rows.height == 0:
        return 0
    rows = keep.sort_for_keep(rows, "exact_dup_group").with_columns(
        pl.len().over("exact_dup_group").cast(pl.Int64).alias("exact_dup_count"),
        keep.keep_flags("exact_dup_group").alias("exact_dup_keep"),
    )
    out = rows.select("doc_uid", "exact_dup_group", "exact_dup_count", "exact_dup_keep", "shard")
    shards = sorted(set(out["shard"].to_list()))
    index = {s: i for i, s in enumerate(shards)}
    parts = np.array([index[s] for s in out["shard"].to_list()], dtype=np.int64)
    # Partition folders named by shard id, so each writer task finds its rows directly.
    for i, shard in enumerate(shards):
        sub = out.filter(pl.Series(parts == i)).drop("shard")
        write_partitioned(
            sub,
            np.zeros(sub.height, np.int64),
            1,
            run.dedup / "exact" / "byshard" / shard,
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
    rows = read_partition(run.dedup / "exact" / "byshard" / task.shard, 0, schema)
    out = docs.join(
        rows.unique("doc_uid", keep="first"), on="doc_uid", how="left", maintain_order="left"
    )
    write_table_atomic(
        out.to_arrow().cast(SCHEMA), RunDir.shard_file(run.attributes(KEY), task.shard)
    )
    dropped = int((~out["exact_dup_keep"].fill_null(True)).sum())
    return {"docs": out.height, "dropped": dropped}


def run_exact_dedup(run: RunDir, cfg: DedupConfig, runner: Runner) -> dict[str, int]:
    """Write ``attributes/exact_dedup@1``; returns ``{"docs", "dropped"}``."""
    shards = run.shard_ids()
    sources = keep.find_sources(
        run,
        [c for c in (cfg.keep.license_column, cfg.keep.quality_column, cfg.keep.stars_column) if c],
    )
    fp = _fingerprint(cfg, shards, sources)
    parts = cfg.exact_partitions
    map_step(
        run,
        runner,
        "dedup/exact/emit",
        fp,
        _emit,
        [_Task(run, s, cfg, sources, parts) for s in shards],
        outputs=[run.dedup / "exact" / "emit"],
    )
    map_step(
        run,
        runner,
        "dedup/exact/group",
        fp,
        _group,
        [_Task(run, str(k), cfg, sources, parts) for k in range(parts)],
        outputs=[run.dedup / "exact" / "byshard"],
    )
    results = map_step(
        run,
        runner,
        "dedup/exact/write",
        fp,
        _write,
        [_Task(run, s, cfg, sources, parts) for s in shards],
    )
    return {"docs": sum(r["docs"] for r in results), "dropped": sum(r["dropped"] for r in results)}


def _fingerprint(cfg: DedupConfig, shards: list[str], sources: dict[str, str]) -> str:
    h = hashlib.sha256()
    h.update(cfg.exact.model_dump_json().encode())
    h.update(cfg.keep.model_dump_json().encode())
    h.update(str(cfg.exact_partitions).encode())
    h.update(repr(sorted(sources.items())).encode())
    for s in shards:
        h.update(s.encode())
    return h.hexdigest()[:16]
