"""The values ingest hands to the rest of the pipeline: sources, decoded files and skips."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

SOURCE_KINDS = ("directory", "tar", "zip", "git", "git_bundle", "jsonl", "parquet")


SKIP_REASONS: dict[str, str] = {
    # file level
    "binary": "NUL byte in the first bytes, a known binary signature, or flagged binary by an export",
    "too_large": "larger than max_file_bytes (not read)",
    "undecodable": "neither UTF-8/UTF-16/UTF-32 with BOM nor any encoding charset-normalizer trusts",
    "symlink": "symbolic link (never followed)",
    "hardlink": "tar hard-link member (its content is another member)",
    "special_file": "device, fifo, socket or other non-regular file",
    "path_traversal": "archive member with an absolute path, a drive letter or a '..' component",
    "vendored": "inside a vendored/third-party directory (one row per directory, detail has counts)",
    "lock_file": "dependency lock file",
    "vcs_metadata": "a .git/.hg/.svn/.bzr directory or gitfile (one row per directory)",
    "submodule": "git submodule entry (a commit id, no content in this repository)",
    "encrypted": "encrypted zip member",
    "unreadable": "I/O or permission error while listing or reading",
    "corrupt_archive": "archive or member could not be read or was truncated (path null: source level)",
    "git_error": "the git CLI failed on this repository or object",
    "missing_column": "export row (or whole export) without the mapped content/path column",
    "malformed_record": "export line that is not a JSON object, or a mapped column of the wrong type",
    "blob_missing": "index row whose blob id has no object in the blob store",
    "blob_fetch_failed": "blob store read failed after the retries, or the object is corrupt",
    # source level (discovery)
    "unsupported_source": "input file whose type is not a known source kind",
    "empty_source": "input folder, archive or export holding no files or rows (files=0)",
}
"""The stable skip vocabulary: every `SkipRecord.reason` ingest emits is a key here."""


@dataclass(frozen=True)
class SourceSpec:
    """One unit of input. `part` selects a sub-range of a big export: row groups [a, b) of a
    Parquet file, or the lines starting in bytes [a, b) of an uncompressed JSONL file."""

    uri: str
    kind: str
    size_bytes: int
    repo: str | None = None
    part: tuple[int, int] | None = None
    name: str = ""
    """Location-independent name: the path below the common parent of the run's inputs
    (``curate.ingest.identity``); doc_uids and shard ids hash it, never ``uri``."""
    expected_bytes: int = field(default=0, compare=False)
    """Expected uncompressed bytes, the measure of its work that orders shard units
    (``curate.ingest.expected``; 0: not estimated, ``size_bytes`` stands in). A scheduling
    hint only: shard ids and the plan use ``size_bytes``."""

    @property
    def work_bytes(self) -> int:
        return self.expected_bytes or self.size_bytes


@dataclass(frozen=True)
class RawFile:
    repo: str
    ref: str | None
    path: str
    utf8: bytes
    """The decoded text as UTF-8 (the documents' ``content``; ``curate.ingest.decode``)."""
    encoding: str
    size_bytes: int
    content_sha: str
    source_uri: str
    extra: Mapping[str, Any] = field(default_factory=dict)  # shared per source: read only

    @property
    def text(self) -> str:
        return self.utf8.decode("utf-8")


@dataclass(frozen=True)
class SkipRecord:
    """An input file (or a pruned directory, or a whole source) that produced no document.

    `files` is how many input files the row stands for: 1 for a file, N for a pruned
    directory (`vcs_metadata`, `vendored`), 0 when unknown (a truncated archive's tail)."""

    source_uri: str
    repo: str | None
    path: str | None
    reason: str
    detail: str | None
    size_bytes: int | None
    files: int = 1
