"""``near.star_pairs`` / ``star_edges`` (numpy, sort based) against a straightforward polars
reference: the same distinct star edges on generated band rows."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl
import pytest

from curate.dedup.components import EDGE
from curate.dedup.near import BAND, star_edges, star_pairs
from curate.dedup.shuffle import partition_of, read_partition, write_partitioned
from tests.support.near_reference import star_edges_reference


def _reference(rows: pl.DataFrame) -> pl.DataFrame:
    return star_edges_reference(rows).sort("u", "v")


def _frame(band: np.ndarray, bh: np.ndarray, node: np.ndarray) -> pl.DataFrame:
    return pl.DataFrame({"band": band, "bh": bh, "node": node}, schema=BAND)


def _check(rows: pl.DataFrame) -> int:
    u, v = star_pairs(rows["band"].to_numpy(), rows["bh"].to_numpy(), rows["node"].to_numpy())
    want = _reference(rows)
    assert u.dtype == v.dtype == np.int64
    np.testing.assert_array_equal(u, want["u"].to_numpy())
    np.testing.assert_array_equal(v, want["v"].to_numpy())
    return len(u)


def _random_rows(seed: int, n: int, buckets: int, bands: int, nodes: int) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    # bucket hashes spread over the whole int64 range (negative ones too)
    hashes = rng.integers(-(1 << 63), (1 << 63) - 1, size=buckets, dtype=np.int64)
    return _frame(
        rng.integers(0, bands, n).astype(np.int32),
        hashes[rng.integers(0, buckets, n)],
        rng.integers(0, nodes, n) * 7919 + (1 << 50),
    )


@pytest.mark.parametrize(
    ("seed", "n", "buckets", "bands", "nodes"),
    [
        (0, 5000, 4000, 3, 3000),
        (1, 20000, 500, 9, 20000),
        (2, 3000, 3000, 1, 100),
        (3, 50, 5, 2, 8),
    ],
)
def test_random_partitions_match_the_reference(
    seed: int, n: int, buckets: int, bands: int, nodes: int
) -> None:
    assert _check(_random_rows(seed, n, buckets, bands, nodes)) > 0


def test_empty_and_single_row_partitions_give_no_edges() -> None:
    assert _check(_frame(np.empty(0, np.int32), np.empty(0, np.int64), np.empty(0, np.int64))) == 0
    assert _check(_frame(np.array([0], np.int32), np.array([5]), np.array([9]))) == 0


def test_all_singleton_buckets_give_no_edges() -> None:
    rng = np.random.default_rng(4)
    n = 10000
    rows = _frame(
        rng.integers(0, 4, n).astype(np.int32),
        rng.choice(1 << 62, size=n, replace=False).astype(np.int64) - (1 << 61),
        np.arange(n, dtype=np.int64),
    )
    assert rows["bh"].n_unique() == n
    assert _check(rows) == 0


def test_one_giant_bucket_is_one_star_around_its_minimum() -> None:
    nodes = np.random.default_rng(5).permutation(np.arange(100, 5100, dtype=np.int64))
    rows = _frame(np.zeros(len(nodes), np.int32), np.full(len(nodes), -42), nodes)
    u, v = star_pairs(rows["band"].to_numpy(), rows["bh"].to_numpy(), rows["node"].to_numpy())
    np.testing.assert_array_equal(u, np.arange(101, 5100))
    assert (v == 100).all()
    assert _check(rows) == len(nodes) - 1


def test_duplicate_rows_count_once_and_a_repeated_single_node_gives_nothing() -> None:
    rows = _frame(
        np.array([0, 0, 0, 1, 1, 1, 2, 2], np.int32),
        np.array([7, 7, 7, 8, 8, 8, 7, 7]),
        np.array([3, 3, 3, 4, 5, 5, 6, 1]),  # bucket (0, 7): node 3 three times only
    )
    u, v = star_pairs(rows["band"].to_numpy(), rows["bh"].to_numpy(), rows["node"].to_numpy())
    assert list(zip(u.tolist(), v.tolist(), strict=True)) == [(5, 4), (6, 1)]
    _check(rows)
    # the same edge from two bands is one edge
    again = _frame(np.array([0, 0, 1, 1], np.int32), np.array([1, 1, 2, 2]), np.array([9, 2, 2, 9]))
    assert _check(again) == 1


def test_equal_hash_in_different_bands_and_equal_top_halves_do_not_link() -> None:
    top = np.int64(0x1234_5678) << np.int64(32)
    rows = _frame(
        np.array([0, 1, 2, 2, 3, 3], np.int32),
        np.array([99, 99, top + 1, top + 2, top + 5, top + 5], np.int64),
        np.array([10, 11, 12, 13, 14, 15], np.int64),
    )
    u, v = star_pairs(rows["band"].to_numpy(), rows["bh"].to_numpy(), rows["node"].to_numpy())
    assert list(zip(u.tolist(), v.tolist(), strict=True)) == [(15, 14)]
    _check(rows)


def test_star_edges_writes_both_orientations_by_first_endpoint(tmp_path: Path) -> None:
    rows = _random_rows(6, 8000, 3000, 5, 5000)
    for w, part in enumerate(np.array_split(np.arange(rows.height), 3)):
        chunk = rows[part]
        write_partitioned(chunk, np.zeros(chunk.height, np.int64), 2, tmp_path / "b", f"{w:05d}")
    n = star_edges(tmp_path / "b", 0, tmp_path / "cc", 3, writer="x")
    want = _reference(rows)
    assert n == want.height > 0
    assert star_edges(tmp_path / "b", 1, tmp_path / "cc", 3) == 0  # an empty partition
    got = pl.concat([read_partition(tmp_path / "cc", k, EDGE) for k in range(3)])
    for k in range(3):
        part = read_partition(tmp_path / "cc", k, EDGE)
        assert (partition_of(part["u"].to_numpy(), 3) == k).all()
    both = pl.concat([want, want.select(pl.col("v").alias("u"), pl.col("u").alias("v"))])
    assert got.sort("u", "v").equals(both.sort("u", "v"))
    assert sorted(p.name for p in (tmp_path / "cc").rglob("*.parquet")) == ["x.parquet"]
