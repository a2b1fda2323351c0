"""The ingest step of a shard: read its sources, detect languages, assign ids, write Parquet.

Rows are buffered into Arrow batches capped in rows *and* content bytes, and each batch is one
Parquet row group, so memory per worker stays bounded whatever the input size and later steps
can stream the file row group by row group.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pyarrow as pa

from curate.engine.shards import ShardSpec
from curate.errors import UserError
from curate.rundir import AtomicParquetWriter, RunDir
from curate.schema import DOCUMENTS, DOCUMENTS_PLAIN, SKIPPED, dictionary_columns

log = logging.getLogger(__name__)

LANGUAGE_HEAD_CHARS = 4096
DOCUMENTS_DICTIONARY = dictionary_columns(DOCUMENTS, DOCUMENTS_PLAIN)


def make_doc_uid(source: str, repo: str, ref: str | None, path: str, content_sha: str) -> str:
    """Stable id of one file instance: same source, repo, ref, path and content → same id.
    ``source`` is the source's location-independent name (``SourceSpec.name``), so the same
    inputs kept in another folder or on another machine get the same ids."""
    key = "\x00".join((source, repo, ref or "", path, content_sha))
    return hashlib.blake2b(key.encode("utf-8", "surrogatepass"), digest_size=12).hexdigest()


@dataclass
class IngestStats:
    documents: int = 0
    document_bytes: int = 0
    skipped: int = 0
    skipped_bytes: int = 0
    by_language: Counter[str] = field(default_factory=Counter)
    bytes_by_language: Counter[str] = field(default_factory=Counter)
    skips_by_reason: Counter[str] = field(default_factory=Counter)
    seconds: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "documents": self.documents,
            "document_bytes": self.document_bytes,
            "skipped": self.skipped,
            "skipped_bytes": self.skipped_bytes,
            "by_language": dict(self.by_language),
            "bytes_by_language": dict(self.bytes_by_language),
            "skips_by_reason": dict(self.skips_by_reason),
            "seconds": round(self.seconds, 3),
        }


class _BatchBuffer:
    """Column lists flushed to a writer as one row group when a row or byte cap is reached.

    The ``utf8`` columns hold valid UTF-8 ``bytes`` for string fields: Arrow copies them
    into a binary array viewed as strings, with no ``str`` objects and no re-validation."""

    def __init__(
        self,
        writer: AtomicParquetWriter,
        max_rows: int,
        max_bytes: int,
        utf8: tuple[str, ...] = (),
    ):
        self.writer = writer
        self.max_rows = max_rows
        self.max_bytes = max_bytes
        self.utf8 = frozenset(utf8)
        self.columns: dict[str, list[Any]] = {f.name: [] for f in writer.schema}
        self.bytes = 0

    def add(self, row: dict[str, Any], nbytes: int) -> None:
        for name, values in self.columns.items():
            values.append(row.get(name))
        self.bytes += nbytes
        if len(self.columns["shard_id"]) >= self.max_rows or self.bytes >= self.max_bytes:
            self.flush()

    def flush(self) -> None:
        if not self.columns["shard_id"]:
            return
        schema = self.writer.schema
        arrays = [
            _utf8_array(self.columns[f.name], f.type)
            if f.name in self.utf8
            else pa.array(self.columns[f.name], f.type)
            for f in schema
        ]
        self.writer.write(pa.RecordBatch.from_arrays(arrays, schema=schema))
        self.columns = {name: [] for name in self.columns}
        self.bytes = 0


def _utf8_array(values: list[bytes], string_type: pa.DataType) -> pa.Array:
    """A string array of ``values``, UTF-8 bytes already validated (``Decoded.utf8``): one
    ``bytes.join`` for the data and a cumulative sum for the offsets, both wrapped without a
    copy. (``pa.array`` of the bytes copies them into Arrow's pool instead; on the e2e shards
    that measured slower, its fresh pages faulted in for every batch.)"""
    large = pa.types.is_large_string(string_type)
    offsets = np.zeros(len(values) + 1, np.int64 if large else np.int32)
    np.cumsum([len(v) for v in values], out=offsets[1:])
    data = pa.py_buffer(b"".join(values))
    return pa.Array.from_buffers(string_type, len(values), [None, pa.py_buffer(offsets), data])


def ingest_shard(
    run: RunDir, shard: ShardSpec, ingest_cfg: Any, *, batch_rows: int, batch_bytes: int
) -> IngestStats:
    from curate.ingest import RawFile, SkipRecord, read_source
    from curate.ingest.decode import utf8_head
    from curate.languages import detect_language

    stats = IngestStats()
    started = time.perf_counter()
    seen: set[str] = set()
    sid = shard.shard_id
    with (
        AtomicParquetWriter(
            RunDir.shard_file(run.documents, sid), DOCUMENTS, use_dictionary=DOCUMENTS_DICTIONARY
        ) as doc_writer,
        AtomicParquetWriter(RunDir.shard_file(run.skipped, sid), SKIPPED) as skip_writer,
    ):
        docs = _BatchBuffer(doc_writer, batch_rows, batch_bytes, utf8=("content",))
        skips = _BatchBuffer(skip_writer, batch_rows, batch_bytes)

        def skip(record: SkipRecord) -> None:
            skips.add({**record.__dict__, "shard_id": sid}, 64)
            stats.skipped += record.files
            stats.skipped_bytes += record.size_bytes or 0
            stats.skips_by_reason[record.reason] += record.files

        for source in shard.sources:
            try:
                for item in read_source(source, ingest_cfg):
                    if isinstance(item, SkipRecord):
                        skip(item)
                        continue
                    assert isinstance(item, RawFile)
                    uid = make_doc_uid(
                        source.name or item.source_uri,
                        item.repo,
                        item.ref,
                        item.path,
                        item.content_sha,
                    )
                    if uid in seen:
                        skip(
                            SkipRecord(
                                item.source_uri,
                                item.repo,
                                item.path,
                                "duplicate_entry",
                                "same path and content listed twice in one source",
                                item.size_bytes,
                            )
                        )
                        continue
                    seen.add(uid)
                    head = utf8_head(item.utf8, LANGUAGE_HEAD_CHARS)
                    language = detect_language(item.path, head)
                    row = {
                        **item.extra,  # export metadata that names documents columns
                        "doc_uid": uid,
                        "content_sha": item.content_sha,
                        "repo": item.repo,
                        "ref": item.ref,
                        "path": item.path,
                        "language": language,
                        "content": item.utf8,
                        "size_bytes": item.size_bytes,
                        "encoding": item.encoding,
                        "source_uri": item.source_uri,
                        "shard_id": sid,
                    }
                    docs.add(row, item.size_bytes)
                    stats.documents += 1
                    stats.document_bytes += item.size_bytes
                    lang_key = language or "unknown"
                    stats.by_language[lang_key] += 1
                    stats.bytes_by_language[lang_key] += item.size_bytes
            except UserError:  # a setting the source needs is missing: stop the run, say why
                raise
            except Exception as err:  # a reader bug must not lose the rest of the shard
                log.exception("reading %s failed", source.uri)
                skip(
                    SkipRecord(
                        source.uri,
                        source.repo,
                        None,
                        "source_error",
                        f"{type(err).__name__}: {err}",
                        source.size_bytes,
                    )
                )
        docs.flush()
        skips.flush()
    stats.seconds = time.perf_counter() - started
    return stats
