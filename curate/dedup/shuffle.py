"""The on-disk shuffle the dedup barrier steps are built from.

A *partitioned dataset* is a folder holding ONE file per writer (a shard, or a partition of the
previous step; one per range of partitions, below, when there are more than
``ROW_GROUPS_PER_FOOTER``): the writer's rows sorted by partition, each
non-empty partition in one or more row groups of its own, and an index (partition -> row-group
range) in the file's key-value metadata (``curate.shuffle``). The task for partition ``k`` opens
every writer's file once (its footer), and reads only partition ``k``'s row groups
(``ParquetFile.read_row_groups``). Writers x partitions would be the file count of a file per
(writer, partition): at The Stack v2 size billions of tiny objects, and object stores bill and
rate-limit per request (docs/scale.md). A file is written atomically, so a writer's rows are
all there or none.

Files live in range folders ``<dir>/r=<i>/<writer>.parquet``, range ``i`` holding partitions
``i * ROW_GROUPS_PER_FOOTER`` and up: below that many partitions one file per writer; above,
one per writer and range, so a footer fits the one read Arrow makes at a file's end and the
task for partition ``k`` lists only its range's folder.

Two-level shuffle (``combine``): readers still open a file per writer, so requests grow as
writers x partitions. ``combine`` merges a contiguous run of writer files into one group's
file(s); read with the same function, the same rows in the same order.

Nothing is held in Ray's object store and no process ever needs more than one partition in
memory. Every function here is deterministic: hashing is fixed (no per-process seeds), and
readers sort writer names, so 1, 2 or N workers produce the same bytes.
"""

from __future__ import annotations

import itertools
import json
import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
import xxhash

from curate.errors import UserError
from curate.rundir import AtomicParquetWriter, RunDir

log = logging.getLogger(__name__)

MASK63 = (1 << 63) - 1
INDEX_KEY = b"curate.shuffle"
"""Key-value metadata key of a writer file's index."""
ROW_GROUP_ROWS = 1 << 20
"""Most rows in one row group; a larger partition gets several."""
ROW_GROUPS_PER_FOOTER = 190
"""Partitions per file: a footer of that many row groups (about 334 B each with column
statistics, about 200 B without, as written; measured in docs/scale.md) fits the 64 KiB Arrow
reads from a file's end in one request."""


def id63(values: Sequence[str]) -> np.ndarray:
    """Stable non-negative int64 ids for strings (xxh3_64, top bit cleared)."""
    return np.fromiter(
        (xxhash.xxh3_64_intdigest(v.encode("utf-8", "surrogatepass")) & MASK63 for v in values),
        dtype=np.int64,
        count=len(values),
    )


def mix64(x: np.ndarray) -> np.ndarray:
    """splitmix64 finaliser of an int64/uint64 array, as uint64."""
    x = np.asarray(x).astype(np.uint64, copy=True)
    with np.errstate(over="ignore"):
        x ^= x >> np.uint64(30)
        x *= np.uint64(0xBF58476D1CE4E5B9)
        x ^= x >> np.uint64(27)
        x *= np.uint64(0x94D049BB133111EB)
        x ^= x >> np.uint64(31)
    return x


def partition_of(keys: np.ndarray, parts: int) -> np.ndarray:
    return (mix64(keys) % np.uint64(parts)).astype(np.int64)


def string_partition(values: Sequence[str], parts: int) -> np.ndarray:
    return partition_of(id63(values), parts)


def range_dir(out_dir: Path, k: int) -> Path:
    """Folder of the partition range holding partition ``k``."""
    return out_dir / f"r={k // ROW_GROUPS_PER_FOOTER}"


