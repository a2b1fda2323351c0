"""Compiled (numba) kernels of the MinHash signatures, one pass per document instead of the
batch-wide numpy passes (regex token lists, a dictionary encoding, ``ngram`` shifted copies of
the token hashes, a sort of ``document << 32 | hash`` keys, ``(perms x shingles)`` products):

- ``word_token_hashes``: the ``[A-Za-z_0-9]+`` tokens of ASCII-lowercased UTF-8 text and
  their ``xxh3_64`` (``curate.engine.xxh3``, read through the ``unaligned_u64`` loads, eight
  bytes classified at a time), computed here so that no token becomes a Python string;
- ``shingle_sets``: each document's distinct shingle hashes, ascending (the same polynomial mix
  and ``<idK>`` identifier placeholders as ``minhash.hash_tokens``);
- ``min_hashes``: the datasketch ``affine32`` permutation minimum of every document.

The numpy functions of ``curate.dedup.minhash`` stay the readable references; the tests check
the kernels against them, against the ``xxhash`` package and against datasketch. Compiled with
numba's on-disk cache (``curate.engine.jit.compiled``): ``warm_up`` loads every kernel.
"""

from __future__ import annotations

import numpy as np
from numba.cpython.unsafe.numbers import trailing_zeros

from curate.engine import xxh3
from curate.engine.jit import ASCII_WORD_CHARS, byte_table, compiled

_MIX1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX2 = np.uint64(0x94D049BB133111EB)
_SHINGLE_MULT = np.uint64(0x9E3779B97F4A7C15)
"""2**64 / golden ratio (odd): the multiplier of the shingle mix and of the short-token cache's
slot (Fibonacci hashing). These constants are also ``curate.dedup.minhash``'s (one definition)."""
_SHINGLE_SEED = np.uint64(0x243F6A8885A308D3)


WORD = byte_table(ASCII_WORD_CHARS)
"""``[A-Za-z_0-9]``: the bytes of a ``words`` token (``minhash.TOKEN_PATTERN``); the kernel
tests eight bytes at a time arithmetically (:func:`_word_bytes`), checked against this table."""

_HIGH = np.uint64(0x8080808080808080)
_LOW7 = np.uint64(0x7F7F7F7F7F7F7F7F)
_BYTES = np.uint64(0x0101010101010101)
_PACK = np.uint64(0x0102040810204080)
_ALL = np.uint64(0xFFFFFFFFFFFFFFFF)
CACHE_BITS = 12
"""Slots (``2**CACHE_BITS``, 64 KiB) of the per-batch cache of short tokens' hashes."""


@compiled(inline="always")
def _in_range(x: np.uint64, lo: int, hi: int) -> np.uint64:
    """The high bit of each byte of ``x`` (bytes < 0x80) that lies in ``lo..hi``."""
    return (x + _BYTES * np.uint64(0x80 - lo)) & ~(x + _BYTES * np.uint64(0x7F - hi))


@compiled(inline="always")
def _word_bytes(w: np.uint64) -> np.uint64:
    """The high bit of each byte of the little-endian word ``w`` that is in ``WORD``."""
    x = w & _LOW7
    m = (
        _in_range(x, 0x61, 0x7A)
        | _in_range(x, 0x41, 0x5A)
        | _in_range(x, 0x30, 0x39)
        | _in_range(x, 0x5F, 0x5F)
    )
    return m & ~w & _HIGH  # a byte >= 0x80 (UTF-8 beyond ASCII) is never a word byte


