"""Vectorised text signals over a whole batch of documents.

Everything works on the batch's UTF-8 bytes as one numpy array (``ByteView``): character classes
are byte masks built with SIMD comparisons and counted per document with ``count_nonzero``;
words and lines are found with ``flatnonzero`` over those masks, hashed without Python loops and
counted with one sort; polars string kernels are used only where Unicode matters (stripping and
hashing lines). Every function takes the batch's content as an Arrow array and returns one value
per document, nulls where a statistic is undefined (e.g. fractions of an empty file).
"""

from __future__ import annotations

import itertools
import threading
from dataclasses import dataclass
from functools import cached_property

import hyperscan
import numpy as np
import polars as pl
import pyarrow as pa

from curate.filters.quality import kernels

REPEATED_LINE_MIN_CHARS = 10
"""Lines shorter than this (after stripping) never count as repeated: ``}``, ``end``, ``else:``
repeat in every healthy file."""
LONG_LINE_CHARS = 300
NGRAM = 5
ENCODED_MIN_RUN = 64
DATA_MIN_ITEMS = 16

_ENCODED_RE = (
    rf"[A-Za-z0-9+/]{{{ENCODED_MIN_RUN},}}={{0,2}}"  # base64 (and long hex) runs
    r"|(?:\\x[0-9a-fA-F]{2}){16,}"  # \xNN escape runs
)
_NUMBER = r"[-+]?(?:0[xX][0-9a-fA-F]+|\d+\.?\d*(?:[eE][-+]?\d+)?)[fFlLuU]?"
_DATA_RE = rf"(?:{_NUMBER}\s*[,;]\s*){{{DATA_MIN_ITEMS},}}{_NUMBER}?"

_U8 = np.uint8


def as_large_string(content: pa.Array | pa.ChunkedArray) -> pa.LargeStringArray:
    if isinstance(content, pa.ChunkedArray):
        content = (
            pa.concat_arrays(content.chunks)
            if content.num_chunks
            else pa.array([], pa.large_string())
        )
    if content.type != pa.large_string():
        content = content.cast(pa.large_string())
    return content


def _in_range(x: np.ndarray, lo: int, count: int) -> np.ndarray:
    """``lo <= x < lo + count`` for uint8 ``x`` in two SIMD passes (unsigned wrap-around)."""
    return (x - _U8(lo)) < count


@dataclass
class ByteView:
    """A batch's UTF-8 bytes as one uint8 array, per-document offsets into it, and byte-class
    masks computed once and shared by the character, line, word and pattern statistics."""

    content: pa.LargeStringArray
    offsets: np.ndarray
    """int64, ``len(content) + 1`` offsets relative to ``data``."""
    data: np.ndarray
    base: int
    """Absolute position of ``data[0]`` in the Arrow data buffer."""

    @classmethod
    def of(cls, content: pa.LargeStringArray) -> ByteView:
        n = len(content)
        buffers = content.buffers()
        offsets = np.frombuffer(buffers[1], dtype=np.int64)[content.offset : content.offset + n + 1]
        if offsets.size == 0:
            offsets = np.zeros(1, np.int64)
        base = int(offsets[0])
        size = int(offsets[-1]) - base
        raw = np.frombuffer(buffers[2], dtype=np.uint8) if buffers[2] is not None else None
        data = raw[base : base + size] if raw is not None else np.zeros(0, np.uint8)
        return cls(content, offsets - base, data, base)

    @property
    def sizes(self) -> np.ndarray:
        return np.diff(self.offsets)

    def counts(self, mask: np.ndarray) -> np.ndarray:
        """True values of a byte ``mask`` per document: a loop of SIMD ``count_nonzero`` calls,
        about three times faster than ``np.add.reduceat`` on byte masks (measured)."""
        bounds = self.offsets.tolist()
        count = np.count_nonzero
        return np.fromiter(
            (count(mask[a:b]) for a, b in itertools.pairwise(bounds)),
            np.int64,
            len(bounds) - 1,
        )

    @cached_property
    def series(self) -> pl.Series:
        """The content as a polars Series (converted once per batch)."""
        return pl.Series("content", self.content)

    @cached_property
    def high_counts(self) -> np.ndarray:
        """Bytes >= 0x80 per document (0: an ASCII-only document)."""
        return self.counts(self.high)

    @cached_property
    def alpha(self) -> np.ndarray:  # ASCII letters
        return _in_range(self.data | _U8(0x20), ord("a"), 26)

    @cached_property
    def digit(self) -> np.ndarray:  # ASCII digits
        return _in_range(self.data, ord("0"), 10)

    @cached_property
    def high(self) -> np.ndarray:  # bytes of non-ASCII characters (lead and continuation)
        return self.data >= 0x80


