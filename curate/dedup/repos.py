"""Repository-level near-dedup: forks and vendored copies of whole repositories.

A repository's signature is the element-wise minimum of its files' signatures, which is exactly
the MinHash of the union of their shingle sets. Repositories then go through the same LSH
buckets, star edges and connected components as files (at ``near.repo_threshold``). Output:
``attributes/repo_dedup@1/<shard>.parquet`` (``doc_uid``, ``dup_repo_cluster_id``,
``dup_repo_cluster_size``, ``dup_repo_keep``) and ``dedup/repos/clusters/*.parquet`` (one row per
repository). Keep policy among copies of a repository: most files, then smallest repository id.

A repository is known here only by its id (``node``: xxh3 of its name, ``shuffle.id63``), never
by name: a name can carry a secret (an export's column, a remote URL with a token), and the
dedup tables need no name. ``repos/write`` maps each document's repo to its id in memory.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np
import polars as pl
import pyarrow as pa

from curate.dedup.components import connected_components, labels
from curate.dedup.config import DedupConfig
from curate.dedup.minhash import optimal_bands
from curate.dedup.near import plan_near, star_edges, write_bands
from curate.dedup.repo_signatures import PARTIAL
from curate.dedup.shuffle import (
    id63,
    partition_of,
    read_partition,
    write_by_column,
    write_partitioned,
)
from curate.engine.runner import Runner
from curate.engine.step import map_step
from curate.rundir import RunDir, write_table_atomic

KEY = "repo_dedup@1"
SCHEMA = pa.schema(
    [
        pa.field("doc_uid", pa.string(), nullable=False),
        pa.field("dup_repo_cluster_id", pa.string()),
        pa.field("dup_repo_cluster_size", pa.int64()),
        pa.field("dup_repo_keep", pa.bool_()),
    ]
)
REPO = {"node": pl.Int64, "files": pl.Int64}


@dataclass(frozen=True)
class _Task:
    run: RunDir
    cfg: DedupConfig
    unit: str
    bands: int
    rows: int
    parts: int
    node_parts: int
    converged: str = ""
    """Of a label task: the converged components' folder, a key of ``run`` (``RunDir.key``)."""


def _combine(task: _Task) -> int:
    run = task.run
    df = read_partition(run.dedup / "repos" / "partial", task.unit, PARTIAL)
    if df.height == 0:
        return 0
    df = df.sort("node")
    ids = df["node"].to_numpy()
    sig = np.frombuffer(b"".join(df["sig"].to_list()), np.uint32).reshape(df.height, -1)
    starts = np.flatnonzero(np.r_[True, ids[1:] != ids[:-1]])
    repo_sig = np.minimum.reduceat(sig, starts, axis=0)
    files = np.add.reduceat(df["files"].to_numpy(), starts)
    nodes = ids[starts]
    write_bands(
        nodes,
        repo_sig,
        task.bands,
        task.rows,
        task.parts,
        run.dedup / "repos" / "bands",
        f"{int(task.unit):05d}",
    )
    members = pl.DataFrame({"node": nodes, "files": files}, schema=REPO)
    write_partitioned(
        members,
        partition_of(nodes, task.node_parts),
        task.node_parts,
        run.dedup / "repos" / "members",
        f"{int(task.unit):05d}",
    )
    return len(nodes)


def _edges(task: _Task) -> int:
    run = task.run
    return star_edges(
        run.dedup / "repos" / "bands", task.unit, run.dedup / "repos" / "cc_in", task.node_parts
    )


def _label(task: _Task) -> int:
    run = task.run
    members = read_partition(run.dedup / "repos" / "members", task.unit, REPO)
    lab = labels(run.path(task.converged), int(task.unit))
    out = members.join(lab, on="node", how="left").with_columns(
        pl.coalesce("label", "node").alias("label")
    )
    write_by_column(
        out, "label", task.node_parts, run.dedup / "repos" / "labeled", f"{int(task.unit):05d}"
    )
    return out.height


