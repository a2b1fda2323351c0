"""Numbers for the dataset card, read from a run directory with polars.

Everything is discovered: attribute columns by prefix and type (``dup_*``, ``exact_dup_*``,
``decontam_*``, ``optout_*``, ``license_*``, span lists), decision rules by their ``rule_<name>``
columns. A missing table just leaves its section empty.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl
import pyarrow as pa

from curate.card import evidence
from curate.mix.layout import mixture_names, read_manifest
from curate.mix.redact import is_span_type
from curate.rundir import RunDir

log = logging.getLogger(__name__)

UNKNOWN = "unknown"
NO_DECISION = "no decision"
NO_LICENSE = "no_license"
"""``license_category`` of a file with no license evidence at all (curate.filters.license)."""
INGEST_SKIPS = "ingest skips"
OTHER_RULES = "other rules"
DROP_LABELS = {
    "dedup": "dedup",
    "license": "license",
    "secrets": "secrets",
    "decontam": "decontamination",
    "optout": "opt-out",
    "quality": "quality rules",
}
"""Display names of the ``drop_reason`` prefixes of the recipes' rules (others show as is)."""
SPLIT_PREFIXES = ("dedup",)
"""Prefixes whose categories are split by the next word (``dedup: exact``, ``dedup: near``)."""
DROP_ORDER = (INGEST_SKIPS, "dedup: exact", "dedup: near", "dedup", "license", "secrets",
              "decontamination", "opt-out", "quality rules", OTHER_RULES, NO_DECISION)  # fmt: skip
DEDUP_PREFIXES = ("dup_", "exact_dup_", "decontam_")
SECONDARY_PREFIXES = ("parse_", "license_", "optout_", "secret_", "pii_")


@dataclass
class CardStats:
    documents: int = 0
    document_bytes: int = 0
    skipped: int = 0
    skipped_bytes: int = 0
    kept: int = 0
    kept_bytes: int = 0
    policy: str | None = None
    rules: list[str] = field(default_factory=list)
    funnel: list[dict[str, Any]] = field(default_factory=list)
    """Rows ``stage``, ``files``, ``bytes`` that add up to the input total."""
    languages: list[dict[str, Any]] = field(default_factory=list)
    licenses: list[dict[str, Any]] = field(default_factory=list)
    license_ids: list[dict[str, Any]] = field(default_factory=list)
    sources: list[dict[str, Any]] = field(default_factory=list)
    source_kinds: dict[str, int] = field(default_factory=dict)
    dedup: list[dict[str, Any]] = field(default_factory=list)
    redaction: list[dict[str, Any]] = field(default_factory=list)
    optout: list[dict[str, Any]] = field(default_factory=list)
    optout_versions: list[str] = field(default_factory=list)
    numeric_columns: list[str] = field(default_factory=list)
    mixture_name: str | None = None
    mixture: dict[str, Any] | None = None
    attribute_keys: list[str] = field(default_factory=list)
    drops: list[dict[str, Any]] = field(default_factory=list)
    """Rows ``category``, ``files``, ``bytes``: every file not kept, once (ingest skips, then
    policy drops by the category of their ``drop_reason``, see ``_category``)."""
    unlicensed: dict[str, int] | None = None
    """Files without license evidence (``license_category == no_license``): ``files``, ``bytes``,
    ``kept_files``, ``kept_bytes``; ``None`` when no license annotator ran."""
    license_methods: list[dict[str, Any]] = field(default_factory=list)
    """Rows ``method``, ``label``, ``files``, ``bytes``, ``kept_files``, ``kept_bytes`` per
    ``license_method`` (curate.card.evidence); empty when no license annotator wrote it."""
    metadata_licensed: dict[str, int] | None = None
    """Files licensed only by the export's ``source_licenses`` (``license_method`` =
    ``export_metadata``), same keys as ``unlicensed``; ``None`` without a ``license_method``."""
    has_source_licenses: bool = False
    """Some document carries the export's ``source_licenses``."""
    stars: list[dict[str, Any]] = field(default_factory=list)
    """Rows ``bucket``, ``files``, ``bytes``, ``kept_files``, ``kept_bytes`` of ``repo_stars``;
    empty when no document has a star count."""