def write_partitioned(
    df: pl.DataFrame | pa.Table, parts: np.ndarray, n_parts: int, out_dir: Path, writer: str
) -> int:
    """Write the rows of ``df`` as ``out_dir/r=<i>/<writer>.parquet``, grouped by the
    ``parts`` array (stable: a partition's rows keep their order); nothing for an empty
    frame. Range ``i`` holds partitions ``i * ROW_GROUPS_PER_FOOTER`` and up: one file per
    writer below that many partitions, above it one per range, so a footer fits one tail
    read and a reader lists one range folder. Returns the files written. An Arrow table is
    reordered in Arrow (large binary columns, the shingle sets, are then copied once, not by
    polars and again into Arrow)."""
    if len(df) == 0:
        return 0
    order = _stable_order(parts, n_parts)
    sorted_parts = parts[order]
    bounds = np.flatnonzero(np.r_[True, sorted_parts[1:] != sorted_parts[:-1], True])
    table = df.take(order) if isinstance(df, pa.Table) else df[order].to_arrow()
    files: dict[int, list[tuple[int, int, int]]] = {}  # range -> (partition, first row, rows)
    for lo, hi in itertools.pairwise(bounds.tolist()):
        k = int(sorted_parts[lo])
        if not 0 <= k < n_parts:
            raise ValueError(f"partition {k} outside 0..{n_parts - 1}")
        files.setdefault(k // ROW_GROUPS_PER_FOOTER, []).append((k, lo, hi - lo))
    for r, slices in files.items():
        starts = [0]  # partition i of the index: row groups starts[i] .. starts[i + 1]
        for _, _, rows in slices:
            starts.append(starts[-1] + -(-rows // ROW_GROUP_ROWS))
        index = {"n_parts": n_parts, "parts": [s[0] for s in slices], "starts": starts}
        meta = {INDEX_KEY: json.dumps(index, separators=(",", ":"))}
        path = range_dir(out_dir, r * ROW_GROUPS_PER_FOOTER) / f"{writer}.parquet"
        with AtomicParquetWriter(
            path,
            table.schema.with_metadata(meta),
            row_group_size=ROW_GROUP_ROWS,
            write_statistics=False,  # read by the index, never by predicate: a smaller footer
            use_dictionary=_dictionary_columns(table.schema),
            uncompressed=_hash_set_columns(table.schema),
        ) as w:
            for _, lo, rows in slices:
                w.write(table.slice(lo, rows))
    return len(files)


def write_by_column(
    df: pl.DataFrame | pa.Table, column: str, n_parts: int, out_dir: Path, writer: str
) -> int:
    """``write_partitioned`` with each row's partition the hash (``partition_of``) of its
    ``column``: the shuffles that route rows by one of their own keys."""
    return write_partitioned(
        df, partition_of(df[column].to_numpy(), n_parts), n_parts, out_dir, writer
    )


def _stable_order(parts: np.ndarray, n_parts: int) -> np.ndarray:
    """``argsort(parts, kind="stable")``; as uint16 when every valid partition fits one (numpy
    radix-sorts 16-bit keys: ~3x faster on a shard's 10M band rows). Out-of-range values keep
    the wide sort, so ``write_partitioned`` still sees and refuses them."""
    if n_parts <= 1 << 16 and len(parts) and parts.min() >= 0 and parts.max() < n_parts:
        return np.argsort(parts.astype(np.uint16), kind="stable")
    return np.argsort(parts, kind="stable")


def _dictionary_columns(schema: pa.Schema) -> list[str]:
    """Every column but 64-bit integers: those are hashes and node ids, random values that a
    dictionary never shrinks (measured on band rows: 40% less write CPU, 17% less disk)."""
    return [f.name for f in schema if not (pa.types.is_integer(f.type) and f.type.bit_width == 64)]


def _hash_set_columns(schema: pa.Schema) -> list[str]:
    """The binary columns: in a dedup shuffle those are shingle sets (ascending uint32 hashes),
    which zstd shrinks by 8% for 9x the write CPU and 5x the read CPU (measured on the e2e
    corpus's 80 MB of sets), so they are stored uncompressed."""
    return [
        f.name for f in schema if pa.types.is_binary(f.type) or pa.types.is_large_binary(f.type)
    ]


def row_groups(metadata: pq.FileMetaData, k: int) -> list[int]:
    """The row groups of partition ``k`` in a writer file (by its index)."""
    raw = (metadata.metadata or {}).get(INDEX_KEY)
    if raw is None:
        raise ValueError("not a shuffle file (no curate.shuffle index)")
    index = json.loads(raw)
    parts = index["parts"]
    i = int(np.searchsorted(parts, k))
    if i == len(parts) or parts[i] != k:
        return []
    return list(range(index["starts"][i], index["starts"][i + 1]))


def _file_parts(pf: pq.ParquetFile) -> tuple[int, np.ndarray]:
    """``(n_parts, partition of every row)`` of a writer file, from its index."""
    raw = (pf.metadata.metadata or {}).get(INDEX_KEY)
    if raw is None:
        raise ValueError("not a shuffle file (no curate.shuffle index)")
    index = json.loads(raw)
    rows = [pf.metadata.row_group(g).num_rows for g in range(pf.metadata.num_row_groups)]
    per_part = [sum(rows[a:b]) for a, b in itertools.pairwise(index["starts"])]
    return int(index["n_parts"]), np.repeat(np.asarray(index["parts"], np.int64), per_part)


def combine(src: Path, files: Sequence[Path], dst: Path, group: str) -> int:
    """Merge ``files`` (a contiguous run of ``writer_files(src)``, in that order) into writer
    ``group``'s file(s) under ``dst``; returns the files written. Groups must be named so they
    sort in the order of their writers."""
    tables, parts, n_parts = [], [], 0
    for f in files:
        with pq.ParquetFile(f) as pf:
            n_parts, p = _file_parts(pf)
            tables.append(pf.read().replace_schema_metadata(None))
            parts.append(p)
    if not tables:
        return 0
    df = pl.from_arrow(pa.concat_tables(tables))
    assert isinstance(df, pl.DataFrame)
    return write_partitioned(df, np.concatenate(parts), n_parts, dst, group)


@dataclass(frozen=True)
class CombineTask:
    """One combine task of a two-level shuffle: ``files`` of ``src`` into ``dst``, all keys of
    ``run`` (``RunDir.key``), so a worker on another node resolves them in its own copy of the
    run (``RunDir.path``) and not at the driver's paths."""

    run: RunDir
    src: str
    dst: str
    files: tuple[str, ...]
    group: str


def combine_tasks(run: RunDir, src: Path, dst: Path, group: int | None = None) -> list[CombineTask]:
    """Tasks merging, in each range folder of ``src`` (a folder of ``run``), its writers' files
    ~sqrt(writers) (or ``group``) at a time, in writer order: a task reads one range of its
    group (bounded input), and a reader then opens one file per group."""
    writer_files(src)  # refuses an old layout
    tasks = []
    for folder in sorted(src.glob("r=*"), key=lambda d: int(d.name[2:])):
        files = sorted(folder.glob("*.parquet"))
        if not files:
            continue
        size = group or math.isqrt(len(files) - 1) + 1
        width = len(str(len(files)))
        tasks.extend(
            CombineTask(
                run,
                run.key(src),
                run.key(dst),
                tuple(run.key(f) for f in files[i : i + size]),
                f"g{i:0{width}d}",
            )
            for i in range(0, len(files), size)
        )
    return tasks


def run_combine(task: CombineTask) -> int:
    run = task.run
    return combine(
        run.path(task.src), [run.path(f) for f in task.files], run.path(task.dst), task.group
    )


def writer_files(out_dir: Path, k: int | None = None) -> list[Path]:
    """The files of a partitioned dataset in writer-name order (then range), or only those of
    the range holding partition ``k``."""
    if any(out_dir.glob("p=*")):
        raise UserError(
            f"{out_dir}: shuffle written by an older curate (p=<k>/ folders); "
            "delete the run's dedup/ folder and rerun"
        )
    if k is not None:
        return sorted(range_dir(out_dir, k).glob("*.parquet"))
    return sorted(out_dir.glob("r=*/*.parquet"), key=lambda f: (f.stem, int(f.parent.name[2:])))


def read_partition(out_dir: Path, k: int | str, schema: dict[str, pl.DataType]) -> pl.DataFrame:
    """All rows written to partition ``k`` (in writer-name order), or an empty frame."""
    k = int(k)
    tables: list[pa.Table] = []
    for f in writer_files(out_dir, k):
        with pq.ParquetFile(f) as pf:
            groups = row_groups(pf.metadata, k)
            if groups:
                tables.append(pf.read_row_groups(groups))
    if not tables:
        return pl.DataFrame(schema=schema)
    return pl.concat(
        [pl.from_arrow(t.replace_schema_metadata(None)) for t in tables], how="vertical_relaxed"
    ).cast(schema)
