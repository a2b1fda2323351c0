"""``minhash.band_hashes`` (all bands at once, in blocks, in place) against the per-band loop
it replaced: identical hashes for any shape, block boundary and band/row split."""

from __future__ import annotations

import numpy as np
import pytest

from curate.dedup import minhash
from curate.dedup.minhash import band_hashes
from tests.support.near_reference import band_hashes_reference


@pytest.mark.parametrize(
    ("n", "bands", "rows"), [(0, 4, 2), (1, 42, 6), (37, 9, 28), (100, 256, 1), (64, 5, 3)]
)
@pytest.mark.parametrize("block", [7, 32, 8192])
def test_equal_to_the_per_band_loop(
    monkeypatch: pytest.MonkeyPatch, n: int, bands: int, rows: int, block: int
) -> None:
    monkeypatch.setattr(minhash, "BAND_BLOCK_ROWS", block)
    sig = np.random.default_rng(n + bands).integers(0, 1 << 32, (n, 256), dtype=np.uint32)
    got = band_hashes(sig, bands, rows)
    assert got.shape == (n, bands) and got.dtype == np.uint64
    np.testing.assert_array_equal(got, band_hashes_reference(sig, bands, rows))


def test_a_changed_value_changes_only_its_band() -> None:
    sig = np.random.default_rng(1).integers(0, 1 << 32, (3, 256), dtype=np.uint32)
    other = sig.copy()
    other[1, 13] ^= 1  # band 2 of rows=6
    a, b = band_hashes(sig, 42, 6), band_hashes(other, 42, 6)
    changed = np.argwhere(a != b).tolist()
    assert changed == [[1, 2]]


def test_a_slice_of_bands_hashes_as_those_bands_of_the_whole() -> None:
    sig = np.random.default_rng(2).integers(0, 1 << 32, (50, 256), dtype=np.uint32)
    whole = band_hashes(sig, 42, 6)
    np.testing.assert_array_equal(band_hashes(sig[:, 60:90], 5, 6, first=10), whole[:, 10:15])
    assert not np.array_equal(band_hashes(sig[:, 60:90], 5, 6), whole[:, 10:15])