def _scan(folder: Path) -> pl.LazyFrame | None:
    files = sorted(str(p) for p in folder.glob("*.parquet")) if folder.is_dir() else []
    return pl.scan_parquet(files) if files else None


def _rows(frame: pl.DataFrame) -> list[dict[str, Any]]:
    return frame.to_dicts()


def collect(run: RunDir, policy: str, mixture: str | None) -> CardStats:
    s = CardStats()
    docs = _scan(run.documents)
    names = docs.collect_schema().names() if docs is not None else []
    meta_cols = [
        evidence.has_value_flag(c) if c == "source_licenses" else pl.col(c)
        for c in evidence.METADATA_COLUMNS
        if c in names
    ]
    base = (
        docs.select("doc_uid", "language", "size_bytes", "source_uri", *meta_cols).collect()
        if docs is not None
        else pl.DataFrame(
            schema={
                "doc_uid": pl.String,
                "language": pl.String,
                "size_bytes": pl.Int64,
                "source_uri": pl.String,
            }
        )
    )
    base = base.with_columns(pl.col("language").fill_null(UNKNOWN))
    s.documents, s.document_bytes = base.height, int(base["size_bytes"].sum() or 0)

    skipped = _scan(run.skipped)
    skip = pl.DataFrame(schema={"reason": pl.String, "size_bytes": pl.Int64, "files": pl.Int64})
    if skipped is not None:
        names = skipped.collect_schema().names()
        # one skipped row may stand for several files (e.g. a vendored directory)
        files = pl.col("files").fill_null(1) if "files" in names else pl.lit(1, pl.Int64)
        skip = skipped.select(
            "reason", pl.col("size_bytes").fill_null(0), files.alias("files")
        ).collect()
    s.skipped, s.skipped_bytes = int(skip["files"].sum() or 0), int(skip["size_bytes"].sum() or 0)

    frame = _with_decisions(run, policy, base, s)
    frame = _with_attributes(run, frame, s)
    kept = frame.filter(pl.col("_keep"))
    s.kept, s.kept_bytes = kept.height, int(kept["size_bytes"].sum() or 0)

    s.funnel = _funnel(skip, frame, s)
    s.drops = _drops(skip, frame)
    s.mixture_name, s.mixture = _mixture(run, mixture)
    s.languages = _languages(frame, s.mixture)
    if "license_category" in frame.columns:
        s.licenses = _breakdown(frame, "license_category")
        s.unlicensed = _unlicensed(frame)
    if "license_spdx" in frame.columns:
        s.license_ids = _breakdown(frame, "license_spdx")
    if "license_method" in frame.columns:
        s.license_methods = evidence.license_methods(frame)
        s.metadata_licensed = evidence.metadata_licensed(s.license_methods)
    s.has_source_licenses = evidence.has_values(frame, "source_licenses")
    if evidence.has_values(frame, "repo_stars"):
        s.stars = evidence.star_buckets(frame)
    named = _named_sources(run, frame)
    s.sources = _breakdown(named, "source")
    uri_kinds: dict[str, str] = {}
    if run.manifest.is_file():
        manifest = pl.read_parquet(run.manifest)
        kinds = manifest.select(pl.col("source_kinds").explode()).to_series()
        s.source_kinds = dict(sorted(kinds.value_counts().iter_rows()))
        for uris, ks in manifest.select("source_uris", "source_kinds").iter_rows():
            if len(uris) == len(ks):  # parallel lists; anything else names no source's kind
                uri_kinds.update(zip(uris, ks, strict=True))
    per_source = evidence.source_metadata(named, uri_kinds)
    for row in s.sources:
        row.update(per_source.get(row["source"], {"kind": "", "export": False, "metadata": {}}))
    return s


