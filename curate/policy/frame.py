"""Read a run's documents metadata joined with its attribute folders (the policy's input)."""

from __future__ import annotations

import polars as pl

from curate.errors import UserError
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


def annotated(
    run: RunDir,
    *,
    shard: str | None = None,
    attributes: list[str] | None = None,
    with_content: bool = False,
) -> pl.LazyFrame:
    """Documents metadata (+ content if asked) left-joined on ``doc_uid`` with the attribute
    folders chosen by ``RunDir.attribute_folders`` (``attributes``: exactly those keys). A column
    that two tables provide is a ConfigError (``RunDir.attribute_columns``)."""
    shards = run.shard_ids()  # a UserError when ``run`` is not a run directory
    if shard is not None and shard not in shards:
        raise UserError(f"{run.root}: no documents for shard {shard}")
    docs_files = [run.shard_file(run.documents, s) for s in ([shard] if shard else shards)]
    if not docs_files:
        raise UserError(f"{run.root}: no documents")
    docs = pl.scan_parquet(docs_files)
    keep = [c for c in docs.collect_schema().names() if c != "content" or with_content]
    frame = docs.select(keep)
    columns = run.attribute_columns(attributes)
    for key, folder in run.attribute_folders(attributes).items():
        if shard is None:
            files = sorted(folder.glob("*.parquet"))
        else:
            file = run.shard_file(folder, shard)
            if not file.exists():
                raise UserError(
                    f"{folder} has no file for shard {shard}: rerun the annotators (resume redoes it)"
                )
            files = [file]
        cols = [c for c, (owner, _) in columns.items() if owner == key]
        frame = frame.join(
            pl.scan_parquet(files).select("doc_uid", *cols), on="doc_uid", how="left"
        )
    return frame


def find_shard(run: RunDir, doc_uid: str) -> str:
    if not run.shard_ids():
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


def resolve_document(run: RunDir, ref: str) -> str:
    """The doc_uid that ``ref`` names: a doc_uid, or ``repo:path`` (as `curate secrets` and
    `curate decontam` print files). A UserError when nothing, or more than one file, matches."""
    docs = pl.scan_parquet([run.shard_file(run.documents, s) for s in run.shard_ids()])
    if docs.filter(pl.col("doc_uid") == ref).select(pl.len()).collect().item():
        return ref
    splits = [i for i, ch in enumerate(ref) if ch == ":"]
    wanted = pl.lit(False)
    for i in splits:
        wanted = wanted | ((pl.col("repo") == ref[:i]) & (pl.col("path") == ref[i + 1 :]))
    hits = docs.filter(wanted).select("doc_uid", "ref").collect() if splits else None
    if hits is None or hits.height == 0:
        raise UserError(f"{run.root}: no document {ref!r} (give a doc_uid or repo:path)")
    if hits.height > 1:
        listed = ", ".join(f"{u} (ref {r})" for u, r in hits.iter_rows())
        raise UserError(f"{ref!r} names {hits.height} documents: {listed}; give the doc_uid")
    return hits["doc_uid"][0]
