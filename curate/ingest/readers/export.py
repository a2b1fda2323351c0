"""Read file-per-row exports (JSONL, optionally gzip/zstd/bz2/xz; Parquet) via a column mapping."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from typing import Any

from curate.errors import ConfigError
from curate.ingest.config import PRESETS, ColumnMapping, IngestConfig
from curate.ingest.emit import Emitter
from curate.ingest.fsio import (
    STREAM_ERRORS,
    basename,
    bounded_lines,
    display_uri,
    open_decompressed,
    url_to_fs,
)
from curate.ingest.metadata import MISSING as _MISSING
from curate.ingest.metadata import lookup, metadata_columns, metadata_reader
from curate.ingest.readers import nonempty
from curate.ingest.readers.blobs import BlobFetcher, BlobResult
from curate.ingest.records import RawFile, SkipRecord

EXPORT_SUFFIXES = {
    ".jsonl": "jsonl", ".ndjson": "jsonl", ".json.gz": "jsonl", ".jsonl.gz": "jsonl",
    ".ndjson.gz": "jsonl", ".jsonl.zst": "jsonl", ".jsonl.zstd": "jsonl", ".ndjson.zst": "jsonl",
    ".jsonl.bz2": "jsonl", ".jsonl.xz": "jsonl", ".parquet": "parquet",
}  # fmt: skip


def export_stem(path: str) -> str:
    name = basename(path)
    for suffix in sorted(EXPORT_SUFFIXES, key=len, reverse=True):
        if name.lower().endswith(suffix):
            return name[: -len(suffix)]
    return name


def resolve_mapping(cfg: IngestConfig, columns: list[str]) -> tuple[ColumnMapping | None, bool]:
    """(mapping, blobs): an index without a content column but with the blob id column is
    read with the configured (or generic) mapping and its contents fetched from the blob
    store; without ``[ingest.export.blob] blob_url`` that is a ConfigError."""
    mapping = cfg.resolve_mapping(columns)
    if mapping is not None and mapping.content.split(".", 1)[0] in columns:
        return mapping, False
    if cfg.export.blob_id_column not in columns:
        return None, False
    if cfg.export.blob is None:
        raise ConfigError(
            f"export has a {cfg.export.blob_id_column!r} column but no content column: "
            'set ingest.export.blob.blob_url (e.g. "s3://bucket/content/{blob_id}")'
        )
    if not isinstance(cfg.column_mapping, ColumnMapping):
        mapping = PRESETS["generic"]
    return mapping, True


class BadField(Exception):
    """A mapped column holds a value of the wrong type (the row becomes `malformed_record`)."""


class RowReader:
    """Turns export rows into RawFile | SkipRecord with one mapping for the whole source."""

    def __init__(
        self,
        cfg: IngestConfig,
        uri: str,
        default_repo: str,
        mapping: ColumnMapping,
        blobs: bool = False,
    ):
        self.mapping = mapping
        self.default_repo = default_repo
        self.out = Emitter(cfg, uri, default_repo)
        self.metadata = metadata_reader(cfg.export.metadata)
        self.blob_column = cfg.export.blob_id_column
        self.fetcher = BlobFetcher(cfg.export.blob) if blobs and cfg.export.blob else None
        self.fetched: dict[str, BlobResult] = {}

    def prefetch(self, rows: list[Mapping[str, Any]]) -> None:
        """Fetch the blobs of a batch of rows at once (bounded concurrency, BlobFetcher)."""
        if self.fetcher is None:
            return
        ids = [v for r in rows if isinstance(v := lookup(r, self.blob_column), str | int)]
        self.fetched = self.fetcher.fetch(str(v) for v in ids)

    def _blob(self, blob_id: str) -> BlobResult:
        if blob_id not in self.fetched:  # not prefetched (JSONL): fetch this one
            self.fetched = self.fetcher.fetch([blob_id])  # type: ignore[union-attr]
        return self.fetched[blob_id]

    @staticmethod
    def _text(row: Mapping[str, Any], column: str | None) -> str | None:
        """The column as text: a string, or an integer (numeric ids); None when absent.
        Any other type raises BadField rather than turning into a repr path."""
        value = lookup(row, column)
        if value is _MISSING or value is None:
            return None
        if isinstance(value, str):
            return value
        if isinstance(value, int) and not isinstance(value, bool):
            return str(value)
        raise BadField(f"{column} is {type(value).__name__}")

    def row(
        self, row: Mapping[str, Any], index: int, unit: str = "row"
    ) -> Iterator[RawFile | SkipRecord]:
        m, out = self.mapping, self.out
        where = f"{unit} {index}"
        try:
            repo = self._text(row, m.repo) or self.default_repo
            name = self._text(row, m.path) or self._text(row, m.id)
            ref = self._text(row, m.ref)
        except BadField as err:
            yield out.skip(None, "malformed_record", f"{where}: {err}", None)
            return
        content = lookup(row, m.content)
        if name is None:
            yield out.skip(None, "missing_column", f"{where}: no {m.path or m.id}", None, repo=repo)
            return
        if self.fetcher is not None and (content is _MISSING or content is None):
            try:
                blob_id = self._text(row, self.blob_column)
            except BadField as err:
                yield out.skip(name, "malformed_record", f"{where}: {err}", None, repo=repo)
                return
            if blob_id is not None:
                got = self._blob(blob_id)
                if got.data is None:
                    yield out.skip(name, got.reason, f"{where}: {got.detail}", None, repo=repo)
                    return
                content = got.data
        if content is _MISSING or content is None:
            yield out.skip(name, "missing_column", f"{where}: no {m.content}", None, repo=repo)
            return
        if isinstance(content, str):
            data = content.encode("utf-8", "surrogatepass")
        elif isinstance(content, bytes | bytearray | memoryview):
            data = bytes(content)
        else:
            detail = f"{where}: {m.content} is {type(content).__name__}"
            yield out.skip(name, "malformed_record", detail, None, repo=repo)
            return
        path, records = out.admit(name, len(data), repo=repo)
        yield from records
        if path is None:
            return
        if m.binary and lookup(row, m.binary) is True:
            yield out.skip(path, "binary", f"{m.binary} column", len(data), repo=repo)
            return
        extra = {
            k: _plain(v) for k, col in m.extra.items() if (v := lookup(row, col)) is not _MISSING
        }
        extra.update(self.metadata(row))  # source_licenses / repo_stars (curate.ingest.metadata)
        yield out.file(path, data, repo=repo, ref=ref, extra=extra)


def _plain(value: Any) -> Any:
    return value.tolist() if hasattr(value, "tolist") else value


# -- JSONL --------------------------------------------------------------------------------------


def jsonl_line_cap(cfg: IngestConfig) -> int:
    """Longest JSONL line that may still hold a file under the cap: JSON escapes take at most
    6 bytes per content byte, plus room for the other columns."""
    return 6 * cfg.max_file_bytes + (64 << 10)


def read_jsonl(spec: Any, cfg: IngestConfig) -> Iterator[RawFile | SkipRecord]:
    fs, path = url_to_fs(spec.uri)
    uri = display_uri(fs, path)
    stem = spec.repo or export_stem(path)
    try:
        raw = fs.open(path, "rb")
    except Exception as err:
        yield SkipRecord(uri, stem, None, "unreadable", str(err), spec.size_bytes, 0)
        return
    with raw:
        items = _jsonl_items(raw, spec, cfg, uri, stem)
        whole = spec.part is None or spec.part[0] == 0
        yield from (nonempty(items, uri, stem, "no JSON lines") if whole else items)


def _jsonl_items(
    raw: Any, spec: Any, cfg: IngestConfig, uri: str, stem: str
) -> Iterator[RawFile | SkipRecord]:
    """One file, skip or nothing (blank line) per line; a bad line costs only itself."""
    reader: RowReader | None = None
    index = 0
    cap = jsonl_line_cap(cfg)

    def bad(reason: str, detail: str, size: int | None) -> SkipRecord:
        return SkipRecord(uri, stem, None, reason, f"line {index}: {detail}", size)

    try:
        for index, line, length in _lines(raw, spec.part, cap):
            if line is None:  # consumed without being held in memory
                yield bad("too_large", f"{length} bytes > line cap {cap}, not parsed", length)
                continue
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except RecursionError:
                yield bad("malformed_record", "nested too deeply to parse", length)
                continue
            except ValueError as err:  # JSONDecodeError and UnicodeDecodeError
                yield bad("malformed_record", f"{type(err).__name__}: {err}"[:300], length)
                continue
            if not isinstance(row, dict):
                yield bad("malformed_record", f"a JSON {type(row).__name__}, not an object", length)
                continue
            if reader is None:
                mapping, blobs = resolve_mapping(cfg, list(row))
                if mapping is None:
                    yield bad(
                        "missing_column",
                        f"no column mapping fits columns {sorted(row)[:12]}",
                        length,
                    )
                    continue
                reader = RowReader(cfg, uri, stem, mapping, blobs)
            yield from reader.row(row, index, "line")
    except STREAM_ERRORS as err:
        yield SkipRecord(
            uri,
            stem,
            None,
            "corrupt_archive",
            f"after line {index}: {type(err).__name__}: {err}",
            None,
            0,
        )
    if reader is not None:
        yield from reader.out.flush()


def _lines(
    raw: Any, part: tuple[int, int] | None, cap: int
) -> Iterator[tuple[int, bytes | None, int]]:
    """(line number, line or None when longer than `cap`, length); with a part, the lines whose
    first byte is in [start, end) of an uncompressed file (numbered relative to the part)."""
    if part is None:
        for index, (line, length) in enumerate(bounded_lines(open_decompressed(raw), cap), 1):
            yield index, line, length
        return
    start, end = part
    pos = 0
    if start > 0:
        raw.seek(start - 1)
        # finish the line that holds byte start-1: it belongs to the previous part
        _, skipped = next(bounded_lines(raw, 0), (None, 0))
        pos = start - 1 + skipped
    index = 0
    lines = bounded_lines(raw, cap)
    while pos < end:
        item = next(lines, None)
        if item is None:
            return
        index += 1
        yield index, *item
        pos += item[1]


# -- Parquet ------------------------------------------------------------------------------------


PARQUET_BATCH_BYTES = 32 << 20
"""Decoded bytes per Parquet batch (rows per batch follow from the row group's average)."""


def read_parquet(spec: Any, cfg: IngestConfig) -> Iterator[RawFile | SkipRecord]:
    fs, path = url_to_fs(spec.uri)
    uri = display_uri(fs, path)
    stem = spec.repo or export_stem(path)
    try:
        raw = fs.open(path, "rb")
    except Exception as err:
        yield SkipRecord(uri, stem, None, "unreadable", str(err), spec.size_bytes, 0)
        return
    with raw:
        items = _parquet_items(raw, spec, cfg, uri, stem)
        whole = spec.part is None or spec.part[0] == 0
        yield from (nonempty(items, uri, stem, "no rows") if whole else items)


def _parquet_items(
    raw: Any, spec: Any, cfg: IngestConfig, uri: str, stem: str
) -> Iterator[RawFile | SkipRecord]:
    import pyarrow.parquet as pq

    try:
        pf = pq.ParquetFile(raw)
        meta = pf.metadata
        groups = list(range(*(spec.part or (0, meta.num_row_groups))))
        names = pf.schema_arrow.names
    except Exception as err:
        detail = f"{type(err).__name__}: {err}"
        yield SkipRecord(uri, stem, None, "corrupt_archive", detail, spec.size_bytes, 0)
        return
    mapping, blobs = resolve_mapping(cfg, names)
    if mapping is None:
        rows = sum(meta.row_group(g).num_rows for g in groups)
        detail = f"no column mapping fits columns {names[:12]}"
        yield SkipRecord(uri, stem, None, "missing_column", detail, spec.size_bytes, rows)
        return
    reader = RowReader(cfg, uri, stem, mapping, blobs)
    wanted = mapping.top_level_columns() | metadata_columns(cfg.export.metadata)
    if blobs:
        wanted.add(cfg.export.blob_id_column)
    columns = [n for n in names if n in wanted]
    for g in groups:
        yield from _row_group(pf, g, columns, reader, uri, stem)
    yield from reader.out.flush()


def _row_group(
    pf: Any, g: int, columns: list[str], reader: RowReader, uri: str, stem: str
) -> Iterator[RawFile | SkipRecord]:
    """The rows of row group `g`; a damaged page costs only the rest of its row group (one
    `corrupt_archive` row with the group index and the number of rows lost)."""
    meta = pf.metadata.row_group(g)
    rows = meta.num_rows
    batch_rows = max(
        1, min(256, PARQUET_BATCH_BYTES * max(rows, 1) // max(meta.total_byte_size, 1))
    )
    done = 0
    try:
        for batch in pf.iter_batches(batch_size=batch_rows, row_groups=[g], columns=columns):
            rows = batch.to_pylist()
            reader.prefetch(rows)
            for row in rows:
                yield from reader.row(row, done, f"row group {g} row")
                done += 1
    except Exception as err:  # decoding errors of a damaged page
        detail = f"row group {g}, after row {done} of {rows}: {type(err).__name__}: {err}"
        yield SkipRecord(
            uri, stem, None, "corrupt_archive", detail[:500], None, max(rows - done, 0)
        )