def _with_decisions(run: RunDir, policy: str, base: pl.DataFrame, s: CardStats) -> pl.DataFrame:
    dec = _scan(run.decisions(policy))
    if dec is None:
        return base.with_columns(
            pl.lit(True).alias("_keep"),
            pl.lit(None, pl.String).alias("_stage"),
            pl.lit(None, pl.String).alias("_category"),
        )
    s.policy = policy
    names = dec.collect_schema().names()
    rules = [c for c in names if c.startswith("rule_")]
    s.rules = [c[len("rule_") :] for c in rules]
    first_fail = (
        pl.coalesce([pl.when(pl.col(r).eq(False)).then(pl.lit(r[len("rule_") :])) for r in rules])
        if rules
        else pl.lit(None, pl.String)
    )
    table = dec.select(
        "doc_uid",
        pl.col("keep").alias("_keep"),
        pl.when(pl.col("keep"))
        .then(None)
        .otherwise(pl.coalesce(first_fail, pl.col("drop_reason"), pl.lit("unattributed")))
        .alias("_stage"),
        pl.when(pl.col("keep"))
        .then(None)
        .otherwise(_category(pl.col("drop_reason")))
        .alias("_category"),
    ).collect()
    out = base.join(table, on="doc_uid", how="left")
    missing = out["_keep"].null_count()
    if missing:
        log.warning("%d documents have no decision in decisions/%s/", missing, policy)
    return out.with_columns(
        pl.col("_keep").fill_null(False),
        pl.when(pl.col("_keep").is_null())
        .then(pl.lit(NO_DECISION))
        .otherwise(pl.col("_stage"))
        .alias("_stage"),
        pl.when(pl.col("_keep").is_null())
        .then(pl.lit(NO_DECISION))
        .otherwise(pl.col("_category"))
        .alias("_category"),
    )


def _category(reason: pl.Expr) -> pl.Expr:
    """Drop category of a ``drop_reason``: its ``prefix:`` (the recipes' convention, e.g.
    ``license:...``, ``quality:...``), with dedup split by the word after it
    (``dedup:exact_duplicate(...)`` -> ``dedup: exact``); no prefix -> ``other rules``."""
    prefix = reason.str.extract(r"^([A-Za-z_]+):", 1)
    sub = reason.str.extract(r"^[A-Za-z_]+:([A-Za-z]+)", 1)
    named = prefix.replace_strict(DROP_LABELS, default=prefix, return_dtype=pl.String)
    return (
        pl.when(prefix.is_null())
        .then(pl.lit(OTHER_RULES))
        .when(prefix.is_in(SPLIT_PREFIXES) & sub.is_not_null())
        .then(pl.concat_str(named, pl.lit(": "), sub))
        .otherwise(named)
    )


def _with_attributes(run: RunDir, frame: pl.DataFrame, s: CardStats) -> pl.DataFrame:
    columns = run.attribute_columns()
    folders = run.attribute_folders()
    s.attribute_keys = list(folders)
    wanted: dict[str, list[str]] = {}
    span_cols: list[tuple[str, str]] = []
    for name, (key, f) in columns.items():
        t = f.type
        if is_span_type(t):
            span_cols.append((key, name))
        elif (
            name.startswith(("license_", "optout_", *DEDUP_PREFIXES))
            or pa.types.is_integer(t)
            or pa.types.is_floating(t)
        ):
            wanted.setdefault(key, []).append(name)
    for key, cols in wanted.items():
        scan = _scan(folders[key])
        if scan is not None:
            frame = frame.join(scan.select("doc_uid", *cols).collect(), on="doc_uid", how="left")
    for name, (_, f) in columns.items():
        if (
            name in frame.columns
            and (pa.types.is_integer(f.type) or pa.types.is_floating(f.type))
            and not name.endswith("_id")
            and not name.startswith(DEDUP_PREFIXES)
        ):
            s.numeric_columns.append(name)
    # quality signals (un-prefixed names, shared/DESIGN.md 4b) first: they are what rules test
    s.numeric_columns.sort(key=lambda c: c.startswith(SECONDARY_PREFIXES))
    s.dedup = _flag_table(frame, [c for c in frame.columns if c.startswith(DEDUP_PREFIXES)])
    s.optout = _flag_table(frame, [c for c in frame.columns if c.startswith("optout_")])
    for c in frame.columns:
        if c.startswith("optout_") and "version" in c and frame[c].dtype == pl.String:
            s.optout_versions += sorted(v for v in frame[c].unique().to_list() if v)
    s.redaction = _span_counts(run, folders, span_cols, frame)
    return frame


