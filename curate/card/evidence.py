"""Card numbers on export metadata: license evidence by method, repository stars, export sources.

An export (The Stack and the like) may carry per-file licenses and star counts; ingest keeps them
as the documents columns ``source_licenses`` and ``repo_stars`` (curate.ingest.metadata) and the
license annotator uses ``source_licenses`` only when a file has no license of its own or its
repository's (``license_method = "export_metadata"``). The card says how many kept files rest on
that metadata alone, so a reader can tell the export's word from evidence found in the files.
"""

from __future__ import annotations

from typing import Any

import polars as pl

EXPORT_METADATA = "export_metadata"
METADATA_COLUMNS = ("source_licenses", "repo_stars")
"""Documents columns filled from an export's own columns (``curate.schema.DOCUMENTS``)."""
EXPORT_KINDS = frozenset({"jsonl", "parquet"})
"""Source kinds that are file-per-row exports (``curate.ingest.readers.export``)."""

METHODS: dict[str, str] = {
    "spdx_identifier": "file: SPDX-License-Identifier line",
    "header": "file: license header comment",
    "license_file": "repository: license file",
    "similarity": "repository: license file (close variant of a license text)",
    "readme": "repository: README license section",
    "manifest": "repository: manifest license field",
    EXPORT_METADATA: "export metadata (`source_licenses`)",
    "none": "none (no license evidence)",
}
"""``license_method`` values of curate.filters.license (in order of where the evidence is: the
file, its repository, the export, nothing) and how the card names them. A file under a folder
with a license file inherits that folder's method."""

STAR_BUCKETS: tuple[tuple[str, int, int | None], ...] = (
    ("0", 0, 1),
    ("1-9", 1, 10),
    ("10-99", 10, 100),
    ("100-999", 100, 1000),
    (">= 1000", 1000, None),
)
UNKNOWN_STARS = "unknown"
"""Bucket of a file without a star count (or a negative one, which no export means)."""


def _counts(frame: pl.DataFrame) -> dict[str, int]:
    kept = frame.filter(pl.col("_keep"))
    return {
        "files": frame.height,
        "bytes": int(frame["size_bytes"].sum() or 0),
        "kept_files": kept.height,
        "kept_bytes": int(kept["size_bytes"].sum() or 0),
    }


def license_methods(frame: pl.DataFrame) -> list[dict[str, Any]]:
    """Files and kept files per ``license_method``, every known method listed (0 says 0), in the
    order of ``METHODS``; a method we do not know, or a file with no license row (``unknown``),
    comes after them."""
    col = pl.col("license_method").fill_null("unknown")
    seen = frame.select(col.unique()).to_series().to_list()
    names = list(METHODS) + sorted(m for m in seen if m not in METHODS)
    rows = []
    for method in names:
        counts = _counts(frame.filter(col == method))
        rows.append({"method": method, "label": METHODS.get(method, method), **counts})
    return rows


def metadata_licensed(rows: list[dict[str, Any]]) -> dict[str, int]:
    """The ``export_metadata`` row of ``license_methods``: files licensed only by the export."""
    return next(
        {k: r[k] for k in ("files", "bytes", "kept_files", "kept_bytes")}
        for r in rows
        if r["method"] == EXPORT_METADATA
    )


def filled(frame: pl.DataFrame, column: str) -> pl.Expr:
    """True where ``column`` has a value: a non-empty list, a true flag (a list column loaded as
    ``has a value``, see ``has_value_flag``), or anything not null."""
    dtype = frame.schema[column]
    value = pl.col(column)
    if dtype == pl.List:
        return (value.list.len() > 0).fill_null(False)
    if dtype == pl.Boolean:
        return value.fill_null(False)
    return value.is_not_null()


def has_value_flag(column: str) -> pl.Expr:
    """A list column read as one boolean (non-empty), so the card never holds the lists."""
    return (pl.col(column).list.len() > 0).fill_null(False).alias(column)


def has_values(frame: pl.DataFrame, column: str) -> bool:
    """Whether ``column`` exists and holds a value in some row (an empty list is no value)."""
    return column in frame.columns and bool(frame.select(filled(frame, column).any()).item())


def star_buckets(frame: pl.DataFrame) -> list[dict[str, Any]]:
    """Files and kept files per bucket of ``repo_stars`` (the export's star count of the file's
    repository), empty buckets included."""
    stars = pl.col("repo_stars")
    bucket = pl.when(stars.is_null() | (stars < 0)).then(pl.lit(UNKNOWN_STARS))
    for label, low, high in STAR_BUCKETS:
        inside = stars >= low if high is None else (stars >= low) & (stars < high)
        bucket = bucket.when(inside).then(pl.lit(label))
    labelled = frame.with_columns(bucket.otherwise(pl.lit(UNKNOWN_STARS)).alias("_bucket"))
    return [
        {"bucket": label, **_counts(labelled.filter(pl.col("_bucket") == label))}
        for label in [b[0] for b in STAR_BUCKETS] + [UNKNOWN_STARS]
    ]


def source_metadata(frame: pl.DataFrame, kinds: dict[str, str]) -> dict[str, dict[str, Any]]:
    """Per ``source`` (the card's source name): its ``kind`` (from the manifest, by
    ``source_uri``), whether it is an export, and per metadata column the files that got a value
    from it (``{"source_licenses": 12, "repo_stars": 40}``; a column no file got is left out)."""
    exprs = [pl.col("source_uri").first().alias("_uri")]
    for column in METADATA_COLUMNS:
        if column not in frame.columns:
            continue
        exprs.append(filled(frame, column).sum().alias(column))
    out: dict[str, dict[str, Any]] = {}
    for row in frame.group_by("source").agg(exprs).iter_rows(named=True):
        kind = kinds.get(row["_uri"], "")
        mapped = {c: int(row[c]) for c in METADATA_COLUMNS if row.get(c)}
        out[row["source"]] = {"kind": kind, "export": kind in EXPORT_KINDS, "metadata": mapped}
    return out
