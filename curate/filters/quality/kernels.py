"""Compiled (numba) per-document loops for the text statistics that numpy can only express as
many full passes over a batch's bytes.

Each kernel walks a batch's UTF-8 bytes once, document by document, and computes exactly the
values of the numpy definitions in ``text_stats`` (same hashes, same collisions; the tests
compare both on Unicode, CRLF, empty and very long inputs). Compiled once per process: the
first call (``warm_up``, from the annotator's ``setup``) pays the JIT, and numba's on-disk cache
makes later processes load the machine code instead (``cache=True``).
"""

from __future__ import annotations

import numba
import numpy as np

_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)


def _word_table() -> np.ndarray:
    table = np.zeros(256, np.bool_)
    for c in b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_":
        table[c] = True
    table[0x80:] = True
    return table


WORD_BYTES = _word_table()
"""``[A-Za-z0-9_]`` or a byte of a non-ASCII character: the bytes words are made of."""


_LOW_BYTES = np.array([(1 << (8 * k)) - 1 for k in range(8)] + [2**64 - 1], np.uint64)
"""``_LOW_BYTES[k]`` keeps the low ``k`` bytes of a little-endian uint64."""


def unaligned_u64(data: np.ndarray) -> np.ndarray:
    """A view where element ``i`` is the little-endian uint64 of ``data[i:i+8]`` (zero-padded
    past the end): one load reads a word's first (or last) eight bytes."""
    padded = np.concatenate([data, np.zeros(8, np.uint8)])
    return np.ndarray(shape=(data.size,), dtype="<u8", buffer=padded, offset=0, strides=(1,))


@numba.njit(cache=True, nogil=True, inline="always")
def _word_hash(loads: np.ndarray, start: int, end: int, low: np.ndarray) -> np.uint64:
    """Hash of the word ``data[start:end]``: a word of up to 8 bytes is its own masked load (words
    have no NUL bytes); a longer one mixes in its last 8 bytes and its length. Two long words
    collide only when they agree on first 8 bytes, last 8 bytes and length, which is irrelevant
    for a repetition statistic. A multiply-xorshift then spreads every bit into the high ones,
    which the n-gram keys keep."""
    length = end - start
    if length <= 8:
        h = loads[start] & low[length]
    else:
        h = loads[start] * _M2 + loads[end - 8] + np.uint64(length) * _M1
    h = h * _M1
    return h ^ (h >> np.uint64(29))


@numba.njit(cache=True, nogil=True)
def _repeated_ngrams(
    data: np.ndarray,
    loads: np.ndarray,
    offsets: np.ndarray,
    n: int,
    bits: int,
    table: np.ndarray,
    low: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Per document: its word n-grams (``total``) and how many of them occur more than once in
    it (``dups``). An n-gram is the multiply-add chain of its word hashes; two are the same when
    their chains agree above the low ``bits`` bits (the batch's document-index width, which the
    numpy definition used for the document and this one keeps for identical results). Counted
    with one open-addressing table per document, reused across documents."""
    rows = offsets.size - 1
    total = np.zeros(rows, np.int64)
    dups = np.zeros(rows, np.int64)
    drop = np.uint64(bits)
    hashes = np.empty(0, np.uint64)
    slots = np.empty(0, np.uint64)
    seen = np.zeros(0, np.int32)
    for d in range(rows):
        a, b = offsets[d], offsets[d + 1]
        if hashes.size < (b - a) // 2 + 1:
            hashes = np.empty((b - a) // 2 + 1, np.uint64)
        count = 0
        i = a
        while i < b:
            if not table[data[i]]:
                i += 1
                continue
            j = i + 1
            while j < b and table[data[j]]:
                j += 1
            hashes[count] = _word_hash(loads, i, j, low)
            count += 1
            i = j
        m = count - n + 1
        if m <= 0:
            continue
        total[d] = m
        size = 16
        while size < 2 * m:
            size *= 2
        if slots.size < size:
            slots = np.empty(size, np.uint64)
            seen = np.zeros(size, np.int32)
        mask = size - 1
        repeated = 0
        for s in range(m):
            g = hashes[s]
            for k in range(1, n):
                g = g * _M1 + hashes[s + k]
            key = g >> drop
            slot = np.int64((key ^ (key >> np.uint64(31))) & np.uint64(mask))
            while True:
                c = seen[slot]
                if c == 0:
                    slots[slot] = key
                    seen[slot] = 1
                    break
                if slots[slot] == key:
                    seen[slot] = c + 1
                    repeated += 2 if c == 1 else 1
                    break
                slot = (slot + np.int64(1)) & np.int64(mask)
        seen[:size] = 0
        dups[d] = repeated
    return total, dups


def repeated_ngrams(
    data: np.ndarray, offsets: np.ndarray, n: int, bits: int
) -> tuple[np.ndarray, np.ndarray]:
    """``(total, dups)`` per document of the batch bytes ``data`` split at ``offsets`` (int64,
    relative to ``data``): see ``_repeated_ngrams``."""
    loads = unaligned_u64(data)
    return _repeated_ngrams(data, loads, offsets, n, bits, WORD_BYTES, _LOW_BYTES)


def warm_up() -> None:
    """Compile (or load from numba's cache) every kernel, so a batch never pays the JIT."""
    data = np.frombuffer(b"a b c d e f a b c d e f", np.uint8)
    repeated_ngrams(data, np.array([0, data.size], np.int64), 5, 1)
