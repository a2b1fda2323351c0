"""Optional true-Jaccard verification of candidate edges (``near.verify = true``).

LSH candidates are star edges (member, bucket centre). With verification each edge is kept only
when the exact Jaccard of the two shingle sets reaches ``near.threshold``. The shingle sets are
written by ``near/bands`` partitioned by node; two shuffles bring both sets of an edge together:

1. ``near/verify_a`` (per node partition of ``u``): attach ``u``'s set, shuffle by ``v``; keep
   the sets of the partition's candidate nodes (``near/csets``: no other set is read again);
2. ``near/verify_b`` (per node partition of ``v``): attach ``v``'s set, compute Jaccard, write the
   surviving edges in components layout.

A member whose Jaccard to its bucket's centre is below the threshold loses that edge even if it
is similar to another member; other bands usually still connect it (docs/dedup.md).

Verified edges still chain (A~B, B~C with J(A, C) < threshold). :func:`split_by_representative`
then splits each component into clusters (``near/cluster``) that may chain through threshold
steps but hold no pair below ``near.chain_floor`` (:func:`greedy_clusters`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import polars as pl
import pyarrow as pa

from curate.dedup import set_kernels
from curate.dedup.components import EDGE, write_undirected
from curate.dedup.shuffle import read_partition, write_by_column
from curate.engine.jit import readonly
from curate.rundir import RunDir

SETS = {"node": pl.Int64, "shingles": pl.Binary}


def write_shingle_sets(
    run: RunDir,
    shard: str,
    nodes: np.ndarray,
    hashes: np.ndarray,
    offsets: np.ndarray,
    keep: np.ndarray,
    parts: int,
) -> None:
    """``SETS`` rows of the nodes where ``keep``: node ``i``'s set is its distinct, ascending
    shingle hashes ``hashes[offsets[i]:offsets[i + 1]]`` (:func:`curate.dedup.minhash.
    distinct_shingles`) as native uint32 bytes, built from the buffers without a copy per node."""
    hashes = np.ascontiguousarray(hashes, np.uint32)
    blobs = pa.LargeBinaryArray.from_buffers(
        pa.large_binary(),
        len(nodes),
        [None, pa.py_buffer(np.ascontiguousarray(offsets * 4, np.int64)), pa.py_buffer(hashes)],
    )
    table = pa.table({"node": pa.array(np.asarray(nodes, np.int64)), "shingles": blobs})
    if not keep.all():  # (a copy of every set; nearly every node has one)
        table = table.filter(pa.array(keep, pa.bool_()))
    write_by_column(table, "node", parts, run.dedup / "near" / "sets", shard)


@dataclass(frozen=True)
class VerifyTask:
    """One node partition's verification. ``cc_in``, ``sets`` and ``verify_a`` are the folders
    its steps read, as the caller plans them (``<folder>-c`` when read through a combine step),
    as keys of ``run`` (``RunDir.key``: a worker resolves them in its own copy of the run);
    outputs are written to the raw folders under ``run``."""

    run: RunDir
    part: int
    parts: int
    threshold: float
    cc_in: str
    sets: str
    verify_a: str
    csets: str
    """The candidates' sets (``near/csets``), read by ``verify_b`` and ``near/label``."""


def attach_first(task: VerifyTask) -> int:
    """Attach ``u``'s set to each candidate edge ``u > v`` of the partition, shuffled by ``v``;
    and write the sets of the partition's candidate nodes (a quarter of all sets on the e2e
    corpus) to ``near/csets``, the only ones the later steps read."""
    run = task.run
    both = read_partition(run.path(task.cc_in), task.part, EDGE)  # both orientations
    edges = both.filter(pl.col("u") > pl.col("v")).unique()
    sets = read_partition(run.path(task.sets), task.part, SETS).unique("node")
    sets = sets.join(both.select(pl.col("u").alias("node")).unique(), on="node", how="semi")
    write_by_column(sets, "node", task.parts, run.dedup / "near" / "csets", f"{task.part:05d}")
    out = edges.join(sets.rename({"node": "u", "shingles": "su"}), on="u", how="left")
    write_by_column(out, "v", task.parts, run.dedup / "near" / "verify_a", f"{task.part:05d}")
    return out.height


