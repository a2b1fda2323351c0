"""The compiled intersection sizes against ``np.intersect1d``, and ``verify.jaccards``."""

from __future__ import annotations

import numpy as np
import polars as pl

from curate.dedup import set_kernels
from curate.dedup.verify import jaccards


def _set(rng: np.random.Generator, n: int, high: int) -> np.ndarray:
    return np.unique(rng.integers(0, high, n, dtype=np.uint32))


def test_intersection_size_is_intersect1d() -> None:
    rng = np.random.default_rng(3)
    for n, m, high in [(0, 5, 10), (5, 0, 10), (1, 1, 2), (200, 300, 400), (900, 50, 1 << 32)]:
        a, b = _set(rng, n, high), _set(rng, m, high)
        want = len(np.intersect1d(a, b, assume_unique=True))
        assert set_kernels.intersection_size(a, b) == want
    top = np.array([0xFFFFFFFE, 0xFFFFFFFF], np.uint32)  # unsigned order at the top
    assert set_kernels.intersection_size(top, top[1:]) == 1


def test_jaccards_match_the_definition_with_nulls_and_empty_sets() -> None:
    rng = np.random.default_rng(5)
    sets = [_set(rng, n, 300) for n in (50, 120, 0, 80, 0, 200)]
    a = [sets[0], sets[1], sets[2], None, sets[4], sets[5]]
    b = [sets[1], sets[1], sets[3], sets[0], sets[4], None]
    blob = pl.Series([None if x is None else x.tobytes() for x in a], dtype=pl.Binary)
    blob_b = pl.Series([None if x is None else x.tobytes() for x in b], dtype=pl.Binary)
    got = jaccards(blob[1:], blob_b[1:])  # a slice: offsets that do not start at 0
    want = []
    for x, y in zip(a[1:], b[1:], strict=True):
        if x is None or y is None:
            want.append(0.0)
            continue
        inter = len(np.intersect1d(x, y))
        union = len(x) + len(y) - inter
        want.append(inter / union if union else 1.0)
    assert got.tolist() == want
    assert jaccards(blob[:0], blob_b[:0]).size == 0
