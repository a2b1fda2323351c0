"""Partial repository signatures, written per shard by the near-dedup bands step and combined
by repository dedup (``curate.dedup.repos``): its own module so that neither imports the other.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from curate.dedup.shuffle import id63, partition_of, write_partitioned
from curate.rundir import RunDir

PARTIAL = {"node": pl.Int64, "files": pl.Int64, "sig": pl.Binary}
"""One row per (shard, repository): repository id, file count, min-signature bytes."""


def write_partial_repo_signatures(
    run: RunDir,
    shard: str,
    repos: list[str],
    nodes: np.ndarray,
    row_of: dict[int, int],
    sig: np.ndarray,
    has: np.ndarray,
    parts: int,
) -> None:
    """Per shard: each repository's file count and min-signature over its files here, keyed by
    the repository id."""
    by_repo: dict[int, list[int]] = {}
    repo_ids = id63(repos).tolist()
    for repo_id, node in zip(repo_ids, nodes.tolist(), strict=True):
        row = row_of[int(node)]
        if has[row]:
            by_repo.setdefault(repo_id, []).append(row)
    ids = sorted(by_repo)
    if not ids:
        return
    sigs = [np.minimum.reduce(sig[by_repo[r]], axis=0).tobytes() for r in ids]
    df = pl.DataFrame(
        {"node": ids, "files": [len(by_repo[r]) for r in ids], "sig": sigs}, schema=PARTIAL
    )
    keys = df["node"].to_numpy()
    write_partitioned(df, partition_of(keys, parts), parts, run.dedup / "repos" / "partial", shard)