def _sets(blobs: pl.Series) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(hashes uint32, offsets int64, valid bool)`` of a column of shingle-set blobs: set ``i``
    is ``hashes[offsets[i]:offsets[i + 1]]``, empty where the blob is null (``valid`` false)."""
    arr = blobs.to_arrow().cast(pa.large_binary())
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    valid = ~arr.is_null().to_numpy(zero_copy_only=False)
    offsets = np.frombuffer(arr.buffers()[1], np.int64)[arr.offset : arr.offset + len(arr) + 1]
    buf = arr.buffers()[2]
    raw = np.frombuffer(buf, np.uint8) if buf is not None else np.empty(0, np.uint8)
    lo, hi = (int(offsets[0]), int(offsets[-1])) if len(offsets) else (0, 0)
    hashes = np.ascontiguousarray(raw[lo:hi]).view(np.uint32)  # a copy only if misaligned
    return hashes, (offsets - lo) // 4, valid


JACCARD_CHUNK_ROWS = 1024
"""Rows per ``jaccards`` slice: each slice's blobs are copied into flat arrays for the kernel, so
slicing bounds that copy (a whole partition's two set columns copied at once took a 4x-corpus
dedup worker past 1 GB)."""


def jaccards(a: pl.Series, b: pl.Series) -> np.ndarray:
    """Exact Jaccard of the shingle sets ``a[i]`` and ``b[i]`` for every ``i`` (float64): 0.0
    where either is null, 1.0 where both are empty."""
    n = len(a)
    if n <= JACCARD_CHUNK_ROWS:
        return _jaccards(a, b)
    step = JACCARD_CHUNK_ROWS
    return np.concatenate(
        [_jaccards(a.slice(i, step), b.slice(i, step)) for i in range(0, n, step)]
    )


def _jaccards(a: pl.Series, b: pl.Series) -> np.ndarray:
    ha, oa, va = _sets(a)
    hb, ob, vb = _sets(b)
    inter = set_kernels.pair_intersections(readonly(ha), readonly(oa), readonly(hb), readonly(ob))
    union = np.diff(oa) + np.diff(ob) - inter
    out = np.ones(len(inter), np.float64)
    np.divide(inter, union, out=out, where=union > 0)
    out[~(va & vb)] = 0.0
    return out


def verify_second(task: VerifyTask) -> list[int]:
    run = task.run
    rows = read_partition(
        run.path(task.verify_a), task.part, {"u": pl.Int64, "v": pl.Int64, "su": pl.Binary}
    )
    sets = read_partition(run.path(task.csets), task.part, SETS)
    rows = rows.join(sets.rename({"node": "v", "shingles": "sv"}), on="v", how="left")
    keep = jaccards(rows["su"], rows["sv"]) >= task.threshold
    kept = rows.filter(pl.Series(keep, dtype=pl.Boolean)).select("u", "v")
    write_undirected(kept, task.parts, run.dedup / "near" / "cc_verified", f"{task.part:05d}")
    return [rows.height, kept.height]


def verified_dir(run: RunDir) -> Path:
    return run.dedup / "near" / "cc_verified"


def split_by_representative(
    rows: pl.DataFrame, threshold: float, floor: float
) -> tuple[pl.DataFrame, int]:
    """Split each component (``label``) into clusters around its kept documents.

    ``rows`` are sorted with :func:`curate.dedup.keep.sort_for_keep` on ``label`` and carry
    ``shingles``; exact copies (same ``node``) always share a cluster. Clusters are built by
    :func:`greedy_clusters` on the distinct nodes in keep order, so every pair in a cluster
    has exact Jaccard >= ``min(floor, threshold)``. A cluster is labelled with its smallest node
    id. The order is a total order on the rows, so labels do not depend on partitioning.
    Returns the relabelled rows (without ``shingles``) and how many clusters were split off
    components.
    """
    # Only components of two or more distinct nodes can split: the others keep one seed (-1).
    multi = rows.select((pl.col("node").n_unique().over("label") > 1).alias("m"))["m"]
    at = np.flatnonzero(multi.to_numpy())  # their rows, contiguous per component
    sub = rows.filter(multi)
    labels = sub["label"].to_list()
    nodes = sub["node"].to_list()
    blobs = sub["shingles"].to_list()
    seed_row = np.full(rows.height, -1, np.int64)
    split = 0
    start = 0
    while start < len(labels):
        end = start
        while end < len(labels) and labels[end] == labels[start]:
            end += 1
        first: dict[int, int] = {}  # node -> position among the component's distinct nodes
        order: list[int] = []  # row index of each distinct node, in keep order
        for i in range(start, end):
            if nodes[i] not in first:
                first[nodes[i]] = len(order)
                order.append(i)
        sets = [_array(blobs[i]) for i in order]
        seeds = greedy_clusters(sets, threshold, min(floor, threshold))
        for i in range(start, end):
            seed_row[at[i]] = at[order[seeds[first[nodes[i]]]]]
        split += len(set(seeds)) - 1
        start = end
    out = rows.drop("shingles").with_columns(pl.Series("seed", seed_row, dtype=pl.Int64))
    out = out.with_columns(pl.col("node").min().over("label", "seed").alias("label")).drop("seed")
    return out, split


EPS = 1e-9
"""Margin on the Jaccard bounds: a bound decides only when float rounding cannot."""


def _array(blob: bytes | None) -> np.ndarray:
    return readonly(np.frombuffer(blob, np.uint32) if blob is not None else np.empty(0, np.uint32))


class _Overlaps:
    """Exact intersection sizes of pairs of ``sets`` (by index), each pair computed once."""

    def __init__(self, sets: list[np.ndarray]) -> None:
        self.sets = sets
        self.size = [len(x) for x in sets]
        self.cache: dict[tuple[int, int], int] = {}

    def inter(self, i: int, j: int) -> int:
        key = (i, j) if i < j else (j, i)
        if key not in self.cache:
            self.cache[key] = set_kernels.intersection_size(self.sets[i], self.sets[j])
        return self.cache[key]

    def jaccard(self, i: int, j: int) -> float:
        inter = self.inter(i, j)
        union = self.size[i] + self.size[j] - inter
        return inter / union if union else 1.0


@dataclass
class _Cluster:
    """Members of a growing cluster with their size and intersection with the seed (index 0)."""

    members: list[int]
    sizes: list[int]
    inters: list[int]
    max_size: int = 0
    min_inter: int = 0

    def __post_init__(self) -> None:
        self.max_size, self.min_inter = max(self.sizes), min(self.inters)

    def add(self, m: int, size: int, inter: int) -> None:
        self.members.append(m)
        self.sizes.append(size)
        self.inters.append(inter)
        self.max_size, self.min_inter = max(self.max_size, size), min(self.min_inter, inter)

    def surely_above(self, size_m: int, inter_m: int, floor: float) -> bool:
        """The lower bound of :func:`_bounds` for a worst member (smallest intersection with
        the seed, largest size; the bound is monotone in each) is >= ``floor``: O(1)."""
        lo = max(inter_m + self.min_inter - self.sizes[0], 0)
        return lo / (size_m + self.max_size - lo) >= floor + EPS


def _bounds(size_m: int, inter_m: int, c: _Cluster) -> tuple[np.ndarray, np.ndarray]:
    """Lower and upper bounds of J(m, x) for every member x, from the sizes and the
    intersections with the seed s alone: |m ∩ x| >= |m ∩ s| + |x ∩ s| - |s|, and |m ∩ x| <=
    min(|m ∩ s|, |x ∩ s|) + min(|m \\ s|, |x \\ s|) (the tightest bounds those numbers give)."""
    sizes, inters = np.asarray(c.sizes), np.asarray(c.inters)
    lo = np.maximum(inter_m + inters - c.sizes[0], 0)
    hi = np.minimum(inter_m, inters) + np.minimum(size_m - inter_m, sizes - inters)
    return lo / (size_m + sizes - lo), hi / (size_m + sizes - hi)


def _fits(c: _Cluster, m: int, ov: _Overlaps, threshold: float, floor: float) -> bool | None:
    """Can set ``m`` join ``c``? True: yes; False: never (a pair is below ``floor``, and the
    cluster only grows); None: not linked by ``threshold`` to a member yet."""
    seed = c.members[0]
    size_m, inter_m = ov.size[m], ov.inter(seed, m)
    surely = c.surely_above(size_m, inter_m, floor)
    if surely and ov.jaccard(seed, m) >= threshold:
        return True
    j_lo, j_hi = _bounds(size_m, inter_m, c)
    if not surely:
        if (j_hi < floor - EPS).any():
            return False
        for k in np.flatnonzero(j_lo < floor + EPS):
            if ov.jaccard(m, c.members[k]) < floor:
                return False
    if ov.jaccard(seed, m) >= threshold:
        return True
    for k in np.flatnonzero(j_hi >= threshold - EPS):
        if ov.jaccard(m, c.members[k]) >= threshold:
            return True
    return None


def greedy_clusters(sets: list[np.ndarray], threshold: float, floor: float) -> list[int]:
    """Cluster of each of ``sets`` (sorted unique shingle hashes, in keep order), as the index
    of its cluster's seed (its first member, the one kept).

    The first unplaced set seeds a cluster. Unplaced sets then join it in keep order, the
    seed's direct near copies (Jaccard >= ``threshold`` to the seed) first, then chained ones
    until none joins: a set joins when its Jaccard reaches ``threshold`` with some member and
    ``floor`` with every member. So the cluster is connected by ``threshold`` steps and every
    pair in it is >= ``floor`` (a chain v1~v2~v3 stays one cluster while J(v1, v3) >= floor).

    Cost: one exact intersection per (seed, unplaced set), plus the member pairs that bounds
    from the intersections with the seed (:func:`_bounds`) cannot decide; a tight cluster
    (members sharing most of the seed) needs none, and the bounds are numpy over members.
    """
    n = len(sets)
    seed_of = [-1] * n
    ov = _Overlaps(sets)
    for s in range(n):
        if seed_of[s] >= 0:
            continue
        seed_of[s] = s
        c = _Cluster([s], [ov.size[s]], [ov.size[s]])
        pending = [m for m in range(s + 1, n) if seed_of[m] < 0 and ov.jaccard(s, m) >= floor]
        direct = True
        while pending:
            left, joined = [], False
            for m in pending:
                ok = _fits(c, m, ov, threshold, floor)
                if ok and (not direct or ov.jaccard(s, m) >= threshold):
                    c.add(m, ov.size[m], ov.inter(s, m))
                    seed_of[m] = s
                    joined = True
                elif ok is not False:
                    left.append(m)
            pending = left
            if not joined and not direct:
                break
            direct = False
    return seed_of
