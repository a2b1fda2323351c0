"""Dedup rates by language (part of the dedup step's result in ``stats/steps/dedup.json``)."""

from __future__ import annotations

from typing import Any

import polars as pl

from curate.rundir import RunDir


def _scan(folder) -> pl.LazyFrame | None:  # type: ignore[no-untyped-def]
    files = sorted(str(p) for p in folder.glob("*.parquet")) if folder.is_dir() else []
    return pl.scan_parquet(files) if files else None


def rates_by_language(run: RunDir) -> list[dict[str, Any]]:
    """One row per language: documents, exact duplicates dropped, near duplicates dropped (not
    already exact), and the combined dedup rate."""
    docs = _scan(run.documents)
    if docs is None:
        return []
    frame = docs.select("doc_uid", pl.col("language").fill_null("(unknown)"))
    exact = _scan(run.attributes("exact_dedup@1"))
    near = _scan(run.attributes("near_dedup@1"))
    frame = (
        frame.join(exact.select("doc_uid", "exact_dup_keep"), on="doc_uid", how="left")
        if exact is not None
        else frame.with_columns(pl.lit(True).alias("exact_dup_keep"))
    )
    frame = (
        frame.join(near.select("doc_uid", "dup_keep"), on="doc_uid", how="left")
        if near is not None
        else frame.with_columns(pl.lit(True).alias("dup_keep"))
    )
    ex = ~pl.col("exact_dup_keep").fill_null(True)
    nr = ~pl.col("dup_keep").fill_null(True)
    out = (
        frame.group_by("language")
        .agg(
            pl.len().alias("documents"),
            ex.sum().alias("exact_duplicates"),
            (nr & ~ex).sum().alias("near_duplicates"),
            (ex | nr).sum().alias("dropped"),
        )
        .with_columns((pl.col("dropped") / pl.col("documents")).round(6).alias("dedup_rate"))
        .sort("documents", "language", descending=[True, False])
        .collect()
    )
    return out.to_dicts()
