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

DOCUMENTS_PLAIN = ("doc_uid", "content_sha", "path", "content")
"""Documents columns written without dictionary encoding: nearly every value is distinct, so
Parquet's dictionary only costs a hash per value and, for ``content``, a dictionary page of the
first ~1 MiB of texts before it falls back to plain pages (session 9: ~0.2 CPU-s of ingest on
the e2e archives, the same bytes on disk)."""


def dictionary_columns(schema: pa.Schema, plain: tuple[str, ...]) -> list[str]:
    """The Parquet leaf paths (``use_dictionary=``) of ``schema``'s columns not in ``plain``."""

    def leaves(path: str, type_: pa.DataType) -> list[str]:
        if pa.types.is_list(type_) or pa.types.is_large_list(type_):
            return leaves(f"{path}.list.element", type_.value_type)
        if pa.types.is_struct(type_):
            return [leaf for f in type_ for leaf in leaves(f"{path}.{f.name}", f.type)]
        return [path]

    return [leaf for f in schema if f.name not in plain for leaf in leaves(f.name, f.type)]


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
