"""Compiled (numba) tokeniser and hasher for the decontamination n-grams.

``token_hashes`` walks a batch's UTF-8 bytes (``surrogatepass``, so lone surrogates are three
bytes like any other character) once, text by text, with exactly the grammar of
``decontam_tokens._TOKEN`` and the rules of ``normalized_tokens``: docstrings, comments and
strings over 24 characters dropped, identifiers as ``ID`` unless kept (keywords, builtins) or
right after a ``.``, short strings as ``S:body``. Each kept token is hashed in place with XXH3-64
(``curate.engine.xxh3.hash_at``, equal to ``xxhash.xxh3_64_intdigest``), so no token ever goes
back to Python. Unicode classes (Python's ``re``
``\\d``, ``\\w``, ``\\s`` and ``str.isalpha``) come from a code-point table built from Python
itself (``code_point_classes``), once per machine, from the disk cache after that.
"""

from __future__ import annotations

import re
import sys
import unicodedata

import numpy as np
import xxhash

from curate.engine import xxh3
from curate.engine.diskcache import cached_arrays
from curate.engine.jit import ASCII_WORD_CHARS, byte_table, compiled, readonly, with_loads

DIGIT, WORD, SPACE, ALPHA = 1, 2, 4, 8
_NAME_CHAR = byte_table(ASCII_WORD_CHARS)
"""``[A-Za-z_0-9]``: the bytes that continue an ASCII name."""
"""Bits of ``code_point_classes``: Python ``re``'s ``\\d``, ``\\w``, ``\\s``; ``str.isalpha``."""


def code_point_classes() -> np.ndarray:
    """Per code point (surrogates included), the ``DIGIT`` / ``WORD`` / ``SPACE`` bits Python's
    ``re`` gives it and ``ALPHA`` for ``str.isalpha``: the tokeniser then agrees with ``_TOKEN``
    on every character. Built (about 0.5 CPU-s) once per machine and Python version."""
    return cached_arrays(
        "decontam-code-points",
        [sys.version, unicodedata.unidata_version],
        _build_classes,
        lambda arrays: arrays["classes"],
    )


def _build_classes() -> dict[str, np.ndarray]:
    size = 0x110000
    chars = "".join(map(chr, range(size)))
    table = np.zeros(size, np.uint8)
    for bit, cls in ((DIGIT, r"\d"), (WORD, r"\w"), (SPACE, r"\s")):
        for m in re.finditer(cls + "+", chars):
            table[m.start() : m.end()] |= bit
    table |= np.fromiter(map(str.isalpha, chars), np.bool_, size) * np.uint8(ALPHA)
    return {"classes": table}


@compiled(inline="always")
def _decode(data: np.ndarray, i: int, end: int) -> tuple[int, int]:
    """Code point at ``i`` and its length in bytes (generic decoding: surrogates included)."""
    c = np.int64(data[i])
    if c < 0x80:
        return c, 1
    if c >= 0xF0 and i + 3 < end:
        cp = (c & 7) << 18 | (np.int64(data[i + 1]) & 63) << 12
        return cp | (np.int64(data[i + 2]) & 63) << 6 | (np.int64(data[i + 3]) & 63), 4
    if c >= 0xE0 and i + 2 < end:
        cp = (c & 15) << 12 | (np.int64(data[i + 1]) & 63) << 6
        return cp | (np.int64(data[i + 2]) & 63), 3
    if c >= 0xC0 and i + 1 < end:
        return (c & 31) << 6 | (np.int64(data[i + 1]) & 63), 2
    return c, 1  # not reached for valid UTF-8


@compiled(inline="always")
def _name_key(loads: np.ndarray, i: int, n: int) -> np.uint64:
    """``name_key`` of the ``n`` bytes at ``i`` (``loads``: their ``unaligned_u64`` view): two
    loads, not a step per byte."""
    head = loads[i]
    tail = np.uint64(0)
    if n < 8:
        head &= (np.uint64(1) << np.uint64(8 * n)) - np.uint64(1)
    else:
        tail = loads[i + n - 8]
    key = head * _KEY_HEAD + tail * _KEY_TAIL + np.uint64(n)
    return key ^ (key >> np.uint64(31))


