"""Notebook access to a run directory: every table as a polars LazyFrame.

>>> import curate
>>> run = curate.open_run("runs/demo")              # doctest: +SKIP
>>> run.documents.group_by("language").len().collect()   # doctest: +SKIP
>>> run.annotated().filter(pl.col("max_line_length") > 1000).collect()  # doctest: +SKIP

Frames are lazy: nothing is read until ``collect()``; ``content`` is only read when selected.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl

from curate.errors import UserError
from curate.rundir import RunDir
from curate.schema import DOCUMENTS, SKIPPED


def _scan(folder: Path, empty_schema: pl.Schema | None = None) -> pl.LazyFrame:
    files = sorted(str(p) for p in folder.glob("*.parquet")) if folder.is_dir() else []
    if not files:
        if empty_schema is None:
            raise UserError(f"{folder}: no Parquet files (has this step run?)")
        return pl.LazyFrame(schema=empty_schema)
    return pl.scan_parquet(files)


def _polars_schema(arrow_schema) -> pl.Schema:  # type: ignore[no-untyped-def]
    return pl.DataFrame(arrow_schema.empty_table()).schema


@dataclass(frozen=True)
class Run:
    """A run directory opened for inspection."""

    dir: RunDir

    @property
    def root(self) -> Path:
        return self.dir.root

    @property
    def documents(self) -> pl.LazyFrame:
        """One row per ingested file (`doc_uid`, `repo`, `path`, `language`, `content`, ...)."""
        return _scan(self.dir.documents, _polars_schema(DOCUMENTS))

    @property
    def skipped(self) -> pl.LazyFrame:
        """Every input file that was not ingested, with `reason` and `detail`."""
        return _scan(self.dir.skipped, _polars_schema(SKIPPED))

    @property
    def manifest(self) -> pl.LazyFrame:
        if not self.dir.manifest.is_file():
            raise UserError(f"{self.root}: not a run directory (no manifest.parquet)")
        return pl.scan_parquet(self.dir.manifest)

    def attribute_keys(self) -> list[str]:
        """Attribute folders in use, as ``name@version`` (the highest version of each name
        that wrote output: the one rule of ``curate.rundir``)."""
        return list(self.dir.attribute_folders())

    def attributes(self, key: str) -> pl.LazyFrame:
        """One annotator's columns (plus `doc_uid`). ``key`` may omit the version."""
        if "@" not in key:
            matches = [k for k in self.attribute_keys() if k.split("@")[0] == key]
            if not matches:
                raise UserError(f"no attributes named {key!r} (have: {self.attribute_keys()})")
            key = matches[0]
        return _scan(self.dir.attributes(key))

    def annotated(self, *, with_content: bool = False) -> pl.LazyFrame:
        """Document metadata joined with every attribute table on `doc_uid` (a column that two
        tables provide is an error, see ``curate.rundir``)."""
        frame = self.documents
        if not with_content:
            frame = frame.drop("content")
        columns = self.dir.attribute_columns()
        for key in self.attribute_keys():
            cols = [c for c, (owner, _) in columns.items() if owner == key]
            frame = frame.join(
                self.attributes(key).select("doc_uid", *cols), on="doc_uid", how="left"
            )
        return frame

    def policies(self) -> list[str]:
        root = self.root / "decisions"
        return sorted(p.name for p in root.iterdir() if p.is_dir()) if root.is_dir() else []

    def decisions(self, policy: str = "default") -> pl.LazyFrame:
        """`doc_uid`, `keep`, `drop_reason` and one `rule_<name>` boolean per rule."""
        return _scan(self.dir.decisions(policy))

    def mixtures(self) -> list[str]:
        root = self.root / "mixtures"
        return sorted(p.name for p in root.iterdir() if p.is_dir()) if root.is_dir() else []

    def mixture(self, name: str | None = None) -> pl.LazyFrame:
        """The training mixture's rows (`mixtures/<name>/part-*.parquet`)."""
        names = self.mixtures()
        if name is None:
            if not names:
                raise UserError(f"{self.root}: no mixture written yet")
            name = names[0]
        return _scan(self.dir.mixture(name))

    def clusters(self) -> pl.LazyFrame:
        """Near-duplicate clusters: one row per document in a cluster of size > 1."""
        near = self.attributes("near_dedup")
        return (
            near.filter(pl.col("dup_cluster_size") > 1)
            .join(
                self.documents.select("doc_uid", "repo", "path", "language", "size_bytes"),
                on="doc_uid",
                how="left",
            )
            .sort("dup_cluster_size", "dup_cluster_id", "doc_uid", descending=[True, False, False])
        )


def open_run(path: str | os.PathLike[str], *, storage_options: dict[str, Any] | None = None) -> Run:
    """Open a run directory written by ``curate run`` / ``curate ingest``. A URL
    (``s3://bucket/run``, gs://, ...) is read through fsspec (``storage_options``, else the
    environment's credentials) into a local read-only snapshot (``curate.objstore.local_copy``)."""
    from curate import objstore

    if objstore.is_remote(str(path)):
        url = str(path)
        local = Path(objstore.local_copy(url, storage_options))
        if not (local / "manifest.parquet").is_file():
            raise UserError(f"{url}: not a run directory (no manifest.parquet)")
        return Run(RunDir(local))
    root = Path(path)
    if not (root / "manifest.parquet").is_file():
        raise UserError(f"{root}: not a run directory (no manifest.parquet)")
    return Run(RunDir(root))
