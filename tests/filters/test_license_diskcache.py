"""The license reference index is cached on disk in its array form: a new process maps it, a
corrupt, truncated or foreign file is rebuilt (never a crash), and findings equal the plain
string algorithm the index replaced."""

from __future__ import annotations

import difflib
import json
import os
import random
import subprocess
import sys
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from curate.engine import diskcache
from curate.filters.license import similarity

_PROBE = """
import json
from curate.engine import diskcache
from curate.filters.license import similarity
index = similarity.references()
m = similarity.closest_license(open({text!r}).read())
print(json.dumps({{"stats": diskcache.stats, "refs": len(index),
                   "match": m and [m.spdx, m.ratio]}}))
"""


def _probe(cache: Path, text: Path) -> dict:
    env = {**os.environ, "CURATE_CACHE_DIR": str(cache)}
    out = subprocess.run(
        [sys.executable, "-c", _PROBE.format(text=str(text))],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def _edited_reference(seed: int, index: int = 0) -> str:
    refs = similarity._build()
    rng = random.Random(seed)
    words = list(refs[index].full_words)
    for _ in range(len(words) // 15):
        words[rng.randrange(len(words))] = "bytecode"
    return " ".join(words)


def test_second_process_maps_cache_and_bad_files_are_rebuilt(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    text = tmp_path / "license.txt"
    text.write_text(_edited_reference(1))
    first = _probe(cache, text)
    assert first["stats"] == {"hits": 0, "builds": 1}
    assert first["match"] is not None and first["refs"] > 500
    (path,) = cache.glob("license-references-*.bin")
    good = path.read_bytes()
    assert _probe(cache, text) == {**first, "stats": {"hits": 1, "builds": 0}}
    flipped = bytearray(good)
    flipped[len(good) // 2] ^= 0xFF  # one byte in the data: the checksum catches it
    for bad in (b"", b"not a cache file", good[: len(good) // 3], bytes(flipped)):
        path.write_bytes(bad)
        assert _probe(cache, text) == {**first, "stats": {"hits": 0, "builds": 1}}
        assert path.read_bytes() == good  # rewritten whole
    assert not list(cache.glob("*.tmp"))


def _old_closest(text: str, refs: list) -> tuple[str, float] | None:
    """The pre-index algorithm over word strings and Python sets (the oracle)."""
    seq = similarity.words(text[:60_000])
    if len(seq) < 20:
        return None
    grams = similarity._bigrams(seq)
    ref_grams = [similarity._bigrams(r.full_words) for r in refs]
    shared: Counter[int] = Counter()
    for i, g in enumerate(ref_grams):
        if n := len(grams & g):
            shared[i] = n
    scored = sorted(
        ((2 * n / (len(grams) + len(ref_grams[i])), i) for i, n in shared.items()), reverse=True
    )[:4]
    found = []
    for dice, i in scored:
        if dice < 0.4:
            break
        ratio = max(
            difflib.SequenceMatcher(None, seq, ref, autojunk=False).ratio()
            for ref in (refs[i].words, refs[i].full_words)
        )
        if ratio >= similarity.MIN_RATIO:
            found.append((refs[i].spdx, round(ratio, 3)))
    found = [m for m in found if m[1] == max(f[1] for f in found if f[0] == m[0])]
    if not found:
        return None
    best = max(found, key=lambda m: m[1])
    for m in found:
        if best[0].startswith(m[0] + "-") and best[1] - m[1] < 0.05:
            best = m
    return best


def test_index_finds_what_the_string_algorithm_finds() -> None:
    refs = similarity._build()
    rng = random.Random(7)
    texts = ["just a few words about nothing at all " * 5, "zz " * 40, "the software " * 30]
    for index in range(0, len(refs), 23):
        words = list(refs[index].full_words)
        for _ in range(rng.randint(0, len(words) // 6)):
            j = rng.randrange(len(words))
            words[j] = rng.choice(["bytecode", "qqqunknownqqq", words[rng.randrange(len(words))]])
        texts.append(" ".join(words))
    got = [(m.spdx, m.ratio) if (m := similarity.closest_license(t)) else None for t in texts]
    assert got == [_old_closest(t, refs) for t in texts]
    assert got[:3] == [None, None, None]  # prose and unknown words match nothing
    assert sum(g is not None for g in got) >= len(texts) - 6


def test_cached_arrays_round_trip_and_a_rejecting_load_rebuilds(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CURATE_CACHE_DIR", str(tmp_path))
    arrays = {
        "a": np.arange(7, dtype=np.int16),
        "b": np.arange(12, dtype=np.float64).reshape(3, 4),
        "empty": np.zeros(0, dtype=np.uint64),
        **diskcache.pack_strings(["x", "", "ünï"]),
    }
    builds = []

    def build() -> dict:
        builds.append(1)
        return arrays

    def same(got: dict) -> dict:
        for k, v in arrays.items():
            assert got[k].dtype == v.dtype and np.array_equal(got[k], v)
        return dict(got)

    same(diskcache.cached_arrays("t", ["1"], build, same))
    got = diskcache.cached_arrays("t", ["1"], build, same)
    assert len(builds) == 1 and not got["a"].flags.writeable  # a read-only map of the file
    assert diskcache.unpack_strings(got["blob"], got["offsets"]) == ["x", "", "ünï"]
    diskcache.cached_arrays("t", ["2"], build, same)  # another key: another file
    assert len(builds) == 2 and len(list(tmp_path.glob("t-*.bin"))) == 2

    def picky(got: dict) -> dict:
        if got["a"].flags.writeable:  # accepts only a fresh build, rejects the cached file
            return got
        raise ValueError("not for this platform")

    diskcache.cached_arrays("t", ["1"], build, picky)
    assert len(builds) == 3
    with pytest.raises(ValueError, match="Python objects"):
        diskcache.write_arrays(tmp_path / "o.bin", "k", {"o": np.array([object()])})


def test_a_cheap_build_is_not_written(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CURATE_CACHE_DIR", str(tmp_path))
    value = diskcache.cached_arrays(
        "cheap", [], lambda: {"a": np.ones(3)}, lambda a: a["a"].sum(), min_build_s=10.0
    )
    assert value == 3.0 and not list(tmp_path.iterdir())