def _flag_table(frame: pl.DataFrame, cols: list[str]) -> list[dict[str, Any]]:
    rows = []
    for c in cols:
        col = frame[c]
        row: dict[str, Any] = {"column": c, "non_null": int(col.len() - col.null_count())}
        if col.dtype == pl.Boolean:
            row["true"] = int(col.sum() or 0)
            row["false"] = int((~col.drop_nulls()).sum() or 0)
        else:
            row["distinct"] = int(col.drop_nulls().n_unique())
        rows.append(row)
    return rows


def _span_counts(
    run: RunDir, folders: dict[str, Path], span_cols: list[tuple[str, str]], frame: pl.DataFrame
) -> list[dict[str, Any]]:
    kept = frame.filter(pl.col("_keep")).select("doc_uid")
    rows = []
    for key, name in span_cols:
        scan = _scan(folders[key])
        if scan is None:
            continue
        spans = scan.select("doc_uid", pl.col(name).alias("_s")).collect()
        spans = spans.join(kept.with_columns(pl.lit(True).alias("_kept")), on="doc_uid", how="left")
        exploded = (
            spans.explode("_s")
            .drop_nulls("_s")
            .with_columns(pl.col("_s").struct.field("kind").alias("kind"))
        )
        agg = exploded.group_by("kind").agg(
            pl.len().alias("spans"),
            pl.col("doc_uid").n_unique().alias("files"),
            pl.col("_kept").fill_null(False).sum().alias("spans_in_kept"),
        )
        for r in agg.sort("kind").iter_rows(named=True):
            rows.append({"column": name, **r})
    return rows


def _funnel(skip: pl.DataFrame, frame: pl.DataFrame, s: CardStats) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for reason, n, b in (
        skip.group_by("reason")
        .agg(pl.col("files").sum(), pl.col("size_bytes").sum())
        .sort("reason")
        .iter_rows()
    ):
        rows.append({"stage": f"skipped: {reason}", "kind": "skip", "files": n, "bytes": int(b)})
    dropped = (
        frame.filter(~pl.col("_keep")).group_by("_stage").agg(pl.len(), pl.col("size_bytes").sum())
    )
    counts = {k: (n, int(b)) for k, n, b in dropped.iter_rows()}
    for rule in s.rules:
        n, b = counts.pop(rule, (0, 0))
        rows.append({"stage": f"rule: {rule}", "kind": "rule", "files": n, "bytes": b})
    for other in sorted(counts):
        n, b = counts[other]
        rows.append({"stage": f"dropped: {other}", "kind": "rule", "files": n, "bytes": b})
    rows.append({"stage": "kept", "kind": "kept", "files": s.kept, "bytes": s.kept_bytes})
    return rows


def _unlicensed(frame: pl.DataFrame) -> dict[str, int]:
    none = frame.filter(pl.col("license_category") == NO_LICENSE)
    kept = none.filter(pl.col("_keep"))
    return {
        "files": none.height,
        "bytes": int(none["size_bytes"].sum() or 0),
        "kept_files": kept.height,
        "kept_bytes": int(kept["size_bytes"].sum() or 0),
    }


def _drops(skip: pl.DataFrame, frame: pl.DataFrame) -> list[dict[str, Any]]:
    rows = [{"category": INGEST_SKIPS, "files": int(skip["files"].sum() or 0),
             "bytes": int(skip["size_bytes"].sum() or 0)}]  # fmt: skip
    dropped = (
        frame.filter(~pl.col("_keep"))
        .group_by("_category")
        .agg(pl.len().alias("files"), pl.col("size_bytes").sum().alias("bytes"))
    )
    for category, n, b in dropped.iter_rows():
        rows.append({"category": category or OTHER_RULES, "files": n, "bytes": int(b or 0)})
    order = {c: i for i, c in enumerate(DROP_ORDER)}
    return sorted(rows, key=lambda r: (order.get(r["category"], len(order)), r["category"]))


