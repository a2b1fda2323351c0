"""Read file-per-row exports (JSONL, optionally gzip/zstd/bz2/xz; Parquet) via a column mapping."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from curate.ingest.config import ColumnMapping, IngestConfig
from curate.ingest.emit import Emitter
from curate.ingest.fsio import STREAM_ERRORS, basename, display_uri, open_decompressed, url_to_fs
from curate.ingest.records import RawFile, SkipRecord

EXPORT_SUFFIXES = {
    ".jsonl": "jsonl", ".ndjson": "jsonl", ".json.gz": "jsonl", ".jsonl.gz": "jsonl",
    ".ndjson.gz": "jsonl", ".jsonl.zst": "jsonl", ".jsonl.zstd": "jsonl", ".ndjson.zst": "jsonl",
    ".jsonl.bz2": "jsonl", ".jsonl.xz": "jsonl", ".parquet": "parquet",
}  # fmt: skip
_MISSING = object()


def export_stem(path: str) -> str:
    name = basename(path)
    for suffix in sorted(EXPORT_SUFFIXES, key=len, reverse=True):
        if name.lower().endswith(suffix):
            return name[: -len(suffix)]
    return name


def lookup(row: Mapping[str, Any], dotted: str | None) -> Any:
    """`row[a][b]` for ``a.b``; a top-level key containing dots wins; _MISSING when absent."""
    if dotted is None:
        return _MISSING
    if dotted in row:
        return row[dotted]
    value: Any = row
    for key in dotted.split("."):
        if not isinstance(value, Mapping) or key not in value:
            return _MISSING
        value = value[key]
    return value


class RowReader:
    """Turns export rows into RawFile | SkipRecord with one mapping for the whole source."""

    def __init__(self, cfg: IngestConfig, uri: str, default_repo: str, mapping: ColumnMapping):
        self.mapping = mapping
        self.default_repo = default_repo
        self.out = Emitter(cfg, uri, default_repo)

    def _text(self, row: Mapping[str, Any], column: str | None) -> str | None:
        value = lookup(row, column)
        if value is _MISSING or value is None:
            return None
        return value if isinstance(value, str) else str(value)

    def row(self, row: Mapping[str, Any], index: int) -> Iterator[RawFile | SkipRecord]:
        m, out = self.mapping, self.out
        repo = self._text(row, m.repo) or self.default_repo
        name = self._text(row, m.path) or self._text(row, m.id)
        content = lookup(row, m.content)
        if name is None:
            yield out.skip(
                None, "missing_column", f"row {index}: no {m.path or m.id}", None, repo=repo
            )
            return
        if content is _MISSING or content is None:
            yield out.skip(name, "missing_column", f"row {index}: no {m.content}", None, repo=repo)
            return
        if isinstance(content, str):
            data = content.encode("utf-8", "surrogatepass")
        elif isinstance(content, bytes | bytearray | memoryview):
            data = bytes(content)
        else:
            yield out.skip(
                name,
                "malformed_record",
                f"row {index}: {m.content} is {type(content).__name__}",
                None,
                repo=repo,
            )
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
        yield out.file(path, data, repo=repo, ref=self._text(row, m.ref), extra=extra)


def _plain(value: Any) -> Any:
    return value.tolist() if hasattr(value, "tolist") else value


# -- JSONL --------------------------------------------------------------------------------------


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
        reader: RowReader | None = None
        index = 0
        line_cap = 6 * cfg.max_file_bytes + (64 << 10)  # JSON escapes at most 6 bytes per byte
        try:
            for index, line in _lines(raw, spec.part):
                if not line.strip():
                    continue
                if len(line) > line_cap:  # even fully escaped, its content is over the cap
                    yield SkipRecord(
                        uri,
                        stem,
                        None,
                        "too_large",
                        f"line {index}: {len(line)} bytes, not parsed",
                        len(line),
                    )
                    continue
                try:
                    row = json.loads(line)
                except ValueError as err:
                    yield SkipRecord(
                        uri, stem, None, "malformed_record", f"line {index}: {err}", len(line)
                    )
                    continue
                if not isinstance(row, dict):
                    yield SkipRecord(
                        uri,
                        stem,
                        None,
                        "malformed_record",
                        f"line {index}: not an object",
                        len(line),
                    )
                    continue
                if reader is None:
                    mapping = cfg.resolve_mapping(row.keys())
                    if mapping is None:
                        yield SkipRecord(
                            uri,
                            stem,
                            None,
                            "missing_column",
                            f"line {index}: no column mapping fits columns {sorted(row)[:12]}",
                            len(line),
                        )
                        continue
                    reader = RowReader(cfg, uri, stem, mapping)
                yield from reader.row(row, index)
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


def _lines(raw: Any, part: tuple[int, int] | None) -> Iterable[tuple[int, bytes]]:
    """(line number, line) pairs; with a part, the lines whose first byte is in [start, end)
    of an uncompressed file (line numbers are then relative to the part)."""
    if part is None:
        yield from enumerate(open_decompressed(raw), start=1)
        return
    start, end = part
    if start > 0:
        raw.seek(start - 1)
        raw.readline()  # finish the line that holds byte start-1: it belongs to the previous part
    pos = raw.tell()
    index = 0
    while pos < end:
        line = raw.readline()
        if not line:
            return
        index += 1
        yield index, line
        pos += len(line)


# -- Parquet ------------------------------------------------------------------------------------


def read_parquet(spec: Any, cfg: IngestConfig) -> Iterator[RawFile | SkipRecord]:
    import pyarrow.parquet as pq

    fs, path = url_to_fs(spec.uri)
    uri = display_uri(fs, path)
    stem = spec.repo or export_stem(path)
    try:
        raw = fs.open(path, "rb")
    except Exception as err:
        yield SkipRecord(uri, stem, None, "unreadable", str(err), spec.size_bytes, 0)
        return
    with raw:
        try:
            pf = pq.ParquetFile(raw)
        except Exception as err:
            yield SkipRecord(
                uri,
                stem,
                None,
                "corrupt_archive",
                f"{type(err).__name__}: {err}",
                spec.size_bytes,
                0,
            )
            return
        groups = list(range(*(spec.part or (0, pf.num_row_groups))))
        rows = sum(pf.metadata.row_group(g).num_rows for g in groups)
        names = pf.schema_arrow.names
        mapping = cfg.resolve_mapping(names)
        if mapping is None or mapping.content.split(".", 1)[0] not in names:
            yield SkipRecord(
                uri,
                stem,
                None,
                "missing_column",
                f"no column mapping fits columns {names[:12]}",
                spec.size_bytes,
                rows,
            )
            return
        reader = RowReader(cfg, uri, stem, mapping)
        columns = [n for n in names if n in mapping.top_level_columns()]
        index = 0
        try:
            for batch in pf.iter_batches(batch_size=256, row_groups=groups, columns=columns):
                for row in batch.to_pylist():
                    yield from reader.row(row, index)
                    index += 1
        except Exception as err:  # decoding errors of a damaged file: keep what was read
            yield SkipRecord(
                uri,
                stem,
                None,
                "corrupt_archive",
                f"after row {index}: {type(err).__name__}: {err}",
                None,
                max(rows - index, 0),
            )
        yield from reader.out.flush()
