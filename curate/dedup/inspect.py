"""Inspection of dedup results: clusters as polars frames, largest clusters first."""

from __future__ import annotations

from typing import Any

import polars as pl

from curate.errors import UserError
from curate.rundir import RunDir

CLUSTER_SCHEMA = {
    "dup_cluster_id": pl.String,
    "dup_cluster_size": pl.Int64,
    "doc_uid": pl.String,
    "repo": pl.String,
    "path": pl.String,
    "language": pl.String,
    "license_category": pl.String,
    "dup_keep": pl.Boolean,
    "dup_copied_from_copyleft": pl.Boolean,
}


def clusters(run: RunDir) -> pl.LazyFrame:
    """One row per document in a near-duplicate cluster of size > 1 (with repo and path),
    largest clusters first, the kept member first inside a cluster."""
    folder = run.dedup / "near" / "clusters"
    files = sorted(str(p) for p in folder.glob("*.parquet")) if folder.is_dir() else []
    if not files:
        raise UserError(f"{run.root}: no near-dedup clusters (run the [dedup] step first)")
    # Dedup tables carry no repo/path (a secret can hide in either): join them from documents/.
    docs = [str(run.shard_file(run.documents, s)) for s in run.shard_ids()]
    names = pl.scan_parquet(docs).select("doc_uid", "repo", "path")
    joined = pl.scan_parquet(files).join(names, on="doc_uid", how="left", maintain_order="left")
    return joined.select(list(CLUSTER_SCHEMA)).sort(
        ["dup_cluster_size", "dup_cluster_id", "dup_keep", "doc_uid"],
        descending=[True, False, True, False],
    )


def largest_clusters(run: RunDir, limit: int = 10, members: int = 5) -> list[dict[str, Any]]:
    frame = clusters(run)
    top = (
        frame.select("dup_cluster_id", "dup_cluster_size")
        .unique()
        .sort(["dup_cluster_size", "dup_cluster_id"], descending=[True, False])
        .head(limit)
        .collect()
    )
    rows = frame.filter(pl.col("dup_cluster_id").is_in(top["dup_cluster_id"].implode())).collect()
    out = []
    for cid, size in top.iter_rows():
        sub = rows.filter(pl.col("dup_cluster_id") == cid)
        out.append(
            {
                "cluster_id": cid,
                "size": size,
                "repos": sub["repo"].n_unique(),
                "copied_from_copyleft": int(sub["dup_copied_from_copyleft"].sum()),
                "members": sub.head(members)
                .select("doc_uid", "repo", "path", "license_category", "dup_keep")
                .to_dicts(),
            }
        )
    return out
