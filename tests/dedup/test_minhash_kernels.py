"""The compiled MinHash kernels against their references: ``token_hash64`` (``xxhash``) for the
token hash, the numpy ``shingle_hashes`` + ``distinct_shingles`` for the shingle sets, the
session-6 numpy MinHash for the signatures (datasketch itself: tests/dedup/test_minhash.py)."""

from __future__ import annotations

import random

import numpy as np
import polars as pl
import pyarrow as pa
import pytest

from curate.dedup import minhash_kernels as kernels
from curate.dedup.minhash import (
    _WORD_RE,
    distinct_shingles,
    shingle_hashes,
    shingle_sets,
    signatures,
    token_hash64,
    word_token_hashes,
)
from tests.support.near_reference import signatures_reference

from .helpers import make_function, mutate

TEXTS: list[str | None] = [
    "def Foo(x):\n    FOO = foo_1 + X * x\r\n    return Foo(FOO)\n",
    "",
    None,
    "ÄÖ über naïve  café_1 İx ΑΣ straße",  # non-ASCII letters separate tokens
    "  \n\t+-",
    "a",
    "x" * 300 + " " + "Y_9" * 90,  # tokens of the long and mid-size hash
    "tail without newline ab",
]


def _reference_tokens(text: str | None) -> list[int]:
    return [token_hash64(t) for t in _WORD_RE.findall(text or "")]


def test_word_token_hashes_equal_python_tokens_for_every_input_kind() -> None:
    want = [_reference_tokens(t) for t in TEXTS]
    sliced = pa.array(["skip me", *TEXTS], pa.large_string()).slice(1)  # a non-zero offset
    halves = [pl.Series(TEXTS[:3], dtype=pl.String), pl.Series(TEXTS[3:], dtype=pl.String)]
    chunked = pl.concat(halves, rechunk=False)
    assert chunked.n_chunks() == 2
    inputs = [TEXTS, chunked, sliced, pa.chunked_array([TEXTS[:2], TEXTS[2:]], pa.string())]
    for texts in inputs:
        th, counts = word_token_hashes(texts)
        assert counts.tolist() == [len(w) for w in want]
        assert th.tolist() == [h for w in want for h in w]


@pytest.mark.parametrize("tokenizer", ["words", "code", "tree_sitter"])
@pytest.mark.parametrize("ngram", [1, 3, 5, 7])
def test_shingle_sets_equal_the_numpy_reference(tokenizer: str, ngram: int) -> None:
    rng = random.Random(ngram)
    texts: list[str | None] = [make_function(rng, rng.randrange(1, 40)) for _ in range(20)]
    texts += [mutate(rng, texts[0], 0.1), *TEXTS, "a b", "a a a a a a a a a"]
    langs = ["Python"] * len(texts)
    got, got_off, used = shingle_sets(texts, ngram, tokenizer, langs)
    plain = [t or "" for t in texts]
    want, want_off = distinct_shingles(*shingle_hashes(plain, ngram, tokenizer, langs))
    assert got_off.tolist() == want_off.tolist()
    assert np.array_equal(got, want) and got.dtype == np.uint32
    assert len(used) == len(texts)
    assert got_off[-1] > 0


def test_sort_orders_every_size_and_skips_constant_bytes() -> None:
    rng = np.random.default_rng(5)
    hist = np.empty((4, 256), np.int64)
    for m in [0, 1, 2, 31, 32, 33, 100, 1000, 5000]:
        for keys in (
            rng.integers(0, 1 << 32, m, dtype=np.uint32),
            rng.integers(0, 3, m, dtype=np.uint32) << np.uint32(8),  # bytes 0, 2, 3 constant
            np.full(m, 7, np.uint32),
        ):
            work = np.concatenate([keys, np.zeros(3, np.uint32)])  # longer than m
            got = kernels._sort(work, m, np.empty_like(work), hist)
            assert np.array_equal(got, np.sort(keys)), m


def test_signatures_equal_the_numpy_reference_for_any_order_and_repeats() -> None:
    rng = np.random.default_rng(6)
    counts = [0, 1, 2, 3, 4, 5, 7, 8, 9, 0, 200, 1]  # around the four-shingle blocks
    hashes = rng.integers(0, 1 << 32, sum(counts), dtype=np.uint32)
    hashes[5:9] = hashes[4]  # repeats inside a document
    offsets = np.r_[0, np.cumsum(counts)].astype(np.int64)
    for num_perm, seed in [(256, 1), (64, 3), (13, 1)]:
        got = signatures(hashes, offsets, num_perm, seed)
        assert np.array_equal(got, signatures_reference(hashes, offsets, num_perm, seed))
    sig = signatures(hashes, offsets)
    assert (sig[0] == 0xFFFFFFFF).all() and (sig[9] == 0xFFFFFFFF).all()
    assert not (sig[1] == 0xFFFFFFFF).any()
    shuffled = hashes.copy()
    lo, hi = offsets[10], offsets[11]
    shuffled[lo:hi] = shuffled[lo:hi][::-1]
    assert np.array_equal(signatures(shuffled, offsets), sig)


