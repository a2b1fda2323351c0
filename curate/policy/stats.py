"""Per-rule, per-language drop statistics of a policy's decisions, as polars frames.

Two counts per rule: *dropped* attributes a document to its first failing rule only (they add
up to all drops), *failing* counts every rule a document fails (what a rule would remove alone).
"""

from __future__ import annotations

import polars as pl

from curate.errors import UserError
from curate.rundir import RunDir


def decisions_frame(run: RunDir, policy: str = "default") -> pl.LazyFrame:
    """Decisions joined with ``language`` and ``size_bytes`` (and ``path``) of each document."""
    files = sorted(run.decisions(policy).glob("*.parquet"))
    if not files:
        raise UserError(f"{run.root}: no decisions for policy {policy!r} (run the decisions step)")
    docs = pl.scan_parquet(sorted(run.documents.glob("*.parquet"))).select(
        "doc_uid", "path", "language", "size_bytes"
    )
    return pl.scan_parquet(files).join(docs, on="doc_uid", how="left")


def rule_stats(frame: pl.LazyFrame | pl.DataFrame, by: str | None = "language") -> pl.DataFrame:
    """One row per (rule, ``by`` value): files/bytes dropped (first failing) and failing (any)."""
    lazy = frame.lazy()
    rules = [
        c.removeprefix("rule_") for c in lazy.collect_schema().names() if c.startswith("rule_")
    ]
    keys = [by] if by else []
    parts = []
    size = pl.col("size_bytes").cast(pl.Int64)
    for rule in rules:
        failing = ~pl.col(f"rule_{rule}").fill_null(True)
        dropped = (pl.col("drop_rule") == rule).fill_null(False)
        agg = [
            dropped.sum().cast(pl.Int64).alias("files_dropped"),
            size.filter(dropped).sum().cast(pl.Int64).alias("bytes_dropped"),
            failing.sum().cast(pl.Int64).alias("files_failing"),
            size.filter(failing).sum().cast(pl.Int64).alias("bytes_failing"),
        ]
        grouped = lazy.group_by(keys).agg(agg) if keys else lazy.select(agg)
        parts.append(grouped.with_columns(pl.lit(rule).alias("rule")))
    if not parts:
        return pl.DataFrame()
    out = pl.concat(parts).collect()
    order = {r: i for i, r in enumerate(rules)}
    return (
        out.with_columns(pl.col("rule").replace_strict(order, return_dtype=pl.Int64).alias("_o"))
        .sort(["_o", *keys], nulls_last=True)
        .drop("_o")
        .select("rule", *keys, "files_dropped", "bytes_dropped", "files_failing", "bytes_failing")
    )


def language_summary(frame: pl.LazyFrame | pl.DataFrame) -> pl.DataFrame:
    """Per language: files and bytes in, kept, dropped."""
    size = pl.col("size_bytes").cast(pl.Int64)
    return (
        frame.lazy()
        .group_by("language")
        .agg(
            pl.len().cast(pl.Int64).alias("files"),
            pl.col("keep").sum().cast(pl.Int64).alias("files_kept"),
            size.sum().alias("bytes"),
            size.filter(pl.col("keep")).sum().alias("bytes_kept"),
        )
        .with_columns(
            (pl.col("files") - pl.col("files_kept")).alias("files_dropped"),
            (pl.col("bytes") - pl.col("bytes_kept")).alias("bytes_dropped"),
        )
        .sort("bytes", descending=True)
        .collect()
    )


def policy_stats(run: RunDir, policy: str = "default", by: str | None = "language") -> pl.DataFrame:
    """``rule_stats`` of a run's stored decisions (what ``curate stats`` shows)."""
    return rule_stats(decisions_frame(run, policy), by=by)
