"""Compiled (numba) per-document loops for the text statistics that numpy can only express as
many full passes over a batch's bytes (masks, ``flatnonzero``, gathers, a batch-wide sort).

Each kernel walks a batch's UTF-8 bytes document by document, once: ``byte_stats`` (character
classes, line lengths, repeated lines), ``unicode_letters`` (letters and digits among the
non-ASCII characters, by a code-point table of Python's own ``str.isalpha``/``isalnum``) and
``repeated_ngrams`` (word hashes and n-gram repeats, the same hashes as the earlier numpy code,
so the same values); ``head_ends`` and ``fenced_lines`` read only a document's head or a test
file's line shapes for the markers (``markers``); ``encoded_bytes`` scans the pre-filtered
documents for ``text_stats._ENCODED_RE``'s matches (``html_kernel`` holds the HTML pass). The tests compare them
with plain-Python (or the regex) definitions on Unicode, CRLF, empty, very long and mixed batches. Compiled
once per process: ``warm_up`` (called by the annotator's ``setup``) pays the JIT, about 7 CPU-s,
or loads numba's on-disk cache (``cache=True``: next to this file, or numba's user cache
directory where that is read-only), about 0.55 CPU-s; importing numba costs about 0.5 CPU-s.
"""

from __future__ import annotations

import sys
import unicodedata

import numpy as np

from curate.engine.diskcache import cached_arrays
from curate.engine.jit import ASCII_WORD_CHARS, byte_table, readonly, unaligned_u64
from curate.engine.jit import compiled as _compiled

_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)


WORD_BYTES = byte_table(ASCII_WORD_CHARS, non_ascii=True)
"""``[A-Za-z0-9_]`` or a byte of a non-ASCII character: the bytes words are made of."""


_LOW_BYTES = np.array([(1 << (8 * k)) - 1 for k in range(8)] + [2**64 - 1], np.uint64)
"""``_LOW_BYTES[k]`` keeps the low ``k`` bytes of a little-endian uint64."""


@_compiled(inline="always")
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


@_compiled()
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
    their chains agree above the low ``bits`` bits (the batch's document-index width: the earlier
    numpy code kept the document index there, and dropping the same bits keeps its results).
    Counted with one open-addressing table per document, reused across documents."""
    rows = offsets.size - 1
    total = np.zeros(rows, np.int64)
    dups = np.zeros(rows, np.int64)
    drop = np.uint64(bits)
    lead = np.uint64(1)  # M1 ** (n - 1): the first word's factor in an n-gram's chain
    for _ in range(n - 1):
        lead *= _M1
    hashes = np.empty(0, np.uint64)
    edges = np.empty(0, np.int64)
    slots = np.empty(0, np.uint64)
    seen = np.zeros(0, np.int32)
    for d in range(rows):
        a, b = offsets[d], offsets[d + 1]
        if edges.size <= b - a:
            edges = np.empty(b - a + 1, np.int64)
            hashes = np.empty((b - a) // 2 + 1, np.uint64)
        # Word bounds without a branch a byte (a word edge is a mispredicted branch): every
        # byte is written as a candidate edge, kept where the class changes; edges alternate
        # word start, word end.
        found = 0
        prev = np.int64(0)
        for i in range(a, b):
            w = np.int64(table[data[i]])
            edges[found] = i
            found += w ^ prev
            prev = w
        edges[found] = b  # the end of a word that ends the document
        count = (found + 1) // 2
        for k in range(count):
            hashes[k] = _word_hash(loads, edges[2 * k], edges[2 * k + 1], low)
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
        # The chain of n-gram s is sum(hashes[s + k] * M1 ** (n - 1 - k)) mod 2**64: rolled
        # from the one before it (drop the first word, shift, add the next), not rebuilt.
        g = hashes[0]
        for k in range(1, n):
            g = g * _M1 + hashes[k]
        for s in range(m):
            if s:
                g = (g - hashes[s - 1] * lead) * _M1 + hashes[s + n - 1]
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


BYTE_FIELDS = (
    "alpha",  # ASCII letters
    "digit",  # ASCII digits
    "space",  # ASCII whitespace: space, \t \n \v \f \r
    "high",  # bytes >= 0x80
    "non_ascii",  # characters > U+007F (their lead bytes)
    "replacement",  # U+FFFD
    "line_count",
    "line_chars",  # sum of line lengths
    "max_line",
    "long_lines",  # lines longer than ``long_line_chars``
    "substantive",  # lines with >= ``min_chars`` characters after stripping whitespace
    "repeated",  # substantive lines equal to an earlier one of the document
)
"""Rows of ``byte_stats``'s result."""


