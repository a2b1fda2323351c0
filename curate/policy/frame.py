"""Read a run's documents metadata joined with its attribute folders (the policy's input)."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from curate.errors import ConfigError, UserError
from curate.rundir import RunDir

META_COLUMNS = (
    "doc_uid",
    "repo",
    "ref",
    "path",
    "language",
    "size_bytes",
    "encoding",
    "source_uri",
    "shard_id",
)


def shard_ids(run: RunDir) -> list[str]:
    if not run.documents.is_dir():
        raise UserError(f"{run.root}: not a run directory (no documents/ folder)")
    return sorted(p.stem for p in run.documents.glob("*.parquet"))


def attribute_keys(run: RunDir, wanted: list[str] | None = None) -> list[str]:
    root = run.attributes_root
    present = sorted(p.name for p in root.iterdir() if p.is_dir()) if root.is_dir() else []
    if wanted is None:
        return present
    missing = [k for k in wanted if k not in present]
    if missing:
        raise ConfigError(f"policy.attributes: {', '.join(missing)} not found under {root}")
    return list(wanted)


def _attribute_files(run: RunDir, keys: list[str], shard: str | None) -> dict[str, list[Path]]:
    out: dict[str, list[Path]] = {}
    for key in keys:
        folder = run.attributes(key)
        if shard is None:
            files = sorted(folder.glob("*.parquet"))
        else:
            file = run.shard_file(folder, shard)
            if not file.exists():
                raise UserError(
                    f"{folder} has no file for shard {shard}: rerun the annotators (resume redoes it)"
                )
            files = [file]
        if files:
            out[key] = files
    return out


def annotated(
    run: RunDir,
    *,
    shard: str | None = None,
    attributes: list[str] | None = None,
    with_content: bool = False,
) -> pl.LazyFrame:
    """Documents metadata (+ content if asked) left-joined with every attribute folder on
    ``doc_uid``. A column name that two attribute folders both provide is an error."""
    shard_ids(run)  # raises a UserError when ``run`` is not a run directory
    docs_files = (
        [run.shard_file(run.documents, shard)] if shard else sorted(run.documents.glob("*.parquet"))
    )
    if not docs_files or not all(f.exists() for f in docs_files):
        raise UserError(f"{run.root}: no documents{' for shard ' + shard if shard else ''}")
    docs = pl.scan_parquet(docs_files)
    names = docs.collect_schema().names()
    keep = [c for c in names if c != "content" or with_content]
    frame = docs.select(keep)
    owner: dict[str, str] = {c: "documents" for c in keep}
    for key, files in _attribute_files(run, attribute_keys(run, attributes), shard).items():
        attrs = pl.scan_parquet(files)
        cols = [c for c in attrs.collect_schema().names() if c != "doc_uid"]
        for c in cols:
            if c in owner:
                raise ConfigError(
                    f"column {c!r} is provided by both {owner[c]} and attributes/{key}; "
                    "pick one with policy.attributes"
                )
            owner[c] = f"attributes/{key}"
        frame = frame.join(attrs, on="doc_uid", how="left")
    return frame


def find_shard(run: RunDir, doc_uid: str) -> str:
    if not shard_ids(run):
        raise UserError(f"{run.root}: the run has no documents")
    hit = (
        pl.scan_parquet(sorted(run.documents.glob("*.parquet")))
        .filter(pl.col("doc_uid") == doc_uid)
        .select("shard_id")
        .collect()
    )
    if hit.height == 0:
        raise UserError(f"{run.root}: no document with doc_uid {doc_uid!r}")
    return hit["shard_id"][0]
