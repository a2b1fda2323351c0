"""The on-disk shuffle the dedup barrier steps are built from.

A *partitioned dataset* is a folder ``<dir>/p=<k>/<writer>.parquet``: every writer (a shard or a
partition of the previous step) writes the rows whose key hashes to partition ``k`` into its own
file, and the task for partition ``k`` reads ``<dir>/p=<k>/*``. Nothing is held in Ray's object
store and no process ever needs more than one partition in memory.

Every function here is deterministic: hashing is fixed (no per-process seeds), and readers sort
file names, so 1, 2 or N workers produce the same bytes.
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import polars as pl
import xxhash

from curate.rundir import write_table_atomic

log = logging.getLogger(__name__)

MASK63 = (1 << 63) - 1


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


def write_partitioned(
    df: pl.DataFrame, parts: np.ndarray, n_parts: int, out_dir: Path, writer: str
) -> None:
    """Write the rows of ``df`` to ``out_dir/p=<k>/<writer>.parquet`` by the ``parts`` array
    (non-empty partitions only)."""
    if df.height == 0:
        return
    order = np.argsort(parts, kind="stable")
    sorted_parts = parts[order]
    bounds = np.flatnonzero(np.r_[True, sorted_parts[1:] != sorted_parts[:-1], True])
    taken = df[order]
    for lo, hi in itertools.pairwise(bounds):
        k = int(sorted_parts[lo])
        assert 0 <= k < n_parts
        write_table_atomic(
            taken.slice(int(lo), int(hi - lo)).to_arrow(),
            part_dir(out_dir, k) / f"{writer}.parquet",
        )


def part_dir(out_dir: Path, k: int | str) -> Path:
    return out_dir / f"p={k}"


def read_partition(out_dir: Path, k: int | str, schema: dict[str, pl.DataType]) -> pl.DataFrame:
    """All rows written to partition ``k`` (in writer-name order), or an empty frame."""
    files = sorted(part_dir(out_dir, k).glob("*.parquet"))
    if not files:
        return pl.DataFrame(schema=schema)
    return pl.concat([pl.read_parquet(f) for f in files], how="vertical_relaxed").cast(schema)
