"""The one compiled XXH3-64 (``curate.engine.xxh3``, used by the MinHash and the decontamination
kernels) against the ``xxhash`` package."""

from __future__ import annotations

import random

import numpy as np
import pytest
import xxhash

from curate.engine import xxh3

# every length class (0, 1-3, 4-8, 9-16, 17-128, 129-240, long) and the long hash's stripe
# (64 bytes) and block (1024 bytes) edges
LENGTHS = [*range(301), 511, 512, 513, 1023, 1024, 1025, 1088, 1089, 2047, 2048, 2049, 5000]


@pytest.mark.parametrize("offset", [0, 3])
def test_hash_at_equals_the_xxhash_package(offset: int) -> None:
    rng = random.Random(offset)
    blobs = [rng.randbytes(n) for n in LENGTHS]
    starts = offset + np.cumsum([0, *LENGTHS[:-1]])
    # a start off the word boundary and bytes after the last input: no load reads past them
    data = np.frombuffer(rng.randbytes(offset) + b"".join(blobs) + b"\xff" * 5, np.uint8)
    got = xxh3.many(data, starts, np.array(LENGTHS))
    assert got.tolist() == [xxhash.xxh3_64_intdigest(b) for b in blobs]


def test_a_token_at_the_very_end_of_the_bytes() -> None:
    """The loads view is zero-padded past the end: short inputs there hash their bytes only."""
    raw = b"abcdefghijklmnopq"
    data = np.frombuffer(raw, np.uint8)
    for n in range(len(raw) + 1):
        start = len(raw) - n
        got = xxh3.many(data, np.array([start]), np.array([n]))
        assert int(got[0]) == xxhash.xxh3_64_intdigest(raw[start:]), n
