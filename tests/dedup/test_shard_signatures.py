"""``shard_signatures`` gives the same result for a polars series as for Python strings."""

from __future__ import annotations

import random

import numpy as np
import polars as pl

from curate.dedup.config import DedupConfig
from curate.dedup.near import shard_signatures

from .helpers import make_function, mutate


def test_series_and_list_inputs_agree_across_batches(monkeypatch) -> None:
    import curate.dedup.near as near

    monkeypatch.setattr(near, "BATCH_BYTES", 300)  # several batches
    rng = random.Random(7)
    texts: list[str | None] = [make_function(rng) for _ in range(12)]
    texts += [mutate(rng, texts[0], 0.1), "", None, "x y", texts[3]]
    cfg = DedupConfig()
    a = shard_signatures(texts, cfg, keep_shingles=True)
    b = shard_signatures(pl.Series("content", texts, dtype=pl.String), cfg, keep_shingles=True)
    assert np.array_equal(a[0], b[0]) and np.array_equal(a[1], b[1])
    assert all(np.array_equal(x, y) for x, y in zip(a[2], b[2], strict=True))
    assert a[3] == b[3]
    assert a[1].tolist()[-5:] == [True, False, False, True, True]  # empty/null: no signature
    assert not np.array_equal(a[0][0], a[0][12])  # a mutated copy differs somewhere
    assert np.array_equal(a[0][3], a[0][-1])  # same text, same signature in another batch
