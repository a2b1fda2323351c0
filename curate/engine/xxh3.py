"""XXH3-64 (the xxHash 64-bit hash, seed 0, default secret) for numba kernels, written from the
XXH3 specification; equal to ``xxhash.xxh3_64_intdigest`` (tests/engine/test_xxh3.py).

``hash_at(loads, start, n)`` hashes the ``n`` bytes at ``start`` of the bytes whose
``jit.unaligned_u64`` view is ``loads`` (element ``i`` = the bytes ``i..i+7``: one load per
word, none assembled byte by byte). Inputs of up to 16 bytes (most tokens) take ``short``,
which has scalar arguments only, so its call costs no array reference counting (19-53 ns a
hash otherwise); ``hash_at`` is inlined into the caller for the two loads and calls the rest
(``_over_16``): inlining all of it at every call site made a cold compile of 80 CPU-s.
Numba's on-disk cache checks only a kernel's own source file: after editing this module,
remove the callers' cached kernels too (``__pycache__/*.nbi``, ``*.nbc``).
"""

from __future__ import annotations

import numpy as np

from curate.engine.jit import compiled, readonly, unaligned_u64

_SECRET_BYTES = readonly(
    np.frombuffer(
        bytes.fromhex(
            "b8fe6c3923a44bbe7c01812cf721ad1cded46de9839097db7240a4a4b7b3671f"
            "cb79e64eccc0e578825ad07dccff7221b8084674f743248ee03590e6813a264c"
            "3c2852bb91c300cb88d0658b1b532ea371644897a20df94e3819ef46a9deacd8"
            "a8fa763fe39c343ff9dcbbc7c70b4f1d8a51e04bcdb45931c89f7ec9d9787364"
            "eac5ac8334d3ebc3c581a0fffa1363eb170ddd51b7f0da49d316552629d4689e"
            "2b16be587d47a1fc8ff8b8d17ad031ce45cb3a8f95160428afd7fbcabb4b407e"
        ),
        np.uint8,
    )
)
"""XXH3's default 192-byte secret (a constant of the specification)."""
_SECRET_LEN = 192
_SECRET = np.ascontiguousarray(unaligned_u64(_SECRET_BYTES)[: _SECRET_LEN - 7])
"""The secret's words, ``_SECRET[i]`` = bytes ``i..i+7``: a contiguous copy, which numba
freezes into the compiled code (a strided view would be a dynamic global, never cached)."""

_P32_1 = np.uint64(0x9E3779B1)
_P32_2 = np.uint64(0x85EBCA77)
_P32_3 = np.uint64(0xC2B2AE3D)
_P64_1 = np.uint64(0x9E3779B185EBCA87)
_P64_2 = np.uint64(0xC2B2AE3D27D4EB4F)
_P64_3 = np.uint64(0x165667B19E3779F9)
_P64_4 = np.uint64(0x85EBCA77C2B2AE63)
_P64_5 = np.uint64(0x27D4EB2F165667C5)
_MX1 = np.uint64(0x165667919E3779F9)
_MX2 = np.uint64(0x9FB21C651E98DF25)
_LO32 = np.uint64(0xFFFFFFFF)


def _secret_word(offset: int, size: int = 8) -> np.uint64:
    return np.uint64(int.from_bytes(_SECRET_BYTES[offset : offset + size].tobytes(), "little"))


# The secret's words that inputs of up to 16 bytes use (compile-time constants).
_S_1TO3 = _secret_word(0, 4) ^ _secret_word(4, 4)
_S_4TO8 = _secret_word(8) ^ _secret_word(16)
_S_9TO16_LO = _secret_word(24) ^ _secret_word(32)
_S_9TO16_HI = _secret_word(40) ^ _secret_word(48)
_S_EMPTY = _secret_word(56) ^ _secret_word(64)


@compiled(inline="always")
def _head(loads: np.ndarray, i: int, k: int) -> np.uint64:
    """Little-endian uint64 of the ``k`` (at most 8) bytes from ``i``, zero-padded."""
    if k == 0:
        return np.uint64(0)
    return loads[i] & (np.uint64(0xFFFFFFFFFFFFFFFF) >> np.uint64(64 - 8 * k))


@compiled(inline="always")
def _fold(a: np.uint64, b: np.uint64) -> np.uint64:
    """The 128-bit product ``a * b``, its low and high halves xor-ed (``mul128_fold64``)."""
    a_lo, a_hi = a & _LO32, a >> np.uint64(32)
    b_lo, b_hi = b & _LO32, b >> np.uint64(32)
    lo_lo = a_lo * b_lo
    hi_lo = a_hi * b_lo
    lo_hi = a_lo * b_hi
    cross = (lo_lo >> np.uint64(32)) + (hi_lo & _LO32) + lo_hi
    upper = (hi_lo >> np.uint64(32)) + (cross >> np.uint64(32)) + a_hi * b_hi
    return (a * b) ^ upper


@compiled(inline="always")
def _rotl(x: np.uint64, r: int) -> np.uint64:
    return (x << np.uint64(r)) | (x >> np.uint64(64 - r))


@compiled(inline="always")
def _avalanche64(h: np.uint64) -> np.uint64:
    h ^= h >> np.uint64(33)
    h *= _P64_2
    h ^= h >> np.uint64(29)
    h *= _P64_3
    return h ^ (h >> np.uint64(32))


@compiled(inline="always")
def _avalanche(h: np.uint64) -> np.uint64:
    h ^= h >> np.uint64(37)
    h *= _MX1
    return h ^ (h >> np.uint64(32))


