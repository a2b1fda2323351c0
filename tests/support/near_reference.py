"""The near-dup kernels as they were before session 6 (plain polars / a per-band numpy loop)
and the numpy MinHash of session 6:
the oracle the equivalence tests compare the fast kernels with, and the baseline
``benchmarks/bench_star_edges.py`` times them against."""

from __future__ import annotations

import numpy as np
import polars as pl

from curate.dedup.minhash import _SHINGLE_MULT, _fmix32, _mix64, permutations


def star_edges_reference(rows: pl.DataFrame) -> pl.DataFrame:
    """Every bucket (band, bh) a star around its smallest node: join with the bucket minimum
    (distinct ``u``/``v`` pairs, unsorted)."""
    rows = rows.unique()
    centre = rows.group_by("band", "bh").agg(pl.col("node").min().alias("c"))
    return (
        rows.join(centre, on=["band", "bh"])
        .filter(pl.col("node") != pl.col("c"))
        .select(pl.col("node").alias("u"), pl.col("c").alias("v"))
        .unique()
    )


def band_hashes_reference(sig: np.ndarray, bands: int, rows: int) -> np.ndarray:
    """One 64-bit hash per band of ``rows`` signature values, band by band."""
    n = sig.shape[0]
    out = np.empty((n, bands), np.uint64)
    with np.errstate(over="ignore"):
        for j in range(bands):
            h = np.full(n, np.uint64(j + 1) * _SHINGLE_MULT, dtype=np.uint64)
            for k in range(j * rows, (j + 1) * rows):
                h = _mix64(h ^ sig[:, k].astype(np.uint64))
            out[:, j] = h
    return out


def signatures_reference(
    hashes: np.ndarray, offsets: np.ndarray, num_perm: int = 256, seed: int = 1
) -> np.ndarray:
    """MinHash signatures as the numpy code before session 7 computed them: the ``(num_perm,
    shingles)`` products ``a * fmix32(h) + b`` and a per-document ``minimum.reduceat``
    (documents without shingles: all ones)."""
    a, b = permutations(num_perm, seed)
    n_docs = len(offsets) - 1
    sig = np.full((n_docs, num_perm), np.uint32(0xFFFFFFFF), dtype=np.uint32)
    if len(hashes) == 0:
        return sig
    doc_of = np.repeat(np.arange(n_docs), np.diff(offsets))
    with np.errstate(over="ignore"):
        phv = a[:, None] * _fmix32(hashes.astype(np.uint32))[None, :] + b[:, None]
    seg = np.flatnonzero(np.r_[True, doc_of[1:] != doc_of[:-1]])
    sig[doc_of[seg]] = np.minimum.reduceat(phv, seg, axis=1).T
    return sig
