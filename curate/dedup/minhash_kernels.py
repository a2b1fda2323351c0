"""Compiled (numba) kernels of the MinHash signatures, one pass per document instead of the
batch-wide numpy passes (regex token lists, a dictionary encoding, ``ngram`` shifted copies of
the token hashes, a sort of ``document << 32 | hash`` keys, ``(perms x shingles)`` products):

- ``word_token_hashes``: the ``[A-Za-z_0-9]+`` tokens of ASCII-lowercased UTF-8 text and
  their ``xxh3_64`` (the xxHash XXH3 64-bit hash, seed 0, default secret), computed here so
  that no token becomes a Python string;
- ``shingle_sets``: each document's distinct shingle hashes, ascending (the same polynomial mix
  and ``<idK>`` identifier placeholders as ``minhash.hash_tokens``);
- ``min_hashes``: the datasketch ``affine32`` permutation minimum of every document.

The numpy functions of ``curate.dedup.minhash`` stay the readable references; the tests check
the kernels against them, against the ``xxhash`` package and against datasketch. Compiled with
numba's on-disk cache (``curate.engine.jit.compiled``): ``warm_up`` loads every kernel.
"""

from __future__ import annotations

import numpy as np

from curate.engine.jit import compiled, readonly, unaligned_u64

_P32_1 = np.uint64(0x9E3779B1)
_P32_2 = np.uint64(0x85EBCA77)
_P32_3 = np.uint64(0xC2B2AE3D)
_P64_1 = np.uint64(0x9E3779B185EBCA87)
_P64_2 = np.uint64(0xC2B2AE3D27D4EB4F)
_P64_3 = np.uint64(0x165667B19E3779F9)
_P64_4 = np.uint64(0x85EBCA77C2B2AE63)
_P64_5 = np.uint64(0x27D4EB2F165667C5)
_PMX1 = np.uint64(0x165667919E3779F9)
_PMX2 = np.uint64(0x9FB21C651E98DF25)
_M32 = np.uint64(0xFFFFFFFF)
_SECRET_BYTES = bytes.fromhex(
    "b8fe6c3923a44bbe7c01812cf721ad1cded46de9839097db7240a4a4b7b3671f"
    "cb79e64eccc0e578825ad07dccff7221b8084674f743248ee03590e6813a264c"
    "3c2852bb91c300cb88d0658b1b532ea371644897a20df94e3819ef46a9deacd8"
    "a8fa763fe39c343ff9dcbbc7c70b4f1d8a51e04bcdb45931c89f7ec9d9787364"
    "eac5ac8334d3ebc3c581a0fffa1363eb170ddd51b7f0da49d316552629d4689e"
    "2b16be587d47a1fc8ff8b8d17ad031ce45cb3a8f95160428afd7fbcabb4b407e"
)
"""XXH3's default 192-byte secret (a constant of the algorithm's specification)."""
SECRET = readonly(unaligned_u64(np.frombuffer(_SECRET_BYTES, np.uint8)))
"""The secret as unaligned little-endian uint64 loads (``SECRET[i]`` = bytes ``i..i+7``)."""
_SECRET_LEN = 192

_MIX1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX2 = np.uint64(0x94D049BB133111EB)
_SHINGLE_MULT = np.uint64(0x9E3779B97F4A7C15)
_SHINGLE_SEED = np.uint64(0x243F6A8885A308D3)


def _word_table() -> np.ndarray:
    table = np.zeros(256, np.bool_)
    for c in b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_":
        table[c] = True
    return table


WORD = _word_table()
"""``[A-Za-z_0-9]``: the bytes of a ``words`` token (``minhash.TOKEN_PATTERN``)."""


@compiled(inline="always")
def _fold(a: np.uint64, b: np.uint64) -> np.uint64:
    """Low xor high half of the 128-bit product ``a * b`` (XXH3's ``mul128_fold64``)."""
    a_lo, a_hi = a & _M32, a >> np.uint64(32)
    b_lo, b_hi = b & _M32, b >> np.uint64(32)
    lo_lo, hi_lo = a_lo * b_lo, a_hi * b_lo
    lo_hi, hi_hi = a_lo * b_hi, a_hi * b_hi
    cross = (lo_lo >> np.uint64(32)) + (hi_lo & _M32) + lo_hi
    upper = (hi_lo >> np.uint64(32)) + (cross >> np.uint64(32)) + hi_hi
    lower = (cross << np.uint64(32)) | (lo_lo & _M32)
    return lower ^ upper


@compiled(inline="always")
def _avalanche(h: np.uint64) -> np.uint64:
    h ^= h >> np.uint64(37)
    h *= _PMX1
    return h ^ (h >> np.uint64(32))


@compiled(inline="always")
def _mix16(loads: np.ndarray, i: int, secret: np.ndarray, s: int) -> np.uint64:
    return _fold(loads[i] ^ secret[s], loads[i + 8] ^ secret[s + 8])


@compiled(inline="always")
def _stripe(acc: np.ndarray, loads: np.ndarray, i: int, secret: np.ndarray, s: int) -> None:
    for k in range(8):
        value = loads[i + 8 * k]
        key = value ^ secret[s + 8 * k]
        acc[k ^ 1] += value
        acc[k] += (key & _M32) * (key >> np.uint64(32))


