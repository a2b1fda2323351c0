"""MinHash LSH near-dedup at cluster scale (shared/DESIGN.md section 5).

Sub-steps (each resumable, each a ``runner.map`` over shards or partitions):

1. ``near/bands`` (per shard): signatures of the shard's distinct contents; band hashes shuffled
   by band hash (``dedup/near/bands``); one member row per document (node id, doc_uid, keep key)
   shuffled by node (``dedup/near/members``); optional partial repo signatures.
2. ``near/edges`` (per band partition): each bucket becomes a star around its smallest node
   (never all pairs), written as LS input for the components.
3. ``near/cc/*``: large-star/small-star connected components (``curate.dedup.components``;
   one in-memory task, ``near/cc/solve``, when the edges fit ``near.memory_budget_mb``).
4. ``near/label`` (per node partition): join members with component labels, shuffle by label.
5. ``near/cluster`` (per label partition): size, kept member, license mix; back by shard.
6. ``near/write`` (per shard): ``attributes/near_dedup@1/<shard>.parquet`` in document order.

``run_dedup`` runs steps 1 and 6 fused with exact dedup's per-shard steps (``phases``).

A node is a distinct content (``content_sha``): exact copies share one node and so one cluster.
Cluster id = hex of the component's smallest node id (stable under any partitioning).

No dedup table carries ``repo`` or ``path`` (an export's values can hold a secret, and nothing
here needs them): members and clusters are keyed by ``doc_uid``; readers join ``documents/``.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq

from curate.dedup import keep
from curate.dedup.components import (
    combine_step,
    connected_components,
    labels,
    partitions_for,
    two_level,
    write_undirected,
)
from curate.dedup.config import (
    BAND_PARTITIONS,
    NODE_PARTITIONS,
    DedupConfig,
    minimum_partitions,
)
from curate.dedup.minhash import (
    band_hashes,
    optimal_bands,
    recall_bands,
    shingle_sets,
    signatures,
)
from curate.dedup.phases import Phases, run_phases
from curate.dedup.shuffle import (
    id63,
    partition_of,
    read_partition,
    write_by_column,
    write_partitioned,
)
from curate.engine.runner import Runner
from curate.engine.step import MapStep, map_step
from curate.rundir import RunDir, write_table_atomic

log = logging.getLogger(__name__)

KEY = "near_dedup@1"
SCHEMA = pa.schema(
    [
        pa.field("doc_uid", pa.string(), nullable=False),
        pa.field("dup_cluster_id", pa.string()),
        pa.field("dup_cluster_size", pa.int64()),
        pa.field("dup_keep", pa.bool_()),
        pa.field("dup_copied_from_copyleft", pa.bool_()),
        pa.field("dup_tokenizer", pa.string()),
    ]
)
MEMBER = {
    "node": pl.Int64,
    "doc_uid": pl.String,
    "shard_i": pl.Int32,  # the shard's index in the run's shard list
    "language": pl.String,
    "license_category": pl.String,
    "k_license": pl.Int32,
    "k_quality": pl.Float64,
    "k_stars": pl.Float64,
    "has_sig": pl.Boolean,
    "dup_tokenizer": pl.String,
}
BAND = {"band": pl.Int32, "bh": pl.Int64, "node": pl.Int64}
BATCH_BYTES = 2 * 1024 * 1024
"""Text per tokenise+MinHash batch. This bounded the numpy shingle hashing's ~100 bytes of
temporaries per token (on a 38 MB shard, 16 MB batches peaked at +316 MB RSS, 2 MB at +119 MB);
the compiled kernels hold about 6 bytes per text byte (``words``: a lowered copy, token hashes
sized for the most tokens the bytes can hold), so 2 MB batches keep them in cache."""
BAND_ROW_BYTES = 96
LAYOUT = "shard_i+byshard-writer-files+csets"
"""The layout of this module's shuffles, in every step's fingerprint: a run resumed from an
older layout (shard names in rows, a byshard folder per shard) redoes the steps instead of
reading nothing or failing on a missing column."""


@dataclass(frozen=True)
class Plan:
    run: RunDir
    cfg: DedupConfig
    sources: dict[str, str]
    bands: int
    rows: int
    band_parts: int
    node_parts: int
    n_shards: int = 1
    combined: frozenset[str] = field(default_factory=frozenset)
    """Shuffles (folder names under ``dedup/near``) read through a combine step."""

    def dir(self, name: str) -> Path:
        """The folder a reader of the shuffle ``name`` reads (``<name>-c`` when combined)."""
        return self.run.dedup / "near" / (name + "-c" if name in self.combined else name)


@dataclass(frozen=True)
class _Task:
    plan: Plan
    unit: str
    index: int = 0
    """Of a shard unit: its index in the run's shard list (the back-to-shard partition)."""


