"""The S-curve formula against a direct simulation of banded MinHash collisions."""

import itertools

import numpy as np

from curate.dedup.minhash import candidate_probability


def test_candidate_probability_matches_band_simulation() -> None:
    rng = np.random.default_rng(7)
    bands, rows, s = 20, 5, 0.6
    # each signature slot agrees with probability s; a pair is a candidate if any band agrees fully
    agree = rng.random((20000, bands, rows)) < s
    simulated = agree.all(axis=2).any(axis=1).mean()
    assert abs(simulated - candidate_probability(s, bands, rows)) < 0.01


def test_candidate_probability_is_monotone_and_bounded() -> None:
    probs = [candidate_probability(s, 25, 10) for s in np.linspace(0.0, 1.0, 21)]
    assert probs[0] == 0.0 and probs[-1] == 1.0
    assert all(a <= b for a, b in itertools.pairwise(probs))
    # the derived default (25 x 10 at threshold 0.7) misses half the pairs at J = 0.7
    assert candidate_probability(0.7, 25, 10) < 0.6
    assert candidate_probability(0.7, 42, 6) > 0.99