@compiled(inline="always")
def _word_mask(loads: np.ndarray, base: int, n: int) -> np.uint64:
    """Bit ``k`` set: byte ``base + k`` (``k < n <= 64``) is a word byte. Reads only the words
    that start before ``base + n``."""
    w = np.uint64(0)
    for q in range((n + 7) // 8):
        bits = ((_word_bytes(loads[base + 8 * q]) >> np.uint64(7)) * _PACK) >> np.uint64(56)
        w |= bits << np.uint64(8 * q)
    if n < 64:
        w &= (np.uint64(1) << np.uint64(n)) - np.uint64(1)
    return w


@compiled(inline="always")
def _hash_tokens(
    loads: np.ndarray,
    starts: np.ndarray,
    ends: np.ndarray,
    n_tokens: int,
    out: np.ndarray,
    at: int,
    keys: np.ndarray,
    vals: np.ndarray,
) -> None:
    """``out[at + t]`` = XXH3 of token ``t`` (bytes ``starts[t]:ends[t]``), tokens of up to 8
    bytes through the direct-mapped cache ``keys``/``vals`` (no zero byte inside a token, so
    the masked word is the token; key 0: an empty slot)."""
    for t in range(n_tokens):
        i = starts[t]
        n = ends[t] - i
        if n <= 8:
            key = loads[i] & (_ALL >> np.uint64(64 - 8 * n))
            slot = (key * _SHINGLE_MULT) >> np.uint64(64 - CACHE_BITS)
            if keys[slot] == key:
                h = vals[slot]
            else:
                h = xxh3.hash_at(loads, i, n)
                keys[slot] = key
                vals[slot] = h
        else:
            h = xxh3.hash_at(loads, i, n)
        out[at + t] = h


EDGE_SPAN = 8192
"""Bytes of a document whose token edges are gathered before their tokens are hashed (a
multiple of 64): at most ``EDGE_SPAN // 2`` tokens, so the scratch is bounded and in cache
(a 1 MB document does not need 8 MB of it)."""


@compiled()
def word_token_hashes(loads: np.ndarray, offsets: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(token hashes uint64, tokens per document int64)`` of the documents at
    ``offsets[i]:offsets[i + 1]`` of the bytes whose ``unaligned_u64`` view is ``loads``: a
    token is a maximal run of ``WORD`` bytes, hashed as it is (the caller lowercases ASCII).

    Two passes over each ``EDGE_SPAN`` bytes, as a per-byte walk spends most of its time in
    mispredicted branches at token edges (docs/benchmarks.md): token starts and ends from
    64-byte masks (``trailing_zeros`` of the edge bits), then the hashes (``_hash_tokens``):
    1.9x faster than the walk on the e2e corpus."""
    docs = offsets.size - 1
    out = np.empty((offsets[docs] - offsets[0] + 1) // 2 + docs, np.uint64)
    counts = np.zeros(docs, np.int64)
    starts = np.empty(EDGE_SPAN // 2 + 2, np.int64)
    ends = np.empty(EDGE_SPAN // 2 + 2, np.int64)
    keys = np.zeros(1 << CACHE_BITS, np.uint64)
    vals = np.zeros(1 << CACHE_BITS, np.uint64)
    count = 0
    for d in range(docs):
        lo, hi = offsets[d], offsets[d + 1]
        first = count
        ns = 0  # starts gathered (one more than ends while a token is open)
        carry = np.uint64(0)  # the byte before the block is a word byte
        span = lo
        while span < hi:
            stop = min(span + EDGE_SPAN, hi)
            ne = 0
            base = span
            while base < stop:  # blocks start 64-aligned from lo: none straddles ``stop``
                w = _word_mask(loads, base, min(hi - base, 64))
                before = (w << np.uint64(1)) | carry
                s = w & ~before
                e = ~w & before
                carry = w >> np.uint64(63)
                while s:
                    starts[ns] = base + trailing_zeros(s)
                    ns += 1
                    s &= s - np.uint64(1)
                while e:
                    ends[ne] = base + trailing_zeros(e)
                    ne += 1
                    e &= e - np.uint64(1)
                base += 64
            if stop == hi and ne < ns:  # the last token runs to the document's end
                ends[ne] = hi
                ne += 1
            _hash_tokens(loads, starts, ends, ne, out, count, keys, vals)
            count += ne
            if ns > ne:  # a token open across the span: its start moves to the front
                starts[0] = starts[ne]
            ns -= ne
            span = stop
        counts[d] = count - first
    return out[:count], counts


@compiled()
def _sort(keys: np.ndarray, m: int, spare: np.ndarray, hist: np.ndarray) -> np.ndarray:
    """``keys[:m]`` in ascending order (in ``keys`` or ``spare``, returned): insertion sort
    when short, else a least-significant-byte radix sort (four counting passes, a pass skipped
    when one byte value holds every key) instead of a comparison sort's mispredicted branches."""
    if m <= 32:
        for i in range(1, m):
            v = keys[i]
            j = i - 1
            while j >= 0 and keys[j] > v:
                keys[j + 1] = keys[j]
                j -= 1
            keys[j + 1] = v
        return keys[:m]
    hist[:] = 0
    for i in range(m):
        v = keys[i]
        hist[0, v & 0xFF] += 1
        hist[1, (v >> 8) & 0xFF] += 1
        hist[2, (v >> 16) & 0xFF] += 1
        hist[3, v >> 24] += 1
    src, dst = keys, spare
    for byte in range(4):
        shift = 8 * byte
        if hist[byte, (src[0] >> shift) & 0xFF] == m:
            continue  # every key has this byte value: the order stays
        total = 0
        for k in range(256):
            c = hist[byte, k]
            hist[byte, k] = total
            total += c
        for i in range(m):
            v = src[i]
            b = (v >> shift) & 0xFF
            dst[hist[byte, b]] = v
            hist[byte, b] += 1
        src, dst = dst, src
    return src[:m]


@compiled()
def shingle_sets(
    th: np.ndarray,
    counts: np.ndarray,
    ngram: int,
    ident: np.ndarray,
    idx: np.ndarray,
    ids: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """``(hashes uint32, offsets int64)``: each document's distinct 32-bit shingle hashes in
    ascending order. ``th``: the token hashes, ``counts[i]`` tokens of document ``i`` after
    those before it; a document with fewer than ``ngram`` tokens (at least one) is one shingle
    of all of them. ``ident`` (empty: no identifier tokens) marks identifier tokens, ``idx``
    their name ids, ``ids[k]`` the hash of ``<idk>``."""
    docs = counts.size
    marks = ident.size > 0
    out = np.empty(max(th.size, docs), np.uint32)
    offsets = np.zeros(docs + 1, np.int64)
    scratch = np.empty(0, np.uint32)
    spare = np.empty(0, np.uint32)
    counts_by_byte = np.empty((4, 256), np.int64)
    start = 0
    pos = 0
    for d in range(docs):
        c = counts[d]
        width = min(c, ngram)
        m = c - ngram + 1 if c >= ngram else (1 if c > 0 else 0)
        if scratch.size < m:
            scratch = np.empty(max(m, 2 * scratch.size), np.uint32)
            spare = np.empty(scratch.size, np.uint32)
        for s in range(m):
            i = start + s
            h = _SHINGLE_SEED
            for k in range(width):
                t = th[i + k]
                # An identifier becomes <idJ>, J the first position of its name in the shingle.
                # Written out here, not as an inlined helper: a helper taking the arrays and
                # looping paid their reference counts per token (docs/benchmarks.md, Dedup).
                if marks and ident[i + k]:
                    t = ids[k]
                    for j in range(k):
                        if ident[i + j] and idx[i + j] == idx[i + k]:
                            t = ids[j]
                            break
                h = (h ^ t) * _SHINGLE_MULT
            h ^= h >> np.uint64(30)
            h *= _MIX1
            h ^= h >> np.uint64(27)
            h *= _MIX2
            h ^= h >> np.uint64(31)
            scratch[s] = np.uint32(h >> np.uint64(32))
        part = _sort(scratch, m, spare, counts_by_byte)
        for s in range(m):
            if s == 0 or part[s] != part[s - 1]:
                out[pos] = part[s]
                pos += 1
        offsets[d + 1] = pos
        start += c
    return out[:pos].copy(), offsets


@compiled(inline="always")
def _fmix32(h: np.uint32) -> np.uint32:
    h ^= h >> np.uint32(16)
    h = np.uint32(h * np.uint32(0x85EBCA6B))
    h ^= h >> np.uint32(13)
    h = np.uint32(h * np.uint32(0xC2B2AE35))
    return h ^ (h >> np.uint32(16))


@compiled()
def min_hashes(
    hashes: np.ndarray, offsets: np.ndarray, a: np.ndarray, b: np.ndarray, sig: np.ndarray
) -> None:
    """``sig[i, p] = min(sig[i, p], min over document i's hashes h of (a[p] * fmix32(h) +
    b[p]) mod 2**32)``: datasketch's affine32 MinHash (duplicates and order do not matter).
    Four shingles per pass over the permutations: the row and ``a``/``b`` are loaded once for
    four products (the inner loop vectorises over permutations)."""
    perms = a.size
    for d in range(offsets.size - 1):
        row = sig[d]
        s, end = offsets[d], offsets[d + 1]
        while s + 4 <= end:
            m0, m1 = _fmix32(hashes[s]), _fmix32(hashes[s + 1])
            m2, m3 = _fmix32(hashes[s + 2]), _fmix32(hashes[s + 3])
            for p in range(perms):
                ap, bp = a[p], b[p]
                v = min(
                    min(np.uint32(ap * m0 + bp), np.uint32(ap * m1 + bp)),
                    min(np.uint32(ap * m2 + bp), np.uint32(ap * m3 + bp)),
                )
                row[p] = min(row[p], v)
            s += 4
        while s < end:
            m = _fmix32(hashes[s])
            for p in range(perms):
                row[p] = min(row[p], np.uint32(a[p] * m + b[p]))
            s += 1
