"""normalize_member's fast path for plain names gives what the full normalisation gives."""

from __future__ import annotations

import itertools
import random

from curate.ingest import paths
from curate.ingest.paths import normalize_member


def _full(name: str) -> tuple[str, str | None]:
    """normalize_member with its fast path switched off."""
    saved = paths._plain
    paths._plain = lambda raw: False  # type: ignore[assignment]
    try:
        return normalize_member(name)
    finally:
        paths._plain = saved  # type: ignore[assignment]


def test_fast_path_agrees_with_the_full_normalisation() -> None:
    pieces = ["a", "b.py", ".", "..", "", "/", "\\", "C:", "x..y", "é", ".git", "./", "//"]
    names = {"".join(p) for n in range(1, 5) for p in itertools.product(pieces, repeat=n)}
    rng = random.Random(7)
    alphabet = "ab./\\:é\x00 "
    names |= {"".join(rng.choice(alphabet) for _ in range(rng.randint(0, 9))) for _ in range(5000)}
    fast = 0
    for name in sorted(names):
        assert normalize_member(name) == _full(name), name
        fast += paths._plain(name)
    assert fast > 1000  # the fast path was taken, and agreed