_FIELD_MAX = 1023
_FIELD = np.uint64(_FIELD_MAX)


def _class_table() -> np.ndarray:
    """Per byte value, six packed 10-bit counters: ASCII letter, ASCII digit, ASCII
    whitespace, byte >= 0x80, lead byte of a non-ASCII character, first byte of a character.
    Adding a byte's entry counts it in all six at once (flushed every ``_FIELD_MAX`` bytes)."""
    table = np.zeros(256, np.uint64)
    for c in range(256):
        ch = chr(c)
        flags = [
            c < 0x80 and ch.isalpha(),
            c < 0x80 and ch.isdigit(),
            c in b" \t\n\v\f\r",
            c >= 0x80,
            c >= 0xC0,
            c < 0x80 or c >= 0xC0,
        ]
        table[c] = sum(int(f) << (10 * k) for k, f in enumerate(flags))
    return table


_CLASSES = _class_table()


@_compiled(inline="always")
def _is_space_at(data: np.ndarray, i: int, end: int) -> int:
    """Bytes of the character at ``i`` if it is Unicode White_Space (what polars' and Rust's
    ``trim`` strip), else 0. ``data`` is valid UTF-8."""
    c = data[i]
    if c < 0x80:
        return 1 if c == 32 or 9 <= c <= 13 else 0
    if c == 0xC2 and i + 1 < end:
        d = data[i + 1]
        return 2 if d == 0x85 or d == 0xA0 else 0  # U+0085, U+00A0
    if (c == 0xE1 or c == 0xE2 or c == 0xE3) and i + 2 < end:
        d, e = data[i + 1], data[i + 2]
        if c == 0xE1:
            return 3 if d == 0x9A and e == 0x80 else 0  # U+1680
        if c == 0xE3:
            return 3 if d == 0x80 and e == 0x80 else 0  # U+3000
        if d == 0x80:  # U+2000-U+200A, U+2028, U+2029, U+202F
            return 3 if e <= 0x8A or e == 0xA8 or e == 0xA9 or e == 0xAF else 0
        if d == 0x81:
            return 3 if e == 0x9F else 0  # U+205F
    return 0


@_compiled(inline="always")
def _line_hash(loads: np.ndarray, start: int, end: int, low: np.ndarray) -> np.uint64:
    h = np.uint64(end - start)
    i = start
    while i + 8 <= end:
        h = (h ^ loads[i]) * _M1
        h ^= h >> np.uint64(29)
        i += 8
    if i < end:
        h = (h ^ (loads[i] & low[end - i])) * _M2
    return h ^ (h >> np.uint64(32))


