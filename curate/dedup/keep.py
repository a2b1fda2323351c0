"""The keep key: which member of a duplicate group survives (documented in docs/dedup.md).

Smallest key wins: (license rank, -quality, -stars, doc_uid). Each input column is looked up in
the shard's documents table, then in the run's attribute folders (``RunDir.attribute_columns``:
one table per column, a clash is an error); a column that no table has is null for every
document, and nulls rank last. ``quality_column = "auto"`` (the default) resolves to the first
of ``AUTO_QUALITY_COLUMNS`` that a table provides, so a run without a quality model ranks on
license, stars and ``doc_uid`` only, and one with ``quality_fasttext@1`` ranks by its score.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from curate.dedup.config import DedupConfig
from curate.rundir import RunDir

KEY_COLUMNS = ["k_license", "k_quality", "k_stars", "doc_uid"]
OWN_NAMES = ("exact_dedup", "near_dedup", "repo_dedup")
AUTO = "auto"
AUTO_QUALITY_COLUMNS = ("quality_score",)
"""What ``keep.quality_column = "auto"`` ranks by, first found wins (``quality_fasttext@1``)."""


def find_sources(run: RunDir, columns: list[str]) -> dict[str, str]:
    """``column -> "documents" | attribute key`` for the columns some table provides (dedup's
    own attributes are not inputs of its keep key). ``"auto"`` stands for
    ``AUTO_QUALITY_COLUMNS``."""
    columns = [a for c in columns for a in (AUTO_QUALITY_COLUMNS if c == AUTO else (c,))]
    documents = run.documents_schema()
    found = {c: "documents" for c in columns if documents is not None and c in documents.names}
    owners = run.attribute_columns(exclude=OWN_NAMES)
    found.update({c: owners[c][0] for c in columns if c in owners and c not in found})
    return found


def quality_column(cfg: DedupConfig, sources: dict[str, str]) -> str | None:
    """The quality column the keep key ranks by (``"auto"`` resolved against ``sources``)."""
    column = cfg.keep.quality_column
    if column != AUTO:
        return column
    return next((c for c in AUTO_QUALITY_COLUMNS if c in sources), None)


def _wanted(cfg: DedupConfig, sources: dict[str, str]) -> list[str]:
    k = cfg.keep
    return [c for c in (k.license_column, quality_column(cfg, sources), k.stars_column) if c]


def shard_keys(
    run: RunDir, shard: str, cfg: DedupConfig, sources: dict[str, str], docs: pl.DataFrame
) -> pl.DataFrame:
    """``docs`` (must hold ``doc_uid``) plus ``k_license``, ``k_quality``, ``k_stars`` and
    ``license_category`` (the raw category, for the license-mix check)."""
    k = cfg.keep
    frame = docs
    by_key: dict[str, list[str]] = {}
    wanted = _wanted(cfg, sources)
    for col in wanted:
        src = sources.get(col)
        if src and src != "documents" and col not in frame.columns:
            by_key.setdefault(src, []).append(col)
    for key, cols in sorted(by_key.items()):
        path: Path = run.attributes(key) / f"{shard}.parquet"
        if path.is_file():
            attr = pl.read_parquet(path, columns=["doc_uid", *cols]).unique("doc_uid", keep="first")
            frame = frame.join(attr, on="doc_uid", how="left", maintain_order="left")
    for col in wanted:
        if col not in frame.columns:
            frame = frame.with_columns(pl.lit(None).alias(col))
    order = {name: i for i, name in enumerate(k.license_order)}
    lic = pl.col(k.license_column).cast(pl.String)
    exprs = [
        lic.replace_strict(order, default=len(order), return_dtype=pl.Int32)
        .fill_null(len(order) + 1)
        .alias("k_license"),
        lic.alias("license_category"),
    ]
    for name, col, descending in (
        ("k_quality", quality_column(cfg, sources), k.quality_descending),
        ("k_stars", k.stars_column, True),
    ):
        if col is None:
            exprs.append(pl.lit(None, pl.Float64).alias(name))
        else:
            value = pl.col(col).cast(pl.Float64, strict=False)
            exprs.append((-value if descending else value).alias(name))
    out = frame.with_columns(exprs)
    return out.drop([c for c in wanted if c not in docs.columns and c != "license_category"])


def keep_flags(group: str) -> pl.Expr:
    """Expression: True for the one row per ``group`` with the smallest keep key. The frame must be
    sorted with :func:`sort_for_keep` first."""
    return pl.col("doc_uid") == pl.col("doc_uid").first().over(group)


def sort_for_keep(df: pl.DataFrame, group: str) -> pl.DataFrame:
    return df.sort([group, *KEY_COLUMNS], nulls_last=True)