@compiled()
def _token_hashes(
    data: np.ndarray,
    loads: np.ndarray,
    offsets: np.ndarray,
    classes: np.ndarray,
    keep_hash: np.ndarray,
    keep_at: np.ndarray,
    words: np.ndarray,
    id_hash: np.uint64,
    byte_hash: np.ndarray,
    short_string: int,
    scratch: np.ndarray,
    scratch_loads: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Normalised token hashes of each text ``data[offsets[d]:offsets[d + 1]]``, concatenated,
    and the offsets of each text's slice (``loads``, ``scratch_loads``: the ``unaligned_u64``
    views of ``data`` and of ``scratch``, which holds ``S:`` and a short string's body). Left-most-first alternation as in ``_TOKEN``: triple-
    quoted string, quoted string, ``#`` / ``//`` comment, ASCII name, number, one non-space
    character."""
    out = np.empty(max(data.size, 1), np.uint64)
    token_offsets = np.zeros(offsets.size, np.int64)
    scratch[0], scratch[1] = 83, 58  # "S:", then a body of up to short_string 4-byte characters
    count = 0
    for d in range(offsets.size - 1):
        a, b = offsets[d], offsets[d + 1]
        after_dot = False
        # A triple-quote search from here on finds no close (one from there failed), per quote.
        no_triple_34 = no_triple_39 = b
        i = a
        while i < b:
            c = data[i]
            if c == 32 or c == 10:  # the commonest bytes, spaces: skipped, "." state kept
                i += 1
                continue
            if c == 34 or c == 39:  # a quote
                no_triple = no_triple_34 if c == 34 else no_triple_39
                if i + 2 < b and data[i + 1] == c and data[i + 2] == c and i < no_triple:
                    j = i + 3
                    while j + 2 < b and not (
                        data[j] == c and data[j + 1] == c and data[j + 2] == c
                    ):
                        j += 1
                    if j + 2 < b:
                        i = j + 3  # docstring or long text: dropped
                        continue
                    if c == 34:
                        no_triple_34 = i
                    else:
                        no_triple_39 = i
                j = i + 1
                closed = False
                while j < b:
                    x = data[j]
                    if x == c:
                        closed = True
                        break
                    if x == 10:
                        break
                    if x == 92:  # backslash: escapes any character but a newline
                        if j + 1 < b and data[j + 1] != 10:
                            j += 2
                            continue
                        break
                    j += 1
                if not closed:  # the quote alone: an empty body
                    out[count] = xxh3.hash_at(scratch_loads, 0, 2)
                    count += 1
                    after_dot = False
                    i += 1
                    continue
                body = j - i - 1
                chars = body  # a body of at most short_string bytes is short, of over 4x not
                if short_string < body <= 4 * short_string:
                    chars = 0
                    for k in range(i + 1, j):
                        if data[k] & 0xC0 != 0x80:
                            chars += 1
                if chars <= short_string:
                    for k in range(body):  # a loop: a slice would be a reference-counted view
                        scratch[2 + k] = data[i + 1 + k]
                    out[count] = xxh3.hash_at(scratch_loads, 0, 2 + body)
                    count += 1
                    after_dot = False
                i = j + 1
                continue
            if c == 35 or (c == 47 and i + 1 < b and data[i + 1] == 47):  # "#" or "//"
                while i < b and data[i] != 10:
                    i += 1
                continue
            if (65 <= c <= 90) or (97 <= c <= 122) or c == 95:  # [A-Za-z_][A-Za-z_0-9]*
                j = i + 1
                while j < b and _NAME_CHAR[data[j]]:
                    j += 1
                # Only a kept name or one after "." needs its hash; any other is "ID". Kept:
                # a probe of the open-addressing table (``keep_table``), a hit confirmed byte
                # by byte. Written out here, not as an inlined helper: a helper that takes the
                # arrays and loops pays their reference counts per call (0.9 vs 0.58 CPU-s of
                # this kernel over the e2e corpus's 257 MB).
                n = j - i
                kept = after_dot
                if not kept:
                    key = _name_key(loads, i, n)
                    slot = np.int64(key & np.uint64(keep_hash.size - 1))
                    while keep_at[slot, 1] != 0:
                        if keep_hash[slot] == key and keep_at[slot, 1] == n:
                            w = keep_at[slot, 0]
                            kept = True
                            for k in range(n):
                                if words[w + k] != data[i + k]:
                                    kept = False
                                    break
                            break
                        slot = (slot + 1) & (keep_hash.size - 1)
                out[count] = xxh3.hash_at(loads, i, n) if kept else id_hash
                count += 1
                after_dot = False
                i = j
                continue
            if c < 128 and not 48 <= c <= 57:  # ASCII space or punctuation
                if classes[c] & SPACE == 0:
                    out[count] = byte_hash[c]
                    count += 1
                    after_dot = c == 46
                i += 1
                continue
            cp, size = _decode(data, i, b)
            cls = classes[cp]
            if cls & DIGIT:  # [\d][\w.]*
                j = i + size
                while j < b:
                    cp, size = _decode(data, j, b)
                    if cp == 46 or classes[cp] & WORD:
                        j += size
                    else:
                        break
                out[count] = xxh3.hash_at(loads, i, j - i)
                count += 1
                after_dot = False
                i = j
                continue
            if cls & SPACE:
                i += size
                continue
            h = xxh3.hash_at(loads, i, size)  # one non-space character
            if cls & ALPHA and cp > 127 and not after_dot:
                h = id_hash  # a non-ASCII letter is a name (never a kept one)
            out[count] = h
            count += 1
            after_dot = cp == 46
            i += size
        token_offsets[d + 1] = count
    return out[:count].copy(), token_offsets


_KEY_HEAD = np.uint64(0x9E3779B97F4A7C15)
_KEY_TAIL = np.uint64(0xC2B2AE3D27D4EB4F)


def name_key(name: bytes) -> int:
    """The key of the kept-name table: the name's first and last eight bytes (little-endian,
    zero-padded; no last for names under eight) and its length, mixed. The tokeniser reads it
    with two loads once it has found a name's end (``_name_key``)."""
    n = len(name)
    head = int.from_bytes(name[:8], "little")
    tail = int.from_bytes(name[-8:], "little") if n >= 8 else 0
    key = (head * int(_KEY_HEAD) + tail * int(_KEY_TAIL) + n) & (2**64 - 1)
    return key ^ (key >> 31)