@_compiled()
def _byte_stats(
    data: np.ndarray,
    loads: np.ndarray,
    offsets: np.ndarray,
    long_line_chars: int,
    min_chars: int,
    low: np.ndarray,
    classes: np.ndarray,
) -> np.ndarray:
    """``BYTE_FIELDS`` per document (one row each), in one pass over its bytes (a second one
    for U+FFFD in non-ASCII documents).

    A line is the text up to and including ``\\n`` (a final newline does not start a new line);
    its length in characters excludes the ``\\n`` and one ``\\r`` before the end. Repeated
    lines are found with one open-addressing table of (hash, start, end) per document and an
    exact comparison of the stripped bytes."""
    rows = offsets.size - 1
    out = np.zeros((12, rows), np.int64)
    table = np.full(16, -1, np.int64)  # index into line_a/line_b
    line_a = np.empty(0, np.int64)
    line_b = np.empty(0, np.int64)
    hashes = np.empty(0, np.uint64)
    for d in range(rows):
        a, b = offsets[d], offsets[d + 1]
        alpha = digit = space = high = lead = repl = 0
        lines = total = longest = long = 0
        stored = repeated = 0
        if line_a.size < (b - a) // min_chars + 1:
            cap = (b - a) // min_chars + 1
            line_a = np.empty(cap, np.int64)
            line_b = np.empty(cap, np.int64)
            hashes = np.empty(cap, np.uint64)
        need = 16  # the slots this document uses: a small one stays in cache
        while need < 2 * ((b - a) // min_chars + 1):
            need *= 2
        if need > table.size:
            table = np.full(need, -1, np.int64)
        mask = need - 1
        start = a
        while start < b:  # one line a round
            chars = 0
            i = start
            newline = False
            while i < b and not newline:  # in chunks that cannot overflow a packed field
                stop = min(b, i + _FIELD_MAX)
                acc = np.uint64(0)
                while i < stop:
                    c = data[i]
                    acc += classes[c]
                    i += 1
                    if c == 10:
                        newline = True
                        break
                alpha += np.int64(acc & _FIELD)
                digit += np.int64((acc >> np.uint64(10)) & _FIELD)
                space += np.int64((acc >> np.uint64(20)) & _FIELD)
                high += np.int64((acc >> np.uint64(30)) & _FIELD)
                lead += np.int64((acc >> np.uint64(40)) & _FIELD)
                chars += np.int64((acc >> np.uint64(50)) & _FIELD)
            end = i  # the line is [start, end), with its newline if it has one
            length = chars - 1 if newline else chars
            # one \r before the end (or before the newline) is not part of the line
            body_end = end - 1 if newline else end
            if body_end > start and data[body_end - 1] == 13:
                length -= 1
            lines += 1
            total += length
            if length > longest:
                longest = length
            if length > long_line_chars:
                long += 1
            if length >= min_chars:  # only these can have min_chars after stripping
                s, e = start, end
                n = chars  # characters left after stripping
                while s < e:  # ASCII whitespace (indentation) without _is_space_at: 2x
                    c = data[s]
                    if c == 32 or 9 <= c <= 13:
                        s += 1
                        n -= 1
                        continue
                    k = 0 if c < 0x80 else _is_space_at(data, s, e)
                    if k == 0:
                        break
                    s += k
                    n -= 1
                while e > s:
                    c = data[e - 1]
                    if c == 32 or 9 <= c <= 13:
                        e -= 1
                        n -= 1
                        continue
                    if c < 0x80:
                        break
                    j = e - 1
                    while data[j] & 0xC0 == 0x80:
                        j -= 1
                    if _is_space_at(data, j, e) == 0:
                        break
                    e = j
                    n -= 1
                if n >= min_chars:
                    h = _line_hash(loads, s, e, low)
                    slot = np.int64(h & np.uint64(mask))
                    while True:
                        k = table[slot]
                        if k < 0:
                            table[slot] = stored
                            line_a[stored], line_b[stored], hashes[stored] = s, e, h
                            stored += 1
                            break
                        if hashes[k] == h and line_b[k] - line_a[k] == e - s:
                            x = line_a[k]
                            same = True
                            for j in range(e - s):
                                if data[x + j] != data[s + j]:
                                    same = False
                                    break
                            if same:
                                repeated += 1
                                break
                        slot = (slot + np.int64(1)) & np.int64(mask)
                    out[10, d] += 1
            start = end
        if high:  # U+FFFD is EF BF BD
            for j in range(a, b - 2):
                if data[j] == 0xEF and data[j + 1] == 0xBF and data[j + 2] == 0xBD:
                    repl += 1
        if stored:  # clear the slots this document used
            table[:need] = -1
        out[0, d], out[1, d], out[2, d], out[3, d] = alpha, digit, space, high
        out[4, d], out[5, d], out[6, d], out[7, d] = lead, repl, lines, total
        out[8, d], out[9, d], out[11, d] = longest, long, repeated
    return out


def byte_stats(
    data: np.ndarray,
    offsets: np.ndarray,
    long_line_chars: int,
    min_chars: int,
    loads: np.ndarray | None = None,
) -> dict[str, np.ndarray]:
    """``BYTE_FIELDS`` per document of the batch bytes ``data`` split at ``offsets``
    (``loads``: their ``unaligned_u64`` view, where the caller holds one)."""
    data = readonly(data)
    loads = unaligned_u64(data) if loads is None else loads
    out = _byte_stats(data, loads, offsets, long_line_chars, min_chars, _LOW_BYTES, _CLASSES)
    return dict(zip(BYTE_FIELDS, out, strict=True))


_LETTER, _ALNUM = 1, 2
_unicode_classes: np.ndarray | None = None


def unicode_classes() -> np.ndarray:
    """Per code point, ``_LETTER`` if Python's ``str.isalpha`` and ``_ALNUM`` if ``isalnum``
    holds for it, built from Python's own Unicode database (so the kernel agrees with Python on
    every character; about 0.2 CPU-s) once per machine and Python version, then memory-mapped
    from the disk cache by every process."""
    global _unicode_classes
    if _unicode_classes is None:
        _unicode_classes = cached_arrays(
            "unicode-classes",
            [sys.version, unicodedata.unidata_version],
            _build_unicode_classes,
            lambda arrays: arrays["classes"],
        )
    return _unicode_classes


def _build_unicode_classes() -> dict[str, np.ndarray]:
    size = 0x110000
    alpha = np.fromiter((chr(i).isalpha() for i in range(size)), np.bool_, size)
    alnum = np.fromiter((chr(i).isalnum() for i in range(size)), np.bool_, size)
    return {"classes": alpha * np.uint8(_LETTER) | alnum * np.uint8(_ALNUM)}


@_compiled()
def _unicode_letters(
    data: np.ndarray, offsets: np.ndarray, docs: np.ndarray, classes: np.ndarray
) -> np.ndarray:
    """Per document of ``docs``: its non-ASCII characters that are letters (row 0) and that
    are letters or digits (row 1), decoded from valid UTF-8."""
    out = np.zeros((2, docs.size), np.int64)
    for k in range(docs.size):
        a, b = offsets[docs[k]], offsets[docs[k] + 1]
        letters = alnum = 0
        for i in range(a, b):
            c = np.int64(data[i])
            if c < 0xC0:  # ASCII, or a continuation byte
                continue
            if c >= 0xF0:
                cp = (c & 7) << 18 | (np.int64(data[i + 1]) & 63) << 12
                cp |= (np.int64(data[i + 2]) & 63) << 6 | (np.int64(data[i + 3]) & 63)
            elif c >= 0xE0:
                cp = (c & 15) << 12 | (np.int64(data[i + 1]) & 63) << 6
                cp |= np.int64(data[i + 2]) & 63
            else:
                cp = (c & 31) << 6 | (np.int64(data[i + 1]) & 63)
            f = classes[cp]
            letters += f & _LETTER
            alnum += (f & _ALNUM) >> 1
        out[0, k], out[1, k] = letters, alnum
    return out


def unicode_letters(
    data: np.ndarray, offsets: np.ndarray, docs: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """``(letters, alnum)``: per document of ``docs`` (indices), how many of its non-ASCII
    characters Python's ``str.isalpha`` / ``str.isalnum`` accept."""
    out = _unicode_letters(readonly(data), offsets, docs.astype(np.int64), unicode_classes())
    return out[0], out[1]


def repeated_ngrams(
    data: np.ndarray,
    offsets: np.ndarray,
    n: int,
    bits: int,
    loads: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """``(total, dups)`` per document of the batch bytes ``data`` split at ``offsets`` (int64,
    relative to ``data``): see ``_repeated_ngrams``. ``loads``: as for ``byte_stats``."""
    data = readonly(data)
    loads = unaligned_u64(data) if loads is None else loads
    return _repeated_ngrams(data, loads, offsets, n, bits, WORD_BYTES, _LOW_BYTES)


@_compiled()
def _head_ends(data: np.ndarray, offsets: np.ndarray, max_chars: int, max_lines: int) -> np.ndarray:
    """Per document, where its head ends (relative to ``data``): after its first ``max_chars``
    characters or its ``max_lines``-th newline, whichever comes first."""
    rows = offsets.size - 1
    ends = np.empty(rows, np.int64)
    for d in range(rows):
        i, b = offsets[d], offsets[d + 1]
        chars = lines = 0
        while i < b:
            c = data[i]
            if c & 0xC0 != 0x80:  # the first byte of a character
                if chars == max_chars:
                    break
                chars += 1
            i += 1
            if c == 10:
                lines += 1
                if lines == max_lines:
                    break
        ends[d] = i
    return ends


def head_ends(data: np.ndarray, offsets: np.ndarray, max_chars: int, max_lines: int) -> np.ndarray:
    """``_head_ends`` of the batch bytes ``data`` split at ``offsets``."""
    return _head_ends(readonly(data), offsets, max_chars, max_lines)


@_compiled()
def _gather_ranges(data: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """``data[starts[k]:ends[k]]`` for every ``k``, end to end."""
    out = np.empty(np.sum(ends - starts), np.uint8)
    at = 0
    for k in range(starts.size):
        size = ends[k] - starts[k]
        out[at : at + size] = data[starts[k] : ends[k]]
        at += size
    return out


def gather_ranges(data: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    return _gather_ranges(readonly(data), starts, ends)


@_compiled(inline="always")
def _double(data: np.ndarray, i: int) -> bool:
    """``data[i:i+2]`` is ``--``, ``==`` or ``##``."""
    c = data[i]
    return (c == 45 or c == 61 or c == 35) and data[i + 1] == c


@_compiled()
def _fenced_lines(data: np.ndarray, offsets: np.ndarray, docs: np.ndarray) -> np.ndarray:
    """Per document of ``docs``: its lines that, stripped of spaces and tabs (and a ``\\r``
    at the end), begin with ``--``, ``==``, ``##`` or ``[`` and end with ``--``, ``==``,
    ``##`` or ``]``: a superset of the lines ``markers.EXPECTATION_SECTION_RE`` matches."""
    counts = np.zeros(docs.size, np.int64)
    for k in range(docs.size):
        a, b = offsets[docs[k]], offsets[docs[k] + 1]
        start = a
        while start < b:
            end = start
            while end < b and data[end] != 10:
                end += 1
            s, e = start, end
            while s < e and (data[s] == 32 or data[s] == 9):
                s += 1
            while e > s and (data[e - 1] == 32 or data[e - 1] == 9 or data[e - 1] == 13):
                e -= 1
            if e - s >= 2:
                opens = data[s] == 91 or _double(data, s)  # [
                closes = data[e - 1] == 93 or _double(data, e - 2)  # ]
                counts[k] += opens and closes
            start = end + 1
    return counts


def fenced_lines(data: np.ndarray, offsets: np.ndarray, docs: np.ndarray) -> np.ndarray:
    """``_fenced_lines`` of the documents ``docs`` (indices) of the batch bytes ``data``."""
    return _fenced_lines(readonly(data), offsets, docs.astype(np.int64))


_BASE64 = byte_table(ASCII_WORD_CHARS.replace(b"_", b"") + b"+/")
"""``[A-Za-z0-9+/]``."""
_HEX = byte_table(b"0123456789abcdefABCDEF")


@_compiled()
def _encoded_bytes(
    data: np.ndarray,
    offsets: np.ndarray,
    docs: np.ndarray,
    min_run: int,
    min_escapes: int,
    base64: np.ndarray,
    hexdigit: np.ndarray,
) -> np.ndarray:
    """Per document of ``docs``: the bytes of the leftmost-first, non-overlapping matches of
    ``[A-Za-z0-9+/]{min_run,}={0,2}|(?:\\x[0-9a-fA-F]{2}){min_escapes,}`` that hold an ASCII
    digit and an ASCII letter (``text_stats._ENCODED_RE`` and its ``mixed`` filter). At a
    base64 byte only the first branch can match, and it fails at every byte of a shorter run;
    at a backslash only the second."""
    out = np.zeros(docs.size, np.int64)
    for k in range(docs.size):
        a, b = offsets[docs[k]], offsets[docs[k] + 1]
        total = 0
        p = a
        while p < b:
            c = data[p]
            if base64[c]:
                e = p
                digits = letters = 0
                while e < b and base64[data[e]]:
                    x = data[e]
                    digits |= 48 <= x <= 57
                    letters |= (65 <= x <= 90) or (97 <= x <= 122)
                    e += 1
                if e - p >= min_run:
                    pad = 0
                    while pad < 2 and e < b and data[e] == 61:  # =
                        e += 1
                        pad += 1
                    if digits and letters:
                        total += e - p
                p = e
            elif c == 92:  # \
                q = p
                digits = letters = 0  # the x of every escape is a letter
                while (
                    q + 3 < b
                    and data[q] == 92
                    and data[q + 1] == 120
                    and hexdigit[data[q + 2]]
                    and hexdigit[data[q + 3]]
                ):
                    digits |= (48 <= data[q + 2] <= 57) or (48 <= data[q + 3] <= 57)
                    q += 4
                if (q - p) // 4 >= min_escapes:
                    if digits:
                        total += q - p
                    p = q
                else:
                    p += 1
            else:
                p += 1
        out[k] = total
    return out


def encoded_bytes(
    data: np.ndarray, offsets: np.ndarray, docs: np.ndarray, min_run: int, min_escapes: int
) -> np.ndarray:
    """``_encoded_bytes`` of the documents ``docs`` (indices) of the batch bytes ``data``."""
    return _encoded_bytes(
        readonly(data), offsets, docs.astype(np.int64), min_run, min_escapes, _BASE64, _HEX
    )


def warm_up() -> None:
    """Compile (or load from numba's cache) every kernel, so a batch never pays the JIT."""
    data = np.frombuffer(b"a b c d e f a b c d e f \xc3\xa9", np.uint8)
    offsets = np.array([0, data.size], np.int64)
    repeated_ngrams(data, offsets, 5, 1)
    byte_stats(data, offsets, 300, 10)
    unicode_letters(data, offsets, np.array([0], np.int64))
    gather_ranges(data, offsets[:-1], head_ends(data, offsets, 2048, 15))
    fenced_lines(data, offsets, np.array([0], np.int64))
    encoded_bytes(data, offsets, np.array([0], np.int64), 64, 16)
