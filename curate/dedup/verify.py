"""Optional true-Jaccard verification of candidate edges (``near.verify = true``).

LSH candidates are star edges (member, bucket centre). With verification each edge is kept only
when the exact Jaccard of the two shingle sets reaches ``near.threshold``. The shingle sets are
written by ``near/bands`` partitioned by node; two shuffles bring both sets of an edge together:

1. ``near/verify_a`` (per node partition of ``u``): attach ``u``'s set, shuffle by ``v``;
2. ``near/verify_b`` (per node partition of ``v``): attach ``v``'s set, compute Jaccard, write the
   surviving edges in components layout.

A member whose Jaccard to its bucket's centre is below the threshold loses that edge even if it
is similar to another member; other bands usually still connect it (docs/dedup.md).

Verified edges still chain (A~B, B~C with J(A, C) < threshold). :func:`split_by_representative`
then checks every component member against the kept documents (``near/cluster``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import polars as pl

from curate.dedup.components import EDGE, write_undirected
from curate.dedup.shuffle import partition_of, read_partition, write_partitioned
from curate.rundir import RunDir

SETS = {"node": pl.Int64, "shingles": pl.Binary}


def write_shingle_sets(
    run: RunDir, shard: str, nodes: np.ndarray, hashes: list[np.ndarray], parts: int
) -> None:
    df = pl.DataFrame(
        {"node": nodes, "shingles": [np.unique(h).tobytes() for h in hashes]}, schema=SETS
    )
    write_partitioned(df, partition_of(nodes, parts), parts, run.dedup / "near" / "sets", shard)


@dataclass(frozen=True)
class VerifyTask:
    run: RunDir
    part: int
    parts: int
    threshold: float


def attach_first(task: VerifyTask) -> int:
    run = task.run
    edges = (
        read_partition(run.dedup / "near" / "cc_in", task.part, EDGE)
        .filter(pl.col("u") > pl.col("v"))
        .unique()
    )
    sets = read_partition(run.dedup / "near" / "sets", task.part, SETS).unique("node")
    out = edges.join(sets.rename({"node": "u", "shingles": "su"}), on="u", how="left")
    write_partitioned(
        out,
        partition_of(out["v"].to_numpy(), task.parts),
        task.parts,
        run.dedup / "near" / "verify_a",
        f"{task.part:05d}",
    )
    return out.height


def _jaccard(a: bytes | None, b: bytes | None) -> float:
    if a is None or b is None:
        return 0.0
    x, y = np.frombuffer(a, np.uint32), np.frombuffer(b, np.uint32)
    inter = len(np.intersect1d(x, y, assume_unique=True))
    union = len(x) + len(y) - inter
    return inter / union if union else 1.0


def verify_second(task: VerifyTask) -> list[int]:
    run = task.run
    rows = read_partition(
        run.dedup / "near" / "verify_a", task.part, {"u": pl.Int64, "v": pl.Int64, "su": pl.Binary}
    )
    sets = read_partition(run.dedup / "near" / "sets", task.part, SETS).unique("node")
    rows = rows.join(sets.rename({"node": "v", "shingles": "sv"}), on="v", how="left")
    keep = [_jaccard(a, b) >= task.threshold for a, b in zip(rows["su"], rows["sv"], strict=True)]
    kept = rows.filter(pl.Series(keep, dtype=pl.Boolean)).select("u", "v")
    write_undirected(kept, task.parts, run.dedup / "near" / "cc_verified", f"{task.part:05d}")
    return [rows.height, kept.height]


def verified_dir(run: RunDir) -> Path:
    return run.dedup / "near" / "cc_verified"


def split_by_representative(rows: pl.DataFrame, threshold: float) -> tuple[pl.DataFrame, int]:
    """Greedy split of each component (``label``) around representatives, in keep order.

    ``rows`` are sorted with :func:`curate.dedup.keep.sort_for_keep` on ``label`` and carry
    ``shingles``. The first member is a representative; each later member joins the first
    representative whose exact Jaccard with it is >= ``threshold``, else becomes a
    representative itself. A sub-cluster is labelled with its smallest node id. The order is a
    total order on the rows, so labels do not depend on partitioning. Returns the relabelled
    rows (without ``shingles``) and how many sub-clusters were split off components.

    Cost: members x representatives comparisons per component (one for a true cluster).
    """
    labels = rows["label"].to_list()
    nodes = rows["node"].to_list()
    sets = rows["shingles"].to_list()
    rep_of = [0] * len(labels)
    split = 0
    start = 0
    while start < len(labels):
        end = start
        while end < len(labels) and labels[end] == labels[start]:
            end += 1
        reps: list[int] = []  # row indices
        by_node: dict[int, int] = {}
        for i in range(start, end):
            if nodes[i] in by_node:  # exact copy of a row already placed
                rep_of[i] = by_node[nodes[i]]
                continue
            target = next(
                (r for r in reps if _jaccard(sets[r], sets[i]) >= threshold),
                None,
            )
            if target is None:
                reps.append(i)
                target = i
            rep_of[i] = by_node[nodes[i]] = target
        split += len(reps) - 1
        start = end
    rep = pl.Series("rep", rep_of, dtype=pl.Int64)
    out = rows.drop("shingles").with_columns(rep)
    out = out.with_columns(pl.col("node").min().over("label", "rep").alias("label")).drop("rep")
    return out, split