def test_empty_and_all_null_batches() -> None:
    empty = [[], pl.Series([], dtype=pl.String), pa.array([], pa.large_string())]
    for texts in [*empty, [None], [""], pl.Series([None, None], dtype=pl.String)]:
        hashes, offsets, used = shingle_sets(texts)
        assert len(hashes) == 0 and offsets.tolist() == [0] * (len(texts) + 1)
        assert used == ["words"] * len(texts)
        sig = signatures(hashes, offsets)
        assert sig.shape == (len(texts), 256) and (sig == 0xFFFFFFFF).all()


def test_word_bytes_classify_every_byte_in_every_position_as_the_table() -> None:
    from curate.dedup import minhash_kernels as kernels

    for b in range(256):
        for pos in range(8):
            word = np.uint64(b) << np.uint64(8 * pos)
            got = int(kernels._word_bytes(word))
            assert got == (0x80 << (8 * pos) if kernels.WORD[b] else 0), (b, pos)


def test_word_token_hashes_across_block_edges_and_random_bytes() -> None:
    """Tokens of every length around the 64-byte blocks and the 8-byte cache limit, documents
    ending inside and at block edges, and random ASCII / UTF-8 text: the Python tokens."""
    rng = random.Random(7)
    texts: list[str | None] = []
    for n in (1, 7, 8, 9, 16, 17, 63, 64, 65, 128, 200):
        for lead in (0, 1, 62, 63, 64):
            texts.append(" " * lead + "a" * n)
            texts.append(" " * lead + "b" * n + "+")
    alphabet = "ab_Z09 .\n(é€"
    for _ in range(300):
        texts.append("".join(rng.choice(alphabet) for _ in range(rng.randrange(0, 300))))
    # a repeated short token hashed through the cache and a colliding long one
    texts.append(" ".join(["foo", "bar", "foo", "foobarba", "foobarbaz", "foo"] * 50))
    # more tokens than one span of edges (EDGE_SPAN), tokens open across span edges
    for k in range(1, 40, 7):
        texts.append(" ".join("t" * (1 + i % k) for i in range(9000)) + "y" * 70)
    want = [_reference_tokens(t) for t in texts]
    th, counts = word_token_hashes(texts)
    assert counts.tolist() == [len(w) for w in want]
    assert th.tolist() == [h for w in want for h in w]


def _python_shingle_sets(
    th: np.ndarray,
    counts: np.ndarray,
    ngram: int,
    ident: np.ndarray,
    idx: np.ndarray,
    ids: np.ndarray,
) -> list[list[int]]:
    """Each document's distinct shingle hashes, ascending, by the placeholder rule in Python:
    an identifier at position k becomes ``ids[j]``, j its name's first position in the shingle."""
    mask = (1 << 64) - 1
    out, start = [], 0
    for c in counts.tolist():
        width = min(c, ngram)
        m = c - ngram + 1 if c >= ngram else (1 if c > 0 else 0)
        found = set()
        for s in range(m):
            h = int(kernels._SHINGLE_SEED)
            shingle = range(start + s, start + s + width)
            for k, i in enumerate(shingle):
                t = int(th[i])
                if ident.size and ident[i]:
                    t = int(
                        ids[
                            next(
                                j
                                for j in range(k + 1)
                                if ident[start + s + j] and idx[start + s + j] == idx[i]
                            )
                        ]
                    )
                h = ((h ^ t) * int(kernels._SHINGLE_MULT)) & mask
            h ^= h >> 30
            h = (h * int(kernels._MIX1)) & mask
            h ^= h >> 27
            h = (h * int(kernels._MIX2)) & mask
            h ^= h >> 31
            found.add(h >> 32)
        out.append(sorted(found))
        start += c
    return out


@pytest.mark.parametrize("ngram", [1, 2, 5])
def test_shingle_sets_placeholders_equal_python_on_random_identifiers(ngram: int) -> None:
    rng = np.random.default_rng(ngram)
    counts = rng.integers(0, 30, 40).astype(np.int64)
    total = int(counts.sum())
    th = rng.integers(0, 2**63, total, dtype=np.uint64) * np.uint64(2) + np.uint64(1)
    ident = rng.random(total) < 0.5
    idx = rng.integers(0, 4, total).astype(np.int64)  # few names: repeats inside shingles
    ids = rng.integers(0, 2**63, ngram, dtype=np.uint64)
    got, offsets = kernels.shingle_sets(th, counts, ngram, ident, idx, ids)
    want = _python_shingle_sets(th, counts, ngram, ident, idx, ids)
    assert [got[offsets[d] : offsets[d + 1]].tolist() for d in range(counts.size)] == want