def _cluster(task: _Task) -> dict[str, int]:
    run = task.run
    df = read_partition(run.dedup / "repos" / "labeled", task.unit, {**REPO, "label": pl.Int64})
    df = df.sort(["label", "files", "node"], descending=[False, True, False])
    df = df.with_columns(
        pl.col("label")
        .map_elements(lambda v: f"{v:016x}", return_dtype=pl.String)
        .alias("dup_repo_cluster_id"),
        pl.len().over("label").cast(pl.Int64).alias("dup_repo_cluster_size"),
        (pl.col("node") == pl.col("node").first().over("label")).alias("dup_repo_keep"),
    ).select("node", "files", "dup_repo_cluster_id", "dup_repo_cluster_size", "dup_repo_keep")
    write_table_atomic(
        df.to_arrow(), run.dedup / "repos" / "clusters" / f"{int(task.unit):05d}.parquet"
    )
    multi = df.filter(pl.col("dup_repo_cluster_size") > 1)
    return {
        "repos": df.height,
        "in_clusters": multi.height,
        "near_copies": int((~multi["dup_repo_keep"]).sum()),
    }


def _write(task: _Task) -> int:
    run = task.run
    docs = pl.read_parquet(RunDir.shard_file(run.documents, task.unit), columns=["doc_uid", "repo"])
    docs = docs.select("doc_uid", pl.Series("node", id63(docs["repo"].to_list()), pl.Int64))
    files = sorted((run.dedup / "repos" / "clusters").glob("*.parquet"))
    ids = docs["node"].unique().implode()
    table = (
        pl.concat([pl.read_parquet(f).filter(pl.col("node").is_in(ids)) for f in files])
        if files
        else pl.DataFrame(schema={"node": pl.Int64})
    )
    out = docs.join(table, on="node", how="left", maintain_order="left").with_columns(
        pl.col("dup_repo_keep").fill_null(True)
        if "dup_repo_keep" in table.columns
        else pl.lit(True).alias("dup_repo_keep")
    )
    for f in SCHEMA:
        if f.name not in out.columns:
            out = out.with_columns(pl.lit(None).alias(f.name))
    write_table_atomic(
        out.select(SCHEMA.names).to_arrow().cast(SCHEMA),
        RunDir.shard_file(run.attributes(KEY), task.unit),
    )
    return out.height


def run_repo_dedup(run: RunDir, cfg: DedupConfig, runner: Runner) -> dict[str, int]:
    """Needs ``near.repos = true`` during ``run_near_dedup`` (partial repo signatures)."""
    plan, shards = plan_near(run, cfg, runner.workers)  # near/bands wrote with its partitions
    bands, rows = optimal_bands(
        cfg.near.repo_threshold, cfg.near.num_perm, cfg.near.fp_weight, cfg.near.fn_weight
    )
    parts = f"{plan.band_parts},{plan.node_parts}"
    h = hashlib.sha256((cfg.model_dump_json() + "".join(shards) + parts).encode())
    fp = h.hexdigest()[:16]
    base = run.dedup / "repos"

    def mk(unit: str, conv: str = "") -> _Task:
        return _Task(run, cfg, unit, bands, rows, plan.band_parts, plan.node_parts, conv)

    map_step(
        run,
        runner,
        "dedup/repos/combine",
        fp,
        _combine,
        [mk(str(k)) for k in range(plan.band_parts)],
        outputs=[base / "bands", base / "members"],
    )
    edges = map_step(
        run,
        runner,
        "dedup/repos/edges",
        fp,
        _edges,
        [mk(str(k)) for k in range(plan.band_parts)],
        outputs=[base / "cc_in"],
    )
    converged, _ = connected_components(
        run,
        runner,
        name="dedup/repos/cc",
        edges=base / "cc_in",
        work=base / "cc",
        parts=plan.node_parts,
        fingerprint=fp,
        budget_bytes=cfg.near.memory_budget_mb * 1024 * 1024,
        edge_rows=2 * sum(edges),
    )
    map_step(
        run,
        runner,
        "dedup/repos/label",
        fp,
        _label,
        [mk(str(k), run.key(converged)) for k in range(plan.node_parts)],
        outputs=[base / "labeled"],
    )
    res = map_step(
        run,
        runner,
        "dedup/repos/cluster",
        fp,
        _cluster,
        [mk(str(k)) for k in range(plan.node_parts)],
        outputs=[base / "clusters"],
    )
    map_step(run, runner, "dedup/repos/write", fp, _write, [mk(s) for s in shards])
    return {k: sum(r[k] for r in res) for k in ("repos", "in_clusters", "near_copies")}
