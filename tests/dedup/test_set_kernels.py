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


def test_jaccards_in_slices_equal_one_pass(monkeypatch) -> None:
    from curate.dedup import verify

    rng = np.random.default_rng(9)
    a = pl.Series([_set(rng, 40, 200).tobytes() for _ in range(11)], dtype=pl.Binary)
    b = pl.Series([None, *[_set(rng, 60, 200).tobytes() for _ in range(10)]], dtype=pl.Binary)
    whole = jaccards(a, b)
    monkeypatch.setattr(verify, "JACCARD_CHUNK_ROWS", 3)
    assert jaccards(a, b).tolist() == whole.tolist()
    assert whole[0] == 0.0 and (whole[1:] > 0).all()