def lsh_params(cfg: DedupConfig) -> tuple[int, int]:
    n = cfg.near
    if n.bands and n.rows:
        return n.bands, n.rows
    if n.min_recall is not None:
        return recall_bands(n.threshold, n.num_perm, n.min_recall)
    return optimal_bands(n.threshold, n.num_perm, n.fp_weight, n.fn_weight)


def _batches(texts: Sequence[str] | pl.Series) -> list[tuple[int, int]]:
    """Consecutive ``(lo, hi)`` ranges of about ``BATCH_BYTES`` characters (null texts: 0)."""
    if isinstance(texts, pl.Series):
        lengths = texts.str.len_chars().fill_null(0).to_list()
    else:
        lengths = [len(t or "") for t in texts]
    out, lo, size = [], 0, 0
    for i, length in enumerate(lengths):
        size += length
        if size >= BATCH_BYTES:
            out.append((lo, i + 1))
            lo, size = i + 1, 0
    if lo < len(texts):
        out.append((lo, len(texts)))
    return out


def shard_signatures(
    texts: Sequence[str] | pl.Series,
    cfg: DedupConfig,
    *,
    languages: list[str | None] | None = None,
    keep_shingles: bool = False,
) -> tuple[np.ndarray, np.ndarray, tuple[np.ndarray, np.ndarray] | None, list[str]]:
    """``(signatures (n, num_perm) uint32, has_signature bool, shingle sets, tokenizer used per
    text)``. Shingle sets only with ``keep_shingles`` (for true-Jaccard verification): each
    text's distinct shingle hashes in ascending order as one ``(hashes, offsets)`` pair, text
    ``i`` owning ``hashes[offsets[i]:offsets[i + 1]]``. ``languages`` only matter for
    ``tree_sitter``. ``texts`` may be a polars String series: then ``words`` tokenises it
    without making Python strings."""
    n = cfg.near
    sig = np.empty((len(texts), n.num_perm), np.uint32)
    has = np.zeros(len(texts), bool)
    kept: list[tuple[np.ndarray, np.ndarray]] = []
    used: list[str] = []
    for lo, hi in _batches(texts):
        langs = languages[lo:hi] if languages is not None else None
        hashes, offsets, tok_used = shingle_sets(
            texts[lo:hi], n.ngram, n.tokenizer, langs, n.parse_timeout_s, n.parse_max_bytes
        )
        sig[lo:hi] = signatures(hashes, offsets, n.num_perm, n.seed)
        has[lo:hi] = np.diff(offsets) > 0
        used.extend(tok_used)
        if keep_shingles:
            kept.append((hashes, offsets))
    return sig, has, _concat_sets(kept) if keep_shingles else None, used


def _concat_sets(
    parts: list[tuple[np.ndarray, np.ndarray]],
) -> tuple[np.ndarray, np.ndarray]:
    """One ``(hashes, offsets)`` pair from consecutive batches' pairs."""
    hashes = [h for h, _ in parts]
    offsets, base = [np.zeros(1, np.int64)], 0
    for h, o in parts:
        offsets.append(o[1:] + base)
        base += len(h)
    return np.concatenate(hashes or [np.empty(0, np.uint32)]), np.concatenate(offsets)