@compiled()
def _xxh3_long(loads: np.ndarray, start: int, length: int, secret: np.ndarray) -> np.uint64:
    """XXH3 64 of more than 240 bytes: 64-byte stripes into eight accumulators."""
    acc = np.empty(8, np.uint64)
    acc[0], acc[1], acc[2], acc[3] = _P32_3, _P64_1, _P64_2, _P64_3
    acc[4], acc[5], acc[6], acc[7] = _P64_4, _P32_2, _P64_5, _P32_1
    per_block = (_SECRET_LEN - 64) // 8
    block = 64 * per_block
    blocks = (length - 1) // block
    for n in range(blocks):
        for k in range(per_block):
            _stripe(acc, loads, start + n * block + 64 * k, secret, 8 * k)
        for k in range(8):
            a = acc[k]
            a ^= a >> np.uint64(47)
            a ^= secret[_SECRET_LEN - 64 + 8 * k]
            acc[k] = a * _P32_1
    stripes = ((length - 1) - block * blocks) // 64
    for k in range(stripes):
        _stripe(acc, loads, start + blocks * block + 64 * k, secret, 8 * k)
    _stripe(acc, loads, start + length - 64, secret, _SECRET_LEN - 64 - 7)
    h = np.uint64(length) * _P64_1
    for k in range(4):
        h += _fold(acc[2 * k] ^ secret[11 + 16 * k], acc[2 * k + 1] ^ secret[19 + 16 * k])
    return _avalanche(h)


@compiled(inline="always")
def xxh3_64(
    data: np.ndarray, loads: np.ndarray, start: int, length: int, secret: np.ndarray
) -> np.uint64:
    """``xxhash.xxh3_64_intdigest(data[start:start + length])`` (``loads``: the unaligned
    uint64 view of ``data``, readable 8 bytes past every position)."""
    n = np.uint64(length)
    if length <= 16:
        if length > 8:
            lo = loads[start] ^ (secret[24] ^ secret[32])
            hi = loads[start + length - 8] ^ (secret[40] ^ secret[48])
            swapped = np.uint64(0)
            x = lo
            for _ in range(8):
                swapped = (swapped << np.uint64(8)) | (x & np.uint64(0xFF))
                x >>= np.uint64(8)
            return _avalanche(n + swapped + hi + _fold(lo, hi))
        if length >= 4:
            first = loads[start] & _M32
            last = loads[start + length - 4] & _M32
            h = (last + (first << np.uint64(32))) ^ (secret[8] ^ secret[16])
            h ^= ((h << np.uint64(49)) | (h >> np.uint64(15))) ^ (
                (h << np.uint64(24)) | (h >> np.uint64(40))
            )
            h *= _PMX2
            h ^= (h >> np.uint64(35)) + n
            h *= _PMX2
            return h ^ (h >> np.uint64(28))
        if length > 0:
            c1 = np.uint64(data[start])
            c2 = np.uint64(data[start + (length >> 1)])
            c3 = np.uint64(data[start + length - 1])
            combined = (c1 << np.uint64(16)) | (c2 << np.uint64(24)) | c3 | (n << np.uint64(8))
            h = combined ^ ((secret[0] & _M32) ^ (secret[4] & _M32))
        else:
            h = secret[56] ^ secret[64]
        h ^= h >> np.uint64(33)
        h *= _P64_2
        h ^= h >> np.uint64(29)
        h *= _P64_3
        return h ^ (h >> np.uint64(32))
    if length <= 128:
        h = n * _P64_1
        if length > 32:
            if length > 64:
                if length > 96:
                    h += _mix16(loads, start + 48, secret, 96)
                    h += _mix16(loads, start + length - 64, secret, 112)
                h += _mix16(loads, start + 32, secret, 64)
                h += _mix16(loads, start + length - 48, secret, 80)
            h += _mix16(loads, start + 16, secret, 32)
            h += _mix16(loads, start + length - 32, secret, 48)
        h += _mix16(loads, start, secret, 0)
        h += _mix16(loads, start + length - 16, secret, 16)
        return _avalanche(h)
    if length <= 240:
        h = n * _P64_1
        for k in range(8):
            h += _mix16(loads, start + 16 * k, secret, 16 * k)
        end = _mix16(loads, start + length - 16, secret, 136 - 17)
        h = _avalanche(h)
        for k in range(8, length // 16):
            end += _mix16(loads, start + 16 * k, secret, 16 * (k - 8) + 3)
        return _avalanche(h + end)
    return _xxh3_long(loads, start, length, secret)


@compiled()
def word_token_hashes(
    data: np.ndarray,
    loads: np.ndarray,
    offsets: np.ndarray,
    table: np.ndarray,
    secret: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """``(token hashes uint64, tokens per document int64)`` of the documents
    ``data[offsets[i]:offsets[i + 1]]``: a token is a maximal run of ``table`` bytes, hashed
    as it is (the caller lowercases ASCII first)."""
    docs = offsets.size - 1
    out = np.empty((offsets[docs] - offsets[0] + 1) // 2 + docs, np.uint64)
    counts = np.zeros(docs, np.int64)
    count = 0
    for d in range(docs):
        i, end = offsets[d], offsets[d + 1]
        first = count
        while i < end:
            if not table[data[i]]:
                i += 1
                continue
            j = i + 1
            while j < end and table[data[j]]:
                j += 1
            out[count] = xxh3_64(data, loads, i, j - i, secret)
            count += 1
            i = j
        counts[d] = count - first
    return out[:count], counts


@compiled(inline="always")
def _position_hash(
    th: np.ndarray, ident: np.ndarray, idx: np.ndarray, ids: np.ndarray, i: int, k: int
) -> np.uint64:
    """Hash of the token at position ``k`` of the shingle starting at token ``i``: an
    identifier becomes ``<idJ>``, J the first position of the same name in the shingle."""
    if not ident[i + k]:
        return th[i + k]
    for j in range(k):
        if ident[i + j] and idx[i + j] == idx[i + k]:
            return ids[j]
    return ids[k]


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
            h = _SHINGLE_SEED
            for k in range(width):
                t = (
                    _position_hash(th, ident, idx, ids, start + s, k)
                    if marks
                    else th[start + s + k]
                )
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
