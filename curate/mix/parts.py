"""Rolling Parquet writer for mixture parts: zstd, row groups by content bytes, a new file once
the current one reaches the target size. Files are written under a temporary name and renamed
(the same atomic pattern as ``curate.rundir``; this writer adds size-based rolling and turns off
dictionary encoding and statistics for ``content``, which never pay for themselves there)."""

from __future__ import annotations

import os
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from curate.rundir import place, remove


@dataclass
class PartInfo:
    path: str
    rows: int = 0
    content_bytes: int = 0
    tokens: int = 0
    file_bytes: int = 0


@dataclass
class PartWriter:
    folder: Path
    prefix: str
    schema: pa.Schema
    target_file_bytes: int
    row_group_bytes: int
    compression_level: int = 3
    parts: list[PartInfo] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        self._writer: pq.ParquetWriter | None = None
        self._tmp: Path | None = None
        self._buffer: list[pa.Table] = []
        self._buffer_bytes = 0

    def write(self, table: pa.Table) -> None:
        """Buffer ``table``; row groups are cut at ``row_group_bytes`` of content."""
        if table.num_rows == 0:
            return
        table = table.cast(self.schema)
        sizes = pc.fill_null(pc.binary_length(table.column("content")), 0).to_numpy()
        start = 0
        while start < table.num_rows:
            room = self.row_group_bytes - self._buffer_bytes
            cum = np.cumsum(sizes[start:])
            # rows up to and including the first that fills the group (at least one row)
            n = int(np.searchsorted(cum, room, side="left")) + 1
            n = min(max(n, 1), table.num_rows - start)
            self._buffer.append(table.slice(start, n))
            self._buffer_bytes += int(cum[n - 1])
            start += n
            if self._buffer_bytes >= self.row_group_bytes:
                self._flush()

    def _open(self) -> None:
        final = self.folder / f"{self.prefix}-{len(self.parts):05d}.parquet"
        self._tmp = final.with_name(f".{final.name}.{uuid.uuid4().hex}.tmp")
        small = [f.name for f in self.schema if f.name != "content"]
        self._writer = pq.ParquetWriter(
            self._tmp,
            self.schema,
            compression="zstd",
            compression_level=self.compression_level,
            use_dictionary=small,
            write_statistics=small,  # min/max of file contents help no reader and cost ~15%
            data_page_size=1 << 20,
        )
        self.parts.append(PartInfo(path=str(final)))

    def _flush(self) -> None:
        if not self._buffer:
            return
        table = pa.concat_tables(self._buffer)
        if self._writer is None:
            self._open()
        assert self._writer is not None and self._tmp is not None
        self._writer.write_table(table, row_group_size=max(table.num_rows, 1))
        info = self.parts[-1]
        info.rows += table.num_rows
        info.content_bytes += self._buffer_bytes
        info.tokens += int(pa.compute.sum(table.column("tokens")).as_py() or 0)
        self._buffer, self._buffer_bytes = [], 0
        if os.path.getsize(self._tmp) >= self.target_file_bytes:
            self._close_current()

    def _close_current(self) -> None:
        if self._writer is None or self._tmp is None:
            return
        self._writer.close()
        info = self.parts[-1]
        place(self._tmp, info.path)
        info.file_bytes = os.path.getsize(info.path)
        self._writer, self._tmp = None, None

    def close(self) -> list[PartInfo]:
        self._flush()
        self._close_current()
        return self.parts

    def abort(self) -> None:
        if self._writer is not None:
            self._writer.close()
        if self._tmp is not None:
            self._tmp.unlink(missing_ok=True)
        for info in self.parts:  # closed parts are committed (on a store too): remove them
            remove(info.path)