def char_class_counts(
    content: pa.LargeStringArray, view: ByteView | None = None
) -> dict[str, np.ndarray]:
    """Per document: bytes, chars and counts of alnum/alpha/digit/whitespace/non-ASCII chars.

    Alphanumeric and alphabetic follow Python's ``str.isalnum`` / ``isalpha`` (Unicode-aware,
    as in The Stack's filter); digits and whitespace are ASCII.
    """
    view = view if view is not None else ByteView.of(content)
    data = view.data
    space = data == ord(" ")
    space |= _in_range(data, 9, 5)  # \t \n \v \f \r
    counts = {
        "alpha": view.counts(view.alpha),
        "digit": view.counts(view.digit),
        "space": view.counts(space),
    }
    del space
    high = view.high_counts
    bounds = view.offsets
    # Non-ASCII documents only: lead bytes (one per character) and exact Unicode letters.
    index = np.flatnonzero(high)
    lead = np.zeros(len(high), np.int64)
    for i in index.tolist():
        lead[i] = np.count_nonzero(data[bounds[i] : bounds[i + 1]] >= 0xC0)
    counts["non_ascii"] = lead
    counts["bytes"] = np.diff(bounds)
    counts["chars"] = counts["bytes"] - (high - lead)
    counts["alnum"] = counts["alpha"] + counts["digit"]
    replacement = np.zeros(len(high), np.int64)
    if index.size:
        subset = content.take(pa.array(index))
        # ASCII is stripped in Rust (polars); Python only classifies the non-ASCII remainder.
        rest = pl.Series(subset).str.replace_all(r"[\x00-\x7f]+", "").to_list()
        for i, runs in zip(index, rest, strict=True):
            counts["alnum"][i] += sum(map(str.isalnum, runs))
            counts["alpha"][i] += sum(map(str.isalpha, runs))
        replacement[index] = (
            pl.Series(subset).str.count_matches("\ufffd", literal=True).fill_null(0).to_numpy()
        )
    counts["replacement"] = replacement
    return counts


def _null_where(values: np.ndarray, mask: np.ndarray, name: str) -> pl.Series:
    return pl.Series(name, pa.array(values, pa.float64(), mask=mask))


def _sort(x: np.ndarray) -> np.ndarray:
    """``x`` sorted: polars' single-threaded sort, 3-4x less CPU than ``np.sort`` on these
    uint64/int64 arrays (measured: 5M random uint64 keys, 0.11 vs 0.42 CPU-s; polars' threaded
    sort spends more CPU, 0.24)."""
    return pl.Series(x).sort(multithreaded=False).to_numpy()


