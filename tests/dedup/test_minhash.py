"""Signatures: identical to datasketch, sensible LSH parameters, shingling edge cases."""

from __future__ import annotations

import random

import numpy as np
import pyarrow as pa
from datasketch import MinHash

from curate.dedup.minhash import (
    band_hashes,
    distinct_shingles,
    optimal_bands,
    shingle_hash32,
    shingle_hashes,
    shingles,
    signatures,
)

from .helpers import make_function, mutate


def _reference(text: str, num_perm: int = 256) -> np.ndarray:
    m = MinHash(num_perm=num_perm, hashfunc=shingle_hash32)
    for s in shingles(text):
        m.update(s)
    return m.hashvalues


def test_signatures_identical_to_datasketch() -> None:
    rng = random.Random(1)
    texts = [make_function(rng, rng.randrange(1, 60)) for _ in range(30)]
    texts += [
        "x = 1",
        "A B",
        "ÄÖ über naïve  café_1",
        "a\nb\nc\nd\ne\nf",
        "Foo foo FOO bar baz qux",
    ]
    hashes, offsets = shingle_hashes(texts)
    sig = signatures(hashes, offsets, 256)
    for i, text in enumerate(texts):
        assert np.array_equal(sig[i], _reference(text)), text[:40]


def test_lowercased_word_shingles() -> None:
    assert shingles("Foo(BAR, baz_1); qux+quux·x", 5) == [
        "foo bar baz_1 qux quux",
        "bar baz_1 qux quux x",
    ]
    assert shingles("only three tokens", 5) == ["only three tokens"]
    assert shingles("  \n\t+-", 5) == []
    hashes, offsets = shingle_hashes(["", "a b c d e f", "!!"])
    assert np.diff(offsets).tolist() == [0, 2, 0]
    assert len(hashes) == 2


def test_similar_texts_agree_more_than_unrelated() -> None:
    rng = random.Random(2)
    base = make_function(rng, 60)
    near, other = mutate(rng, base, 0.05), make_function(rng, 60)
    sig = signatures(*shingle_hashes([base, near, other]))
    assert (sig[0] == sig[1]).mean() > 0.5
    assert (sig[0] == sig[2]).mean() < 0.05


def test_band_parameters_follow_threshold() -> None:
    b7, r7 = optimal_bands(0.7, 256)
    b9, r9 = optimal_bands(0.9, 256)
    assert b7 * r7 <= 256 and b9 * r9 <= 256
    # the S-curve's midpoint (1/b)^(1/r) sits near the threshold; a higher threshold needs
    # longer bands
    assert abs((1 / b7) ** (1 / r7) - 0.7) < 0.08
    assert r9 > r7


def test_band_hashes_separate_bands() -> None:
    sig = np.zeros((2, 8), np.uint32)
    bh = band_hashes(sig, 4, 2)
    assert len(set(bh[0].tolist())) == 4  # equal values in different bands never collide
    assert np.array_equal(bh[0], bh[1])


def test_distinct_shingles_per_document_sorted_and_same_signatures() -> None:
    rng = np.random.default_rng(4)
    counts = [0, 7, 1, 0, 30, 3]
    hashes = rng.integers(0, 20, sum(counts), dtype=np.uint32)  # many duplicates
    offsets = np.r_[0, np.cumsum(counts)].astype(np.int64)
    got, got_off = distinct_shingles(hashes, offsets)
    for i in range(len(counts)):
        want = np.unique(hashes[offsets[i] : offsets[i + 1]])
        assert np.array_equal(got[got_off[i] : got_off[i + 1]], want)
    assert got_off[-1] < len(hashes)  # duplicates were dropped
    assert np.array_equal(signatures(got, got_off, 64), signatures(hashes, offsets, 64))


def test_batch_hashes_equal_reference_for_mixed_case_and_short_texts() -> None:
    """The batch path lowercases distinct tokens only; identifiers that differ in case stay
    one name for ``tree_sitter``; texts under ``ngram`` tokens are one shingle."""
    texts = [
        "def Foo(x):\n    FOO = foo + X * x\n    return Foo(FOO) + foo\n",
        "Ab aB",
        "",
        "x = 1\n",
    ]
    for tokenizer in ("words", "code", "tree_sitter"):
        hashes, offsets = shingle_hashes(texts, 5, tokenizer, ["Python"] * len(texts))
        for i, text in enumerate(texts):
            ref = {shingle_hash32(s) for s in shingles(text, 5, tokenizer, "Python")}
            assert set(hashes[offsets[i] : offsets[i + 1]].tolist()) == ref, (tokenizer, text)


def test_non_ascii_tokens_lowercase_like_python() -> None:
    """Arrow's per-code-point lowercasing differs from ``str.lower`` (final sigma, dotted I):
    the batch path must still hash ``token.lower()``, so a clone differing only in case of
    such tokens gets the same shingles, and distinct tokens stay distinct."""
    import polars as pl

    from curate.dedup.minhash import _lower, hash_tokens

    words = ["ΑΣ", "İx", "Straße", "ok", "ΟΔΟΣ", "Ab"]
    assert _lower(pa.array(words, pa.large_string())).to_pylist() == [w.lower() for w in words]
    docs = [words[:5], [w.lower() for w in words[:5]], ["ας", "ix", "strasse", "ok", "οδοσ"]]
    hashes, offsets = hash_tokens(pl.Series("t", docs, dtype=pl.List(pl.String)), 5)
    assert offsets.tolist() == [0, 1, 2, 3]
    assert hashes[0] == hashes[1] == shingle_hash32(" ".join(words[:5]))
    assert hashes[2] != hashes[0]  # "ας" is not "ασ", "ix" is not "i̇x"