def write_bands(
    nodes: np.ndarray,
    sig: np.ndarray,
    bands: int,
    rows: int,
    parts: int,
    out: Path,
    writer: str,
    first: int = 0,
) -> int:
    """The LSH band hashes of ``sig`` (one signature per node) as ``BAND`` rows, shuffled by band
    hash into ``parts`` partitions under ``out`` as ``writer``'s files; returns the rows written.
    One mechanism for file, repository and simulated signatures. ``first``: ``sig`` holds bands
    ``first`` .. ``first + bands - 1`` only (rows and hashes as those bands of the whole)."""
    bh = band_hashes(sig, bands, rows, first)
    frame = pl.DataFrame(
        {
            "band": np.tile(np.arange(first, first + bands, dtype=np.int32), len(nodes)),
            "bh": bh.reshape(-1).view(np.int64),
            "node": np.repeat(nodes, bands),
        },
        schema=BAND,
    )
    write_by_column(frame, "bh", parts, out, writer)
    return frame.height


def _bands(task: _Task) -> dict[str, int]:
    plan, shard = task.plan, task.unit
    cfg, run = plan.cfg, plan.run
    docs = pl.read_parquet(
        RunDir.shard_file(run.documents, shard),
        columns=["doc_uid", "content_sha", "repo", "language", "content"],
    )
    nodes = id63(docs["content_sha"].to_list())
    # Signatures once per distinct content of the shard.
    _, first, inverse = np.unique(nodes, return_index=True, return_inverse=True)
    order = np.argsort(first)
    first = first[order]
    # row_of[i]: the row of document i's distinct content among ``first`` (its signature row)
    rank = np.empty(len(order), np.int64)
    rank[order] = np.arange(len(order))
    row_of = rank[inverse.reshape(-1)]
    texts = docs["content"].gather(first)
    languages = docs["language"].gather(first).to_list()
    sig, has, shingle_sets, used = shard_signatures(
        texts, cfg, languages=languages, keep_shingles=cfg.near.verify
    )
    uniq_nodes = nodes[first]
    n_sig = int(has.sum())
    write_bands(
        uniq_nodes[has],
        sig[has],
        plan.bands,
        plan.rows,
        plan.band_parts,
        run.dedup / "near" / "bands",
        shard,
    )
    members = keep.shard_keys(
        run, shard, cfg, plan.sources, docs.drop("content", "content_sha", "repo")
    )
    members = members.with_columns(
        pl.Series("node", nodes, dtype=pl.Int64),
        pl.lit(task.index, pl.Int32).alias("shard_i"),
        pl.Series("has_sig", has[row_of], dtype=pl.Boolean),
        pl.Series("dup_tokenizer", used, dtype=pl.String).gather(row_of),
    ).select(list(MEMBER))
    write_partitioned(
        members,
        partition_of(nodes, plan.node_parts),
        plan.node_parts,
        run.dedup / "near" / "members",
        shard,
    )
    if cfg.near.verify:
        from curate.dedup.verify import write_shingle_sets

        assert shingle_sets is not None
        write_shingle_sets(run, shard, uniq_nodes, *shingle_sets, has, plan.node_parts)
    if cfg.near.repos:
        from curate.dedup.repo_signatures import write_partial_repo_signatures

        row_of = {int(n): i for i, n in enumerate(uniq_nodes.tolist())}
        write_partial_repo_signatures(
            run, shard, docs["repo"].to_list(), nodes, row_of, sig, has, plan.band_parts
        )
    return {
        "docs": docs.height,
        "distinct": len(first),
        "signed": n_sig,
        "bytes": int(docs["content"].str.len_bytes().sum() or 0),
    }


def star_edges(
    bands_dir: Path, part: int | str, out_dir: Path, node_parts: int, writer: str | None = None
) -> int:
    """Each LSH bucket (band, band hash) of one partition becomes a star around its smallest
    node; edges go to ``out_dir`` in components (LS input) layout as ``writer``'s file (default:
    the partition number). Returns the number of distinct edges."""
    rows = read_partition(bands_dir, part, BAND)
    u, v = star_pairs(rows["band"].to_numpy(), rows["bh"].to_numpy(), rows["node"].to_numpy())
    if len(u) == 0:
        return 0
    edges = pl.DataFrame({"u": u, "v": v}, schema={"u": pl.Int64, "v": pl.Int64})
    write_undirected(edges, node_parts, out_dir, writer or f"{int(part):05d}")
    return len(u)


