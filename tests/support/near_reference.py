"""The near-dup kernels as they were before session 6 (plain polars / a per-band numpy loop):
the oracle the equivalence tests compare the fast kernels with, and the baseline
``benchmarks/bench_star_edges.py`` times them against."""

from __future__ import annotations

import numpy as np
import polars as pl

from curate.dedup.minhash import _SHINGLE_MULT, _mix64


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