def _lines_per_doc(bounds: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    """Segments of sorted, unique ``bounds`` (which include every document offset) per
    document."""
    return np.diff(np.searchsorted(bounds[:-1], offsets))


def line_stats(
    content: pa.LargeStringArray,
    long_line_chars: int = LONG_LINE_CHARS,
    view: ByteView | None = None,
) -> pl.DataFrame:
    """Per document: line_count, mean/max line length (chars), long_line_fraction,
    repeated_line_fraction. Row order = input order.

    A line is the text up to and including ``\\n`` (a final newline does not start a new line);
    its length excludes the ``\\n`` and a ``\\r`` before it. Line boundaries come from one
    ``flatnonzero`` over the bytes; the lines become a zero-copy Arrow array over the batch
    buffer, which polars strips (Unicode whitespace) and hashes for the repeated-line count.
    Character counts are byte counts except in documents with non-ASCII bytes, whose lines
    polars measures in characters."""
    view = view if view is not None else ByteView.of(content)
    n, data, offsets = len(content), view.data, view.offsets
    # Every line is one segment between consecutive bounds: a byte after a newline or a document
    # start, marked in one mask (no sort); a position marked twice is one bound, which drops the
    # empty segments (empty documents, the end of a document that ends with a newline).
    mark = np.empty(data.size + 1, bool)
    mark[0] = False
    np.equal(data, _U8(ord("\n")), out=mark[1:])
    mark[offsets] = True
    bounds = np.flatnonzero(mark)
    del mark
    starts, ends = bounds[:-1], bounds[1:]
    line_count = _lines_per_doc(bounds, offsets)
    doc = np.repeat(np.arange(n), line_count)
    lines = pl.Series(
        pa.Array.from_buffers(
            pa.large_string(),
            len(starts),
            [None, pa.py_buffer(bounds + view.base), content.buffers()[2]],
        )
    )
    nbytes = ends - starts
    non_ascii = (view.high_counts > 0)[doc] if len(starts) else np.zeros(0, bool)
    chars = nbytes.copy()
    if non_ascii.any():
        chars[non_ascii] = lines.filter(pl.Series(non_ascii)).str.len_chars().to_numpy()
    if len(starts):
        newline = data[ends - 1] == ord("\n")
        cr = (nbytes > newline) & (data[ends - 1 - newline] == ord("\r"))
        length = chars - newline - cr
    else:
        length = chars

    total = np.bincount(doc, weights=length, minlength=n)
    long = np.bincount(doc, weights=length > long_line_chars, minlength=n)
    has_lines = line_count > 0
    max_len = np.zeros(n, np.int64)
    if length.size:
        first_line = (np.cumsum(line_count) - line_count)[has_lines]
        max_len[has_lines] = np.maximum.reduceat(length, first_line)

    # Repeated lines: only lines that can have >= 10 characters after stripping are stripped.
    candidate = length >= REPEATED_LINE_MIN_CHARS
    stripped = lines.filter(pl.Series(candidate)).str.strip_chars()
    sizes = stripped.str.len_bytes().to_numpy()
    substantive = sizes >= REPEATED_LINE_MIN_CHARS
    wide = substantive & non_ascii[candidate]
    if wide.any():
        substantive[wide] = (
            stripped.filter(pl.Series(wide)).str.len_chars().to_numpy() >= REPEATED_LINE_MIN_CHARS
        )
    subst_doc = doc[candidate][substantive]
    subst_count = np.bincount(subst_doc, minlength=n)
    hashes = stripped.filter(pl.Series(substantive)).hash().to_numpy()
    repeats = _repeats_per_doc(hashes, subst_doc, n)

    with np.errstate(divide="ignore", invalid="ignore"):
        return pl.DataFrame(
            [
                pl.Series("line_count", line_count.astype(np.int64)),
                _null_where(total / line_count, ~has_lines, "mean_line_length"),
                pl.Series("max_line_length", pa.array(max_len, pa.int64(), mask=~has_lines)),
                _null_where(long / line_count, ~has_lines, "long_line_fraction"),
                _null_where(repeats / subst_count, subst_count == 0, "repeated_line_fraction"),
            ]
        )


def _repeats_per_doc(h: np.ndarray, doc: np.ndarray, rows: int) -> np.ndarray:
    """Per document, how many of its hashes ``h`` repeat an earlier one of that document.

    The document index goes in the high bits and the hash in the rest, so one sort puts equal
    (document, hash) keys next to each other."""
    if h.size == 0:
        return np.zeros(rows, np.int64)
    bits = max(1, int(rows).bit_length())
    shift = np.uint64(64 - bits)
    key = h >> np.uint64(bits)
    key |= doc.astype(np.uint64) << shift
    key = _sort(key)
    hit = key[1:][key[1:] == key[:-1]]
    return np.bincount((hit >> shift).astype(np.int64), minlength=rows)


def repeated_ngram_fraction(
    content: pa.LargeStringArray, n: int = NGRAM, view: ByteView | None = None
) -> pl.Series:
    """Fraction of a document's word n-grams that occur more than once in it (Gopher-style
    repetition signal; a word is a run of ``[A-Za-z0-9_]`` or non-ASCII bytes); null when a
    document has fewer than ``n`` words. One compiled pass per document (``kernels``)."""
    rows = len(content)
    if n <= 0:
        return pl.Series("repeated_ngram_fraction", [None] * rows, dtype=pl.Float64)
    view = view if view is not None else ByteView.of(content)
    # The numpy definition keyed n-grams by (document, hash) in one uint64, the hash losing the
    # document index's width of low bits; the kernel drops the same bits (identical results).
    bits = max(1, int(rows + 1).bit_length())
    total, dups = kernels.repeated_ngrams(view.data, view.offsets, n, bits)
    with np.errstate(divide="ignore", invalid="ignore"):
        frac = dups / total
    return _null_where(frac, total == 0, "repeated_ngram_fraction")


# Necessary conditions of the two pattern regexes, as byte patterns for one Hyperscan pass: a
# match of _ENCODED_RE contains 64 base64 bytes or 16 escapes (ASCII classes: byte semantics are
# the regex's); a match of _DATA_RE contains 16 "number, " items, where polars' Unicode \d and
# \s are widened to any non-ASCII byte (every byte of a multi-byte digit or space is >= 0x80).
_SPACE_B = r"[\t\n\x0b\x0c\r \x80-\xff]"
_DIGIT_B = r"[0-9\x80-\xff]"
_NUMBER_B = (
    rf"[-+]?(?:0[xX][0-9a-fA-F]+|{_DIGIT_B}+\.?{_DIGIT_B}*(?:[eE][-+]?{_DIGIT_B}+)?)[fFlLuU]?"
)
_PREFILTERS = (
    rf"(?:{_NUMBER_B}{_SPACE_B}*[,;]{_SPACE_B}*){{{DATA_MIN_ITEMS}}}",  # id 0: data literal
    rf"[A-Za-z0-9+/]{{{ENCODED_MIN_RUN}}}|(?:\\x[0-9a-fA-F]{{2}}){{16}}",  # id 1: encoded
)


class _PatternPrefilter:
    """The documents of a batch that may match each pattern regex: one Hyperscan block scan a
    document, stopping at each pattern's first match. Only those documents go through the
    (Unicode) polars regex, which gives the values."""

    def __init__(self) -> None:
        self.db = hyperscan.Database(mode=hyperscan.HS_MODE_BLOCK)
        self.db.compile(
            expressions=[p.encode() for p in _PREFILTERS],
            ids=list(range(len(_PREFILTERS))),
            elements=len(_PREFILTERS),
            flags=[hyperscan.HS_FLAG_SINGLEMATCH] * len(_PREFILTERS),
        )
        self._local = threading.local()  # a scratch space serves one scan at a time

    def candidates(self, view: ByteView) -> list[np.ndarray]:
        """Per pattern id, the sorted indices of the documents with a match."""
        scratch = getattr(self._local, "scratch", None)
        if scratch is None:
            scratch = self._local.scratch = hyperscan.Scratch(self.db)
        hits: list[list[int]] = [[] for _ in _PREFILTERS]

        def found(pid: int, _start: int, _end: int, _flags: int, doc: int) -> None:
            hits[pid].append(doc)

        data, scan = view.data, self.db.scan
        bounds = view.offsets.tolist()
        for doc, (a, b) in enumerate(itertools.pairwise(bounds)):
            if b > a:
                scan(data[a:b], match_event_handler=found, scratch=scratch, context=doc)
        return [np.array(sorted(h), np.int64) for h in hits]


_prefilter: _PatternPrefilter | None = None


def _pattern_candidates(view: ByteView) -> list[np.ndarray]:
    global _prefilter
    if _prefilter is None:
        _prefilter = _PatternPrefilter()
    return _prefilter.candidates(view)


def _matched_bytes(series: pl.Series, regex: str, keep: pl.Expr | None = None) -> np.ndarray:
    """Per string, the bytes of its (non-overlapping) matches of ``regex`` (those for which
    ``keep`` holds)."""
    matches = pl.element() if keep is None else pl.element().filter(keep)
    return (
        series.str.extract_all(regex)
        .list.eval(matches.str.len_bytes())
        .list.sum()
        .fill_null(0)
        .to_numpy()
        .astype(np.float64)
    )


def pattern_fractions(
    content: pa.LargeStringArray, bytes_: np.ndarray, view: ByteView | None = None
) -> pl.DataFrame:
    """Fractions of bytes inside encoded blobs (base64 / hex / ``\\xNN`` runs of 64+ chars that
    mix letters and digits) and inside numeric literal lists (16+ comma-separated numbers)."""
    view = view if view is not None else ByteView.of(content)
    rows = len(content)
    mixed = pl.element().str.contains("[0-9]") & pl.element().str.contains("[A-Za-z]")
    data_docs, encoded_docs = _pattern_candidates(view)
    enc = np.zeros(rows, np.float64)
    data = np.zeros(rows, np.float64)
    if encoded_docs.size:
        enc[encoded_docs] = _matched_bytes(view.series.gather(encoded_docs), _ENCODED_RE, mixed)
    if data_docs.size:
        data[data_docs] = _matched_bytes(view.series.gather(data_docs), _DATA_RE)
    empty = bytes_ == 0
    with np.errstate(divide="ignore", invalid="ignore"):
        return pl.DataFrame(
            [
                _null_where(enc / bytes_, empty, "encoded_data_fraction"),
                _null_where(data / bytes_, empty, "data_literal_fraction"),
            ]
        )
