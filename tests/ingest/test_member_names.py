"""normalize_member's fast path for plain names gives what the full normalisation gives."""

from __future__ import annotations

import itertools
import random

from curate.ingest import paths
from curate.ingest.paths import normalize_member


def _full(name: str) -> tuple[str, str | None]:
    """normalize_member with its fast path switched off."""
    saved = paths.is_plain
    paths.is_plain = lambda raw: False  # type: ignore[assignment]
    try:
        return normalize_member(name)
    finally:
        paths.is_plain = saved  # type: ignore[assignment]


def test_fast_path_agrees_with_the_full_normalisation() -> None:
    pieces = ["a", "b.py", ".", "..", "", "/", "\\", "C:", "x..y", "é", ".git", "./", "//"]
    names = {"".join(p) for n in range(1, 5) for p in itertools.product(pieces, repeat=n)}
    rng = random.Random(7)
    alphabet = "ab./\\:é\x00 "
    names |= {"".join(rng.choice(alphabet) for _ in range(rng.randint(0, 9))) for _ in range(5000)}
    fast = 0
    for name in sorted(names):
        assert normalize_member(name) == _full(name), name
        fast += paths.is_plain(name)
    assert fast > 1000  # the fast path was taken, and agreed


def _relative_reference(name: str, top: str | None) -> str:
    """``_relative`` without its plain-name fast path (every name through normalize_member)."""
    from curate.ingest.paths import clean_name, normalize_member

    if normalize_member(name)[1] is not None:
        return name
    parts = [p for p in name.split("/") if p not in ("", ".")]
    if top is not None and len(parts) > 1 and clean_name(parts[0]) == top:
        parts = parts[1:]
    return "/".join(parts)


def test_relative_fast_path_matches_the_full_rule() -> None:

    from curate.ingest.readers.archive import _relative

    pieces = ["proj", "a", ".", "..", "", "x.py", "proj2", "é", ".git", "a..b", "C:", "\\", "p q"]
    names = {"/".join(p) for n in (1, 2, 3) for p in itertools.product(pieces, repeat=n)}
    names |= {"/proj/a", "./proj/a", "proj//a", "proj/a/", "proj/./a", "proj/a/.", "proj\\a"}
    for name, top in itertools.product(sorted(names), ("proj", "é", None)):
        assert _relative(name, top) == _relative_reference(name, top), (name, top)