def _named_sources(run: RunDir, frame: pl.DataFrame) -> pl.DataFrame:
    """``source``: each file's source by its location-independent name (from the manifest), so
    a published card names no folder of the machine that ran it."""
    names = run.source_names()
    fallback = pl.col("source_uri").str.replace(r"^.*/", "")
    return frame.with_columns(
        pl.col("source_uri")
        .replace_strict(names, default=fallback, return_dtype=pl.String)
        .alias("source")
    )


def _mixture(run: RunDir, name: str | None) -> tuple[str | None, dict[str, Any] | None]:
    names = mixture_names(run)
    if name is None:
        name = "default" if "default" in names else (names[0] if names else None)
    if name is None or name not in names:
        if name is not None:
            log.warning("mixture %s has no manifest: the card describes no mixture", name)
        return name, None
    return name, read_manifest(run, name)


def _languages(frame: pl.DataFrame, mixture: dict[str, Any] | None) -> list[dict[str, Any]]:
    agg = frame.group_by("language").agg(
        pl.len().alias("files"),
        pl.col("size_bytes").sum().alias("bytes"),
        pl.col("_keep").sum().alias("kept_files"),
        pl.col("size_bytes").filter(pl.col("_keep")).sum().alias("kept_bytes"),
    )
    rows = {r["language"]: r for r in agg.iter_rows(named=True)}
    per_lang = (mixture or {}).get("per_language", {})
    shares = (mixture or {}).get("shares", {})
    for lang in set(per_lang) | set(shares):
        rows.setdefault(
            lang, {"language": lang, "files": 0, "bytes": 0, "kept_files": 0, "kept_bytes": 0}
        )
    total = sum(v.get("tokens", 0) for v in per_lang.values()) or 0
    for lang, r in rows.items():
        m = per_lang.get(lang, {})
        r["mixture_rows"] = m.get("rows", 0)
        r["tokens"] = m.get("tokens", 0)
        r["share"] = (m.get("tokens", 0) / total) if total else None
        r["requested_share"] = shares.get(lang, {}).get("requested_share")
    return sorted(rows.values(), key=lambda r: (-(r["tokens"] or 0), -r["bytes"], r["language"]))


def _breakdown(frame: pl.DataFrame, column: str) -> list[dict[str, Any]]:
    agg = (
        frame.with_columns(pl.col(column).cast(pl.String).fill_null(UNKNOWN))
        .group_by(column)
        .agg(
            pl.len().alias("files"),
            pl.col("size_bytes").sum().alias("bytes"),
            pl.col("_keep").sum().alias("kept_files"),
            pl.col("size_bytes").filter(pl.col("_keep")).sum().alias("kept_bytes"),
        )
    )
    return _rows(agg.sort(["kept_bytes", "bytes", column], descending=[True, True, False]))


def numeric_values(run: RunDir, column: str, policy: str, limit: int = 200_000) -> pl.DataFrame:
    """``value`` and ``kept`` of one numeric attribute column (for histograms)."""
    return numeric_values_by_column(run, [column], policy, limit)[column]


def numeric_values_by_column(
    run: RunDir, columns: list[str], policy: str, limit: int = 200_000
) -> dict[str, pl.DataFrame]:
    """``doc_uid``, ``value`` and ``kept`` of each numeric attribute column (for histograms):
    one read of each attribute folder and of the decisions for all the columns, at most
    ``limit`` non-null values each."""
    attributes = run.attribute_columns()
    folders = run.attribute_folders()
    by_folder: dict[str, list[str]] = {}
    for column in columns:
        by_folder.setdefault(attributes[column][0], []).append(column)
    dec = _scan(run.decisions(policy))
    kept = (
        dec.select("doc_uid", pl.col("keep").alias("kept")).collect() if dec is not None else None
    )
    out: dict[str, pl.DataFrame] = {}
    for key, cols in by_folder.items():
        vals = pl.scan_parquet(str(folders[key] / "*.parquet")).select("doc_uid", *cols)
        if kept is not None:
            vals = vals.join(kept.lazy(), on="doc_uid", how="left")
        else:
            vals = vals.with_columns(pl.lit(True).alias("kept"))
        frame = vals.collect()
        for column in cols:
            out[column] = (
                frame.select("doc_uid", pl.col(column).alias("value"), "kept")
                .drop_nulls("value")
                .head(limit)
            )
    return out
