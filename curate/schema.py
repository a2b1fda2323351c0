"""Versioned Arrow schemas for the tables of a run directory.

Column names listed in shared/DESIGN.md section 4b are a public contract: add columns freely,
never rename these.
"""

from __future__ import annotations

import pyarrow as pa

SCHEMA_VERSION = 1

DOCUMENTS = pa.schema(
    [
        pa.field("doc_uid", pa.string(), nullable=False),
        pa.field("content_sha", pa.string(), nullable=False),
        pa.field("repo", pa.string(), nullable=False),
        pa.field("ref", pa.string()),
        pa.field("path", pa.string(), nullable=False),
        pa.field("language", pa.string()),
        pa.field("content", pa.large_string(), nullable=False),
        pa.field("size_bytes", pa.int64(), nullable=False),
        pa.field("encoding", pa.string(), nullable=False),
        pa.field("source_uri", pa.string(), nullable=False),
        pa.field("shard_id", pa.string(), nullable=False),
        # export metadata (curate.ingest.metadata), null for other sources
        pa.field("source_licenses", pa.list_(pa.string())),
        pa.field("repo_stars", pa.int64()),
    ],
    metadata={"curate.schema": "documents", "curate.schema_version": str(SCHEMA_VERSION)},
)

# One row per skipped input file, or per pruned directory (`files` = how many input files the
# row stands for: N for a vendored or .git folder, 0 for a row about a whole failed source).
SKIPPED = pa.schema(
    [
        pa.field("source_uri", pa.string(), nullable=False),
        pa.field("repo", pa.string()),
        pa.field("path", pa.string()),
        pa.field("reason", pa.string(), nullable=False),
        pa.field("detail", pa.string()),
        pa.field("size_bytes", pa.int64()),
        pa.field("files", pa.int64(), nullable=False),
        pa.field("shard_id", pa.string(), nullable=False),
    ],
    metadata={"curate.schema": "skipped", "curate.schema_version": str(SCHEMA_VERSION)},
)

MANIFEST = pa.schema(
    [
        pa.field("shard_id", pa.string(), nullable=False),
        pa.field("source_uris", pa.list_(pa.string()), nullable=False),
        pa.field("source_kinds", pa.list_(pa.string()), nullable=False),
        pa.field("input_bytes", pa.int64(), nullable=False),
        pa.field("source_names", pa.list_(pa.string())),
        # location-independent names (curate.ingest.identity): what cards and stats show
    ],
    metadata={"curate.schema": "manifest", "curate.schema_version": str(SCHEMA_VERSION)},
)

SPAN = pa.struct(
    [
        pa.field("start", pa.int64(), nullable=False),
        pa.field("end", pa.int64(), nullable=False),
        pa.field("kind", pa.string(), nullable=False),
        pa.field("detector", pa.string(), nullable=False),
        pa.field("value_hash", pa.string()),
    ]
)
"""One finding inside `content`: 0-based code-point offsets, half-open [start, end)."""

SPANS = pa.list_(SPAN)

DECISION_FIXED = [
    pa.field("doc_uid", pa.string(), nullable=False),
    pa.field("keep", pa.bool_(), nullable=False),
    pa.field("drop_reason", pa.string()),
]
"""Decision tables also carry one boolean column `rule_<name>` per rule (True = passed)."""