def keep_table(names: frozenset[bytes]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The kept names as an open-addressing table (probed in ``_token_hashes``): ``name_key``
    keys, (start, length) rows, and the names' concatenated bytes."""
    ordered = sorted(names)
    size = 16
    while size < 4 * len(ordered):
        size *= 2
    keep_hash = np.zeros(size, np.uint64)
    keep_at = np.zeros((size, 2), np.int64)
    start = 0
    for name in ordered:
        h = name_key(name)
        slot = h & (size - 1)
        while keep_at[slot, 1]:
            slot = (slot + 1) & (size - 1)
        keep_hash[slot], keep_at[slot] = h, (start, len(name))
        start += len(name)
    return keep_hash, keep_at, readonly(np.frombuffer(b"".join(ordered), np.uint8))


_classes: np.ndarray | None = None
_BYTE_HASH = np.array([xxhash.xxh3_64_intdigest(bytes([c])) for c in range(128)], np.uint64)
"""XXH3 of each one-byte (ASCII) token."""


def token_hashes(
    data: np.ndarray,
    offsets: np.ndarray,
    keep: tuple[np.ndarray, np.ndarray, np.ndarray],
    id_hash: int,
    short_string: int,
) -> tuple[np.ndarray, np.ndarray]:
    """Normalised token hashes of the texts ``data[offsets[d]:offsets[d + 1]]`` (UTF-8 with
    ``surrogatepass``) and the offsets of each text's slice (see ``_token_hashes``); the rules'
    constants (``ID``'s hash, the longest short string) come from ``decontam_tokens``."""
    global _classes
    if _classes is None:
        _classes = code_point_classes()
    data, loads = with_loads(data)
    scratch, scratch_loads = with_loads(np.zeros(2 + 4 * short_string, np.uint8))
    return _token_hashes(
        readonly(data),
        readonly(loads),
        offsets,
        _classes,
        *keep,
        np.uint64(id_hash),
        _BYTE_HASH,
        short_string,
        scratch,
        scratch_loads,
    )


@compiled()
def _grams(
    th: np.ndarray,
    offsets: np.ndarray,
    n: int,
    mix: np.uint64,
    mix_inverse: np.uint64,
    table: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Per text, the hash of the ``n``-gram at each token position (one gram of all tokens
    when fewer than ``n``): ``sum(th[i + j] * M**j)`` modulo 2**64 (``M``: ``mix``), rolled from
    one gram to the next (``M`` is odd, so the division by ``M`` is exact). Only grams whose low bits are set in
    ``table`` (a power-of-two size) are kept; returns them and each text's offsets in them."""
    out = np.empty(max(th.size, 1), np.uint64)
    gram_offsets = np.zeros(offsets.size, np.int64)
    mask = np.uint64(table.size - 1)
    count = 0
    for d in range(offsets.size - 1):
        a, b = offsets[d], offsets[d + 1]
        if b > a:
            k = min(n, b - a)
            top = np.uint64(1)  # M ** (k - 1)
            g = np.uint64(0)
            for j in range(k - 1, -1, -1):
                g = g * mix + th[a + j]
                if j:
                    top *= mix
            for i in range(a, b - k + 1):
                if i > a:
                    g = (g - th[i - 1]) * mix_inverse + th[i + k - 1] * top
                if table[np.int64(g & mask)]:
                    out[count] = g
                    count += 1
        gram_offsets[d + 1] = count
    return out[:count].copy(), gram_offsets


_ALL = np.ones(1, np.bool_)


def gram_hashes(
    th: np.ndarray, offsets: np.ndarray, n: int, mix: np.uint64, table: np.ndarray = _ALL
) -> tuple[np.ndarray, np.ndarray]:
    """The ``n``-gram hashes (multiplier ``mix``, odd) of each text's token hashes
    ``th[offsets[d]:offsets[d + 1]]``, concatenated, and each text's offsets in them; with
    ``table`` (bools, a power-of-two size) only the grams whose low bits it holds."""
    inverse = np.uint64(pow(int(mix), -1, 1 << 64))
    return _grams(th, offsets, n, np.uint64(mix), inverse, table)


_SPREAD = np.uint64(0x9E3779B97F4A7C15)
"""Multiplier that spreads a word key into the bitmap index (its top 16 bits)."""


@compiled()
def _find_words(
    data: np.ndarray,
    offsets: np.ndarray,
    docs: np.ndarray,
    first_only: bool,
    width: int,
    bitmap: np.ndarray,
    prefixes: np.ndarray,
    starts: np.ndarray,
    lengths: np.ndarray,
    ids: np.ndarray,
    words: np.ndarray,
    count: int,
) -> np.ndarray:
    """Per text of ``docs``, which of ``count`` words it holds (row ``k``, column ``ids[w]`` for
    the word ``words[starts[w]:starts[w] + lengths[w]]``; words sorted by ``prefixes``, the
    big-endian key of their first ``width`` bytes); ``first_only``: stop at a text's first
    word. A rolling key of the last ``width`` bytes is looked up in ``bitmap`` and, on a hit,
    in ``prefixes``; the words with that prefix are compared in full."""
    out = np.zeros((docs.size, count), np.bool_)
    key_mask = (np.uint64(1) << np.uint64(8 * width)) - np.uint64(1)
    shift = np.uint64(64 - 16)
    for r in range(docs.size):
        a, b = offsets[docs[r]], offsets[docs[r] + 1]
        key = np.uint64(0)
        done = False
        for i in range(a, b):
            key = ((key << np.uint64(8)) | np.uint64(data[i])) & key_mask
            if i - a + 1 < width or not bitmap[np.int64((key * _SPREAD) >> shift)]:
                continue
            start = i - width + 1
            w = np.searchsorted(prefixes, key)
            while w < prefixes.size and prefixes[w] == key:
                n = lengths[w]
                if start + n <= b:
                    same = True
                    for k in range(width, n):
                        if data[start + k] != words[starts[w] + k]:
                            same = False
                            break
                    if same:
                        out[r, ids[w]] = True
                        if first_only:
                            done = True
                            break
                w += 1
            if done:
                break
    return out


class WordFinder:
    """Which of ``words`` (distinct, non-empty) texts hold as substrings, by a compiled search
    on their UTF-8 bytes (a byte match of valid UTF-8 starts at a character)."""

    def __init__(self, words: list[str]):
        encoded = [w.encode() for w in words]
        if len(set(encoded)) != len(encoded) or not all(encoded):
            raise ValueError("words must be distinct and non-empty")
        self.count = len(encoded)
        self.width = min([4, *map(len, encoded)])
        keys = [int.from_bytes(w[: self.width], "big") for w in encoded]
        order = np.argsort(np.array(keys, np.uint64), kind="stable")
        self.ids = order.astype(np.int64)
        self.prefixes = np.array(keys, np.uint64)[order]
        self.lengths = np.array([len(encoded[i]) for i in order], np.int64)
        self.starts = np.concatenate([[0], np.cumsum(self.lengths)[:-1]]).astype(np.int64)
        self.words = readonly(np.frombuffer(b"".join(encoded[i] for i in order) or b"\0", np.uint8))
        self.bitmap = np.zeros(1 << 16, np.bool_)
        with np.errstate(over="ignore"):
            self.bitmap[((self.prefixes * _SPREAD) >> np.uint64(48)).astype(np.intp)] = True
        self.holds_any(readonly(np.zeros(8, np.uint8)), np.array([0, 8]))  # compile or load

    def found(self, data: np.ndarray, offsets: np.ndarray, docs: np.ndarray) -> np.ndarray:
        """Bools (``len(docs)`` x ``len(words)``): which words each text of ``docs`` holds."""
        return self._find(data, offsets, docs, False)

    def holds_any(self, data: np.ndarray, offsets: np.ndarray) -> np.ndarray:
        """Per text of ``data`` split at ``offsets``: does it hold any of the words."""
        docs = np.arange(offsets.size - 1, dtype=np.int64)
        return self._find(data, offsets, docs, True).any(axis=1)

    def _find(self, data: np.ndarray, offsets: np.ndarray, docs: np.ndarray, first: bool):
        if not self.count:
            return np.zeros((docs.size, 0), np.bool_)
        return _find_words(
            readonly(data),
            offsets,
            docs.astype(np.int64),
            first,
            self.width,
            self.bitmap,
            self.prefixes,
            self.starts,
            self.lengths,
            self.ids,
            self.words,
            self.count,
        )


@compiled()
def _json_string_spans(
    data: np.ndarray, offsets: np.ndarray, docs: np.ndarray, min_items: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Byte spans of the matches of ``decontam._JSON_STRING`` (a JSON string literal of at
    least ``min_items`` characters or escapes) in each text that hold a backslash followed by
    ``n``, among the texts ``docs`` (in order), as (text, start, end) arrays. An attempt from a quote is deterministic (only the
    first unescaped quote can close it); a failed one resumes at the next character, a match
    after its end, as ``finditer`` does. Texts without a backslash-``n`` are skipped at once."""
    most = data.size // (min_items + 2) + 1  # a match takes min_items + 2 bytes at least
    texts = np.empty(most, np.int64)
    starts = np.empty(most, np.int64)
    ends = np.empty(most, np.int64)
    count = 0
    for d in docs:
        a, b = offsets[d], offsets[d + 1]
        has = False
        for k in range(a, b - 1):
            if data[k] == 92 and data[k + 1] == 110:
                has = True
                break
        if not has:
            continue
        p = a
        while p < b:
            if data[p] != 34:
                p += 1
                continue
            j = p + 1
            items = 0
            closed = False
            while j < b:
                x = data[j]
                if x == 34:
                    closed = True
                    break
                if x == 10:
                    break
                if x == 92:  # an escape: a backslash and any character but a newline
                    if j + 1 < b and data[j + 1] != 10:
                        items += 1
                        j += 2
                        continue
                    break
                if x & 0xC0 != 0x80:  # a character (its first byte)
                    items += 1
                j += 1
            if not closed or items < min_items:
                p += 1
                continue
            for k in range(p + 1, j - 1):
                if data[k] == 92 and data[k + 1] == 110:
                    texts[count], starts[count], ends[count] = d, p, j + 1
                    count += 1
                    break
            p = j + 1
    return texts[:count].copy(), starts[:count].copy(), ends[:count].copy()


def json_string_spans(
    data: np.ndarray, offsets: np.ndarray, docs: np.ndarray | None = None, min_items: int = 40
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(text, start, end) of each JSON string literal of at least ``min_items`` characters
    holding an escaped newline, in the texts ``data[offsets[d]:offsets[d + 1]]`` (those of
    ``docs``, sorted, else all; see ``_json_string_spans``; ``decontam.decoded_json_strings``
    is the readable definition)."""
    if docs is None:
        docs = np.arange(offsets.size - 1, dtype=np.int64)
    return _json_string_spans(readonly(data), offsets, docs.astype(np.int64), min_items)
