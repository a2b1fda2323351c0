"""Dispatch a SourceSpec to its reader."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from curate.ingest.config import IngestConfig
from curate.ingest.readers import nonempty
from curate.ingest.readers.archive import read_tar, read_zip
from curate.ingest.readers.directory import read_directory
from curate.ingest.readers.export import read_jsonl, read_parquet
from curate.ingest.readers.git import read_git, read_git_bundle
from curate.ingest.records import RawFile, SkipRecord, SourceSpec

READERS: dict[str, Callable[[Any, IngestConfig], Iterator[RawFile | SkipRecord]]] = {
    "directory": read_directory,
    "tar": read_tar,
    "zip": read_zip,
    "git": read_git,
    "git_bundle": read_git_bundle,
    "jsonl": read_jsonl,
    "parquet": read_parquet,
}


def read_source(spec: SourceSpec, cfg: IngestConfig) -> Iterator[RawFile | SkipRecord]:
    """Every file of the source once, as a decoded RawFile or a SkipRecord; a source that yields
    nothing at all (an empty folder, archive or export) yields one ``empty_source`` row. Bad
    data never raises; an unknown `spec.kind` is a programming error (ValueError)."""
    try:
        reader = READERS[spec.kind]
    except KeyError:
        raise ValueError(f"unknown source kind {spec.kind!r}") from None
    if spec.part is not None:  # one part of a split export may hold no record: not a finding
        return reader(spec, cfg)
    return nonempty(reader(spec, cfg), spec.uri, spec.repo, "no files")