_EMPTY = np.empty(0, np.int64)
_LOW24 = np.uint32((1 << 24) - 1)
_TOP = 1 if np.little_endian else 0
"""Index of an int64's high uint32 half in its ``view(np.uint32)``."""


def _repeated(bh: np.ndarray) -> np.ndarray:
    """Indices of the rows whose band hash occurs more than once (and a few more whose top 32
    bits do): the only rows that can share a bucket. Most buckets hold one row, so this cuts a
    partition to a few percent before any exact work. Sorts the top halves (uint32: half the
    cost of sorting int64), then finds their rows through a 16M-entry boolean table (16 MB; no
    argsort and no search over all rows)."""
    top = bh.view(np.uint32)[_TOP::2]
    s = np.sort(top)
    rep = np.unique(s[1:][s[1:] == s[:-1]])
    if rep.size == 0:
        return _EMPTY
    table = np.zeros(1 << 24, bool)
    table[rep & _LOW24] = True
    rows = np.flatnonzero(table[top & _LOW24])
    found = np.minimum(np.searchsorted(rep, top[rows]), rep.size - 1)
    return rows[rep[found] == top[rows]]


def star_pairs(band: np.ndarray, bh: np.ndarray, node: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The star edges of the buckets ``(band, bh)`` of band rows: ``(u, v)`` int64, distinct,
    sorted by ``(u, v)``, one per member ``u`` of a bucket linked to ``v``, the bucket's
    smallest node (``u > v``). Duplicate rows count once; a bucket of one node gives none."""
    rows = _repeated(np.ascontiguousarray(bh, np.int64)) if len(bh) > 1 else _EMPTY
    if rows.size == 0:
        return _EMPTY, _EMPTY
    b, h, x = band[rows], bh[rows], node[rows].astype(np.int64)
    order = np.lexsort((x, b, h))
    b, h, x = b[order], h[order], x[order]
    first = np.r_[True, (h[1:] != h[:-1]) | (b[1:] != b[:-1])]  # a bucket's first row
    fresh = first | np.r_[True, x[1:] != x[:-1]]  # not a repeat of the row before
    x, first = x[fresh], first[fresh]
    start = np.flatnonzero(first)
    centre = np.repeat(x[start], np.diff(np.r_[start, len(x)]))  # the bucket's smallest node
    u, v = x[~first], centre[~first]
    if u.size == 0:  # only repeats of single-node buckets
        return _EMPTY, _EMPTY
    order = np.lexsort((v, u))
    u, v = u[order], v[order]
    distinct = np.r_[True, (u[1:] != u[:-1]) | (v[1:] != v[:-1])]
    return u[distinct], v[distinct]


def _edges(task: _Task) -> int:
    run = task.plan.run
    return star_edges(
        task.plan.dir("bands"), task.unit, run.dedup / "near" / "cc_in", task.plan.node_parts
    )


@dataclass(frozen=True)
class _LabelTask:
    plan: Plan
    unit: str
    converged: str
    """The converged components' folder, a key of ``plan.run`` (``RunDir.key``)."""


def _label(task: _LabelTask) -> int:
    plan, run = task.plan, task.plan.run
    members = read_partition(plan.dir("members"), task.unit, MEMBER)
    lab = labels(run.path(task.converged), int(task.unit))
    out = members.join(lab, on="node", how="left").with_columns(
        pl.when(pl.col("has_sig")).then(pl.coalesce("label", "node")).otherwise(None).alias("label")
    )
    if plan.cfg.near.verify:
        from curate.dedup.verify import SETS

        # Only a component of two or more nodes is ever split, and its nodes are exactly the
        # labelled ones: every other row's set would be written and read for nothing.
        sets = read_partition(plan.dir("csets"), task.unit, SETS)
        sets = sets.join(lab.select("node"), on="node", how="semi")
        out = out.join(sets, on="node", how="left")
    parts = partition_of(out["label"].fill_null(out["node"]).to_numpy(), plan.node_parts)
    write_partitioned(
        out, parts, plan.node_parts, run.dedup / "near" / "labeled", f"{int(task.unit):05d}"
    )
    return out.height


def _cluster(task: _Task) -> dict[str, int]:
    plan, run = task.plan, task.plan.run
    lm = plan.cfg.license_mix
    verify = plan.cfg.near.verify
    schema = {**MEMBER, "label": pl.Int64, **({"shingles": pl.Binary} if verify else {})}
    rows = read_partition(plan.dir("labeled"), task.unit, schema)
    if rows.height == 0:
        return {"clusters": 0, "dropped": 0, "split": 0}
    signed = keep.sort_for_keep(rows.filter(pl.col("label").is_not_null()), "label")
    split = 0
    if verify:
        from curate.dedup.verify import split_by_representative

        signed, split = split_by_representative(
            signed, plan.cfg.near.threshold, plan.cfg.near.chain_floor
        )
        signed = keep.sort_for_keep(signed, "label")
    is_perm = pl.col("license_category").is_in(list(lm.permissive)).fill_null(False)
    is_copy = pl.col("license_category").is_in(list(lm.copyleft)).fill_null(False)
    signed = signed.with_columns(
        pl.col("label").map_batches(_hex, return_dtype=pl.String).alias("dup_cluster_id"),
        pl.len().over("label").cast(pl.Int64).alias("dup_cluster_size"),
        keep.keep_flags("label").alias("dup_keep"),
        (is_perm & is_copy.any().over("label")).alias("dup_copied_from_copyleft"),
    )
    unsigned = (
        rows.filter(pl.col("label").is_null())
        .drop("shingles", strict=False)
        .with_columns(
            pl.lit(None, pl.String).alias("dup_cluster_id"),
            pl.lit(None, pl.Int64).alias("dup_cluster_size"),
            pl.lit(True).alias("dup_keep"),
            pl.lit(False).alias("dup_copied_from_copyleft"),
        )
    )
    out = pl.concat([signed, unsigned])
    cols = [f.name for f in SCHEMA]
    # Back to shards: one file per writer (this partition), the shard's index as partition.
    out = out.sort("shard_i", "doc_uid")
    write_partitioned(
        out.select(cols),
        out["shard_i"].to_numpy().astype(np.int64),
        plan.n_shards,
        run.dedup / "near" / "byshard",
        f"{int(task.unit):05d}",
    )
    multi = signed.filter(pl.col("dup_cluster_size") > 1).select(
        "dup_cluster_id",
        "dup_cluster_size",
        "doc_uid",
        "language",
        "license_category",
        "dup_keep",
        "dup_copied_from_copyleft",
    )
    write_table_atomic(
        multi.to_arrow(), run.dedup / "near" / "clusters" / f"{int(task.unit):05d}.parquet"
    )
    return {
        "clusters": int(multi["dup_cluster_id"].n_unique()) if multi.height else 0,
        "dropped": int((~out["dup_keep"]).sum()),
        "split": split,
    }


def _hex(s: pl.Series) -> pl.Series:
    return pl.Series([f"{v:016x}" for v in s.to_list()], dtype=pl.String)


def _write(task: _Task) -> dict[str, int]:
    plan, run = task.plan, task.plan.run
    shard = task.unit
    docs = pl.read_parquet(RunDir.shard_file(run.documents, shard), columns=["doc_uid"])
    schema = {
        f.name: pl.from_arrow(pa.table({f.name: pa.array([], f.type)}))[f.name].dtype
        for f in SCHEMA
    }
    rows = read_partition(plan.dir("byshard"), task.index, schema)
    out = docs.join(
        rows.unique("doc_uid", keep="first"), on="doc_uid", how="left", maintain_order="left"
    )
    write_table_atomic(out.to_arrow().cast(SCHEMA), RunDir.shard_file(run.attributes(KEY), shard))
    return {"docs": out.height, "dropped": int((~out["dup_keep"].fill_null(True)).sum())}


def _fingerprint(
    cfg: DedupConfig, shards: list[str], sources: dict[str, str], parts: tuple[int, ...]
) -> str:
    """Of every near step: a resumed run with other partition counts (another runner's
    workers) redoes the steps instead of mixing layouts."""
    h = hashlib.sha256(LAYOUT.encode())
    h.update(repr(parts).encode())
    for part in (cfg.near, cfg.keep, cfg.license_mix):
        h.update(part.model_dump_json().encode())
    h.update(repr(sorted(sources.items())).encode())
    for s in shards:
        h.update(s.encode())
    return h.hexdigest()[:16]


def plan_near(run: RunDir, cfg: DedupConfig, workers: int | None = None) -> tuple[Plan, list[str]]:
    """The partitioning of the near-dedup shuffles; ``workers``: the runner's (caps the default
    minimum band partitions, ``config.minimum_partitions``)."""
    shards = run.shard_ids()
    total = run.document_rows(shards)
    bands, rows = lsh_params(cfg)
    budget = cfg.near.memory_budget_mb * 1024 * 1024
    n = cfg.near
    band_min = minimum_partitions(n.band_partitions, BAND_PARTITIONS, workers)
    band_parts = max(band_min, -(-total * bands * BAND_ROW_BYTES // budget))
    # Star edges: at most one per document and band before de-duplication; in practice about
    # one per document (all bands point to the same centre). Stored in both orientations.
    # Not capped at the workers: verify_a/verify_b/label hold a node partition's edges with both
    # shingle sets, which the edge budget does not count (2 node partitions took a 4x-corpus
    # dedup worker to 1.1-1.3 GB; 4: 0.97 GB).
    node_min = minimum_partitions(n.min_partitions, NODE_PARTITIONS, None)
    node_parts = partitions_for(4 * total, budget, node_min)
    sources = keep.find_sources(
        run,
        [c for c in (cfg.keep.license_column, cfg.keep.quality_column, cfg.keep.stars_column) if c],
    )
    n_shards = len(shards)
    # (writers, readers) of each shuffle read by near.py and verify.py (the verification's only
    # with ``near.verify``: without it they are never written)
    shape = {
        "bands": (n_shards, band_parts),
        "members": (n_shards, node_parts),
        "cc_in": (band_parts, node_parts),
        "labeled": (node_parts, node_parts),
        "byshard": (node_parts, n_shards),
    }
    if cfg.near.verify:
        shape |= {
            "sets": (n_shards, node_parts),
            "verify_a": (node_parts, node_parts),
            "csets": (node_parts, node_parts),
        }
    combined = frozenset(k for k, (w, r) in shape.items() if two_level(w, r))
    plan = Plan(run, cfg, sources, bands, rows, band_parts, node_parts, n_shards, combined)
    return plan, shards


def _content_bytes(run: RunDir, shard: str) -> int:
    """A shard's documents table, uncompressed bytes (from its footer): the size of the
    shard's MinHash work, so the largest shards start first."""
    meta = pq.read_metadata(RunDir.shard_file(run.documents, shard))
    return sum(meta.row_group(i).total_byte_size for i in range(meta.num_row_groups))


def _combine(plan: Plan, runner: Runner, fp: str, *names: str) -> None:
    """The combine step of each shuffle in ``names`` that ``plan`` reads combined."""
    for name in names:
        if name in plan.combined:
            combine_step(
                plan.run, runner, f"dedup/near/{name}-c", fp, plan.run.dedup / "near" / name
            )


def run_near_dedup(run: RunDir, cfg: DedupConfig, runner: Runner) -> dict[str, object]:
    """Write ``attributes/near_dedup@1``; returns counts for stats."""
    (report,) = run_phases(run, runner, [near_phases(run, cfg, runner)])
    return report


def near_phases(run: RunDir, cfg: DedupConfig, runner: Runner) -> Phases:
    """``near/bands`` per shard; edges, verification, components, labels and clusters per
    partition; ``near/write`` per shard (the module docstring)."""
    plan, shards = plan_near(run, cfg, runner.workers)
    fp = _fingerprint(cfg, shards, plan.sources, (plan.band_parts, plan.node_parts))
    near = run.dedup / "near"
    by_shard = tuple(_Task(plan, s, i) for i, s in enumerate(shards))
    bands = MapStep(
        "dedup/near/bands",
        fp,
        _bands,
        by_shard,
        outputs=(near / "bands", near / "members", near / "sets"),
        weights=tuple(_content_bytes(run, s) for s in shards),
    )

    def middle(sig_res: list[dict[str, int]]) -> dict[str, object]:
        _combine(plan, runner, fp, "bands", "members", "sets")
        edge_res = map_step(
            run,
            runner,
            "dedup/near/edges",
            fp,
            _edges,
            [_Task(plan, str(k)) for k in range(plan.band_parts)],
            outputs=[near / "cc_in"],
        )
        _combine(plan, runner, fp, "cc_in")
        cc_input = plan.dir("cc_in")
        verified: list[list[int]] = []
        if cfg.near.verify:
            from curate.dedup import verify

            vt = [
                verify.VerifyTask(
                    run,
                    k,
                    plan.node_parts,
                    cfg.near.threshold,
                    run.key(plan.dir("cc_in")),
                    run.key(plan.dir("sets")),
                    run.key(plan.dir("verify_a")),
                    run.key(plan.dir("csets")),
                )
                for k in range(plan.node_parts)
            ]
            map_step(
                run,
                runner,
                "dedup/near/verify_a",
                fp,
                verify.attach_first,
                vt,
                outputs=[near / "verify_a", near / "csets"],
            )
            _combine(plan, runner, fp, "verify_a", "csets")
            verified = map_step(
                run,
                runner,
                "dedup/near/verify_b",
                fp,
                verify.verify_second,
                vt,
                outputs=[near / "cc_verified"],
            )
            cc_input = verify.verified_dir(run)
        converged, rounds = connected_components(
            run,
            runner,
            name="dedup/near/cc",
            edges=cc_input,
            work=near / "cc",
            parts=plan.node_parts,
            fingerprint=fp,
            max_rounds=cfg.near.max_cc_rounds,
            budget_bytes=cfg.near.memory_budget_mb * 1024 * 1024,
            edge_rows=2 * (sum(v[1] for v in verified) if cfg.near.verify else sum(edge_res)),
        )
        map_step(
            run,
            runner,
            "dedup/near/label",
            fp,
            _label,
            [_LabelTask(plan, str(k), run.key(converged)) for k in range(plan.node_parts)],
            outputs=[near / "labeled"],
        )
        _combine(plan, runner, fp, "labeled")
        cl_res = map_step(
            run,
            runner,
            "dedup/near/cluster",
            fp,
            _cluster,
            [_Task(plan, str(k)) for k in range(plan.node_parts)],
            outputs=[near / "byshard", near / "clusters"],
        )
        _combine(plan, runner, fp, "byshard")
        return {
            "distinct_contents": sum(r["distinct"] for r in sig_res),
            "signed": sum(r["signed"] for r in sig_res),
            "bytes": sum(r["bytes"] for r in sig_res),
            "edges": sum(edge_res),
            "edges_verified": sum(v[1] for v in verified) if verified else None,
            "cc_rounds": rounds,
            "clusters": sum(r["clusters"] for r in cl_res),
            "split_off": sum(r.get("split", 0) for r in cl_res) if cfg.near.verify else None,
        }

    def report(counts: dict[str, object], w_res: list[dict[str, int]]) -> dict[str, object]:
        return {
            "docs": sum(r["docs"] for r in w_res),
            **{k: counts[k] for k in ("distinct_contents", "signed", "bytes", "edges")},
            **{k: counts[k] for k in ("edges_verified", "cc_rounds", "clusters", "split_off")},
            "dropped": sum(r["dropped"] for r in w_res),
            "bands": plan.bands,
            "rows": plan.rows,
            "node_partitions": plan.node_parts,
            "band_partitions": plan.band_parts,
        }

    return Phases(bands, middle, MapStep("dedup/near/write", fp, _write, by_shard), report)
