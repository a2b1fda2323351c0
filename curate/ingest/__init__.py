"""Ingest: read repository dumps into decoded files (RawFile) or recorded skips (SkipRecord).

>>> from curate.ingest import IngestConfig, discover_sources, read_source
>>> specs, skips = discover_sources(["dump/"], IngestConfig())  # doctest: +SKIP
>>> for item in read_source(specs[0], IngestConfig()): ...      # doctest: +SKIP
"""

from curate.ingest.config import PRESETS, ColumnMapping, IngestConfig
from curate.ingest.decode import decode_bytes
from curate.ingest.discover import discover_sources
from curate.ingest.hashing import git_blob_sha
from curate.ingest.read import read_source
from curate.ingest.records import SKIP_REASONS, SOURCE_KINDS, RawFile, SkipRecord, SourceSpec

__all__ = [
    "PRESETS",
    "SKIP_REASONS",
    "SOURCE_KINDS",
    "ColumnMapping",
    "IngestConfig",
    "RawFile",
    "SkipRecord",
    "SourceSpec",
    "decode_bytes",
    "discover_sources",
    "git_blob_sha",
    "read_source",
]