@compiled()
def short(n: int, first: np.uint64, last: np.uint64) -> np.uint64:
    """XXH3-64 of ``n <= 16`` bytes, from scalars only: ``first`` / ``last`` are the
    little-endian loads (``_head``) of the first and the last ``min(n, 8)`` bytes."""
    if n > 8:
        lo = first ^ _S_9TO16_LO
        hi = last ^ _S_9TO16_HI
        swapped = np.uint64(0)
        for k in range(8):
            swapped |= ((lo >> np.uint64(8 * k)) & np.uint64(255)) << np.uint64(56 - 8 * k)
        return _avalanche(np.uint64(n) + swapped + hi + _fold(lo, hi))
    if n >= 4:
        tail = (first >> np.uint64(8 * (n - 4))) & _LO32
        h = (tail + ((first & _LO32) << np.uint64(32))) ^ _S_4TO8
        h ^= _rotl(h, 49) ^ _rotl(h, 24)
        h *= _MX2
        h ^= (h >> np.uint64(35)) + np.uint64(n)
        h *= _MX2
        return h ^ (h >> np.uint64(28))
    if n > 0:
        c1 = first & np.uint64(255)
        c2 = (first >> np.uint64(8 * (n >> 1))) & np.uint64(255)
        c3 = (first >> np.uint64(8 * (n - 1))) & np.uint64(255)
        combined = (
            (c1 << np.uint64(16)) | (c2 << np.uint64(24)) | c3 | (np.uint64(n) << np.uint64(8))
        )
        return _avalanche64(combined ^ _S_1TO3)
    return _avalanche64(_S_EMPTY)


@compiled(inline="always")
def _mix16(a: np.ndarray, i: int, s: int) -> np.uint64:
    return _fold(a[i] ^ _SECRET[s], a[i + 8] ^ _SECRET[s + 8])


@compiled(inline="always")
def _stripe(acc: np.ndarray, a: np.ndarray, i: int, s: int) -> None:
    for k in range(8):
        value = a[i + 8 * k]
        key = value ^ _SECRET[s + 8 * k]
        acc[k ^ 1] += value
        acc[k] += (key & _LO32) * (key >> np.uint64(32))


@compiled()
def _long(a: np.ndarray, start: int, n: int) -> np.uint64:
    """More than 240 bytes: 64-byte stripes into eight accumulators, scrambled per block."""
    acc = np.empty(8, np.uint64)
    acc[0], acc[1], acc[2], acc[3] = _P32_3, _P64_1, _P64_2, _P64_3
    acc[4], acc[5], acc[6], acc[7] = _P64_4, _P32_2, _P64_5, _P32_1
    per_block = (_SECRET_LEN - 64) // 8
    block = 64 * per_block
    blocks = (n - 1) // block
    for b in range(blocks):
        for k in range(per_block):
            _stripe(acc, a, start + b * block + 64 * k, 8 * k)
        for k in range(8):
            x = acc[k]
            x ^= x >> np.uint64(47)
            x ^= _SECRET[_SECRET_LEN - 64 + 8 * k]
            acc[k] = x * _P32_1
    for k in range(((n - 1) - block * blocks) // 64):
        _stripe(acc, a, start + blocks * block + 64 * k, 8 * k)
    _stripe(acc, a, start + n - 64, _SECRET_LEN - 64 - 7)
    h = np.uint64(n) * _P64_1
    for k in range(4):
        h += _fold(acc[2 * k] ^ _SECRET[11 + 16 * k], acc[2 * k + 1] ^ _SECRET[19 + 16 * k])
    return _avalanche(h)


@compiled()
def _over_16(a: np.ndarray, start: int, n: int) -> np.uint64:
    """XXH3-64 of ``n > 16`` bytes: 16-byte mixes up to 240 bytes, stripes beyond."""
    h = np.uint64(n) * _P64_1
    if n <= 128:
        if n > 32:
            if n > 64:
                if n > 96:
                    h += _mix16(a, start + 48, 96)
                    h += _mix16(a, start + n - 64, 112)
                h += _mix16(a, start + 32, 64)
                h += _mix16(a, start + n - 48, 80)
            h += _mix16(a, start + 16, 32)
            h += _mix16(a, start + n - 32, 48)
        h += _mix16(a, start, 0)
        h += _mix16(a, start + n - 16, 16)
        return _avalanche(h)
    if n <= 240:
        for k in range(8):
            h += _mix16(a, start + 16 * k, 16 * k)
        h = _avalanche(h)
        for k in range(8, n // 16):
            h += _mix16(a, start + 16 * k, 16 * (k - 8) + 3)
        h += _mix16(a, start + n - 16, 136 - 17)
        return _avalanche(h)
    return _long(a, start, n)


@compiled(inline="always")
def hash_at(loads: np.ndarray, start: int, n: int) -> np.uint64:
    """``xxh3_64_intdigest`` of the bytes ``start..start+n`` of which ``loads`` is the
    ``jit.unaligned_u64`` view: the loads inlined, the hashing a call with scalars only up to
    16 bytes (most tokens), with the array beyond."""
    if n <= 16:
        k = min(n, 8)
        return short(n, _head(loads, start, k), _head(loads, start + n - k, k))
    return _over_16(loads, start, n)


@compiled()
def _many(a: np.ndarray, starts: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    out = np.empty(starts.size, np.uint64)
    for k in range(starts.size):
        out[k] = hash_at(a, starts[k], lengths[k])
    return out


def many(data: np.ndarray, starts: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """``xxh3_64_intdigest(data[s:s + n])`` for each start ``s`` and length ``n`` (tests)."""
    loads = readonly(unaligned_u64(data))
    return _many(loads, starts.astype(np.int64), lengths.astype(np.int64))
